//! The wrappers around DEFLATE data: the zlib header and trailer (RFC
//! 1950 §2.2) and the gzip member header and trailer (RFC 1952 §2.3).

use super::deflate::Bits;
use super::{crc32, Check, Format, Inflate, InflateError, Stage};

/// Progress through a gzip header (RFC 1952 §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct GzipHeader {
    part: GzipPart,
    /// The flags byte (FLG).
    flags: u8,
    /// Bytes read of the current fixed-size part.
    have: u8,
    bytes: [u8; 10],
    /// FEXTRA bytes still to skip.
    extra_left: u16,
    /// CRC-32 of the header so far, for FHCRC.
    crc: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum GzipPart {
    /// ID1 ID2 CM FLG MTIME(4) XFL OS: 10 bytes.
    Fixed,
    /// XLEN, if FEXTRA.
    ExtraLength,
    /// The XLEN bytes of extra field.
    Extra,
    /// A zero-terminated file name, if FNAME.
    Name,
    /// A zero-terminated comment, if FCOMMENT.
    Comment,
    /// CRC16, if FHCRC.
    HeaderCrc,
    /// The header is complete.
    Done,
}

pub(super) const FHCRC: u8 = 1 << 1;
pub(super) const FEXTRA: u8 = 1 << 2;
pub(super) const FNAME: u8 = 1 << 3;
pub(super) const FCOMMENT: u8 = 1 << 4;
pub(super) const FRESERVED: u8 = 0xE0;

impl GzipHeader {
    pub(super) fn new() -> GzipHeader {
        GzipHeader {
            part: GzipPart::Fixed,
            flags: 0,
            have: 0,
            bytes: [0; 10],
            extra_left: 0,
            crc: 0,
        }
    }

    /// A header whose first byte (ID1, `1f`) was read already.
    pub(super) fn after_first_byte(byte: u8) -> GzipHeader {
        let mut header = GzipHeader::new();
        header.have = 1;
        header.crc = crc32(0, &[byte]);
        header
    }

    /// Moves past the optional parts the flags leave out (and past an
    /// extra field once read).
    pub(super) fn skip_absent_parts(&mut self) {
        loop {
            let (absent, next) = match self.part {
                GzipPart::ExtraLength => (self.flags & FEXTRA == 0, GzipPart::Name),
                GzipPart::Extra => (self.extra_left == 0, GzipPart::Name),
                GzipPart::Name => (self.flags & FNAME == 0, GzipPart::Comment),
                GzipPart::Comment => (self.flags & FCOMMENT == 0, GzipPart::HeaderCrc),
                GzipPart::HeaderCrc => (self.flags & FHCRC == 0, GzipPart::Done),
                GzipPart::Fixed | GzipPart::Done => return,
            };
            if !absent {
                return;
            }
            self.part = next;
        }
    }
}

impl Inflate {
    /// Checks a zlib header (RFC 1950 §2.2), or for [`Format::ZlibOrRaw`]
    /// falls back to raw DEFLATE when it is not one.
    pub(super) fn zlib_header(&mut self, bytes: [u8; 2]) -> Result<(), InflateError> {
        let [cmf, flg] = bytes;
        let valid =
            cmf & 0x0F == 8 && cmf >> 4 <= 7 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0;
        if valid {
            if flg & 0x20 != 0 {
                return Err(InflateError::ZlibDictionary);
            }
            self.stage = Stage::Deflate;
            return Ok(());
        }
        if self.format != Format::ZlibOrRaw {
            return Err(InflateError::BadZlibHeader);
        }
        // Raw DEFLATE: the two bytes are its first; the bit reader was
        // empty (nothing came before them).
        self.bits = Bits {
            buf: u64::from(u16::from_le_bytes(bytes)),
            count: 16,
        };
        self.start_checksum(Check::None);
        self.stage = Stage::Deflate;
        Ok(())
    }

    /// Reads the gzip header (RFC 1952 §2.3) as far as the input allows;
    /// true once it is complete.
    pub(super) fn gzip_header(
        &mut self,
        mut header: GzipHeader,
        input: &[u8],
        at: &mut usize,
    ) -> Result<bool, InflateError> {
        loop {
            header.skip_absent_parts();
            if header.part == GzipPart::Done {
                self.stage = Stage::Deflate;
                return Ok(true);
            }
            let Some(byte) = self.bits.take_byte(input, at) else {
                self.stage = Stage::GzipHeader(header);
                return Ok(false);
            };
            if header.part != GzipPart::HeaderCrc {
                header.crc = crc32(header.crc, &[byte]);
            }
            match header.part {
                GzipPart::Fixed => {
                    // ID1, ID2, CM, FLG are checked as they arrive, so that
                    // a body that is not gzip is refused at its first byte.
                    let valid = match header.have {
                        0 => byte == 0x1f,
                        1 => byte == 0x8b,
                        2 => byte == 8,
                        3 => byte & FRESERVED == 0,
                        _ => true,
                    };
                    if !valid {
                        return Err(InflateError::BadGzipHeader);
                    }
                    if header.have == 3 {
                        header.flags = byte;
                    }
                    header.have += 1;
                    if header.have == 10 {
                        header.have = 0;
                        header.part = GzipPart::ExtraLength;
                    }
                }
                GzipPart::ExtraLength => {
                    header.bytes[header.have as usize] = byte;
                    header.have += 1;
                    if header.have == 2 {
                        header.have = 0;
                        header.extra_left = u16::from_le_bytes([header.bytes[0], header.bytes[1]]);
                        header.part = GzipPart::Extra;
                    }
                }
                GzipPart::Extra => header.extra_left -= 1,
                GzipPart::Name if byte == 0 => header.part = GzipPart::Comment,
                GzipPart::Comment if byte == 0 => header.part = GzipPart::HeaderCrc,
                GzipPart::Name | GzipPart::Comment => {}
                GzipPart::HeaderCrc => {
                    header.bytes[header.have as usize] = byte;
                    header.have += 1;
                    if header.have == 2 {
                        let stored = u16::from_le_bytes([header.bytes[0], header.bytes[1]]);
                        if stored != header.crc as u16 {
                            return Err(InflateError::GzipHeaderCrcMismatch);
                        }
                        header.part = GzipPart::Done;
                    }
                }
                GzipPart::Done => {}
            }
        }
    }

    /// Checks the trailer against the member's output.
    pub(super) fn trailer(&mut self, bytes: &[u8; 8]) -> Result<(), InflateError> {
        if self.check == Check::Adler {
            // RFC 1950: the Adler-32, most significant byte first.
            let stored = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            if stored != self.checksum {
                return Err(InflateError::AdlerMismatch);
            }
            self.stage = Stage::End;
            return Ok(());
        }
        // RFC 1952: CRC-32 then ISIZE, least significant byte first.
        let crc = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let size = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        if crc != self.checksum {
            return Err(InflateError::GzipCrcMismatch);
        }
        if size != self.size {
            return Err(InflateError::GzipSizeMismatch);
        }
        self.stage = Stage::MemberEnd;
        Ok(())
    }
}
