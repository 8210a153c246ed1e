//! The API key: a type that cannot be printed, and which API generation it belongs to.

use secrecy::{ExposeSecret, SecretString};

/// A Devin API key. It cannot be printed: `Debug` shows `(redacted)` and there is no
/// `Display`; the only way to read it is [`ApiKey::expose`], used for the auth header.
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(redacted)")
    }
}

/// Which API generation a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFlavor {
    /// `cog_` keys: v3 organization routes.
    V3,
    /// Legacy `apk_` / `apk_user_` keys: `POST /v1/sessions`.
    V1,
}

impl ApiKey {
    pub fn new(raw: String) -> Self {
        // From here on the key is hidden in everything printed or returned.
        crate::keymask::register(&raw);
        ApiKey(SecretString::from(raw))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The key as it may be shown: its prefix and last four characters.
    pub fn masked(&self) -> String {
        let k = self.expose();
        let prefix: String = k
            .chars()
            .take_while(|c| *c != '_')
            .chain(Some('_'))
            .collect();
        let tail: String = k
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if k.chars().count() < 12 {
            format!("{prefix}****")
        } else {
            format!("{prefix}****{tail}")
        }
    }

    pub fn flavor(&self) -> KeyFlavor {
        if self.expose().starts_with("apk_") {
            KeyFlavor::V1
        } else {
            KeyFlavor::V3
        }
    }
}

/// Whether the URL's host is this machine (where plain http cannot be overheard).
pub(crate) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_debug_is_redacted() {
        let k = ApiKey::new("cog_supersecretvalue".into());
        assert_eq!(format!("{k:?}"), "ApiKey(redacted)");
        assert_eq!(k.flavor(), KeyFlavor::V3);
        assert_eq!(ApiKey::new("apk_user_x".into()).flavor(), KeyFlavor::V1);
    }
}
