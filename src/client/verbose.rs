//! The verbose log ([`ClientBuilder::connection_verbose`](super::ClientBuilder::connection_verbose)):
//! each request head as written and each response head as read, handed
//! to the hook as [`Event::WireHead`] text. Built only when the setting is on
//! and a hook is set; otherwise an attempt pays one branch.

use super::request::{HeaderDefaults, Request, Via};
use crate::events::{emit, Event, Hook};
use crate::h1::ResponseHead;
use crate::header::{is_credential, HeaderValue};
use std::fmt::Write as _;

/// What a sensitive value shows as (as in `Debug` output).
const HIDDEN: &str = "Sensitive";

/// Hands the hook the request head exactly as it goes on the wire (the
/// request's encoder writes it once more, into a scratch buffer), one
/// line per field, with sensitive values hidden. The body is not shown.
pub(super) fn request_head(
    hook: &Option<Hook>,
    req: &Request,
    defaults: &HeaderDefaults,
    via: Via<'_>,
    attempt: u32,
) {
    let mut wire = Vec::new();
    req.encode_head(defaults, via, &mut wire);
    let mut text = String::with_capacity(wire.len());
    let wire = String::from_utf8_lossy(&wire);
    for (i, line) in wire.split("\r\n").take_while(|l| !l.is_empty()).enumerate() {
        if i > 0 {
            text.push('\n');
        }
        match line.split_once(':').filter(|_| i > 0) {
            Some((name, _)) if is_hidden(name, req, defaults) => {
                let _ = write!(text, "{name}: {HIDDEN}");
            }
            _ => text.push_str(line),
        }
    }
    emit(hook, || Event::WireHead {
        url: &req.url,
        attempt,
        sent: true,
        text: &text,
    });
}

/// Hands the hook a response head as read: the status line, then each
/// field, with the values of credential fields (`Set-Cookie` among them)
/// hidden.
pub(super) fn response_head(hook: &Option<Hook>, req: &Request, head: &ResponseHead, attempt: u32) {
    let mut text = format!(
        "{} {} {}",
        head.version,
        head.status,
        String::from_utf8_lossy(head.reason())
    );
    for (name, value) in &head.headers {
        let shown = if is_credential(name.as_str()) || name == "set-cookie" || value.is_sensitive()
        {
            HIDDEN.into()
        } else {
            String::from_utf8_lossy(value.as_bytes())
        };
        let _ = write!(text, "\n{}: {shown}", name.as_str());
    }
    emit(hook, || Event::WireHead {
        url: &req.url,
        attempt,
        sent: false,
        text: &text,
    });
}

/// Whether a request field named `name` is hidden: a credential, a name
/// the client lists as sensitive, or a value so marked on the request or
/// among the client's defaults.
fn is_hidden(name: &str, req: &Request, defaults: &HeaderDefaults) -> bool {
    let marked = |v: &HeaderValue| v.is_sensitive();
    is_credential(name)
        || defaults
            .sensitive
            .iter()
            .any(|s| s.eq_ignore_ascii_case(name))
        || req.headers.get_all(name).into_iter().any(marked)
        || defaults.fields.get_all(name).into_iter().any(marked)
}
