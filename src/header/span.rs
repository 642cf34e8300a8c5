//! Where a header field sits in the bytes of a head: what the parser
//! finds and the map is built from, kept as offsets so that a head is
//! parsed without copying.

/// Where one header field sits inside the head's bytes: byte offsets of the
/// name and of the value (already trimmed of leading and trailing SP/HTAB).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeaderSpan {
    pub(crate) name: (u32, u32),
    pub(crate) value: (u32, u32),
}

impl HeaderSpan {
    /// The field name inside `head` (the bytes the span was parsed from).
    ///
    /// Returns an empty slice if `head` is not those bytes and is too short.
    pub fn name<'b>(&self, head: &'b [u8]) -> &'b [u8] {
        head.get(self.name.0 as usize..self.name.1 as usize)
            .unwrap_or_default()
    }

    /// The field value inside `head`, trimmed of surrounding SP and HTAB.
    pub fn value<'b>(&self, head: &'b [u8]) -> &'b [u8] {
        head.get(self.value.0 as usize..self.value.1 as usize)
            .unwrap_or_default()
    }

    /// Where the name lies.
    pub(crate) fn name_range(&self) -> std::ops::Range<usize> {
        self.name.0 as usize..self.name.1 as usize
    }

    /// Where the value lies.
    pub(crate) fn value_range(&self) -> std::ops::Range<usize> {
        self.value.0 as usize..self.value.1 as usize
    }
}
