//! UTF-8 checked as bytes arrive, across frame boundaries.
//!
//! A text message may be cut anywhere, even inside a character, so the
//! checker keeps the state of an unfinished sequence between calls. It
//! fails at the first byte that no continuation could make valid
//! (RFC 3629 §4's table: no overlongs, no surrogates, nothing past
//! U+10FFFF), not at the end of the frame or message: RFC 6455 §8.1 asks
//! to fail the connection as soon as invalid data is seen, and Autobahn
//! 6.4.* checks that a client does.

/// An incremental UTF-8 checker.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Utf8Checker {
    /// Continuation bytes still due for the sequence being read.
    need: u8,
    /// The allowed range for the next continuation byte (narrower than
    /// 80..=BF right after some lead bytes: RFC 3629 §4).
    low: u8,
    high: u8,
}

/// The bytes can never become valid UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InvalidUtf8;

impl Utf8Checker {
    /// Checks the next bytes of the text.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<(), InvalidUtf8> {
        let mut i = 0;
        // Finish a sequence left open by the previous piece.
        while self.need > 0 && i < bytes.len() {
            self.continuation(bytes[i])?;
            i += 1;
        }
        let rest = &bytes[i..];
        // The common case, checked by std at full speed: all whole
        // characters, or an unfinished one at the end.
        match std::str::from_utf8(rest) {
            Ok(_) => Ok(()),
            Err(e) => {
                if e.error_len().is_some() {
                    return Err(InvalidUtf8);
                }
                for &b in &rest[e.valid_up_to()..] {
                    if self.need == 0 {
                        self.lead(b)?;
                    } else {
                        self.continuation(b)?;
                    }
                }
                Ok(())
            }
        }
    }

    /// Whether the text so far ends on a character boundary.
    pub(crate) fn is_complete(&self) -> bool {
        self.need == 0
    }

    fn lead(&mut self, b: u8) -> Result<(), InvalidUtf8> {
        let (need, low, high) = match b {
            0x00..=0x7F => (0, 0x80, 0xBF),
            0xC2..=0xDF => (1, 0x80, 0xBF),
            0xE0 => (2, 0xA0, 0xBF),
            0xE1..=0xEC | 0xEE..=0xEF => (2, 0x80, 0xBF),
            0xED => (2, 0x80, 0x9F),
            0xF0 => (3, 0x90, 0xBF),
            0xF1..=0xF3 => (3, 0x80, 0xBF),
            0xF4 => (3, 0x80, 0x8F),
            _ => return Err(InvalidUtf8),
        };
        *self = Utf8Checker { need, low, high };
        Ok(())
    }

    fn continuation(&mut self, b: u8) -> Result<(), InvalidUtf8> {
        if !(self.low..=self.high).contains(&b) {
            return Err(InvalidUtf8);
        }
        self.need -= 1;
        (self.low, self.high) = (0x80, 0xBF);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_split(bytes: &[u8]) -> Vec<bool> {
        // For each cut, whether the whole is accepted and complete.
        (0..=bytes.len())
            .map(|cut| {
                let mut c = Utf8Checker::default();
                c.feed(&bytes[..cut]).is_ok() && c.feed(&bytes[cut..]).is_ok() && c.is_complete()
            })
            .collect()
    }

    #[test]
    fn valid_text_is_accepted_at_any_cut() {
        let text = "κόσμε, hello, 𝄞 €".as_bytes();
        assert!(check_split(text).into_iter().all(|ok| ok));
        let mut c = Utf8Checker::default();
        for &b in text {
            c.feed(&[b]).unwrap();
        }
        assert!(c.is_complete());
    }

    #[test]
    fn fails_at_the_first_impossible_byte() {
        // Autobahn 6.4.3: valid text, then F4 90 (past U+10FFFF): the
        // byte 90 must fail at once, before the rest of the frame.
        let mut c = Utf8Checker::default();
        c.feed("κόσμε".as_bytes()).unwrap();
        c.feed(&[0xF4]).unwrap();
        assert_eq!(c.feed(&[0x90]), Err(InvalidUtf8));
        for bad in [
            &[0xC0][..],
            &[0xED, 0xA0],
            &[0xE0, 0x80],
            &[0xF0, 0x80],
            &[0xF5],
            &[0xFF],
            &[0x80],
        ] {
            let mut c = Utf8Checker::default();
            let whole = c.feed(bad);
            let mut c = Utf8Checker::default();
            let one_by_one = bad.iter().try_for_each(|&b| c.feed(&[b]));
            assert_eq!(
                (whole, one_by_one),
                (Err(InvalidUtf8), Err(InvalidUtf8)),
                "{bad:x?}"
            );
        }
    }

    #[test]
    fn an_unfinished_sequence_is_incomplete_not_invalid() {
        let mut c = Utf8Checker::default();
        c.feed(&[b'a', 0xE2, 0x82]).unwrap();
        assert!(!c.is_complete());
        c.feed(&[0xAC]).unwrap();
        assert!(c.is_complete());
    }
}
