//! API keys never show: every text the tool prints or returns passes through [`mask`], which
//! hides the configured key and anything shaped like a Devin key (`cog_…`, `apk_…`),
//! whatever the text's source (an API that echoes the `Authorization` header, say).

use std::borrow::Cow;
use std::sync::{LazyLock, RwLock};

/// Keys this run knows (from the environment, the config file or `api_key_command`).
static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Devin keys by shape: the prefix and a body long enough to be a key. A body must also
/// hold a digit (see [`mask`]), so that names such as `apk_version_code` stay as they are.
static SHAPED: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"\b(cog|apk)_[A-Za-z0-9_\-]{12,}").expect("key pattern"));

/// Remembers a key to hide wherever it shows up later.
pub fn register(key: &str) {
    let key = key.trim();
    // A very short "key" would mask ordinary words; it is not a key the API accepts anyway.
    if key.len() < 8 {
        return;
    }
    // The key, and its body without the prefix: an API may echo either.
    let body = ["apk_user_", "apk_", "cog_"]
        .iter()
        .find_map(|p| key.strip_prefix(p))
        .filter(|b| b.len() >= 12);
    if let Ok(mut known) = KNOWN.write() {
        for k in std::iter::once(key).chain(body) {
            if !known.iter().any(|x| x == k) {
                known.push(k.to_string());
            }
        }
        // Longest first: the whole key is replaced before its body is looked for.
        known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    }
}

/// `text` with every known key and every key-shaped token replaced by its prefix and `****`.
pub fn mask(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    if let Ok(known) = KNOWN.read() {
        for k in known.iter() {
            if out.contains(k.as_str()) {
                // The key's kind stays readable (`cog_****`): it tells which key was meant.
                let shown = match k.get(..4) {
                    Some(p @ ("cog_" | "apk_")) => format!("{p}****"),
                    _ => "****".to_string(),
                };
                out = Cow::Owned(out.replace(k.as_str(), &shown));
            }
        }
    }
    let keylike = |m: &str| m.bytes().any(|b| b.is_ascii_digit());
    if SHAPED.find_iter(&out).any(|m| keylike(m.as_str())) {
        let replaced = SHAPED
            .replace_all(&out, |c: &regex::Captures<'_>| {
                if keylike(&c[0]) {
                    format!("{}_****", &c[1])
                } else {
                    c[0].to_string()
                }
            })
            .into_owned();
        out = Cow::Owned(replaced);
    }
    out
}

/// Masks every string in a JSON value (results returned to agents, which their model reads).
pub fn mask_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => {
            if let Cow::Owned(m) = mask(s) {
                *s = m;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_json),
        serde_json::Value::Object(map) => map.values_mut().for_each(mask_json),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_by_shape_and_by_name_are_hidden() {
        super::register("sk-custom-key-123456");
        super::register("cog_Zx9k2LmQ8vT4nR7pW1sY6uB3");
        assert_eq!(super::mask("echo Zx9k2LmQ8vT4nR7pW1sY6uB3."), "echo ****.");
        let m = super::mask(
            "Bearer cog_abcdefgh12345678 and apk_user_ZZZZZZZZ1 and sk-custom-key-123456 cog_x",
        );
        assert_eq!(m, "Bearer cog_**** and apk_**** and **** cog_x");
        assert_eq!(
            super::mask("apk_version_code_release"),
            "apk_version_code_release"
        );
        assert!(matches!(
            super::mask("nothing here"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
