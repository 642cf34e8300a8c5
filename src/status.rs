//! [`StatusCode`]: the status of a response, with the registered codes as
//! constants (the IANA HTTP Status Code Registry, RFC 9110 §15), as
//! reqwest's `StatusCode` has them.

use std::fmt;

/// An HTTP status code: 100 to 999 (RFC 9110 §15 defines 100–599; the
/// others are kept as unknown classes).
///
/// ```
/// use brisk::StatusCode;
/// let s = StatusCode::from_u16(404).unwrap();
/// assert_eq!(s, StatusCode::NOT_FOUND);
/// assert_eq!(s, 404);
/// assert_eq!(s.to_string(), "404 Not Found");
/// assert!(matches!(s, StatusCode::NOT_FOUND));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusCode(pub(crate) u16);

/// A number that is not a status code (outside 100–999), from
/// [`StatusCode::from_u16`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidStatusCode(u16);

impl fmt::Display for InvalidStatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid status code {}", self.0)
    }
}

impl std::error::Error for InvalidStatusCode {}

impl StatusCode {
    /// `100 Continue`.
    pub const CONTINUE: StatusCode = StatusCode(100);
    /// `101 Switching Protocols`.
    pub const SWITCHING_PROTOCOLS: StatusCode = StatusCode(101);
    /// `102 Processing`.
    pub const PROCESSING: StatusCode = StatusCode(102);
    /// `103 Early Hints`.
    pub const EARLY_HINTS: StatusCode = StatusCode(103);
    /// `200 OK`.
    pub const OK: StatusCode = StatusCode(200);
    /// `201 Created`.
    pub const CREATED: StatusCode = StatusCode(201);
    /// `202 Accepted`.
    pub const ACCEPTED: StatusCode = StatusCode(202);
    /// `203 Non-Authoritative Information`.
    pub const NON_AUTHORITATIVE_INFORMATION: StatusCode = StatusCode(203);
    /// `204 No Content`.
    pub const NO_CONTENT: StatusCode = StatusCode(204);
    /// `205 Reset Content`.
    pub const RESET_CONTENT: StatusCode = StatusCode(205);
    /// `206 Partial Content`.
    pub const PARTIAL_CONTENT: StatusCode = StatusCode(206);
    /// `207 Multi-Status`.
    pub const MULTI_STATUS: StatusCode = StatusCode(207);
    /// `208 Already Reported`.
    pub const ALREADY_REPORTED: StatusCode = StatusCode(208);
    /// `226 IM Used`.
    pub const IM_USED: StatusCode = StatusCode(226);
    /// `300 Multiple Choices`.
    pub const MULTIPLE_CHOICES: StatusCode = StatusCode(300);
    /// `301 Moved Permanently`.
    pub const MOVED_PERMANENTLY: StatusCode = StatusCode(301);
    /// `302 Found`.
    pub const FOUND: StatusCode = StatusCode(302);
    /// `303 See Other`.
    pub const SEE_OTHER: StatusCode = StatusCode(303);
    /// `304 Not Modified`.
    pub const NOT_MODIFIED: StatusCode = StatusCode(304);
    /// `305 Use Proxy`.
    pub const USE_PROXY: StatusCode = StatusCode(305);
    /// `307 Temporary Redirect`.
    pub const TEMPORARY_REDIRECT: StatusCode = StatusCode(307);
    /// `308 Permanent Redirect`.
    pub const PERMANENT_REDIRECT: StatusCode = StatusCode(308);
    /// `400 Bad Request`.
    pub const BAD_REQUEST: StatusCode = StatusCode(400);
    /// `401 Unauthorized`.
    pub const UNAUTHORIZED: StatusCode = StatusCode(401);
    /// `402 Payment Required`.
    pub const PAYMENT_REQUIRED: StatusCode = StatusCode(402);
    /// `403 Forbidden`.
    pub const FORBIDDEN: StatusCode = StatusCode(403);
    /// `404 Not Found`.
    pub const NOT_FOUND: StatusCode = StatusCode(404);
    /// `405 Method Not Allowed`.
    pub const METHOD_NOT_ALLOWED: StatusCode = StatusCode(405);
    /// `406 Not Acceptable`.
    pub const NOT_ACCEPTABLE: StatusCode = StatusCode(406);
    /// `407 Proxy Authentication Required`.
    pub const PROXY_AUTHENTICATION_REQUIRED: StatusCode = StatusCode(407);
    /// `408 Request Timeout`.
    pub const REQUEST_TIMEOUT: StatusCode = StatusCode(408);
    /// `409 Conflict`.
    pub const CONFLICT: StatusCode = StatusCode(409);
    /// `410 Gone`.
    pub const GONE: StatusCode = StatusCode(410);
    /// `411 Length Required`.
    pub const LENGTH_REQUIRED: StatusCode = StatusCode(411);
    /// `412 Precondition Failed`.
    pub const PRECONDITION_FAILED: StatusCode = StatusCode(412);
    /// `413 Content Too Large`.
    pub const PAYLOAD_TOO_LARGE: StatusCode = StatusCode(413);
    /// `414 URI Too Long`.
    pub const URI_TOO_LONG: StatusCode = StatusCode(414);
    /// `415 Unsupported Media Type`.
    pub const UNSUPPORTED_MEDIA_TYPE: StatusCode = StatusCode(415);
    /// `416 Range Not Satisfiable`.
    pub const RANGE_NOT_SATISFIABLE: StatusCode = StatusCode(416);
    /// `417 Expectation Failed`.
    pub const EXPECTATION_FAILED: StatusCode = StatusCode(417);
    /// `418 I'm a teapot`.
    pub const IM_A_TEAPOT: StatusCode = StatusCode(418);
    /// `421 Misdirected Request`.
    pub const MISDIRECTED_REQUEST: StatusCode = StatusCode(421);
    /// `422 Unprocessable Content`.
    pub const UNPROCESSABLE_ENTITY: StatusCode = StatusCode(422);
    /// `423 Locked`.
    pub const LOCKED: StatusCode = StatusCode(423);
    /// `424 Failed Dependency`.
    pub const FAILED_DEPENDENCY: StatusCode = StatusCode(424);
    /// `425 Too Early`.
    pub const TOO_EARLY: StatusCode = StatusCode(425);
    /// `426 Upgrade Required`.
    pub const UPGRADE_REQUIRED: StatusCode = StatusCode(426);
    /// `428 Precondition Required`.
    pub const PRECONDITION_REQUIRED: StatusCode = StatusCode(428);
    /// `429 Too Many Requests`.
    pub const TOO_MANY_REQUESTS: StatusCode = StatusCode(429);
    /// `431 Request Header Fields Too Large`.
    pub const REQUEST_HEADER_FIELDS_TOO_LARGE: StatusCode = StatusCode(431);
    /// `451 Unavailable For Legal Reasons`.
    pub const UNAVAILABLE_FOR_LEGAL_REASONS: StatusCode = StatusCode(451);
    /// `500 Internal Server Error`.
    pub const INTERNAL_SERVER_ERROR: StatusCode = StatusCode(500);
    /// `501 Not Implemented`.
    pub const NOT_IMPLEMENTED: StatusCode = StatusCode(501);
    /// `502 Bad Gateway`.
    pub const BAD_GATEWAY: StatusCode = StatusCode(502);
    /// `503 Service Unavailable`.
    pub const SERVICE_UNAVAILABLE: StatusCode = StatusCode(503);
    /// `504 Gateway Timeout`.
    pub const GATEWAY_TIMEOUT: StatusCode = StatusCode(504);
    /// `505 HTTP Version Not Supported`.
    pub const HTTP_VERSION_NOT_SUPPORTED: StatusCode = StatusCode(505);
    /// `506 Variant Also Negotiates`.
    pub const VARIANT_ALSO_NEGOTIATES: StatusCode = StatusCode(506);
    /// `507 Insufficient Storage`.
    pub const INSUFFICIENT_STORAGE: StatusCode = StatusCode(507);
    /// `508 Loop Detected`.
    pub const LOOP_DETECTED: StatusCode = StatusCode(508);
    /// `510 Not Extended`.
    pub const NOT_EXTENDED: StatusCode = StatusCode(510);
    /// `511 Network Authentication Required`.
    pub const NETWORK_AUTHENTICATION_REQUIRED: StatusCode = StatusCode(511);

    /// The status `code`, if it is one (100–999).
    pub fn from_u16(code: u16) -> Result<StatusCode, InvalidStatusCode> {
        if (100..1000).contains(&code) {
            Ok(StatusCode(code))
        } else {
            Err(InvalidStatusCode(code))
        }
    }

    /// The code as a number.
    pub fn as_u16(self) -> u16 {
        self.0
    }

    /// The three digits, as text (`"404"`).
    pub fn as_str(self) -> &'static str {
        // Sliced from one string of every code's three digits: no
        // allocation, and no table of 900 pointers.
        let i = usize::from(self.0.saturating_sub(100)).min(899) * 3;
        &DIGIT_TABLE[i..i + 3]
    }

    /// The registered reason phrase (`"Not Found"`), if there is one.
    pub fn canonical_reason(self) -> Option<&'static str> {
        Some(match self.0 {
            100 => "Continue",
            101 => "Switching Protocols",
            102 => "Processing",
            103 => "Early Hints",
            200 => "OK",
            201 => "Created",
            202 => "Accepted",
            203 => "Non-Authoritative Information",
            204 => "No Content",
            205 => "Reset Content",
            206 => "Partial Content",
            207 => "Multi-Status",
            208 => "Already Reported",
            226 => "IM Used",
            300 => "Multiple Choices",
            301 => "Moved Permanently",
            302 => "Found",
            303 => "See Other",
            304 => "Not Modified",
            305 => "Use Proxy",
            307 => "Temporary Redirect",
            308 => "Permanent Redirect",
            400 => "Bad Request",
            401 => "Unauthorized",
            402 => "Payment Required",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            406 => "Not Acceptable",
            407 => "Proxy Authentication Required",
            408 => "Request Timeout",
            409 => "Conflict",
            410 => "Gone",
            411 => "Length Required",
            412 => "Precondition Failed",
            413 => "Content Too Large",
            414 => "URI Too Long",
            415 => "Unsupported Media Type",
            416 => "Range Not Satisfiable",
            417 => "Expectation Failed",
            418 => "I'm a teapot",
            421 => "Misdirected Request",
            422 => "Unprocessable Content",
            423 => "Locked",
            424 => "Failed Dependency",
            425 => "Too Early",
            426 => "Upgrade Required",
            428 => "Precondition Required",
            429 => "Too Many Requests",
            431 => "Request Header Fields Too Large",
            451 => "Unavailable For Legal Reasons",
            500 => "Internal Server Error",
            501 => "Not Implemented",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            504 => "Gateway Timeout",
            505 => "HTTP Version Not Supported",
            506 => "Variant Also Negotiates",
            507 => "Insufficient Storage",
            508 => "Loop Detected",
            510 => "Not Extended",
            511 => "Network Authentication Required",
            _ => return None,
        })
    }

    /// 100–199.
    pub fn is_informational(self) -> bool {
        (100..200).contains(&self.0)
    }
    /// 200–299.
    pub fn is_success(self) -> bool {
        (200..300).contains(&self.0)
    }
    /// 300–399.
    pub fn is_redirection(self) -> bool {
        (300..400).contains(&self.0)
    }
    /// 400–499.
    pub fn is_client_error(self) -> bool {
        (400..500).contains(&self.0)
    }
    /// 500–599.
    pub fn is_server_error(self) -> bool {
        (500..600).contains(&self.0)
    }
}

/// `"100101102…999"`: every code's three digits, for [`StatusCode::as_str`].
const DIGIT_TABLE: &str = "100101102103104105106107108109110111112113114115116117118119120121122123124125126127128129130131132133134135136137138139140141142143144145146147148149150151152153154155156157158159160161162163164165166167168169170171172173174175176177178179180181182183184185186187188189190191192193194195196197198199200201202203204205206207208209210211212213214215216217218219220221222223224225226227228229230231232233234235236237238239240241242243244245246247248249250251252253254255256257258259260261262263264265266267268269270271272273274275276277278279280281282283284285286287288289290291292293294295296297298299300301302303304305306307308309310311312313314315316317318319320321322323324325326327328329330331332333334335336337338339340341342343344345346347348349350351352353354355356357358359360361362363364365366367368369370371372373374375376377378379380381382383384385386387388389390391392393394395396397398399400401402403404405406407408409410411412413414415416417418419420421422423424425426427428429430431432433434435436437438439440441442443444445446447448449450451452453454455456457458459460461462463464465466467468469470471472473474475476477478479480481482483484485486487488489490491492493494495496497498499500501502503504505506507508509510511512513514515516517518519520521522523524525526527528529530531532533534535536537538539540541542543544545546547548549550551552553554555556557558559560561562563564565566567568569570571572573574575576577578579580581582583584585586587588589590591592593594595596597598599600601602603604605606607608609610611612613614615616617618619620621622623624625626627628629630631632633634635636637638639640641642643644645646647648649650651652653654655656657658659660661662663664665666667668669670671672673674675676677678679680681682683684685686687688689690691692693694695696697698699700701702703704705706707708709710711712713714715716717718719720721722723724725726727728729730731732733734735736737738739740741742743744745746747748749750751752753754755756757758759760761762763764765766767768769770771772773774775776777778779780781782783784785786787788789790791792793794795796797798799800801802803804805806807808809810811812813814815816817818819820821822823824825826827828829830831832833834835836837838839840841842843844845846847848849850851852853854855856857858859860861862863864865866867868869870871872873874875876877878879880881882883884885886887888889890891892893894895896897898899900901902903904905906907908909910911912913914915916917918919920921922923924925926927928929930931932933934935936937938939940941942943944945946947948949950951952953954955956957958959960961962963964965966967968969970971972973974975976977978979980981982983984985986987988989990991992993994995996997998999";

impl fmt::Display for StatusCode {
    /// `404 Not Found`; just the digits when the code has no registered
    /// reason.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.canonical_reason() {
            Some(reason) => write!(f, "{} {reason}", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

impl PartialEq<u16> for StatusCode {
    fn eq(&self, other: &u16) -> bool {
        self.0 == *other
    }
}

impl PartialEq<StatusCode> for u16 {
    fn eq(&self, other: &StatusCode) -> bool {
        *self == other.0
    }
}

impl From<StatusCode> for u16 {
    fn from(status: StatusCode) -> u16 {
        status.0
    }
}

impl TryFrom<u16> for StatusCode {
    type Error = InvalidStatusCode;
    fn try_from(code: u16) -> Result<StatusCode, InvalidStatusCode> {
        StatusCode::from_u16(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_and_print_as_reqwest_users_expect() {
        assert_eq!(StatusCode::from_u16(404), Ok(StatusCode::NOT_FOUND));
        assert!(StatusCode::from_u16(99).is_err());
        assert!(StatusCode::from_u16(1000).is_err());
        assert_eq!(StatusCode::OK.as_str(), "200");
        assert_eq!(StatusCode(999).as_str(), "999");
        assert_eq!(StatusCode(100).as_str(), "100");
        assert_eq!(
            StatusCode::TOO_MANY_REQUESTS.to_string(),
            "429 Too Many Requests"
        );
        assert_eq!(StatusCode(599).to_string(), "599");
        assert_eq!(StatusCode(599).canonical_reason(), None);
        assert_eq!(u16::from(StatusCode::SERVICE_UNAVAILABLE), 503);
        assert_eq!(StatusCode::CREATED, 201);
        assert_eq!(201, StatusCode::CREATED);
        let kind = match StatusCode::from_u16(503).unwrap() {
            StatusCode::OK => "ok",
            StatusCode::SERVICE_UNAVAILABLE => "busy",
            _ => "other",
        };
        assert_eq!(kind, "busy");
        for code in 100..1000 {
            assert_eq!(StatusCode(code).as_str(), code.to_string());
        }
    }
}
