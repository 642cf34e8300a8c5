//! Which OpenAI-compatible service to call: its base URL, its default
//! model, and the environment variables its key (and base) come from.

use std::fmt;

/// An OpenAI-compatible chat service. Every one is called at
/// `{base}/chat/completions` with a Bearer key.
///
/// | provider | base URL | default model | key from |
/// | --- | --- | --- | --- |
/// | `OpenAi` | `https://api.openai.com/v1` (or `OPENAI_BASE_URL`) | `gpt-4o-mini` | `OPENAI_API_KEY` |
/// | `Zhipu` | `https://open.bigmodel.cn/api/paas/v4` | `glm-4-flash` | `ZHIPUAI_API_KEY` |
/// | `Qianfan` | `https://qianfan.baidubce.com/v2` | `ernie-4.0-turbo-8k` | `QIANFAN_API_KEY` |
/// | `Custom(base)` | `base`, as given | none: set one | `OPENAI_API_KEY`, optional |
///
/// The defaults are the providers' inexpensive general models: a cheap
/// first call, and a name the caller replaces with
/// [`ChatBuilder::model`](super::ChatBuilder::model).
///
/// `OPENAI_BASE_URL` (the variable the OpenAI SDKs read) moves
/// `OpenAi` to a gateway or a compatible server; it never moves a
/// `Custom` provider, whose base was given in the code and so is the more
/// specific word, nor Zhipu's or Qianfan's. A `Custom` server (vLLM,
/// Ollama, DeepSeek, a gateway) takes `OPENAI_API_KEY` if set, as those
/// SDKs do when pointed elsewhere, and works without any key (a local
/// server needs none).
#[derive(Clone, PartialEq, Eq)]
pub enum Provider {
    /// OpenAI's API.
    OpenAi,
    /// Zhipu AI's GLM models (BigModel open platform).
    Zhipu,
    /// Baidu's Qianfan, its OpenAI-compatible v2 endpoint.
    Qianfan,
    /// Any other OpenAI-compatible server, by its base URL (the part
    /// before `/chat/completions`, such as `http://127.0.0.1:11434/v1`).
    Custom(String),
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Provider::OpenAi => f.write_str("OpenAi"),
            Provider::Zhipu => f.write_str("Zhipu"),
            Provider::Qianfan => f.write_str("Qianfan"),
            // A base URL may carry userinfo; print the scheme and host only.
            Provider::Custom(base) => write!(f, "Custom({:?})", redact_userinfo(base)),
        }
    }
}

impl Provider {
    /// The base URL the provider is called at, before any override.
    pub fn base_url(&self) -> &str {
        match self {
            Provider::OpenAi => "https://api.openai.com/v1",
            Provider::Zhipu => "https://open.bigmodel.cn/api/paas/v4",
            Provider::Qianfan => "https://qianfan.baidubce.com/v2",
            Provider::Custom(base) => base,
        }
    }

    /// The model used when none is set, if the provider has one.
    pub fn default_model(&self) -> Option<&'static str> {
        match self {
            Provider::OpenAi => Some("gpt-4o-mini"),
            Provider::Zhipu => Some("glm-4-flash"),
            Provider::Qianfan => Some("ernie-4.0-turbo-8k"),
            Provider::Custom(_) => None,
        }
    }

    /// The environment variable the API key is read from.
    pub fn key_variable(&self) -> &'static str {
        match self {
            Provider::OpenAi | Provider::Custom(_) => "OPENAI_API_KEY",
            Provider::Zhipu => "ZHIPUAI_API_KEY",
            Provider::Qianfan => "QIANFAN_API_KEY",
        }
    }

    /// The environment variable that overrides the base URL, if any
    /// (`OPENAI_BASE_URL`, for [`Provider::OpenAi`] only).
    pub fn base_variable(&self) -> Option<&'static str> {
        match self {
            Provider::OpenAi => Some("OPENAI_BASE_URL"),
            _ => None,
        }
    }

    /// Whether calls without a key are refused before anything is sent:
    /// the hosted services always want one, a custom server may not.
    pub(crate) fn needs_key(&self) -> bool {
        !matches!(self, Provider::Custom(_))
    }

    /// The key and base this provider takes from an environment, read
    /// through `lookup` (the process's own in [`ChatBuilder::new`], a
    /// map in tests: no test has to change the process environment).
    /// Empty values count as unset, as a blank `export` means nothing.
    pub(crate) fn env_settings(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> (Option<String>, Option<String>) {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let key = get(self.key_variable());
        let base = self.base_variable().and_then(get);
        (key, base)
    }
}

/// `scheme://user:pass@host/...` → `scheme://host/...`, for Debug output.
pub(crate) fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) if !scheme.is_empty() => format!("{scheme}://{}", &rest[at + 1..]),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn each_provider_reads_its_own_key() {
        let vars = env(&[
            ("OPENAI_API_KEY", "sk-o"),
            ("ZHIPUAI_API_KEY", "z.k"),
            ("QIANFAN_API_KEY", "bce-v3/q"),
            ("OPENAI_BASE_URL", "http://gw.local/v1"),
        ]);
        assert_eq!(
            Provider::OpenAi.env_settings(&vars),
            (Some("sk-o".into()), Some("http://gw.local/v1".into()))
        );
        assert_eq!(
            Provider::Zhipu.env_settings(&vars),
            (Some("z.k".into()), None)
        );
        assert_eq!(
            Provider::Qianfan.env_settings(&vars),
            (Some("bce-v3/q".into()), None)
        );
        // A custom base is explicit: OPENAI_BASE_URL does not move it.
        let custom = Provider::Custom("http://127.0.0.1:11434/v1".into());
        assert_eq!(custom.env_settings(&vars), (Some("sk-o".into()), None));
    }

    #[test]
    fn blank_variables_are_unset() {
        let vars = env(&[("OPENAI_API_KEY", "  "), ("OPENAI_BASE_URL", "")]);
        assert_eq!(Provider::OpenAi.env_settings(vars), (None, None));
    }

    #[test]
    fn bases_and_models() {
        assert_eq!(
            Provider::Zhipu.base_url(),
            "https://open.bigmodel.cn/api/paas/v4"
        );
        assert_eq!(Provider::Zhipu.default_model(), Some("glm-4-flash"));
        assert_eq!(
            Provider::Qianfan.base_url(),
            "https://qianfan.baidubce.com/v2"
        );
        assert_eq!(Provider::OpenAi.base_url(), "https://api.openai.com/v1");
        assert_eq!(Provider::Custom("x".into()).default_model(), None);
    }

    #[test]
    fn debug_hides_userinfo() {
        let p = Provider::Custom("https://user:secret@gw.example/v1".into());
        let shown = format!("{p:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("gw.example/v1"), "{shown}");
    }
}
