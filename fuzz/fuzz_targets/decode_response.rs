//! The response decoder on arbitrary bytes: never panics, and feeding the
//! input in two pieces (split where the first byte says) gives the same
//! events as feeding it whole.
#![no_main]

use brisk::h1::{Event, Limits, ResponseDecoder};
use libfuzzer_sys::fuzz_target;

fn run(input: &[u8], cut: usize, method: &[u8]) -> (Vec<String>, Option<String>) {
    let mut dec = ResponseDecoder::new(Limits::default());
    dec.expect_response_to(method);
    let mut seen = Vec::new();
    let mut buf = Vec::new();
    let mut body = Vec::new();
    for piece in [&input[..cut], &input[cut..]] {
        buf.extend_from_slice(piece);
        loop {
            match dec.decode(&buf) {
                Err(e) => return (seen, Some(e.name().to_string())),
                Ok(step) => {
                    let n = step.consumed;
                    let Some(event) = step.event else {
                        buf.drain(..n);
                        break;
                    };
                    match event {
                        Event::Head(h) => seen.push(format!("head {} {}", h.status, h.headers.len())),
                        Event::Body(b) => body.extend_from_slice(b),
                        Event::End { reusable } => seen.push(format!("end {reusable} {body:?}")),
                        Event::Upgrade => return (seen, None),
                    }
                    buf.drain(..n);
                }
            }
        }
    }
    match dec.finish() {
        Ok(e) => seen.push(format!("eof {e:?} {body:?}")),
        Err(e) => return (seen, Some(e.name().to_string())),
    }
    (seen, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, input)) = data.split_first() else { return };
    let method: &[u8] = if first & 1 == 0 { b"GET" } else { b"HEAD" };
    let cut = usize::from(first) % (input.len() + 1);
    assert_eq!(run(input, cut, method), run(input, 0, method));
});
