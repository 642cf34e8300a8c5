//! Resolving a reference (a `Location` value) against a base URL, RFC 3986
//! §5.2.

use super::{Url, UrlError};

impl Url {
    /// Resolves `reference` (a `Location` value) against this URL, as RFC
    /// 3986 §5.2 describes: absolute, scheme-relative (`//host/x`),
    /// absolute-path (`/x`), query-only (`?q`) or relative (`x`, `../x`).
    pub fn join(&self, reference: &str) -> Result<Url, UrlError> {
        let reference = reference.trim();
        if let Some((scheme, _)) = reference.split_once("://") {
            if !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
            {
                return Url::parse(reference);
            }
        }
        if let Some(rest) = reference.strip_prefix("//") {
            return Url::parse(&format!("{}://{rest}", self.scheme.as_str()));
        }
        // RFC 3986 §5.2.2: the result's fragment is the reference's, even
        // when the reference is nothing else.
        let (reference, fragment) = match reference.split_once('#') {
            Some((reference, fragment)) => (reference, Some(fragment)),
            None => (reference, None),
        };
        let mut joined = self.clone();
        joined.set_fragment(fragment);
        if reference.is_empty() {
            return Ok(joined);
        }
        if reference.starts_with('?') {
            let path = self.path().to_string();
            joined.set_target(&format!("{path}{reference}"));
        } else if reference.starts_with('/') {
            joined.set_target(reference);
        } else {
            let base = self.path();
            let dir = &base[..base.rfind('/').map_or(0, |i| i + 1)];
            joined.set_target(&format!("{dir}{reference}"));
        }
        if reference.chars().any(|c| c == ' ' || c.is_control()) {
            return Err(UrlError::InvalidCharacter);
        }
        joined.remove_dot_segments();
        Ok(joined)
    }

    /// RFC 3986 §5.2.4, on the path only.
    fn remove_dot_segments(&mut self) {
        let query = self.query().map(str::to_string);
        let mut out: Vec<&str> = Vec::new();
        let path = self.path().to_string();
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let last = segments.len().saturating_sub(1);
        for (i, seg) in segments.iter().enumerate() {
            match *seg {
                "." => {
                    if i == last {
                        out.push("");
                    }
                }
                ".." => {
                    out.pop();
                    if i == last {
                        out.push("");
                    }
                }
                s => out.push(s),
            }
        }
        let mut target = String::from("/");
        target.push_str(&out.join("/"));
        if let Some(q) = query {
            target.push('?');
            target.push_str(&q);
        }
        self.set_target(&target);
    }
}
