//! URL parsing on arbitrary text: never panics; what parses yields a
//! request-target and Host value that the encoder accepts as they are.
#![no_main]

use brisk::h1::{encode_request_head, BodyFraming, RequestHead};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(url) = brisk::Url::parse(text) else { return };
    let authority = url.authority();
    let mut out = Vec::new();
    let head = RequestHead {
        method: "GET",
        target: url.request_target(),
        host: &authority,
        headers: [("a", "b"); 0],
        body: BodyFraming::None,
    };
    encode_request_head(&head, &mut out).expect("a parsed URL always encodes");
    let _ = url.join(text);
});
