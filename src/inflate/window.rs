//! The window buffer: where output is decoded, handed out from, and kept
//! as the history that matches copy from.

use super::deflate::Block;
use super::{adler32, crc32, Check, Inflate, BUFFER, WINDOW};

impl Inflate {
    /// Copies pending output into `output[produced..]`; returns the new
    /// `produced`.
    pub(super) fn flush(&mut self, output: &mut [u8], produced: usize) -> usize {
        let n = (self.pos - self.flushed).min(output.len() - produced);
        output[produced..produced + n]
            .copy_from_slice(&self.window[self.flushed..self.flushed + n]);
        self.flushed += n;
        produced + n
    }

    /// Inside a stored block, with a large run of it in the input and as
    /// much room in the output, copies it straight from the input to the
    /// output, and only its last window's worth into the window: one copy
    /// and a bit instead of two. False when that does not apply.
    pub(super) fn copy_stored(
        &mut self,
        input: &[u8],
        at: &mut usize,
        output: &mut [u8],
        produced: &mut usize,
    ) -> bool {
        const WORTH_IT: usize = 4096;
        let Block::Stored { remaining } = self.block else {
            return false;
        };
        // The bit reader holds no whole bytes (they would come first), and
        // nothing is pending (the caller flushed), so these bytes are next.
        let n = (remaining as usize)
            .min(input.len() - *at)
            .min(output.len() - *produced);
        if n < WORTH_IT || self.bits.count != 0 || self.flushed != self.pos {
            return false;
        }
        let data = &input[*at..*at + n];
        output[*produced..*produced + n].copy_from_slice(data);
        // The window learns of these bytes later (`sync_window`): a run of
        // stored blocks in one call costs one window's worth of copying.
        self.unwindowed += n;
        self.size = self.size.wrapping_add(n as u32);
        self.checksum = match self.check {
            Check::None => 0,
            Check::Adler => adler32(self.checksum, data),
            Check::Crc => crc32(self.checksum, data),
        };
        *at += n;
        *produced += n;
        let remaining = remaining - n as u16;
        self.block = if remaining > 0 {
            Block::Stored { remaining }
        } else if self.last_block {
            Block::Finished
        } else {
            Block::Header
        };
        true
    }

    /// Puts the output that [`Inflate::copy_stored`] wrote past the window
    /// (the last `unwindowed` bytes of `output[..produced]`) into it, as
    /// the history later matches may reach.
    pub(super) fn sync_window(&mut self, output: &[u8], produced: usize) {
        if self.unwindowed == 0 {
            return;
        }
        let n = self.unwindowed;
        self.unwindowed = 0;
        let data = &output[produced - n..produced];
        if n >= WINDOW {
            // The window becomes the last 32 KiB, all of the current stream.
            self.window[..WINDOW].copy_from_slice(&data[n - WINDOW..]);
            self.pos = WINDOW;
            self.stream_start = 0;
        } else {
            if BUFFER - self.pos < n {
                // Keep the last window's worth before the new bytes.
                let keep_from = self.pos - WINDOW.min(self.pos);
                self.window.copy_within(keep_from..self.pos, 0);
                self.pos -= keep_from;
                self.stream_start = self.stream_start.saturating_sub(keep_from);
            }
            self.window[self.pos..self.pos + n].copy_from_slice(data);
            self.pos += n;
        }
        self.flushed = self.pos;
    }

    /// Slides the last window's worth of output to the front of the buffer
    /// when less than a window of room is left after it.
    pub(super) fn make_room(&mut self) {
        if BUFFER - self.pos >= WINDOW {
            return;
        }
        let keep_from = self.flushed.min(self.pos - WINDOW);
        self.window.copy_within(keep_from..self.pos, 0);
        self.pos -= keep_from;
        self.flushed -= keep_from;
        self.stream_start = self.stream_start.saturating_sub(keep_from);
    }
}
