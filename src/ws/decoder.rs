//! Messages from frames: the receiving half of the codec.
//!
//! [`Decoder::decode`] takes whatever bytes have arrived and returns how
//! many it consumed and, when one ended, which message ([`Decoded`]); the
//! caller then reads it with [`Decoder::view`] (borrowed) or
//! [`Decoder::take`] (owned).
//!
//! A data frame that is a whole message (final, uncompressed, not a
//! continuation) and has arrived whole is not copied at all: the message
//! is the frame's payload where it lies in the caller's input, and its
//! text is checked there in one pass. Any other payload is taken as it
//! comes, not once a frame is whole, so that text is checked byte by byte
//! (a bad sequence fails the moment it arrives) and a large frame is never
//! held twice.

use super::frame::{parse_header, FrameHeader, Opcode};
use super::utf8::Utf8Checker;
use super::{CloseFrame, Limits, Message, MessageRef, ProtocolError};
use crate::inflate::{Format, Inflate};

/// The bytes RFC 7692 §7.2.2 has the receiver append to a compressed
/// message: the empty stored block the sender stripped.
const SYNC_FLUSH_TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The most room the reassembly buffer keeps from one message to the
/// next (it is reused, so that a borrowed message costs no allocation).
const MESSAGE_KEPT: usize = 1 << 20;

/// How much room one inflate call gets at the end of the message buffer.
const INFLATE_STEP: usize = 32 * 1024;

/// The receiving side of permessage-deflate, as negotiated.
pub(crate) struct InflateContext {
    inflate: Inflate,
    /// `server_no_context_takeover`: the server starts each message with
    /// an empty window, so ours is reset after each message.
    reset_each_message: bool,
}

impl InflateContext {
    pub(crate) fn new(reset_each_message: bool) -> InflateContext {
        InflateContext {
            inflate: Inflate::new(Format::Raw),
            reset_each_message,
        }
    }
}

/// Where the decoder is in the byte stream.
#[derive(Clone, Copy, Debug)]
enum State {
    /// Waiting for a frame header.
    Header,
    /// Inside a frame's payload, `remaining` bytes to go.
    Payload { header: FrameHeader, remaining: u64 },
}

/// The data message being reassembled.
#[derive(Clone, Copy, Debug)]
struct Partial {
    text: bool,
    compressed: bool,
    fragments: usize,
}

/// What a call to [`Decoder::decode`] ended, when it ended a message.
///
/// The message is read with [`Decoder::view`] or [`Decoder::take`], given
/// the same input as that call, before the decoder is called again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// A data message that was one frame, final and uncompressed, whole in
    /// the input at `start..end`. Its text (if `text`) is checked as UTF-8
    /// when it is viewed or taken, which may fail.
    Whole {
        text: bool,
        start: usize,
        end: usize,
    },
    /// A data message reassembled (and inflated) in the decoder.
    Assembled { text: bool },
    /// A ping, its payload in the decoder.
    Ping,
    /// A pong, its payload in the decoder.
    Pong,
    /// A close frame, parsed.
    Close,
}

/// Frames in, messages out, for a client (RFC 6455 §5.4, §5.6).
pub(crate) struct Decoder {
    limits: Limits,
    deflate: Option<InflateContext>,
    state: State,
    partial: Option<Partial>,
    /// The data message so far (inflated, if compressed).
    message: Vec<u8>,
    utf8: Utf8Checker,
    /// The control frame so far (at most 125 bytes).
    control: Vec<u8>,
    /// The last close frame's body, parsed.
    close: Option<CloseFrame>,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("state", &self.state)
            .field("partial", &self.partial)
            .finish_non_exhaustive()
    }
}

impl Decoder {
    /// A decoder; `deflate` when permessage-deflate was negotiated.
    pub(crate) fn new(limits: Limits, deflate: Option<InflateContext>) -> Decoder {
        Decoder {
            limits,
            deflate,
            state: State::Header,
            partial: None,
            message: Vec::new(),
            utf8: Utf8Checker::default(),
            control: Vec::with_capacity(125),
            close: None,
        }
    }

    /// Consumes what it can of `input`: returns how many bytes, and the
    /// message that ended, if one did (then the rest of `input` is left
    /// for the next call). `Ok((n, None))` with `n == input.len()` means
    /// more bytes are needed; an error means the connection must be
    /// failed with [`ProtocolError::close_code`].
    pub(crate) fn decode(
        &mut self,
        input: &[u8],
    ) -> Result<(usize, Option<Decoded>), ProtocolError> {
        if self.partial.is_none() && self.message.capacity() > MESSAGE_KEPT {
            // Between messages (the last one has been read: this call
            // borrows the decoder), a large one's room is given back.
            self.message = Vec::new();
        }
        let mut at = 0;
        loop {
            match self.state {
                State::Header => {
                    let Some((header, size)) = parse_header(&input[at..], self.deflate.is_some())?
                    else {
                        // A header cut short is left unconsumed, for the
                        // caller to offer again with the bytes after it.
                        return Ok((at, None));
                    };
                    at += size;
                    if self.is_whole_message(header, input.len() - at) {
                        self.check_frame_limit(header)?;
                        self.check_message_limit(header, 0)?;
                        let start = at;
                        at += header.len as usize;
                        let text = header.opcode == Opcode::Text;
                        let whole = Decoded::Whole {
                            text,
                            start,
                            end: at,
                        };
                        return Ok((at, Some(whole)));
                    }
                    self.start_frame(header)?;
                    self.state = State::Payload {
                        header,
                        remaining: header.len,
                    };
                }
                State::Payload { header, remaining } => {
                    let available = (input.len() - at) as u64;
                    let n = remaining.min(available) as usize;
                    let piece = &input[at..at + n];
                    at += n;
                    if header.opcode.is_control() {
                        self.control.extend_from_slice(piece);
                    } else {
                        self.take_data(piece)?;
                    }
                    let remaining = remaining - n as u64;
                    if remaining > 0 {
                        self.state = State::Payload { header, remaining };
                        return Ok((at, None));
                    }
                    self.state = State::Header;
                    if let Some(message) = self.end_frame(header)? {
                        return Ok((at, Some(message)));
                    }
                }
            }
        }
    }

    /// The message `input` ends, borrowed: `decoded` as the last call to
    /// [`Decoder::decode`] returned it, and `input` as that call was
    /// given it.
    ///
    /// # Errors
    ///
    /// [`ProtocolError::InvalidUtf8`] for a whole text frame that is not
    /// UTF-8: the connection must be failed, as if `decode` had said so.
    pub(crate) fn view<'a>(
        &'a self,
        input: &'a [u8],
        decoded: Decoded,
    ) -> Result<MessageRef<'a>, ProtocolError> {
        let text = |bytes| std::str::from_utf8(bytes).map_err(|_| ProtocolError::InvalidUtf8);
        Ok(match decoded {
            Decoded::Whole {
                text: true,
                start,
                end,
            } => MessageRef::Text(text(&input[start..end])?),
            Decoded::Whole { start, end, .. } => MessageRef::Binary(&input[start..end]),
            Decoded::Assembled { text: true } => MessageRef::Text(text(&self.message)?),
            Decoded::Assembled { .. } => MessageRef::Binary(&self.message),
            Decoded::Ping => MessageRef::Ping(&self.control),
            Decoded::Pong => MessageRef::Pong(&self.control),
            Decoded::Close => MessageRef::Close(self.close.as_ref()),
        })
    }

    /// The message `input` ends, owned (a reassembled one is handed over,
    /// not copied); as [`Decoder::view`].
    pub(crate) fn take(
        &mut self,
        input: &[u8],
        decoded: Decoded,
    ) -> Result<Message, ProtocolError> {
        Ok(match decoded {
            Decoded::Assembled { text: true } => {
                let bytes = std::mem::take(&mut self.message);
                Message::Text(String::from_utf8(bytes).map_err(|_| ProtocolError::InvalidUtf8)?)
            }
            Decoded::Assembled { text: false } => {
                Message::Binary(std::mem::take(&mut self.message))
            }
            _ => self.view(input, decoded)?.to_message(),
        })
    }

    /// Consumes what it can of `input`, as [`Decoder::decode`], and takes
    /// the message that ended, if one did.
    #[cfg(test)]
    pub(crate) fn decode_owned(
        &mut self,
        input: &[u8],
    ) -> Result<(usize, Option<Message>), ProtocolError> {
        match self.decode(input)? {
            (n, Some(decoded)) => Ok((n, Some(self.take(input, decoded)?))),
            (n, None) => Ok((n, None)),
        }
    }

    /// The reassembly buffer's room.
    #[cfg(test)]
    pub(crate) fn reassembly_capacity(&self) -> usize {
        self.message.capacity()
    }

    /// The last control frame's payload.
    pub(crate) fn control(&self) -> &[u8] {
        &self.control
    }

    /// The last close frame's body, parsed.
    pub(crate) fn close_frame(&self) -> Option<&CloseFrame> {
        self.close.as_ref()
    }

    /// A frame that is a whole data message by itself, and whose payload
    /// is all in the `available` bytes after its header.
    fn is_whole_message(&self, header: FrameHeader, available: usize) -> bool {
        header.fin
            && !header.rsv1
            && self.partial.is_none()
            && matches!(header.opcode, Opcode::Text | Opcode::Binary)
            && header.len <= available as u64
    }

    /// A new frame against the frame limit.
    fn check_frame_limit(&self, header: FrameHeader) -> Result<(), ProtocolError> {
        if header.len > self.limits.max_frame_bytes as u64 {
            return Err(ProtocolError::FrameTooLarge);
        }
        Ok(())
    }

    /// A data frame's payload, after `so_far` bytes of its message,
    /// against the message limit.
    fn check_message_limit(&self, header: FrameHeader, so_far: usize) -> Result<(), ProtocolError> {
        if so_far as u64 + header.len > self.limits.max_message_bytes as u64 {
            return Err(ProtocolError::MessageTooLarge);
        }
        Ok(())
    }

    /// Checks a new frame against the message in progress and the limits.
    fn start_frame(&mut self, header: FrameHeader) -> Result<(), ProtocolError> {
        self.check_frame_limit(header)?;
        match (header.opcode, &mut self.partial) {
            (op, _) if op.is_control() => {
                self.control.clear();
                return Ok(());
            }
            (Opcode::Continuation, None) => return Err(ProtocolError::UnexpectedContinuation),
            (Opcode::Continuation, Some(p)) => {
                if header.rsv1 {
                    // RFC 7692 §6.1: RSV1 marks the first frame only.
                    return Err(ProtocolError::ReservedBits);
                }
                p.fragments += 1;
                if p.fragments > self.limits.max_fragments {
                    return Err(ProtocolError::TooManyFragments);
                }
            }
            (_, Some(_)) => return Err(ProtocolError::ExpectedContinuation),
            (op, None) => {
                self.partial = Some(Partial {
                    text: op == Opcode::Text,
                    compressed: header.rsv1,
                    fragments: 1,
                });
                self.message.clear();
                self.utf8 = Utf8Checker::default();
            }
        }
        let compressed = self.partial.is_some_and(|p| p.compressed);
        if !compressed {
            self.check_message_limit(header, self.message.len())?;
            // Room for each data frame at once, so that a payload split
            // across reads is not copied again as the message grows; what
            // a frame announces is trusted up to 1 MiB before it arrives
            // (one frame at a time: the next header is read only after
            // this frame's last byte).
            self.message.reserve(header.len.min(1 << 20) as usize);
        }
        Ok(())
    }

    /// Data payload bytes, as they arrive.
    fn take_data(&mut self, piece: &[u8]) -> Result<(), ProtocolError> {
        let partial = self.partial.expect("data payload inside a message");
        if partial.compressed {
            return self.inflate(piece, partial.text);
        }
        let start = self.message.len();
        self.message.extend_from_slice(piece);
        if partial.text {
            self.utf8
                .feed(&self.message[start..])
                .map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        Ok(())
    }

    /// Inflates `input` onto the end of the message, within the message
    /// limit (a small frame may inflate to a great deal: the limit is on
    /// the output), checking text as each step's output comes.
    ///
    /// The order of the checks is what makes the error the same however
    /// the input was cut: each step's output is checked as UTF-8 before
    /// the limit is, and before the next step can meet bad deflate data
    /// (the inflater hands out the output decoded before an error, and
    /// reports the error on the call after). A step never produces more
    /// than one byte past the limit, so the bytes checked are the same
    /// whatever the steps are.
    fn inflate(&mut self, mut input: &[u8], text: bool) -> Result<(), ProtocolError> {
        let context = self.deflate.as_mut().ok_or(ProtocolError::ReservedBits)?;
        let max = self.limits.max_message_bytes;
        loop {
            let start = self.message.len();
            // One byte past the limit is room enough to see it crossed.
            let room = INFLATE_STEP.min(max + 1 - start.min(max));
            self.message.resize(start + room, 0);
            let progress = context
                .inflate
                .decode(input, &mut self.message[start..])
                .map_err(|_| ProtocolError::BadDeflate);
            let progress = match progress {
                Ok(p) => p,
                Err(e) => {
                    self.message.truncate(start);
                    return Err(e);
                }
            };
            self.message.truncate(start + progress.produced);
            if text {
                self.utf8
                    .feed(&self.message[start..])
                    .map_err(|_| ProtocolError::InvalidUtf8)?;
            }
            if self.message.len() > max {
                return Err(ProtocolError::MessageTooLarge);
            }
            input = &input[progress.consumed..];
            if progress.produced < room {
                // All input taken is not the end: a call that produced
                // output may hold back an error met in its last bits,
                // reported on the next call. One more call, with no
                // input, surfaces it now rather than when the next piece
                // arrives (or never, at the end of the message).
                if input.is_empty() && progress.produced == 0 {
                    return Ok(());
                }
                if progress.consumed == 0 && progress.produced == 0 {
                    // Input left after the stream's final block.
                    return Err(ProtocolError::BadDeflate);
                }
            }
        }
    }

    /// A frame's payload is all in: a control message, or the end of a
    /// data message if FIN is set.
    fn end_frame(&mut self, header: FrameHeader) -> Result<Option<Decoded>, ProtocolError> {
        let decoded = match header.opcode {
            Opcode::Ping => Decoded::Ping,
            Opcode::Pong => Decoded::Pong,
            Opcode::Close => {
                self.close = parse_close(&self.control)?;
                Decoded::Close
            }
            _ if !header.fin => return Ok(None),
            _ => self.end_message()?,
        };
        Ok(Some(decoded))
    }

    fn end_message(&mut self) -> Result<Decoded, ProtocolError> {
        let partial = self.partial.take().expect("a data frame ends a message");
        if partial.compressed {
            let context = self.deflate.as_mut().ok_or(ProtocolError::ReservedBits)?;
            if context.inflate.is_done() {
                // The message ended with a final block (RFC 7692
                // §7.2.3.3 allows it): nothing to append, and the next
                // message is a new stream over the same window.
                context.inflate.start_message();
            } else {
                self.inflate(&SYNC_FLUSH_TAIL, partial.text)?;
            }
            let context = self.deflate.as_mut().expect("checked above");
            if context.reset_each_message {
                context.inflate.reset();
            } else if context.inflate.is_done() {
                context.inflate.start_message();
            }
        }
        if partial.text && !self.utf8.is_complete() {
            return Err(ProtocolError::InvalidUtf8);
        }
        Ok(Decoded::Assembled { text: partial.text })
    }
}

/// A close frame's body (RFC 6455 §5.5.1): empty, or a code and a UTF-8
/// reason.
fn parse_close(payload: &[u8]) -> Result<Option<CloseFrame>, ProtocolError> {
    match payload {
        [] => Ok(None),
        [_] => Err(ProtocolError::BadClosePayload),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !super::is_valid_close_code(code) {
                return Err(ProtocolError::BadCloseCode);
            }
            let reason = std::str::from_utf8(reason).map_err(|_| ProtocolError::InvalidUtf8)?;
            Ok(Some(CloseFrame {
                code,
                reason: reason.to_owned(),
            }))
        }
    }
}
