//! Follow-up questions made locally from a message and its reply, with no
//! second call to the model.

use super::reply::Reply;

/// A rule that proposes follow-up questions from the user's message and
/// the reply. Any `Fn(&str, &Reply) -> Vec<String>` is one, so a closure
/// replaces the default:
///
/// ```
/// use brisk::chat::{Chat, Provider, Reply};
///
/// let chat = Chat::builder(Provider::Custom("http://127.0.0.1:8080/v1".into()))
///     .model("m")
///     .suggestions(|_message: &str, reply: &Reply| {
///         vec![format!("Why {}?", reply.content.trim_end_matches('.'))]
///     })
///     .build();
/// ```
pub trait Suggest: Send + Sync {
    /// The follow-up questions, best first.
    fn suggest(&self, message: &str, reply: &Reply) -> Vec<String>;
}

impl<F> Suggest for F
where
    F: Fn(&str, &Reply) -> Vec<String> + Send + Sync,
{
    fn suggest(&self, message: &str, reply: &Reply) -> Vec<String> {
        self(message, reply)
    }
}

/// The default rule: deterministic (the same reply always gives the same
/// questions), and cheap (one pass over the reply's lines).
///
/// 1. Topics are taken from the reply's structure, in order: Markdown
///    headings (`## Getting there`), lines that are wholly bold
///    (`**Getting there**`), and the lead of list items (`- Autumn: mild
///    weather` gives `Autumn`; an item without a `:` gives its first five
///    words). Markdown marks and trailing punctuation are dropped; a topic
///    must be 2 to 60 characters, and one that repeats (ignoring case) or
///    is the user's own message is skipped.
/// 2. Each topic becomes "Can you tell me more about {topic}?".
/// 3. If fewer than [`max`](Self::max) came from the structure, general
///    follow-ups fill the list: "Can you explain the code step by step?"
///    if the reply has a code block, then "Can you give a concrete
///    example?", "What are the common pitfalls?" and "Can you summarize
///    that in one sentence?".
///
/// An empty reply gives no suggestions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DefaultSuggest {
    /// The most questions to return. Default: 3.
    pub max: usize,
}

impl Default for DefaultSuggest {
    fn default() -> Self {
        DefaultSuggest { max: 3 }
    }
}

impl Suggest for DefaultSuggest {
    fn suggest(&self, message: &str, reply: &Reply) -> Vec<String> {
        let text = reply.content.trim();
        if text.is_empty() || self.max == 0 {
            return Vec::new();
        }
        let mut topics: Vec<String> = Vec::new();
        let mut in_code = false;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("```") {
                in_code = !in_code;
                continue;
            }
            if in_code {
                continue;
            }
            let Some(topic) = topic_of(line) else {
                continue;
            };
            let seen = topics.iter().any(|t| t.eq_ignore_ascii_case(&topic));
            if !seen && !topic.eq_ignore_ascii_case(message.trim()) {
                topics.push(topic);
            }
        }
        let mut out: Vec<String> = topics
            .into_iter()
            .take(self.max)
            .map(|t| format!("Can you tell me more about {t}?"))
            .collect();
        let general = [
            text.contains("```")
                .then_some("Can you explain the code step by step?"),
            Some("Can you give a concrete example?"),
            Some("What are the common pitfalls?"),
            Some("Can you summarize that in one sentence?"),
        ];
        for q in general.into_iter().flatten() {
            if out.len() >= self.max {
                break;
            }
            out.push(q.to_string());
        }
        out
    }
}

/// The topic a line announces, if it is a heading, a bold line or a list
/// item.
fn topic_of(line: &str) -> Option<String> {
    let raw = if let Some(h) = line.strip_prefix('#') {
        h.trim_start_matches('#')
    } else if line.len() > 4 && line.starts_with("**") && line.ends_with("**") {
        &line[2..line.len() - 2]
    } else if let Some(item) = list_item(line) {
        match item.split_once([':', '：']) {
            Some((lead, _)) => lead,
            None => {
                let end = item
                    .char_indices()
                    .filter(|(_, c)| c.is_whitespace())
                    .nth(4)
                    .map_or(item.len(), |(i, _)| i);
                &item[..end]
            }
        }
    } else {
        return None;
    };
    let topic = raw
        .replace(['*', '_', '`'], "")
        .trim()
        .trim_end_matches(['.', ',', ';', ':', '!', '?', '。', '，', '：'])
        .trim()
        .to_string();
    (2..=60).contains(&topic.chars().count()).then_some(topic)
}

/// The text of a `-`, `*`, `+` or `1.` / `1)` list item.
fn list_item(line: &str) -> Option<&str> {
    if let Some(rest) = line
        .strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .or_else(|| line.strip_prefix("+ "))
    {
        return Some(rest.trim());
    }
    let digits = line.find(|c: char| !c.is_ascii_digit())?;
    let rest = &line[digits..];
    (digits > 0)
        .then(|| rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")))
        .flatten()
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(content: &str) -> Reply {
        Reply {
            content: content.into(),
            ..Reply::default()
        }
    }

    #[test]
    fn topics_from_structure() {
        let r = reply(
            "## When to go\nAutumn.\n\n- **Pingyao**: the old walls.\n- Datong: the grottoes\n1. Taking the train from Beijing to Taiyuan is easy\n",
        );
        assert_eq!(
            DefaultSuggest::default().suggest("Trip to Shanxi?", &r),
            vec![
                "Can you tell me more about When to go?",
                "Can you tell me more about Pingyao?",
                "Can you tell me more about Datong?",
            ]
        );
    }

    #[test]
    fn general_questions_fill_in() {
        let r = reply("Use `x`.\n```rust\n# not a heading\n```\n");
        assert_eq!(
            DefaultSuggest { max: 2 }.suggest("q", &r),
            vec![
                "Can you explain the code step by step?",
                "Can you give a concrete example?",
            ]
        );
        assert!(DefaultSuggest::default()
            .suggest("q", &reply(" "))
            .is_empty());
    }

    #[test]
    fn repeats_and_the_question_itself_are_skipped() {
        let r = reply("# Rust\n## rust\n- Ownership: x\n");
        let s = DefaultSuggest { max: 5 }.suggest("ownership", &r);
        assert_eq!(s[0], "Can you tell me more about Rust?");
        assert_eq!(s[1], "Can you give a concrete example?");
    }
}
