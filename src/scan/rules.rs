//! The rule table: one entry per kind of secret, each with its prefilter keywords, its pattern,
//! and the checks that keep documentation examples and placeholders out.

use std::sync::OnceLock;

use regex::{Captures, Regex};

use super::entropy;

/// A content rule. Regexes compile on first use: a run only pays for rules whose keywords
/// appear in what it scans.
pub(crate) struct Rule {
    pub id: &'static str,
    /// Literals, one of which appears in every match (the aho-corasick prefilter). They are
    /// matched ignoring case when the pattern ignores case (`(?i`), and exactly otherwise, so
    /// that `SK` does not fire on every `task` and `disk`.
    pub keywords: &'static [&'static str],
    pattern: &'static str,
    /// The capture group holding the secret; 0 is the whole match.
    group: usize,
    /// Extra acceptance test beyond the placeholder filter.
    check: Check,
    regex: OnceLock<Regex>,
}

#[derive(Clone, Copy)]
enum Check {
    /// Placeholders and documentation examples only.
    Plain,
    /// The generic `name = value` rule: randomness, and not code, a path, or a URL.
    Generic,
    /// Hex or base64 values that need some randomness to count (e.g. near a keyword).
    Random(f64),
    /// URL credentials: the password part must not be a placeholder or a variable.
    UrlPassword,
}

const fn rule(
    id: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
    group: usize,
    check: Check,
) -> Rule {
    Rule {
        id,
        keywords,
        pattern,
        group,
        check,
        regex: OnceLock::new(),
    }
}

use Check::{Generic, Plain, Random, UrlPassword};

/// Every content rule. Order matters only for overlaps: a span claimed by an earlier rule is
/// not reported again by a later one (so a GitHub token in `token = ...` is `github-pat`).
pub(crate) static RULES: [Rule; 41] = [
    // Key material.
    rule(
        "private-key",
        &["PRIVATE KEY"],
        r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:.*?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----)?",
        0,
        Plain,
    ),
    rule(
        "age-secret-key",
        &["AGE-SECRET-KEY-1"],
        r"\bAGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}\b",
        0,
        Plain,
    ),
    // Cloud and code hosts.
    rule(
        "aws-access-key-id",
        &["AKIA", "ASIA", "ABIA", "ACCA", "A3T"],
        r"\b((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})\b",
        1,
        Plain,
    ),
    rule(
        "aws-secret-access-key",
        &["aws"],
        r#"(?i)aws[a-z0-9_.\-]{0,20}(?:secret|private)[a-z0-9_.\-]{0,20}["']?\s*(?::=|=>|=|:)\s*["']?([A-Za-z0-9/+=]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        1,
        Random(3.5),
    ),
    rule(
        "aws-session-token",
        &["aws"],
        r#"(?i)aws[a-z0-9_.\-]{0,20}(?:session|security)[a-z0-9_.\-]{0,10}token["']?\s*(?::=|=>|=|:)\s*["']?([A-Za-z0-9/+=]{100,})"#,
        1,
        Random(4.0),
    ),
    rule(
        "github-pat",
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        r"\b(gh[pousr]_[A-Za-z0-9]{36,251})\b",
        1,
        Plain,
    ),
    rule(
        "github-fine-grained-pat",
        &["github_pat_"],
        r"\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
        1,
        Plain,
    ),
    rule(
        "gitlab-token",
        &[
            "glpat-", "gldt-", "glrt-", "glptt-", "gloas-", "glcbt-", "glft-", "glsoat-", "glimt-",
        ],
        r"\b(gl(?:pat|dt|rt|ptt|oas|cbt|ft|soat|imt)-[A-Za-z0-9_\-]{20,})",
        1,
        Plain,
    ),
    rule(
        "google-api-key",
        &["AIza"],
        r"\b(AIza[0-9A-Za-z_\-]{35})(?:[^0-9A-Za-z_\-]|$)",
        1,
        Plain,
    ),
    rule(
        "gcp-service-account",
        &["private_key_id"],
        r#""private_key_id"\s*:\s*"([a-f0-9]{40})""#,
        1,
        Plain,
    ),
    rule(
        "azure-storage-key",
        &["accountkey"],
        r"(?i)AccountKey\s*=\s*([A-Za-z0-9+/]{86}==)",
        1,
        Plain,
    ),
    // Messaging.
    rule(
        "slack-token",
        &["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe"],
        r"\b(xox(?:[baprs]|e\.xox[bp]|e)-[0-9A-Za-z\-]{10,250})",
        1,
        Plain,
    ),
    rule(
        "slack-app-token",
        &["xapp-"],
        r"\b(xapp-\d-[A-Z0-9]{8,}-\d{6,}-[a-f0-9]{32,})",
        1,
        Plain,
    ),
    rule(
        "slack-webhook",
        &["hooks.slack.com"],
        r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_\-]{20,})",
        1,
        Plain,
    ),
    rule(
        "telegram-bot-token",
        &[":AA"],
        r"(?:^|[^0-9])(\d{8,10}:AA[0-9A-Za-z_\-]{33})(?:[^0-9A-Za-z_\-]|$)",
        1,
        Plain,
    ),
    rule(
        "discord-webhook",
        &["discord"],
        r"(https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{15,20}/[A-Za-z0-9_\-]{60,})",
        1,
        Plain,
    ),
    rule(
        "discord-bot-token",
        &["discord"],
        r"(?i)discord.{0,40}?\b([MNO][A-Za-z0-9_\-]{23,25}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38})\b",
        1,
        Plain,
    ),
    // Payments and commerce.
    rule(
        "stripe-key",
        &["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
        r"\b((?:sk|rk)_(?:live|test)_[0-9A-Za-z]{24,99})\b",
        1,
        Plain,
    ),
    rule(
        "stripe-webhook-secret",
        &["whsec_"],
        r"\b(whsec_[A-Za-z0-9]{32,})\b",
        1,
        Plain,
    ),
    rule(
        "square-token",
        &["EAAA", "sq0atp-", "sq0csp-"],
        r"\b(EAAA[A-Za-z0-9_\-]{60}|sq0atp-[0-9A-Za-z_\-]{22}|sq0csp-[0-9A-Za-z_\-]{43})(?:[^0-9A-Za-z_\-]|$)",
        1,
        Plain,
    ),
    rule(
        "shopify-token",
        &["shpat_", "shpca_", "shppa_", "shpss_"],
        r"\b(shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})\b",
        1,
        Plain,
    ),
    // AI providers.
    rule(
        "anthropic-key",
        &["sk-ant-"],
        r"\b(sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_\-]{80,120})",
        1,
        Plain,
    ),
    rule(
        "openai-key",
        &["T3BlbkFJ", "sk-proj-", "sk-svcacct-", "sk-admin-"],
        r"\b(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,200}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})",
        1,
        Plain,
    ),
    rule(
        "huggingface-token",
        &["hf_"],
        r"\b(hf_[A-Za-z0-9]{34,40})\b",
        1,
        Random(3.5),
    ),
    // Package registries.
    rule(
        "npm-token",
        &["npm_"],
        r"\b(npm_[A-Za-z0-9]{36})\b",
        1,
        Plain,
    ),
    rule(
        "npmrc-auth",
        &["_authtoken", "_auth", "_password"],
        r#"(?i)(?:_authToken|_auth|_password)\s*=\s*["']?([^\s"']{8,})"#,
        1,
        UrlPassword,
    ),
    rule(
        "pypi-token",
        &["pypi-AgEIcHlwaS5vcmc", "pypi-AgENdGVzdC5weXBpLm9yZw"],
        r"\b(pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_\-]{50,})",
        1,
        Plain,
    ),
    // Email and messaging services.
    rule(
        "twilio-api-key",
        &["SK"],
        r"\b(SK[0-9a-f]{32})\b",
        1,
        Random(3.0),
    ),
    rule(
        "twilio-auth-token",
        &["twilio"],
        r#"(?i)twilio[a-z0-9_.\-]{0,20}(?:auth|token|secret)[a-z0-9_.\-]{0,20}["']?\s*(?::=|=>|=|:)\s*["']?([a-f0-9]{32})\b"#,
        1,
        Random(3.0),
    ),
    rule(
        "sendgrid-key",
        &["SG."],
        r"\b(SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})(?:[^A-Za-z0-9_\-]|$)",
        1,
        Plain,
    ),
    rule(
        "mailgun-key",
        &["key-", "mailgun"],
        r"(?:\b(key-[0-9a-f]{32})\b|(?i:mailgun).{0,40}?\b([0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8})\b)",
        0,
        Random(3.0),
    ),
    // Infrastructure.
    rule(
        "digitalocean-token",
        &["dop_v1_", "doo_v1_", "dor_v1_"],
        r"\b(do[opr]_v1_[a-f0-9]{64})\b",
        1,
        Plain,
    ),
    rule(
        "heroku-key",
        &["heroku", "hrku-"],
        r"(?:\b(HRKU-AA[0-9A-Za-z_\-]{58})|(?i:heroku[a-z0-9_.\-]{0,20}(?:key|token|secret)[a-z0-9_.\-]{0,20})[\x22']?\s*(?::=|=>|=|:)\s*[\x22']?\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b)",
        0,
        Plain,
    ),
    rule(
        "vault-token",
        &["hvs.", "hvb.", "hvr."],
        r"\b(hv[sbr]\.[A-Za-z0-9_\-]{24,})",
        1,
        Random(3.5),
    ),
    rule(
        "kubeconfig-client-key",
        &["client-key-data", "client-certificate-data"],
        r"client-key-data:\s*([A-Za-z0-9+/=]{40,})",
        1,
        Plain,
    ),
    // Tokens and credentials.
    rule(
        "devin-key",
        &["cog_", "apk_"],
        r"\b((?:cog|apk)_(?:user_)?[A-Za-z0-9_\-]{24,})",
        1,
        Random(3.5),
    ),
    rule(
        "jwt",
        &["eyJ"],
        r"\b(eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{16,})",
        1,
        Plain,
    ),
    rule(
        "database-url",
        &["://"],
        r"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|clickhouse|cockroachdb|jdbc:[a-z]+)://[^\s:@/'\x22]{1,100}:([^\s@/'\x22]{1,200})@[^\s'\x22]+",
        1,
        UrlPassword,
    ),
    rule(
        "url-basic-auth",
        &["://"],
        r"(?i)\b(?:https?|ftp|git|ssh|smtp|ldaps?)://[^\s:@/'\x22]{1,100}:([^\s@/'\x22]{1,200})@[A-Za-z0-9.\-\[\]]+",
        1,
        UrlPassword,
    ),
    rule(
        "docker-auth",
        &["\"auth\""],
        r#""auth"\s*:\s*"([A-Za-z0-9+/]{16,}={0,2})""#,
        1,
        Random(3.0),
    ),
    // Generic assignments, gated by randomness.
    rule(
        "generic-secret",
        &[
            "password",
            "passwd",
            "pwd",
            "secret",
            "token",
            "api_key",
            "apikey",
            "api-key",
            "access_key",
            "access-key",
            "auth_key",
            "credential",
            "private_key",
        ],
        r#"(?i)([A-Za-z0-9_.\-]*(?:password|passwd|pwd|secret|token|api[_\-]?key|access[_\-]?key|auth[_\-]?key|credential|private[_\-]?key)[A-Za-z0-9_.\-]*)["']?\s*(?::=|=>|=|:)\s*(?:["'`]|b["'])?([^\s"'`,;)\]}]{8,200})"#,
        2,
        Generic,
    ),
];

impl Rule {
    /// Whether the keywords are matched ignoring case.
    pub(crate) fn folds_case(&self) -> bool {
        self.pattern.contains("(?i")
    }

    fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            // The patterns are constants covered by unit tests; a failure is a bug in this file.
            Regex::new(self.pattern).unwrap_or_else(|e| panic!("rule {}: {e}", self.id))
        })
    }

    /// Calls `found(start, end)` for each accepted secret in `line` (byte offsets).
    pub(crate) fn find(&self, line: &str, path: &str, found: &mut dyn FnMut(usize, usize)) {
        for caps in self.regex().captures_iter(line) {
            let m = if self.group == 0 {
                // Alternations name their secret in whichever group matched.
                (1..caps.len())
                    .find_map(|i| caps.get(i))
                    .or_else(|| caps.get(0))
            } else {
                caps.get(self.group)
            };
            let Some(m) = m else { continue };
            if accept(self.check, m.as_str(), &caps, path) {
                found(m.start(), m.end());
            }
        }
    }
}

fn accept(check: Check, secret: &str, caps: &Captures<'_>, path: &str) -> bool {
    if is_placeholder(secret) {
        return false;
    }
    match check {
        Plain => true,
        Random(min) => entropy::shannon(secret) >= min,
        UrlPassword => !is_variable(secret) && secret.len() >= 3,
        Generic => generic_ok(secret, caps.get(1).map_or("", |m| m.as_str()), path),
    }
}

/// Documentation examples and template placeholders, never real secrets.
pub(crate) fn is_placeholder(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if s.contains("EXAMPLE") || lower.contains("example") {
        return true;
    }
    const MARKERS: &[&str] = &[
        "xxxx",
        "****",
        "....",
        "<",
        ">",
        "${",
        "{{",
        "}}",
        "%(",
        "$(",
        "your_",
        "your-",
        "yourkey",
        "yourtoken",
        "yoursecret",
        "yourpassword",
        "changeme",
        "change_me",
        "change-me",
        "placeholder",
        "dummy",
        "redacted",
        "replace_me",
        "replace-me",
        "replaceme",
        "insert_",
        "insert-",
        "fixme",
        "todo",
        "foobar",
        "sample",
        "0000000000",
        "1234567890",
        "abcdefgh",
        "notasecret",
        "not_a_secret",
        "not-a-secret",
        "fake",
    ];
    if MARKERS.iter().any(|m| lower.contains(m)) {
        return true;
    }
    let first = s.chars().next();
    s.len() >= 4 && s.chars().all(|c| Some(c) == first)
}

/// `$VAR`, `%VAR%`, `${VAR}`, `$(cmd)`: values filled in from elsewhere.
fn is_variable(s: &str) -> bool {
    s.starts_with('$') || (s.starts_with('%') && s.ends_with('%')) || s.starts_with('{')
}

/// Key names that hold a secret's metadata, not the secret.
fn benign_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    const SUFFIXES: &[&str] = &[
        "_name",
        "-name",
        "name",
        "_type",
        "type",
        "_label",
        "label",
        "_url",
        "url",
        "_uri",
        "uri",
        "_path",
        "path",
        "_file",
        "file",
        "_dir",
        "_id",
        "id",
        "_length",
        "_len",
        "_size",
        "_count",
        "count",
        "_timeout",
        "_expiry",
        "_expires",
        "expires",
        "_ttl",
        "ttl",
        "_field",
        "_header",
        "header",
        "_prefix",
        "_policy",
        "_endpoint",
        "endpoint",
        "_hint",
        "_format",
        "_regex",
        "_pattern",
        "_enabled",
        "_required",
        "_version",
        "_env",
        "_var",
        "_key_name",
        "_ref",
        "_arn",
        "_mode",
        "_method",
        "_provider",
        "_source",
        "_class",
        "_kind",
        "_store",
    ];
    if SUFFIXES.iter().any(|s| k.ends_with(s)) {
        return true;
    }
    const WORDS: &[&str] = &[
        "tokenizer",
        "tokens",
        "tokenize",
        "secrets_manager",
        "secretsmanager",
        "password_hash",
        "passwordhash",
        "hashed_password",
        "password_reset",
        "forgot_password",
        "password_confirm",
        "password_policy",
        "csrf",
        "xsrf",
        "token_usage",
        "max_tokens",
        "num_tokens",
    ];
    WORDS.iter().any(|w| k.contains(w))
}

fn looks_like_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn generic_ok(value: &str, key: &str, path: &str) -> bool {
    if benign_key(key) || is_variable(value) || looks_like_uuid(value) {
        return false;
    }
    let file = path.rsplit('/').next().unwrap_or(path);
    const LOCK_FILES: &[&str] = &[
        "Cargo.lock",
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "go.sum",
        "poetry.lock",
        "Gemfile.lock",
        "composer.lock",
        "Pipfile.lock",
        "uv.lock",
        "flake.lock",
        "packages.lock.json",
    ];
    if LOCK_FILES.contains(&file) {
        return false;
    }
    // Code, not a value: calls, environment lookups, member access, paths and URLs.
    if value.contains('(')
        || value.contains("://")
        || value.starts_with('/')
        || value.starts_with('.')
        || value.starts_with('~')
        || value.starts_with('@')
        || value.starts_with('#')
        || value.starts_with('&')
        || value.starts_with('*')
        || value.starts_with('!')
    {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    const CODE: &[&str] = &[
        "process.env",
        "os.environ",
        "os.getenv",
        "getenv",
        "env[",
        "env.",
        "config.",
        "settings.",
        "self.",
        "this.",
        "params[",
        "request.",
        "secrets.",
        "vault:",
        "ssm:",
        "arn:",
    ];
    if CODE
        .iter()
        .any(|c| lower.starts_with(c) || lower.contains(&format!(" {c}")))
    {
        return false;
    }
    let dotted = value.split('.').count() > 1
        && value
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        && value
            .split('.')
            .any(|p| p.chars().all(|c| c.is_ascii_alphabetic() || c == '_'));
    if dotted {
        return false;
    }
    let has_digit = value.bytes().any(|b| b.is_ascii_digit());
    let has_alpha = value.bytes().any(|b| b.is_ascii_alphabetic());
    let e = entropy::shannon(value);
    // Words and identifiers have few digits and little entropy; generated secrets have both.
    let random = has_digit
        && has_alpha
        && entropy::classes(value) >= 2
        && (e >= 3.0 || (value.len() >= 20 && e >= 2.8));
    // A slash suggests a path; only very random values with one are secrets (base64).
    random && (!value.contains('/') || e >= 4.3)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A deterministic generator of random-looking strings in a provider's alphabet, so the
    /// tests hold no real (or copied) secrets.
    pub(crate) struct Gen(u64);

    pub(crate) const B62: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    pub(crate) const HEX: &str = "0123456789abcdef";
    pub(crate) const UPPER32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    pub(crate) const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    pub(crate) const URLSAFE: &str =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    const BECH32: &str = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";

    impl Gen {
        pub(crate) fn new(seed: u64) -> Gen {
            Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
        }
        fn next(&mut self) -> u64 {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        pub(crate) fn s(&mut self, alphabet: &str, len: usize) -> String {
            let a = alphabet.as_bytes();
            (0..len)
                .map(|_| a[(self.next() % a.len() as u64) as usize] as char)
                .collect()
        }
    }

    fn ids(line: &str, path: &str) -> Vec<&'static str> {
        let mut out = Vec::new();
        for r in &RULES {
            let mut hit = false;
            r.find(line, path, &mut |_, _| hit = true);
            if hit {
                out.push(r.id);
            }
        }
        out
    }

    fn hits(rule: &str, line: &str) -> bool {
        ids(line, "src/config.py").contains(&rule)
    }

    #[test]
    fn every_pattern_compiles_and_case_folded_keywords_are_lower_case() {
        for r in &RULES {
            let _ = r.regex();
            assert!(!r.keywords.is_empty(), "{} has keywords", r.id);
            if r.folds_case() {
                for k in r.keywords {
                    assert_eq!(*k, k.to_ascii_lowercase(), "{}", r.id);
                }
            }
        }
    }

    #[test]
    fn private_key() {
        assert!(hits("private-key", "-----BEGIN RSA PRIVATE KEY-----"));
        assert!(hits("private-key", "-----BEGIN OPENSSH PRIVATE KEY-----"));
        assert!(hits("private-key", "-----BEGIN EC PRIVATE KEY-----"));
        assert!(hits("private-key", "-----BEGIN PRIVATE KEY-----"));
        assert!(hits("private-key", "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        assert!(hits("private-key", "-----BEGIN PGP PRIVATE KEY BLOCK-----"));
        assert!(!hits("private-key", "-----BEGIN PUBLIC KEY-----"));
        assert!(!hits("private-key", "-----BEGIN CERTIFICATE-----"));
        assert!(!hits(
            "private-key",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL user@host"
        ));
    }

    #[test]
    fn age() {
        let mut g = Gen::new(1);
        assert!(hits(
            "age-secret-key",
            &format!("AGE-SECRET-KEY-1{}", g.s(BECH32, 58))
        ));
        assert!(!hits(
            "age-secret-key",
            "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
        ));
    }

    #[test]
    fn aws() {
        let mut g = Gen::new(2);
        assert!(hits(
            "aws-access-key-id",
            &format!("key = \"AKIA{}\"", g.s(UPPER32, 16))
        ));
        assert!(hits(
            "aws-access-key-id",
            &format!("ASIA{}", g.s(UPPER32, 16))
        ));
        assert!(!hits("aws-access-key-id", "AKIAIOSFODNN7EXAMPLE"));
        assert!(!hits("aws-access-key-id", "AKIA1234"));
        let secret = g.s(B64, 40);
        assert!(hits(
            "aws-secret-access-key",
            &format!("aws_secret_access_key = {secret}")
        ));
        assert!(hits(
            "aws-secret-access-key",
            &format!("AWS_SECRET_ACCESS_KEY: \"{secret}\"")
        ));
        assert!(!hits(
            "aws-secret-access-key",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ));
        assert!(!hits(
            "aws-secret-access-key",
            &format!("aws_region = {secret}")
        ));
        let token = g.s(B64, 300);
        assert!(hits(
            "aws-session-token",
            &format!("aws_session_token = {token}")
        ));
        assert!(!hits(
            "aws-session-token",
            "aws_session_token = ${AWS_SESSION_TOKEN}"
        ));
    }

    #[test]
    fn github_and_gitlab() {
        let mut g = Gen::new(3);
        assert!(hits("github-pat", &format!("ghp_{}", g.s(B62, 36))));
        assert!(hits("github-pat", &format!("token: gho_{}", g.s(B62, 36))));
        assert!(!hits("github-pat", "ghp_short"));
        assert!(hits(
            "github-fine-grained-pat",
            &format!("github_pat_{}_{}", g.s(B62, 22), g.s(B62, 59))
        ));
        assert!(!hits("github-fine-grained-pat", "github_pat_tooShort"));
        assert!(hits("gitlab-token", &format!("glpat-{}", g.s(URLSAFE, 20))));
        assert!(!hits("gitlab-token", "glpat-xxxxxxxxxxxxxxxxxxxx"));
    }

    #[test]
    fn google_and_azure() {
        let mut g = Gen::new(4);
        assert!(hits(
            "google-api-key",
            &format!("key=AIza{}", g.s(URLSAFE, 35))
        ));
        assert!(!hits("google-api-key", "AIzaSyShort"));
        assert!(hits(
            "gcp-service-account",
            &format!("  \"private_key_id\": \"{}\",", g.s(HEX, 40))
        ));
        assert!(!hits("gcp-service-account", "  \"private_key_id\": \"\","));
        let key = format!("{}==", g.s(B64, 86));
        assert!(hits("azure-storage-key", &format!("DefaultEndpointsProtocol=https;AccountName=x;AccountKey={key};EndpointSuffix=core.windows.net")));
        assert!(!hits("azure-storage-key", "AccountKey=<your-account-key>"));
    }

    #[test]
    fn messaging() {
        let mut g = Gen::new(5);
        assert!(hits(
            "slack-token",
            &format!(
                "xoxb-{}-{}-{}",
                g.s("0123456789", 12),
                g.s("0123456789", 13),
                g.s(B62, 24)
            )
        ));
        assert!(!hits("slack-token", "xoxb-your-token-here"));
        assert!(hits(
            "slack-webhook",
            &format!(
                "https://hooks.slack.com/services/T{}/B{}/{}",
                g.s(UPPER32, 8),
                g.s(UPPER32, 10),
                g.s(B62, 24)
            )
        ));
        assert!(!hits(
            "slack-webhook",
            "https://hooks.slack.com/services/XXXX/YYYY"
        ));
        assert!(hits(
            "telegram-bot-token",
            &format!("bot{}:AA{}", g.s("0123456789", 9), g.s(URLSAFE, 33))
        ));
        assert!(!hits("telegram-bot-token", "12:AAshort"));
        assert!(hits(
            "discord-webhook",
            &format!(
                "https://discord.com/api/webhooks/{}/{}",
                g.s("0123456789", 18),
                g.s(URLSAFE, 68)
            )
        ));
        assert!(hits(
            "discord-bot-token",
            &format!(
                "DISCORD_TOKEN=M{}.{}.{}",
                g.s(URLSAFE, 23),
                g.s(URLSAFE, 6),
                g.s(URLSAFE, 27)
            )
        ));
        assert!(!hits("discord-bot-token", "discord.gg/invite-code"));
    }

    #[test]
    fn payments() {
        let mut g = Gen::new(6);
        assert!(hits("stripe-key", &format!("sk_live_{}", g.s(B62, 24))));
        assert!(hits("stripe-key", &format!("rk_test_{}", g.s(B62, 32))));
        assert!(!hits("stripe-key", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"));
        assert!(!hits("stripe-key", "pk_live_publishableKeyIsPublic1234"));
        assert!(hits(
            "stripe-webhook-secret",
            &format!("whsec_{}", g.s(B62, 32))
        ));
        assert!(hits("square-token", &format!("EAAA{}", g.s(URLSAFE, 60))));
        assert!(hits(
            "square-token",
            &format!("sq0csp-{}", g.s(URLSAFE, 43))
        ));
        assert!(!hits("square-token", "sq0csp-short"));
        assert!(hits("shopify-token", &format!("shpat_{}", g.s(HEX, 32))));
        assert!(!hits("shopify-token", "shpat_nothex"));
    }

    #[test]
    fn ai_providers() {
        let mut g = Gen::new(7);
        assert!(hits(
            "anthropic-key",
            &format!("sk-ant-api03-{}AA", g.s(URLSAFE, 93))
        ));
        assert!(!hits("anthropic-key", "sk-ant-api03-short"));
        assert!(hits(
            "openai-key",
            &format!("sk-proj-{}", g.s(URLSAFE, 120))
        ));
        assert!(hits(
            "openai-key",
            &format!("sk-{}T3BlbkFJ{}", g.s(B62, 20), g.s(B62, 20))
        ));
        assert!(!hits("openai-key", "sk-proj-"));
        assert!(hits("huggingface-token", &format!("hf_{}", g.s(B62, 34))));
        assert!(!hits(
            "huggingface-token",
            "hf_hub_download_function_name_here"
        ));
    }

    #[test]
    fn registries() {
        let mut g = Gen::new(8);
        assert!(hits("npm-token", &format!("npm_{}", g.s(B62, 36))));
        assert!(hits(
            "npmrc-auth",
            &format!("//registry.npmjs.org/:_authToken={}", g.s(URLSAFE, 36))
        ));
        assert!(!hits(
            "npmrc-auth",
            "//registry.npmjs.org/:_authToken=${NPM_TOKEN}"
        ));
        assert!(hits(
            "pypi-token",
            &format!("password = pypi-AgEIcHlwaS5vcmc{}", g.s(URLSAFE, 70))
        ));
        assert!(!hits("pypi-token", "pypi-AgEIcHlwaS5vcmc"));
    }

    #[test]
    fn email_services() {
        let mut g = Gen::new(9);
        assert!(hits("twilio-api-key", &format!("SK{}", g.s(HEX, 32))));
        assert!(!hits("twilio-api-key", "SKIP_THIS_TEST_ON_CI"));
        assert!(hits(
            "twilio-auth-token",
            &format!("TWILIO_AUTH_TOKEN={}", g.s(HEX, 32))
        ));
        assert!(hits(
            "sendgrid-key",
            &format!("SG.{}.{}", g.s(URLSAFE, 22), g.s(URLSAFE, 43))
        ));
        assert!(!hits("sendgrid-key", "SG.short.key"));
        assert!(hits("mailgun-key", &format!("key-{}", g.s(HEX, 32))));
        assert!(!hits("mailgun-key", "primary-key-value"));
    }

    #[test]
    fn infrastructure() {
        let mut g = Gen::new(10);
        assert!(hits(
            "digitalocean-token",
            &format!("dop_v1_{}", g.s(HEX, 64))
        ));
        assert!(!hits("digitalocean-token", "dop_v1_abc"));
        assert!(hits(
            "heroku-key",
            &format!(
                "HEROKU_API_KEY={}-{}-{}-{}-{}",
                g.s(HEX, 8),
                g.s(HEX, 4),
                g.s(HEX, 4),
                g.s(HEX, 4),
                g.s(HEX, 12)
            )
        ));
        assert!(hits("heroku-key", &format!("HRKU-AA{}", g.s(URLSAFE, 58))));
        assert!(!hits("heroku-key", "heroku_app_name = my-app"));
        assert!(hits(
            "vault-token",
            &format!("VAULT_TOKEN=hvs.{}", g.s(URLSAFE, 90))
        ));
        assert!(!hits("vault-token", "hvs.short"));
        assert!(hits(
            "kubeconfig-client-key",
            &format!("    client-key-data: {}", g.s(B64, 120))
        ));
        assert!(!hits("kubeconfig-client-key", "    client-key-data: "));
    }

    #[test]
    fn tokens_and_urls() {
        let mut g = Gen::new(11);
        assert!(hits(
            "devin-key",
            &format!("DEVIN_API_KEY=cog_{}", g.s(B62, 40))
        ));
        assert!(hits("devin-key", &format!("apk_user_{}", g.s(B62, 40))));
        assert!(!hits("devin-key", "cog_sessions_list_handler"));
        let jwt = format!(
            "eyJ{}.eyJ{}.{}",
            g.s(URLSAFE, 20),
            g.s(URLSAFE, 40),
            g.s(URLSAFE, 43)
        );
        assert!(hits("jwt", &format!("Authorization: Bearer {jwt}")));
        assert!(!hits("jwt", "eyJhbGciOi"));
        let pw = g.s(B62, 16);
        assert!(hits(
            "database-url",
            &format!("DATABASE_URL=postgres://app:{pw}@db.internal:5432/app")
        ));
        assert!(hits(
            "database-url",
            &format!("mongodb+srv://admin:{pw}@cluster0.mongodb.net/db")
        ));
        assert!(!hits(
            "database-url",
            "postgres://app:${DB_PASSWORD}@db:5432/app"
        ));
        assert!(!hits("database-url", "postgres://localhost:5432/app"));
        assert!(hits(
            "url-basic-auth",
            &format!("https://deploy:{pw}@registry.internal/v2/")
        ));
        assert!(!hits("url-basic-auth", "https://user:<password>@host/"));
        assert!(!hits("url-basic-auth", "https://example.com:8080/path"));
        assert!(hits(
            "docker-auth",
            &format!("\"auth\": \"{}\"", g.s(B64, 40))
        ));
        assert!(!hits("docker-auth", "\"auth\": \"\""));
    }

    #[test]
    fn generic_assignments_are_gated_by_randomness() {
        let mut g = Gen::new(12);
        let v = g.s(B62, 24);
        assert!(hits("generic-secret", &format!("DB_PASSWORD={v}")));
        assert!(hits("generic-secret", &format!("api_key: \"{v}\"")));
        assert!(hits(
            "generic-secret",
            &format!("const clientSecret = '{v}';")
        ));
        assert!(hits(
            "generic-secret",
            &format!("  \"auth_token\": \"{v}\",")
        ));
        for negative in [
            "password = os.getenv(\"DB_PASSWORD\")",
            "token = self.token",
            "password: ${DB_PASSWORD}",
            "password = \"changeme\"",
            "api_key = \"<your-api-key>\"",
            "secret: {{ .Values.secret }}",
            "password = \"password\"",
            "token_type = \"bearer\"",
            "\"password\": \"Mot de passe\"",
            "password_label = \"Passwort eingeben\"",
            "max_tokens = 4096",
            "token = process.env.API_TOKEN",
            "secret_arn = arn:aws:secretsmanager:us-east-1:123:secret:x",
            "api_key = get_api_key()",
            "session_token = 123e4567-e89b-12d3-a456-426614174000",
            "tokenizer_path = models/tokenizer.json",
            "password = hunter2",
            "PASSWORD_FILE=/run/secrets/db_password",
        ] {
            assert!(!hits("generic-secret", negative), "{negative}");
        }
        assert!(ids(&format!("api_key = \"{v}\""), "Cargo.lock").is_empty());
    }

    #[test]
    fn placeholders() {
        for p in [
            "<your-key>",
            "xxxxxxxxxxxx",
            "changeme",
            "${VAR}",
            "{{ var }}",
            "AKIAIOSFODNN7EXAMPLE",
            "aaaaaaaaaaaa",
            "your_api_key_here",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        assert!(!is_placeholder("q8Zr2Lw9Xk4Tp7Vn"));
    }
}
