//! The opening handshake (RFC 6455 §4.1, §4.2.2) and the
//! permessage-deflate negotiation (RFC 7692 §5, §7.1): what the client
//! offers, and the checks on the server's answer. No I/O here.

use crate::header::HeaderMap;
use std::fmt;

/// The extension offer the client sends when deflate is on. It asks for
/// nothing the server must honour: `client_max_window_bits` only says
/// that the server may ask us for a smaller window (RFC 7692 §7.1.2.2).
pub(crate) const DEFLATE_OFFER: &str = "permessage-deflate; client_max_window_bits";

/// Why the server's answer to the handshake is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The server answered with a status other than 101; `body` holds
    /// the start of its body (at most 64 KiB), which usually says why
    /// (a 401 from an API names the bad key).
    Rejected {
        /// The status the server answered with.
        status: u16,
        /// The start of the response body.
        body: Vec<u8>,
    },
    /// `Upgrade: websocket` is missing from the 101.
    MissingUpgrade,
    /// `Connection: Upgrade` is missing from the 101.
    MissingConnection,
    /// `Sec-WebSocket-Accept` is missing or does not match the key sent.
    BadAccept,
    /// The server chose a subprotocol the client did not offer, or more
    /// than one.
    UnofferedProtocol,
    /// The server chose an extension the client did not offer.
    UnofferedExtension,
    /// The server's permessage-deflate parameters are unknown, repeated or
    /// out of range (RFC 7692 §7.1).
    BadDeflateParameters,
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::Rejected { status, .. } => {
                write!(f, "websocket handshake refused with status {status}")
            }
            HandshakeError::MissingUpgrade => f.write_str("missing upgrade: websocket"),
            HandshakeError::MissingConnection => f.write_str("missing connection: upgrade"),
            HandshakeError::BadAccept => f.write_str("missing or wrong sec-websocket-accept"),
            HandshakeError::UnofferedProtocol => f.write_str("subprotocol not offered"),
            HandshakeError::UnofferedExtension => f.write_str("extension not offered"),
            HandshakeError::BadDeflateParameters => {
                f.write_str("invalid permessage-deflate parameters")
            }
        }
    }
}

impl std::error::Error for HandshakeError {}

/// What the handshake settled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Agreed {
    pub(crate) protocol: Option<String>,
    /// `Some(server_no_context_takeover)` when permessage-deflate is on.
    pub(crate) deflate: Option<bool>,
}

/// Whether a comma-separated header holds `token` (case-insensitive), in
/// any of its lines.
fn has_token(headers: &HeaderMap, name: &str, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .split(',')
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    })
}

/// Checks a 101 answer against what was offered (RFC 6455 §4.1, the
/// client's five checks, and RFC 7692 §7.1 for deflate).
pub(crate) fn check_answer(
    headers: &HeaderMap,
    key: &str,
    protocols: &[String],
    deflate_offered: bool,
) -> Result<Agreed, HandshakeError> {
    if !has_token(headers, "upgrade", "websocket") {
        return Err(HandshakeError::MissingUpgrade);
    }
    if !has_token(headers, "connection", "upgrade") {
        return Err(HandshakeError::MissingConnection);
    }
    let accept = headers.get("sec-websocket-accept").map(|v| v.as_bytes());
    if accept.map(<[u8]>::trim_ascii) != Some(super::accept_key(key).as_bytes()) {
        return Err(HandshakeError::BadAccept);
    }
    let mut agreed = Agreed::default();
    let mut chosen = headers.get_all("sec-websocket-protocol").iter();
    if let Some(p) = chosen.next() {
        let p = String::from_utf8_lossy(p.as_bytes()).trim().to_owned();
        if chosen.next().is_some() || !protocols.contains(&p) {
            return Err(HandshakeError::UnofferedProtocol);
        }
        agreed.protocol = Some(p);
    }
    for line in headers.get_all("sec-websocket-extensions").iter() {
        let line = String::from_utf8_lossy(line.as_bytes());
        for extension in line.split(',').filter(|e| !e.trim().is_empty()) {
            let mut parts = extension.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            if !name.eq_ignore_ascii_case("permessage-deflate") || !deflate_offered {
                return Err(HandshakeError::UnofferedExtension);
            }
            if agreed.deflate.is_some() {
                // RFC 7692 §7: the server accepts at most one offer.
                return Err(HandshakeError::BadDeflateParameters);
            }
            agreed.deflate = Some(deflate_parameters(parts)?);
        }
    }
    Ok(agreed)
}

/// The server's permessage-deflate parameters (RFC 7692 §7.1): returns
/// whether it promised `server_no_context_takeover`. Each may appear
/// once; `server_max_window_bits` needs a value 8–15;
/// `client_max_window_bits` may come back (it was offered) with a value
/// 8–15; `client_no_context_takeover` is accepted and costs nothing,
/// since this client does not compress.
fn deflate_parameters<'a>(
    parameters: impl Iterator<Item = &'a str>,
) -> Result<bool, HandshakeError> {
    let bad = HandshakeError::BadDeflateParameters;
    let mut seen = [false; 4];
    for parameter in parameters {
        let (name, value) = match parameter.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
            None => (parameter, None),
        };
        let which = match name.to_ascii_lowercase().as_str() {
            "server_no_context_takeover" if value.is_none() => 0,
            "client_no_context_takeover" if value.is_none() => 1,
            "server_max_window_bits" => 2,
            "client_max_window_bits" => 3,
            _ => return Err(bad),
        };
        if which >= 2 {
            // A window size in bits, 8 to 15, as a plain decimal.
            let bits = value
                .filter(|v| !v.is_empty() && v.len() <= 2 && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<u8>().ok())
                .ok_or(bad.clone())?;
            if !(8..=15).contains(&bits) {
                return Err(bad);
            }
        }
        if std::mem::replace(&mut seen[which], true) {
            return Err(bad);
        }
    }
    Ok(seen[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::HeaderValue;

    fn answer(extra: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.append("upgrade", HeaderValue::from_static("websocket"));
        h.append("connection", HeaderValue::from_static("Upgrade"));
        h.append(
            "sec-websocket-accept",
            HeaderValue::from_static("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        );
        for (n, v) in extra {
            h.append(*n, HeaderValue::from_static(v));
        }
        h
    }

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    #[test]
    fn deflate_parameters_accepted_and_refused() {
        let ok = [
            ("permessage-deflate", Some(false)),
            ("permessage-deflate; server_no_context_takeover", Some(true)),
            (
                "permessage-deflate; client_no_context_takeover; server_max_window_bits=8",
                Some(false),
            ),
            (
                "permessage-deflate; client_max_window_bits=\"15\"",
                Some(false),
            ),
        ];
        for (line, want) in ok {
            let agreed = check_answer(
                &answer(&[("sec-websocket-extensions", line)]),
                KEY,
                &[],
                true,
            );
            assert_eq!(agreed.map(|a| a.deflate), Ok(want), "{line}");
        }
        let bad = [
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; mystery",
            "permessage-deflate, permessage-deflate",
        ];
        for line in bad {
            let got = check_answer(
                &answer(&[("sec-websocket-extensions", line)]),
                KEY,
                &[],
                true,
            );
            assert_eq!(got, Err(HandshakeError::BadDeflateParameters), "{line}");
        }
        let got = check_answer(
            &answer(&[("sec-websocket-extensions", "permessage-deflate")]),
            KEY,
            &[],
            false,
        );
        assert_eq!(got, Err(HandshakeError::UnofferedExtension));
        let got = check_answer(
            &answer(&[("sec-websocket-extensions", "x-webkit")]),
            KEY,
            &[],
            true,
        );
        assert_eq!(got, Err(HandshakeError::UnofferedExtension));
    }

    #[test]
    fn protocol_and_headers() {
        let offered = ["chat".to_owned()];
        let got = check_answer(
            &answer(&[("sec-websocket-protocol", "chat")]),
            KEY,
            &offered,
            true,
        );
        assert_eq!(got.unwrap().protocol.as_deref(), Some("chat"));
        let got = check_answer(
            &answer(&[("sec-websocket-protocol", "other")]),
            KEY,
            &offered,
            true,
        );
        assert_eq!(got, Err(HandshakeError::UnofferedProtocol));
        assert_eq!(
            check_answer(&answer(&[]), "other", &[], true),
            Err(HandshakeError::BadAccept)
        );
        let mut h = HeaderMap::new();
        h.append("connection", HeaderValue::from_static("upgrade"));
        assert_eq!(
            check_answer(&h, KEY, &[], true),
            Err(HandshakeError::MissingUpgrade)
        );
    }
}
