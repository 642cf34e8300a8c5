//! Which content codings a request accepts: the client's choice
//! ([`ClientBuilder::gzip`](super::ClientBuilder::gzip) and
//! [`deflate`](super::ClientBuilder::deflate)), narrowed by the request.
//!
//! Kept apart from the decoder itself so that the request side (the
//! `Accept-Encoding` it sends) compiles the same with the `compression`
//! feature off, where no coding is ever accepted.

/// The content codings a request accepts and brisk decodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Codings {
    pub(crate) gzip: bool,
    pub(crate) deflate: bool,
}

impl Codings {
    /// None: the body is handed over as it came.
    pub(crate) const NONE: Codings = Codings {
        gzip: false,
        deflate: false,
    };

    /// The client's default: both, with the `compression` feature.
    pub(crate) const DEFAULT: Codings = Codings {
        gzip: cfg!(feature = "compression"),
        deflate: cfg!(feature = "compression"),
    };

    /// Whether any coding is accepted.
    #[cfg_attr(not(feature = "compression"), allow(dead_code))]
    pub(crate) fn any(self) -> bool {
        self.gzip || self.deflate
    }

    /// The `Accept-Encoding` value that asks for these codings, if any.
    pub(crate) fn header_value(self) -> Option<&'static str> {
        match (self.gzip, self.deflate) {
            (true, true) => Some("gzip, deflate"),
            (true, false) => Some("gzip"),
            (false, true) => Some("deflate"),
            (false, false) => None,
        }
    }
}
