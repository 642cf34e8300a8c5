//! Where in a JSON text a decode failed, as a path a person can follow:
//! `choices[0].message.content`.
//!
//! serde_json names a missing field but not where an invalid type sits;
//! what it always gives is a line and a column. Only when decoding has
//! already failed, brisk turns that into a byte offset and rescans the text
//! up to it, keeping a stack of the objects and arrays it is inside: the
//! key being read in each object, the index of the element in each array.
//! The successful path never pays for any of this.
//!
//! The scanner trusts serde_json to have read the text up to the offset:
//! it only tells strings from structure, and never judges validity.

/// The client's decode error for `json` that serde_json refused with `e`:
/// the path of the place it failed (`choices[0].message.content`), with
/// `e` beneath saying what was wrong there. `Response::json`, the chat
/// reply and every chat chunk make theirs here, so they all read alike.
pub(crate) fn decode_error(json: &[u8], e: serde_json::Error) -> crate::error::Error {
    let at = offset_of(json, e.line(), e.column());
    crate::error::Error::decode(path_at(json, at), e)
}

/// The path to the place `offset` bytes into `json`, e.g.
/// `choices[0].message.content`; empty at the top level.
///
/// An object contributes the key last read in it (the field serde_json was
/// reading), an array the index of the element it was in. serde_json puts
/// the offset of an invalid value just past it, and that of a missing field
/// just past the object that lacks it, so the path names the field of the
/// wrong type, or the object missing a field.
pub(crate) fn path_at(json: &[u8], offset: usize) -> String {
    enum Frame<'a> {
        Object {
            /// The key last read; cleared by the `,` that ends its member.
            key: Option<&'a [u8]>,
            /// Past the `:`: the key's value is being read.
            in_value: bool,
        },
        Array {
            index: usize,
            /// An element has begun at `index` (so `[` alone says nothing).
            started: bool,
        },
    }
    let mut stack: Vec<Frame<'_>> = Vec::new();
    // Inside a string: where it started, and whether it is an object's key.
    let mut string: Option<(usize, bool)> = None;
    let mut escaped = false;
    let end = offset.min(json.len());
    for (i, &b) in json[..end].iter().enumerate() {
        if let Some((start, is_key)) = string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => {
                    string = None;
                    if let (true, Some(Frame::Object { key, .. })) = (is_key, stack.last_mut()) {
                        *key = Some(&json[start..i]);
                    }
                }
                _ => {}
            }
            continue;
        }
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            continue;
        }
        // Any other byte at an array's level begins (or continues) an element.
        if let Some(Frame::Array { started, .. }) = stack.last_mut() {
            if !matches!(b, b',' | b']') {
                *started = true;
            }
        }
        match b {
            b'"' => {
                let is_key = matches!(
                    stack.last(),
                    Some(Frame::Object {
                        in_value: false,
                        ..
                    })
                );
                string = Some((i + 1, is_key));
            }
            b'{' => stack.push(Frame::Object {
                key: None,
                in_value: false,
            }),
            b'[' => stack.push(Frame::Array {
                index: 0,
                started: false,
            }),
            b'}' | b']' => {
                stack.pop();
            }
            b':' => {
                if let Some(Frame::Object { in_value, .. }) = stack.last_mut() {
                    *in_value = true;
                }
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key, in_value }) => {
                    *key = None;
                    *in_value = false;
                }
                Some(Frame::Array { index, started }) => {
                    *index += 1;
                    *started = false;
                }
                None => {}
            },
            _ => {}
        }
    }
    // A key still being read when the text stops counts as read.
    if let (Some((start, true)), Some(Frame::Object { key, .. })) = (string, stack.last_mut()) {
        *key = Some(&json[start..end]);
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&String::from_utf8_lossy(k));
            }
            Frame::Array {
                index,
                started: true,
            } => {
                path.push('[');
                path.push_str(&index.to_string());
                path.push(']');
            }
            _ => {}
        }
    }
    path
}

/// The byte offset of serde_json's `line` (from 1) and `column` (bytes
/// into that line, as serde_json counts them for a slice). Past the end,
/// the text's length.
pub(crate) fn offset_of(json: &[u8], line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        match json
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .nth(line - 2)
        {
            Some((i, _)) => i + 1,
            None => return json.len(),
        }
    };
    line_start.saturating_add(column).min(json.len())
}

#[cfg(test)]
mod tests {
    use super::{offset_of, path_at};
    use serde::Deserialize;

    /// The path brisk would report for decoding `json` as `T`.
    fn path_of<T: serde::de::DeserializeOwned>(json: &str) -> (String, String) {
        let e = serde_json::from_str::<T>(json).map(|_| ()).unwrap_err();
        let offset = offset_of(json.as_bytes(), e.line(), e.column());
        (path_at(json.as_bytes(), offset), e.to_string())
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Reply {
        id: String,
        choices: Vec<Choice>,
    }
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Choice {
        index: u32,
        message: Message,
    }
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Message {
        role: String,
        content: String,
    }

    #[test]
    fn invalid_types_are_named_by_their_path() {
        let cases = [
            (
                r#"{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":null}}]}"#,
                "choices[0].message.content",
            ),
            (
                r#"{"id":"x","choices":[{"index":0,"message":{"role":"a","content":"b"}},{"index":"1","message":{}}]}"#,
                "choices[1].index",
            ),
            (r#"{"id":7,"choices":[]}"#, "id"),
            // A value of the wrong kind that is itself a container.
            (r#"{"id":"x","choices":{"a":1}}"#, "choices"),
            (
                r#"{"id":"x","choices":[{"index":0,"message":{"role":[1,2],"content":"c"}}]}"#,
                "choices[0].message.role",
            ),
            // Whitespace, newlines, escapes and brackets inside strings.
            (
                "{\n  \"id\": \"a\\\"]}[{,:\",\n  \"choices\": [\n    {\"index\": 0, \"message\": {\"role\": \"r\", \"content\": false}}\n  ]\n}",
                "choices[0].message.content",
            ),
        ];
        for (json, want) in cases {
            let (path, msg) = path_of::<Reply>(json);
            assert_eq!(path, want, "{json} gave {msg}");
        }
    }

    #[test]
    fn a_missing_field_names_the_object_that_lacks_it() {
        let (path, msg) = path_of::<Reply>(
            r#"{"id":"x","choices":[{"index":0,"message":{"role":"assistant"}}]}"#,
        );
        assert!(msg.contains("missing field `content`"), "{msg}");
        assert_eq!(path, "choices[0].message");
        let (path, _) = path_of::<Reply>(r#"{"choices":[]}"#);
        assert_eq!(path, "");
    }

    #[test]
    fn arrays_at_the_top_and_nested() {
        let (path, _) = path_of::<Vec<Vec<u8>>>("[[1,2],[3,\"4\"]]");
        assert_eq!(path, "[1][1]");
        let (path, _) = path_of::<Vec<Message>>(r#"[{"role":"a","content":"b"},{"role":1}]"#);
        assert_eq!(path, "[1].role");
    }

    #[test]
    fn syntax_errors_and_truncation_point_where_the_text_broke() {
        let (path, _) = path_of::<Reply>(r#"{"id":"x","choices":[{"index":0,"mess"#);
        assert_eq!(path, "choices[0].mess");
        let (path, _) = path_of::<Reply>(r#"{"id":"x","choices":[{"index":0,}]}"#);
        assert_eq!(path, "choices[0]");
        let (path, _) = path_of::<Reply>("");
        assert_eq!(path, "");
        let (path, _) = path_of::<Reply>(r#"{"id":"x","choices":[]} trailing"#);
        assert_eq!(path, "");
    }

    #[test]
    fn offsets_from_lines_and_columns() {
        let t = b"ab\ncd\n\nef";
        assert_eq!(offset_of(t, 1, 0), 0);
        assert_eq!(offset_of(t, 1, 2), 2);
        assert_eq!(offset_of(t, 2, 1), 4);
        assert_eq!(offset_of(t, 3, 0), 6);
        assert_eq!(offset_of(t, 4, 2), 9);
        assert_eq!(offset_of(t, 9, 0), t.len());
        assert_eq!(offset_of(t, 1, 99), t.len());
        assert_eq!(offset_of(t, 0, 0), 0);
    }
}
