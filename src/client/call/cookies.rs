//! The cookie jar's part in a call (see [`crate::cookie`]): its `Cookie`
//! field goes on each attempt, and each response head's `Set-Cookie`
//! fields go into it, so that a cookie set by one redirect hop is sent on
//! the next. Without a jar, each costs one branch.

use super::Call;
use crate::h1::ResponseHead;
use crate::header::HeaderName;

/// The name the jar's field is sent under.
static COOKIE: HeaderName = HeaderName::from_static("Cookie");

impl Call {
    /// Admit: puts the jar's `Cookie` field for this attempt's URL on the
    /// request, replacing the one it put on an earlier attempt or hop. A
    /// `Cookie` field of the caller's (the request's own, or a client
    /// default one that still goes to this origin) is left alone, and the
    /// jar adds nothing beside it.
    pub(super) fn add_cookies(&mut self) {
        let Some(store) = &self.client.shared.cookies else {
            return;
        };
        let req = &mut self.req;
        if !self.jar_sets_cookie {
            let defaults = &self.client.shared.default_headers;
            // A default `Cookie` is a credential: it stays behind once a
            // redirect has left the first origin.
            let default_cookie = defaults.fields.contains_key("cookie") && !req.cross_origin;
            if default_cookie || req.headers.contains_key("cookie") {
                return;
            }
            self.jar_sets_cookie = true;
        }
        req.headers.remove("cookie");
        if let Some(value) = store.cookies(&req.url) {
            req.headers.insert(&COOKIE, value);
        }
    }

    /// Attempt, done: the jar takes the head's `Set-Cookie` fields, as
    /// sent by this hop's URL.
    pub(super) fn store_cookies(&self, head: &ResponseHead) {
        let Some(store) = &self.client.shared.cookies else {
            return;
        };
        let mut fields = head.headers.get_all("set-cookie").into_iter().peekable();
        if fields.peek().is_some() {
            store.set_cookies(&mut fields, &self.req.url);
        }
    }
}
