//! The storage behind [`HeaderName`](super::HeaderName) and
//! [`HeaderValue`](super::HeaderValue): a few bytes, kept where they cost
//! least.
//!
//! Most header names and values are short (`content-type`,
//! `Tue, 15 Nov 1994 08:12:31 GMT`), so they live inline, inside the value
//! itself: a response head becomes one vector of entries, with no
//! allocation per field. Literals stay where the compiler put them. Longer
//! parts of a response head share one reference-counted copy of the head's
//! bytes (one allocation for all of them, made only when a head has a long
//! part); longer values built by the caller get a box of their own.
//!
//! Why not hand out `&HeaderValue` that point into one buffer of the whole
//! head, as the head's old `Headers` did? A `&HeaderValue` must point at a
//! `HeaderValue`; turning a `&[u8]` into one would need `unsafe`, and brisk
//! has none.

use std::sync::Arc;

/// Bytes stored inline up to this length. 38 keeps a [`FieldBytes`] at 40
/// bytes (tag, length, data) and fits an HTTP-date (29 bytes) and
/// `application/json; charset=utf-8` (31).
pub(crate) const INLINE: usize = 38;

/// A short run of bytes: a literal, inline, boxed, or a slice of a shared
/// buffer. Its validity (token, field value) is its owner's business.
#[derive(Clone)]
pub(crate) enum FieldBytes {
    /// A `'static` literal: no copy at all.
    Static(&'static [u8]),
    /// Up to [`INLINE`] bytes, inside the value.
    Inline { len: u8, buf: [u8; INLINE] },
    /// A longer run the caller built.
    Heap(Box<[u8]>),
    /// A longer run inside a response head's shared copy.
    Shared {
        buf: Arc<[u8]>,
        start: u32,
        end: u32,
    },
}

impl FieldBytes {
    /// Copies `bytes`: inline if they fit, else into a box of their own.
    pub(crate) fn copy_from(bytes: &[u8]) -> FieldBytes {
        match FieldBytes::inline(bytes) {
            Some(b) => b,
            None => FieldBytes::Heap(bytes.into()),
        }
    }

    /// `bytes` inline, if they fit.
    pub(crate) fn inline(bytes: &[u8]) -> Option<FieldBytes> {
        let mut buf = [0; INLINE];
        buf.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(FieldBytes::Inline {
            len: bytes.len() as u8,
            buf,
        })
    }

    /// Takes `bytes` without copying them twice: a vector that fits inline
    /// is copied there (and freed), a longer one becomes the box.
    pub(crate) fn from_vec(bytes: Vec<u8>) -> FieldBytes {
        match FieldBytes::inline(&bytes) {
            Some(b) => b,
            None => FieldBytes::Heap(bytes.into_boxed_slice()),
        }
    }

    /// The bytes.
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            FieldBytes::Static(b) => b,
            FieldBytes::Inline { len, buf } => &buf[..usize::from(*len)],
            FieldBytes::Heap(b) => b,
            FieldBytes::Shared { buf, start, end } => &buf[*start as usize..*end as usize],
        }
    }
}

impl PartialEq for FieldBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl Eq for FieldBytes {}

impl std::fmt::Debug for FieldBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_small() {
        assert_eq!(std::mem::size_of::<FieldBytes>(), 40);
    }

    #[test]
    fn every_form_reads_back() {
        let long = [b'x'; 100];
        let shared: Arc<[u8]> = Arc::from(&long[..]);
        for (b, want) in [
            (FieldBytes::Static(b"abc"), &b"abc"[..]),
            (FieldBytes::copy_from(b"abc"), b"abc"),
            (FieldBytes::copy_from(&[b'y'; INLINE]), &[b'y'; INLINE]),
            (FieldBytes::copy_from(&long), &long),
            (FieldBytes::from_vec(long.to_vec()), &long),
            (FieldBytes::from_vec(b"ab".to_vec()), b"ab"),
            (
                FieldBytes::Shared {
                    buf: shared,
                    start: 3,
                    end: 50,
                },
                &long[3..50],
            ),
        ] {
            assert_eq!(b.as_bytes(), want);
        }
        assert!(matches!(
            FieldBytes::copy_from(&[0; INLINE + 1]),
            FieldBytes::Heap(_)
        ));
    }
}
