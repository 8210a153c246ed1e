//! The rule table: one entry per kind of secret, each with its prefilter keywords, its pattern,
//! and the checks that keep documentation examples and placeholders out.
//!
//! Token shapes come from the providers' own documentation of their formats (prefixes,
//! alphabets, lengths). Rules for values without a recognisable prefix are gated on the name
//! they are assigned to and on randomness, so that look-alikes do not fire.

use std::sync::LazyLock;
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
    pattern: String,
    /// The capture group holding the secret; 0 is the first group that matched (or the whole
    /// match when there is none).
    group: usize,
    /// Extra acceptance test beyond the placeholder filter.
    check: Check,
    /// The secret must not continue a word: no letter or digit right before or after it.
    /// Checked here rather than with `\b`, which would miss `backup_ghp_…` (`_` is a word
    /// character) and which the regex engine cannot express for the character after a match
    /// without consuming it.
    edges: bool,
    regex: OnceLock<Regex>,
}

#[derive(Clone, Copy)]
pub(crate) enum Check {
    /// Placeholders and documentation examples only.
    Plain,
    /// The generic `name = value` rule: randomness, and not code, a path, or a URL.
    Generic,
    /// Values that need some randomness to count (bits per byte, Shannon).
    Random(f64),
    /// As `Random`, and more than one character class: for short prefixes and bare values,
    /// which words can imitate.
    Mixed(f64),
    /// URL credentials: the password part must not be a placeholder or a variable.
    UrlPassword,
    /// Base64 that decodes to a PEM private key.
    Base64Key,
}

use Check::{Base64Key, Generic, Mixed, Plain, Random, UrlPassword};

/// How a name is bound to a value in the languages and formats secrets are written in:
/// `=`, `:`, `:=`, `=>`, `<-`, Makefile's `?=` `::=` `:::=` `+=`, PHP's `.=`, a Go or
/// Kotlin type between name and `=`, a call's `"NAME", "value"`, an XML element's `>`.
const ASSIGN: &str = r#"(?:["']\s+value\s*=|\s*:\s*&?(?:'[a-z]+\s+)?[A-Za-z_][A-Za-z0-9_.<>\[\]]*\s*(?:=)|\s+(?:string|str|String|const|final|var|val)\s*=|["'\]\\>]{0,2}\s*(?::::=|::=|:=|\?=|\+=|\.=|=>|<-|=|:|,)|>)\s*(?:["'`]|b["']|@["']|\\["']|r#?["'])?"#;

fn build(
    id: &'static str,
    keywords: &'static [&'static str],
    pattern: String,
    group: usize,
    check: Check,
    edges: bool,
) -> Rule {
    Rule {
        id,
        keywords,
        pattern,
        group,
        check,
        edges,
        regex: OnceLock::new(),
    }
}

/// A token with a recognisable prefix: the whole match is the secret.
fn tok(id: &'static str, keywords: &'static [&'static str], pattern: &str) -> Rule {
    // A low floor: a real key can be an unlucky draw; placeholders are caught by other filters.
    build(id, keywords, pattern.to_string(), 0, Random(2.5), true)
}

/// A value with no prefix of its own, found by the name it is assigned to: `names` is a
/// case-insensitive alternation, `value` the value's shape (case-sensitive).
fn ctx(
    id: &'static str,
    keywords: &'static [&'static str],
    names: &str,
    value: &str,
    check: Check,
) -> Rule {
    let pattern = format!(r"(?i:{names})[A-Za-z0-9_.\-]{{0,30}}{ASSIGN}({value})");
    let check = match check {
        Random(min) => Mixed(min),
        other => other,
    };
    build(id, keywords, pattern, 1, check, true)
}

/// A token whose prefix is short enough for words to imitate: it must also mix classes.
fn short(id: &'static str, keywords: &'static [&'static str], pattern: &str) -> Rule {
    build(id, keywords, pattern.to_string(), 0, Mixed(3.0), true)
}

/// Any other pattern, with the secret in `group`.
fn pat(
    id: &'static str,
    keywords: &'static [&'static str],
    pattern: &str,
    group: usize,
    check: Check,
) -> Rule {
    build(id, keywords, pattern.to_string(), group, check, true)
}

const UUID: &str = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

/// Every content rule. Order matters only for overlaps: a span claimed by an earlier rule is
/// not reported again by a later one (so a GitHub token in `token = ...` is `github-pat`).
pub(crate) static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let mut r = vec![
        // Key material.
        pat(
            "private-key",
            &["PRIVATE KEY"],
            r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:.*?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----)?",
            0,
            Plain,
        ),
        pat(
            "putty-private-key",
            &["PuTTY-User-Key-File-"],
            r"PuTTY-User-Key-File-[23]: [a-z0-9-]+",
            0,
            Plain,
        ),
        tok(
            "age-secret-key",
            &["AGE-SECRET-KEY-1"],
            r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        ),
        // Amazon Web Services.
        tok(
            "aws-access-key-id",
            &["AKIA", "ASIA", "ABIA", "ACCA", "A3T"],
            r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}",
        ),
        ctx(
            "aws-secret-access-key",
            &["aws", "secret_access_key", "secretaccesskey"],
            r"aws[a-z0-9_.\-]{0,20}(?:secret|private)|secret_?access_?key",
            r"[A-Za-z0-9/+=]{40}",
            Random(3.5),
        ),
        ctx(
            "aws-session-token",
            &["aws", "session_token", "sessiontoken"],
            r"aws[a-z0-9_.\-]{0,20}(?:session|security)[a-z0-9_.\-]{0,10}token|session_?token",
            r"[A-Za-z0-9/+=]{100,}",
            Random(4.0),
        ),
        tok(
            "aws-mws-key",
            &["amzn.mws."],
            &format!(r"amzn\.mws\.{UUID}"),
        ),
        tok(
            "aws-bedrock-key",
            &["ABSK"],
            r"ABSK[A-Za-z0-9+/]{109,269}={0,2}",
        ),
        // Google.
        tok("google-api-key", &["AIza"], r"AIza[0-9A-Za-z_\-]{35}"),
        tok(
            "google-oauth-client-secret",
            &["GOCSPX-"],
            r"GOCSPX-[A-Za-z0-9_\-]{28}",
        ),
        tok(
            "google-oauth-access-token",
            &["ya29."],
            r"ya29\.[0-9A-Za-z_\-]{30,}",
        ),
        tok(
            "google-oauth-refresh-token",
            &["1//0"],
            r"1//0[0-9A-Za-z_\-]{40,}",
        ),
        pat(
            "gcp-service-account",
            &["private_key_id"],
            r#"\\?"private_key_id\\?"\s*:\s*\\?"([a-f0-9]{40})\\?""#,
            1,
            Plain,
        ),
        tok(
            "firebase-cloud-messaging-key",
            &[":APA91b"],
            r"AAAA[A-Za-z0-9_\-]{7}:APA91b[A-Za-z0-9_\-]{134}",
        ),
        // Microsoft Azure.
        pat(
            "azure-storage-key",
            &["accountkey"],
            r"(?i:AccountKey)\s*=\s*([A-Za-z0-9+/]{86}==)",
            1,
            Plain,
        ),
        tok(
            "azure-ad-client-secret",
            &["Q~"],
            r"[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34}",
        ),
        pat(
            "azure-sas-token",
            &["sig="],
            r"sv=20[0-9]{2}-[0-9]{2}-[0-9]{2}[^\s'\x22<>]{0,300}?sig=([A-Za-z0-9%+/]{40,}(?:%3D|=){0,2})",
            1,
            Random(3.5),
        ),
        tok(
            "azure-devops-pat",
            &["AZDO"],
            r"[A-Za-z0-9]{52}AZDO[A-Za-z0-9]{28}",
        ),
        ctx(
            "azure-devops-pat",
            &["devops", "vsts", "azdo", "ado_"],
            r"azure[_\-]?devops|vsts|azdo|ado_(?:pat|token)",
            r"[a-z2-7]{52}",
            Random(3.5),
        ),
        tok(
            "azure-identifiable-key",
            &["JQQJ9"],
            r"[A-Za-z0-9+/]{52}JQQJ9[A-Za-z0-9+/]{4,40}={0,2}",
        ),
        // Other clouds.
        tok(
            "alibaba-access-key-id",
            &["LTAI"],
            r"LTAI[A-Za-z0-9]{12,20}",
        ),
        ctx(
            "alibaba-secret-key",
            &["alibaba", "aliyun"],
            r"(?:alibaba|aliyun)[a-z0-9_.\-]{0,20}secret",
            r"[A-Za-z0-9]{30}",
            Random(3.5),
        ),
        tok("tencent-secret-id", &["AKID"], r"AKID[A-Za-z0-9]{32}"),
        ctx(
            "ibm-cloud-api-key",
            &["ibm"],
            r"ibm[a-z0-9_.\-]{0,20}(?:api[_\-]?key|apikey|iam)",
            r"[A-Za-z0-9_\-]{44}",
            Random(4.0),
        ),
        tok("yandex-api-key", &["AQVN"], r"AQVN[A-Za-z0-9_\-]{35,38}"),
        ctx(
            "yandex-access-key",
            &["yandex", "yc_"],
            r"yandex|yc_",
            r"YC[A-Za-z0-9_\-]{38}",
            Random(3.5),
        ),
        tok(
            "digitalocean-token",
            &["dop_v1_", "doo_v1_", "dor_v1_"],
            r"do[opr]_v1_[a-f0-9]{64}",
        ),
        ctx(
            "linode-token",
            &["linode"],
            "linode",
            "[a-f0-9]{64}",
            Random(3.5),
        ),
        ctx(
            "hetzner-token",
            &["hetzner", "hcloud"],
            "hetzner|hcloud",
            "[A-Za-z0-9]{64}",
            Random(4.0),
        ),
        tok("heroku-key", &["HRKU-AA"], r"HRKU-AA[0-9A-Za-z_\-]{58}"),
        ctx(
            "heroku-key",
            &["heroku"],
            r"heroku[a-z0-9_.\-]{0,20}(?:key|token|secret)",
            UUID,
            Plain,
        ),
        tok(
            "flyio-token",
            &["fo1_", "fm1r_", "fm1a_", "fm2_"],
            r"(?:fo1_[A-Za-z0-9_\-]{43}|fm(?:1[ar]|2)_[A-Za-z0-9+/=,_\-]{100,})",
        ),
        short("render-api-key", &["rnd_"], r"rnd_[A-Za-z0-9]{32}"),
        short(
            "vercel-token",
            &["vcp_", "vci_", "vca_", "vcr_", "vck_"],
            r"vc[pikar]_[A-Za-z0-9]{40,60}",
        ),
        ctx(
            "vercel-token",
            &["vercel"],
            "vercel",
            "[A-Za-z0-9]{24}",
            Random(3.5),
        ),
        short(
            "netlify-token",
            &["nfp_", "nfc_", "nfo_"],
            r"nf[pco]_[A-Za-z0-9]{36,40}",
        ),
        ctx(
            "netlify-token",
            &["netlify"],
            "netlify",
            r"[A-Za-z0-9_\-]{40,46}",
            Random(3.8),
        ),
        tok(
            "cloudflare-origin-ca-key",
            &["v1.0-"],
            r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}",
        ),
        ctx(
            "cloudflare-api-token",
            &["cloudflare", "cf_api", "cf_token", "cf_key"],
            r"cloudflare|cf_api|cf_(?:token|key)",
            r"[A-Za-z0-9_\-]{40}",
            Random(3.8),
        ),
        ctx(
            "cloudflare-global-api-key",
            &["cloudflare", "cf_api"],
            r"cloudflare|cf_api",
            "[a-f0-9]{37}",
            Random(3.5),
        ),
        ctx(
            "fastly-api-token",
            &["fastly"],
            "fastly",
            r"[A-Za-z0-9_\-]{32}",
            Random(3.8),
        ),
        tok(
            "terraform-cloud-token",
            &[".atlasv1."],
            r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=\-]{60,70}",
        ),
        tok("pulumi-token", &["pul-"], r"pul-[a-f0-9]{40}"),
        tok(
            "vault-token",
            &["hvs.", "hvb.", "hvr."],
            r"hv[sbr]\.[A-Za-z0-9_\-]{24,}",
        ),
        ctx(
            "vault-token",
            &["vault"],
            r"vault[a-z0-9_.\-]{0,20}token",
            r"[sb]\.[A-Za-z0-9]{24}",
            Random(3.5),
        ),
        tok(
            "doppler-token",
            &[
                "dp.pt.",
                "dp.st.",
                "dp.ct.",
                "dp.sa.",
                "dp.scim.",
                "dp.audit.",
            ],
            // A service token names its config: `dp.st.dev.…`, `dp.st.prd_eu.…`.
            r"dp\.(?:pt|st|ct|sa|scim|audit)\.(?:[a-z0-9_\-]{1,40}\.)?[A-Za-z0-9]{40,44}",
        ),
        tok(
            "databricks-token",
            &["dapi"],
            r"dapi[a-f0-9]{32}(?:-[0-9])?",
        ),
        ctx(
            "datadog-api-key",
            &["datadog", "dd_api", "dd_app", "dd-api", "dd-app"],
            r"datadog[a-z0-9_.\-]{0,20}(?:api|app)|dd[_\-](?:api|app)",
            "[a-f0-9]{40}|[a-f0-9]{32}",
            Random(3.0),
        ),
        tok(
            "newrelic-key",
            &["NRAK-", "NRJS-", "NRII-", "NRAA-", "NRAL"],
            r"(?:NRAK-[A-Z0-9]{27}|NRJS-[a-f0-9]{19}|NRII-[A-Za-z0-9_\-]{32}|NRAA-[a-f0-9]{27}|[a-f0-9]{36}NRAL)",
        ),
        tok(
            "grafana-token",
            &["glc_", "glsa_", "eyJrIjoi"],
            r"(?:glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|eyJrIjoi[A-Za-z0-9]{60,100}={0,2})",
        ),
        tok(
            "sentry-token",
            &["sntrys_", "sntryu_"],
            r"(?:sntrys_eyJ[A-Za-z0-9+/=_\-]{80,}|sntryu_[a-f0-9]{64})",
        ),
        tok(
            "dynatrace-token",
            &["dt0c01."],
            r"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}",
        ),
        ctx(
            "pagerduty-token",
            &["pagerduty"],
            "pagerduty",
            r"[A-Za-z0-9_+\-]{20}",
            Random(3.5),
        ),
        ctx(
            "honeycomb-key",
            &["honeycomb"],
            "honeycomb",
            "[A-Za-z0-9]{22}|[a-f0-9]{32}|hc[a-z]{2}k_[a-z0-9]{58}",
            Random(3.5),
        ),
        ctx(
            "splunk-token",
            &["splunk", "hec_token"],
            "splunk|hec_token",
            UUID,
            Plain,
        ),
        ctx(
            "okta-token",
            &["okta"],
            "okta",
            r"00[A-Za-z0-9_\-]{40}",
            Random(3.8),
        ),
        ctx(
            "auth0-secret",
            &["auth0"],
            r"auth0[a-z0-9_.\-]{0,20}secret",
            r"[A-Za-z0-9_\-]{64}",
            Random(4.0),
        ),
        ctx(
            "launchdarkly-key",
            &["launchdarkly", "ld_sdk", "ld_api"],
            "launchdarkly|ld_(?:sdk|api)",
            &format!("(?:api|sdk)-{UUID}"),
            Plain,
        ),
        ctx(
            "algolia-admin-key",
            &["algolia"],
            r"algolia[a-z0-9_.\-]{0,20}(?:admin|api|write)",
            "[a-f0-9]{32}",
            Random(3.0),
        ),
        ctx(
            "mongodb-atlas-key",
            &["atlas"],
            r"(?:mongodb_)?atlas[a-z0-9_.\-]{0,20}private",
            UUID,
            Plain,
        ),
        ctx("snyk-token", &["snyk"], "snyk", UUID, Plain),
        ctx("codecov-token", &["codecov"], "codecov", UUID, Plain),
        ctx(
            "sumologic-key",
            &["sumo"],
            r"sumo[a-z0-9_.\-]{0,20}(?:key|secret)",
            r"[A-Za-z0-9]{64}",
            Random(4.0),
        ),
        // Code hosts and CI.
        tok("github-pat", &["ghp_"], r"ghp_[A-Za-z0-9]{36}"),
        tok("github-oauth", &["gho_"], r"gho_[A-Za-z0-9]{36}"),
        tok(
            "github-app-token",
            &["ghu_", "ghs_"],
            r"gh[us]_[A-Za-z0-9]{36}",
        ),
        tok("github-refresh-token", &["ghr_"], r"ghr_[A-Za-z0-9]{36,76}"),
        tok(
            "github-fine-grained-pat",
            &["github_pat_"],
            r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
        ),
        tok("gitlab-pat", &["glpat-"], r"glpat-[A-Za-z0-9_\-.]{20,}"),
        tok(
            "gitlab-deploy-token",
            &["gldt-"],
            r"gldt-[A-Za-z0-9_\-.]{20,}",
        ),
        tok(
            "gitlab-runner-token",
            &["glrt-"],
            r"glrt-[A-Za-z0-9_\-.]{20,}",
        ),
        tok(
            "gitlab-runner-registration-token",
            &["GR1348941"],
            r"GR1348941[A-Za-z0-9_\-]{20,}",
        ),
        tok(
            "gitlab-pipeline-trigger-token",
            &["glptt-"],
            r"glptt-[A-Za-z0-9_\-.]{20,}",
        ),
        tok(
            "gitlab-oauth-secret",
            &["gloas-"],
            r"gloas-[A-Za-z0-9_\-.]{20,}",
        ),
        tok(
            "gitlab-job-token",
            &["glcbt-"],
            r"glcbt-(?:[0-9a-fA-F]{1,5}_)?[A-Za-z0-9_\-.]{20,}",
        ),
        tok(
            "gitlab-feed-token",
            &["glft-"],
            r"glft-[A-Za-z0-9_\-.]{20,}",
        ),
        tok(
            "gitlab-scim-token",
            &["glsoat-"],
            r"glsoat-[A-Za-z0-9_\-.]{20,}",
        ),
        tok(
            "gitlab-incoming-mail-token",
            &["glimt-"],
            r"glimt-[A-Za-z0-9_\-.]{25,}",
        ),
        tok(
            "gitlab-feature-flag-token",
            &["glffct-"],
            r"glffct-[A-Za-z0-9_\-.]{20,}",
        ),
        tok(
            "gitlab-agent-token",
            &["glagent-"],
            r"glagent-[A-Za-z0-9_\-.]{50,}",
        ),
        tok(
            "gitlab-workspace-token",
            &["glwt-"],
            r"glwt-[A-Za-z0-9_\-.]{20,}",
        ),
        pat(
            "gitlab-session-cookie",
            &["_gitlab_session"],
            r"_gitlab_session=([0-9a-z]{32})",
            1,
            Random(3.0),
        ),
        tok(
            "bitbucket-app-password",
            &["ATBB"],
            r"ATBB[A-Za-z0-9_=.\-]{32}",
        ),
        tok(
            "bitbucket-http-token",
            &["BBDC-"],
            r"BBDC-[A-Za-z0-9+/@_\-]{44}",
        ),
        tok(
            "atlassian-api-token",
            &["ATATT3", "ATCTT3"],
            r"AT[AC]TT3[A-Za-z0-9_\-=]{186}",
        ),
        ctx(
            "atlassian-api-token",
            &["jira", "confluence", "atlassian"],
            r"jira|confluence|atlassian",
            "[A-Za-z0-9]{24}",
            Random(3.5),
        ),
        ctx(
            "gitea-token",
            &["gitea", "forgejo"],
            "gitea|forgejo",
            "[a-f0-9]{40}",
            Random(3.0),
        ),
        tok(
            "sourcegraph-token",
            &["sgp_", "sgph_", "sgs_"],
            r"(?:sgp_(?:[a-f0-9]{16}|local)_[a-f0-9]{40}|sgp_[a-f0-9]{40}|sgph_[a-f0-9]{16}_[a-f0-9]{40}|sgs_[a-f0-9]{64})",
        ),
        tok(
            "circleci-token",
            &["CCIPAT_", "CCIPRJ_"],
            r"CCIP(?:AT|RJ)_[A-Za-z0-9]{22}_[a-f0-9]{40}",
        ),
        ctx(
            "circleci-token",
            &["circle"],
            r"circle(?:ci)?",
            "[a-f0-9]{40}",
            Random(3.0),
        ),
        tok("buildkite-token", &["bkua_"], r"bkua_[a-f0-9]{40}"),
        tok(
            "sonarqube-token",
            &["sqp_", "squ_", "sqa_"],
            r"sq[pua]_[a-f0-9]{40}",
        ),
        ctx(
            "travis-token",
            &["travis"],
            "travis",
            r"[A-Za-z0-9_\-]{22}",
            Random(3.5),
        ),
        ctx(
            "drone-token",
            &["drone"],
            "drone",
            "[A-Za-z0-9]{32}",
            Random(3.5),
        ),
        ctx(
            "jenkins-token",
            &["jenkins"],
            "jenkins",
            "[a-f0-9]{34}",
            Random(3.0),
        ),
        tok(
            "teamcity-token",
            &["eyJ0eXAiOiAiVENWMiJ9"],
            r"eyJ0eXAiOiAiVENWMiJ9\.[A-Za-z0-9_\-]{36}\.[A-Za-z0-9_\-]{48}",
        ),
        tok("octopus-deploy-key", &["API-"], r"API-[A-Z0-9]{26}"),
        tok(
            "harness-token",
            &["pat.", "sat."],
            r"(?:pat|sat)\.[A-Za-z0-9_\-]{22}\.[0-9a-f]{24}\.[A-Za-z0-9]{20}",
        ),
        tok(
            "openshift-token",
            &["sha256~"],
            r"sha256~[A-Za-z0-9_\-]{43}",
        ),
        pat(
            "kubeconfig-client-key",
            &["client-key-data"],
            r"client-key-data:\s*([A-Za-z0-9+/=]{40,})",
            1,
            Plain,
        ),
        // Package registries.
        short("npm-token", &["npm_"], r"npm_[A-Za-z0-9]{36}"),
        pat(
            "npmrc-auth",
            &["_authtoken", "_auth", "_password"],
            r#"(?:^|[\s:'"])(?i:_authToken|_auth|_password)\s*=\s*["']?([^\s"']{8,})"#,
            1,
            UrlPassword,
        ),
        tok(
            "pypi-token",
            &["pypi-AgEIcHlwaS5vcmc", "pypi-AgENdGVzdC5weXBpLm9yZw"],
            r"pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_\-]{50,}",
        ),
        short("rubygems-token", &["rubygems_"], r"rubygems_[a-f0-9]{48}"),
        short("nuget-key", &["oy2"], r"oy2[a-z0-9]{43}"),
        tok("clojars-token", &["CLOJARS_"], r"CLOJARS_[a-z0-9]{60}"),
        short("crates-io-token", &["cio"], r"cio[A-Za-z0-9]{32}"),
        tok(
            "docker-hub-token",
            &["dckr_pat_", "dckr_oat_"],
            r"dckr_(?:pat|oat)_[A-Za-z0-9_\-]{27,32}",
        ),
        tok(
            "jfrog-token",
            &["AKCp", "cmVmdGtu"],
            r"(?:AKCp[A-Za-z0-9]{69}|cmVmdGtu[A-Za-z0-9]{56})",
        ),
        ctx(
            "jfrog-token",
            &["artifactory", "jfrog"],
            "artifactory|jfrog",
            "[A-Za-z0-9]{73}",
            Random(4.0),
        ),
        short("hex-api-key", &["hex_"], r"hex_[A-Za-z0-9]{32}"),
        // Messaging.
        tok(
            "slack-bot-token",
            &["xoxb-"],
            r"xoxb-[0-9]{8,14}-[0-9]{8,14}-?[A-Za-z0-9]{10,48}",
        ),
        tok(
            "slack-user-token",
            &["xoxp-", "xoxe.xoxp-"],
            r"(?:xoxe\.)?xoxp-[0-9]{8,14}-[0-9]{8,14}-[0-9]{8,14}-[a-fA-F0-9]{28,34}",
        ),
        tok(
            "slack-config-token",
            &["xoxe.xox", "xoxe-"],
            r"(?:xoxe\.xox[bp]-1-[A-Za-z0-9]{160,}|xoxe-1-[A-Za-z0-9]{140,})",
        ),
        tok(
            "slack-legacy-token",
            &["xoxa-", "xoxo-", "xoxs-", "xoxr-"],
            r"xox[aosr]-(?:[0-9]{8,14}-){1,3}[A-Za-z0-9]{8,64}",
        ),
        tok(
            "slack-app-token",
            &["xapp-"],
            r"xapp-[0-9]-[A-Z0-9]{8,}-[0-9]{6,}-[a-f0-9]{32,}",
        ),
        pat(
            "slack-webhook",
            &["hooks.slack.com"],
            r"((?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_\-]{40,})",
            1,
            Random(3.5),
        ),
        pat(
            "discord-webhook",
            &["discord"],
            r"(https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{15,20}/[A-Za-z0-9_\-]{60,})",
            1,
            Plain,
        ),
        pat(
            "discord-bot-token",
            &["discord"],
            r"(?i:discord).{0,40}?([MNO][A-Za-z0-9_\-]{23,25}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38})",
            1,
            Plain,
        ),
        ctx(
            "discord-client-secret",
            &["discord"],
            r"discord[a-z0-9_.\-]{0,20}secret",
            r"[A-Za-z0-9_\-]{32}",
            Random(3.5),
        ),
        // Often written right after `bot` (the API's URL form), so only digits may not precede.
        build(
            "telegram-bot-token",
            &[":AA"],
            r"(?:^|[^0-9])([0-9]{8,10}:AA[0-9A-Za-z_\-]{33})(?:[^0-9A-Za-z_\-]|$)".into(),
            1,
            Plain,
            false,
        ),
        ctx(
            "telegram-bot-token",
            &["telegram", "tg_bot", "bot_token", "bottoken"],
            r"telegram|tg_bot|bot_?token",
            r"[0-9]{5,16}:[A-Za-z0-9_\-]{34,36}",
            Plain,
        ),
        pat(
            "teams-webhook",
            &["webhook.office.com"],
            r"(https://[a-z0-9\-]+\.webhook\.office\.com/webhookb2/[a-z0-9\-]{36}@[a-z0-9\-]{36}/IncomingWebhook/[a-z0-9]{32}/[a-z0-9\-]{36})",
            1,
            Plain,
        ),
        pat(
            "zapier-webhook",
            &["hooks.zapier.com"],
            r"(https://hooks\.zapier\.com/hooks/catch/[0-9]{4,12}/[a-z0-9]{6,10}/?)",
            1,
            Plain,
        ),
        ctx(
            "mattermost-token",
            &["mattermost"],
            "mattermost",
            "[a-z0-9]{26}",
            Random(3.5),
        ),
        // Email, SMS and customer messaging.
        tok("twilio-api-key", &["SK"], r"SK[0-9a-fA-F]{32}"),
        ctx(
            "twilio-auth-token",
            &["twilio"],
            r"twilio[a-z0-9_.\-]{0,20}(?:auth|token|secret)",
            "[a-f0-9]{32}",
            Random(3.0),
        ),
        tok(
            "sendgrid-key",
            &["SG."],
            r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}",
        ),
        pat(
            "mailgun-key",
            &["key-", "mailgun"],
            r"(?:(key-[0-9a-f]{32})|(?i:mailgun).{0,40}?([0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}))",
            0,
            Random(3.0),
        ),
        tok("mailchimp-key", &["-us"], r"[0-9a-f]{32}-us[0-9]{1,2}"),
        ctx("postmark-token", &["postmark"], "postmark", UUID, Plain),
        tok(
            "brevo-key",
            &["xkeysib-", "xsmtpsib-"],
            r"x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}",
        ),
        tok("mailersend-token", &["mlsn."], r"mlsn\.[a-f0-9]{64}"),
        short("resend-key", &["re_"], r"re_[A-Za-z0-9]{8}_[A-Za-z0-9]{24}"),
        ctx(
            "intercom-token",
            &["intercom"],
            "intercom",
            r"[A-Za-z0-9=_\-]{60}",
            Random(4.0),
        ),
        ctx(
            "zendesk-token",
            &["zendesk"],
            "zendesk",
            "[A-Za-z0-9]{40}",
            Random(4.0),
        ),
        ctx(
            "freshdesk-key",
            &["freshdesk"],
            "freshdesk",
            "[A-Za-z0-9]{20}",
            Random(3.5),
        ),
        tok(
            "hubspot-token",
            &["pat-na", "pat-eu"],
            &format!(r"pat-(?:na|eu)[0-9]-{UUID}"),
        ),
        ctx(
            "hubspot-key",
            &["hubspot", "hapikey"],
            "hubspot|hapikey",
            UUID,
            Plain,
        ),
        // Social and media.
        tok(
            "twitter-bearer-token",
            &["AAAAAAAAAAAAAAAAAAAAA"],
            r"AAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{60,}",
        ),
        ctx(
            "twitter-secret",
            &["twitter"],
            r"twitter[a-z0-9_.\-]{0,20}(?:secret|key|token)",
            "[A-Za-z0-9]{45,50}",
            Random(4.0),
        ),
        tok(
            "facebook-access-token",
            &["EAAC", "EAAM"],
            r"EAA[CM][A-Za-z0-9]{100,}",
        ),
        ctx(
            "facebook-app-secret",
            &["facebook", "fb_"],
            r"(?:facebook|fb)[a-z0-9_.\-]{0,20}secret",
            "[a-f0-9]{32}",
            Random(3.0),
        ),
        ctx(
            "linkedin-secret",
            &["linkedin"],
            r"linkedin[a-z0-9_.\-]{0,20}secret",
            "[A-Za-z0-9]{16}",
            Random(3.5),
        ),
        ctx(
            "twitch-token",
            &["twitch"],
            "twitch",
            "[a-z0-9]{30}",
            Random(3.5),
        ),
        tok(
            "mapbox-secret-token",
            &["sk.eyJ"],
            r"sk\.eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]{22,}",
        ),
        tok(
            "dropbox-token",
            &["sl."],
            r"sl\.(?:u\.)?[A-Za-z0-9_\-]{130,}",
        ),
        ctx(
            "dropbox-token",
            &["dropbox"],
            "dropbox",
            r"[A-Za-z0-9_\-]{11}AAAAAAAAAA[A-Za-z0-9_\-]{43}|[A-Za-z0-9_\-]{64}",
            Random(3.8),
        ),
        // Productivity and developer platforms.
        short(
            "notion-token",
            &["secret_", "ntn_"],
            r"(?:secret_[A-Za-z0-9]{43}|ntn_[0-9]{11}[A-Za-z0-9]{35})",
        ),
        // PostHog's project (`phc_`) and personal (`phx_`) API keys.
        tok("posthog-key", &["phc_", "phx_"], r"ph[cx]_[A-Za-z0-9]{43}"),
        short(
            "linear-api-key",
            &["lin_api_", "lin_oauth_"],
            r"lin_(?:api|oauth)_[A-Za-z0-9]{40,64}",
        ),
        short(
            "airtable-token",
            &["pat"],
            r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}",
        ),
        ctx(
            "airtable-key",
            &["airtable"],
            "airtable",
            "key[A-Za-z0-9]{14}",
            Random(3.0),
        ),
        tok(
            "asana-token",
            &["1/", "2/"],
            r"[12]/[0-9]{10,16}/[0-9]{10,16}:[a-f0-9]{32}",
        ),
        ctx(
            "asana-token",
            &["asana"],
            "asana",
            "[0-9]{16}:[a-f0-9]{32}|[0-9]/[0-9]{16}:[a-f0-9]{32}",
            Random(3.0),
        ),
        short("clickup-token", &["pk_"], r"pk_[0-9]{6,10}_[A-Z0-9]{32}"),
        tok("contentful-token", &["CFPAT-"], r"CFPAT-[A-Za-z0-9_\-]{43}"),
        short("figma-token", &["figd_"], r"figd_[A-Za-z0-9_\-]{40}"),
        ctx(
            "figma-token",
            &["figma"],
            "figma",
            &format!("[0-9]{{6}}-{UUID}"),
            Plain,
        ),
        tok("typeform-token", &["tfp_"], r"tfp_[A-Za-z0-9_.=\-]{59}"),
        tok("postman-key", &["PMAK-"], r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}"),
        tok("readme-key", &["rdme_"], r"rdme_[a-z0-9]{70}"),
        short("prefect-key", &["pnu_"], r"pnu_[A-Za-z0-9]{36}"),
        tok("frameio-token", &["fio-u-"], r"fio-u-[A-Za-z0-9_=\-]{64}"),
        short("adafruit-key", &["aio_"], r"aio_[A-Za-z0-9]{28}"),
        tok(
            "shippo-token",
            &["shippo_live_", "shippo_test_"],
            r"shippo_(?:live|test)_[a-f0-9]{40}",
        ),
        tok("easypost-key", &["EZAK", "EZTK"], r"EZ[AT]K[A-Za-z0-9]{54}"),
        tok(
            "duffel-token",
            &["duffel_live_", "duffel_test_"],
            r"duffel_(?:live|test)_[A-Za-z0-9_=\-]{43}",
        ),
        tok("infracost-key", &["ico-"], r"ico-[A-Za-z0-9]{32}"),
        tok("scalingo-token", &["tk-us-"], r"tk-us-[A-Za-z0-9_\-]{48}"),
        tok(
            "defined-networking-key",
            &["dnkey-"],
            r"dnkey-[a-z0-9=_\-]{26}-[a-z0-9=_\-]{52}",
        ),
        tok(
            "onepassword-token",
            &["ops_eyJ"],
            r"ops_eyJ[A-Za-z0-9+/=]{250,}",
        ),
        tok(
            "onepassword-secret-key",
            &["A3-"],
            r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}",
        ),
        tok(
            "planetscale-token",
            &["pscale_tkn_", "pscale_pw_", "pscale_oauth_"],
            r"pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.=\-]{32,64}",
        ),
        tok(
            "supabase-token",
            &["sbp_", "sb_secret_"],
            r"(?:sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_\-]{31,})",
        ),
        ctx(
            "segment-token",
            &["segment"],
            r"segment[a-z0-9_.\-]{0,20}(?:key|token|secret)",
            r"[A-Za-z0-9]{32}",
            Random(3.8),
        ),
        ctx(
            "mixpanel-secret",
            &["mixpanel"],
            r"mixpanel[a-z0-9_.\-]{0,20}secret",
            "[a-f0-9]{32}",
            Random(3.0),
        ),
        ctx(
            "zoom-secret",
            &["zoom"],
            r"zoom[a-z0-9_.\-]{0,20}(?:secret|token)",
            r"[A-Za-z0-9]{32}",
            Random(3.8),
        ),
        ctx(
            "trello-token",
            &["trello"],
            "trello",
            "[a-f0-9]{64}|[a-f0-9]{32}",
            Random(3.0),
        ),
        ctx(
            "confluent-secret",
            &["confluent", "kafka"],
            r"(?:confluent|kafka)[a-z0-9_.\-]{0,20}secret",
            r"[A-Za-z0-9+/]{64}",
            Random(4.0),
        ),
        ctx(
            "snowflake-password",
            &["snowflake"],
            r"snowflake[a-z0-9_.\-]{0,20}(?:password|pwd|secret)",
            r"[^\s'\x22]{8,64}",
            Random(3.0),
        ),
        // More services, each by its documented token shape or by the name it goes under.
        short("adobe-client-secret", &["p8e-"], r"p8e-[A-Za-z0-9]{32}"),
        ctx(
            "adobe-client-id",
            &["adobe"],
            r"adobe[a-z0-9_.\-]{0,20}(?:client|key|secret)",
            "[a-f0-9]{32}",
            Random(3.0),
        ),
        short("beamer-token", &["b_"], r"b_[A-Za-z0-9=_\-]{44}"),
        tok(
            "authress-key",
            &["sc_", "ext_", "scauth_", "authress_"],
            r"(?:sc|ext|scauth|authress)_[a-z0-9]{5,30}\.[a-z0-9]{4,6}\.acc[_\-][a-z0-9\-]{10,32}\.[A-Za-z0-9+/_=\-]{30,120}",
        ),
        tok("clickhouse-cloud-key", &["4b1d"], r"4b1d[A-Za-z0-9]{38}"),
        tok(
            "intra42-secret",
            &["s-s4t2"],
            r"s-s4t2(?:ud|af)-[a-f0-9]{64}",
        ),
        tok(
            "settlemint-token",
            &["sm_pat_", "sm_aat_", "sm_sat_"],
            r"sm_(?:pat|aat|sat)_[A-Za-z0-9]{16}",
        ),
        tok(
            "django-secret-key",
            &["django-insecure-"],
            r"django-insecure-[A-Za-z0-9!@#$%^&*(\-_=+)]{30,60}",
        ),
        // Django's `get_random_secret_key()`: 50 characters from lower case, digits and
        // `!@#$%^&*(-_=+)`; the symbols keep the generic rule off it (they read as code).
        pat(
            "django-secret-key",
            &["secret_key"],
            r#"(?i:secret_key)["']?\s*[:=]\s*["']([a-z0-9!@#$%^&*(\-_=+)]{40,60})["']"#,
            1,
            Random(4.0),
        ),
        tok(
            "maxmind-license-key",
            &["_mmk"],
            r"[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk",
        ),
        tok("chief-tools-token", &["chtti_"], r"chtti_[A-Za-z0-9]{93}"),
        tok("castai-key", &["castai_v1_"], r"castai_v1_[A-Za-z0-9]{64}"),
        ctx(
            "gocardless-token",
            &["gocardless"],
            "gocardless",
            r"live_[A-Za-z0-9_=\-]{40}",
            Plain,
        ),
        ctx(
            "lob-key",
            &["lob"],
            r"lob[a-z0-9_.\-]{0,20}(?:key|secret|token)",
            "(?:live|test)_[a-f0-9]{35}",
            Plain,
        ),
        ctx(
            "kraken-key",
            &["kraken"],
            "kraken",
            r"[A-Za-z0-9/=_+\-]{80,90}",
            Random(4.0),
        ),
        ctx(
            "kucoin-secret",
            &["kucoin"],
            "kucoin",
            &format!("{UUID}|[a-f0-9]{{24}}"),
            Plain,
        ),
        ctx(
            "bittrex-key",
            &["bittrex"],
            "bittrex",
            "[a-f0-9]{32}",
            Random(3.0),
        ),
        ctx("etsy-key", &["etsy"], "etsy", "[a-z0-9]{24}", Random(3.5)),
        ctx(
            "finicity-secret",
            &["finicity"],
            "finicity",
            "[A-Za-z0-9]{20}|[a-f0-9]{32}",
            Random(3.5),
        ),
        ctx(
            "finnhub-key",
            &["finnhub"],
            "finnhub",
            "[a-z0-9]{20}",
            Random(3.5),
        ),
        ctx(
            "flickr-key",
            &["flickr"],
            "flickr",
            "[a-z0-9]{32}",
            Random(3.0),
        ),
        ctx(
            "freshbooks-token",
            &["freshbooks"],
            "freshbooks",
            "[a-z0-9]{64}",
            Random(3.5),
        ),
        ctx(
            "gitter-token",
            &["gitter"],
            "gitter",
            r"[a-z0-9_\-]{40}",
            Random(3.5),
        ),
        ctx(
            "looker-secret",
            &["looker"],
            r"looker[a-z0-9_.\-]{0,20}(?:secret|key)",
            "[A-Za-z0-9]{24}",
            Random(3.5),
        ),
        ctx(
            "messagebird-key",
            &["messagebird", "message_bird", "message-bird"],
            r"message[_\-]?bird",
            "[A-Za-z0-9]{25}",
            Random(3.5),
        ),
        ctx(
            "nytimes-key",
            &["nytimes", "new-york-times", "newyorktimes"],
            r"nytimes|new-?york-?times",
            r"[A-Za-z0-9=_\-]{32}",
            Random(3.5),
        ),
        ctx(
            "rapidapi-key",
            &["rapidapi"],
            "rapidapi",
            r"[A-Za-z0-9_\-]{50}",
            Random(4.0),
        ),
        ctx(
            "sendbird-token",
            &["sendbird"],
            "sendbird",
            "[a-f0-9]{40}",
            Random(3.0),
        ),
        ctx(
            "sidekiq-secret",
            &["sidekiq", "contribsys"],
            "sidekiq|contribsys",
            "[a-f0-9]{8}:[a-f0-9]{8}",
            Random(2.5),
        ),
        ctx(
            "squarespace-token",
            &["squarespace"],
            "squarespace",
            UUID,
            Plain,
        ),
        ctx(
            "privateai-key",
            &["private_ai", "privateai", "private-ai"],
            r"private[_\-]?ai",
            "[a-z0-9]{32}",
            Random(3.5),
        ),
        ctx(
            "mapbox-token",
            &["mapbox"],
            "mapbox",
            r"pk\.eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]{22,}",
            Plain,
        ),
        // Payments and commerce.
        tok(
            "stripe-key",
            &["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
            r"(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{24,247}",
        ),
        tok(
            "stripe-webhook-secret",
            &["whsec_"],
            r"whsec_[A-Za-z0-9+/]{32,}",
        ),
        tok(
            "square-token",
            &["EAAA", "sq0atp-", "sq0csp-"],
            r"(?:EAAA[A-Za-z0-9_\-]{60}|sq0atp-[0-9A-Za-z_\-]{22}|sq0csp-[0-9A-Za-z_\-]{43})",
        ),
        tok(
            "shopify-token",
            &["shpat_", "shpca_", "shppa_", "shpss_"],
            r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}",
        ),
        tok(
            "paypal-braintree-token",
            &["access_token$production$", "access_token$sandbox$"],
            r"access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}",
        ),
        tok(
            "plaid-token",
            &[
                "access-sandbox-",
                "access-development-",
                "access-production-",
            ],
            &format!("access-(?:sandbox|development|production)-{UUID}"),
        ),
        tok(
            "flutterwave-key",
            &["FLWSECK"],
            r"FLWSECK(?:_TEST)?-[a-h0-9]{32}-X",
        ),
        tok(
            "razorpay-key",
            &["rzp_live_", "rzp_test_"],
            r"rzp_(?:live|test)_[A-Za-z0-9]{14}",
        ),
        ctx(
            "razorpay-secret",
            &["razorpay"],
            r"razorpay[a-z0-9_.\-]{0,20}secret",
            "[A-Za-z0-9]{24}",
            Random(3.5),
        ),
        ctx(
            "coinbase-secret",
            &["coinbase"],
            r"coinbase[a-z0-9_.\-]{0,20}(?:secret|key)",
            r"[A-Za-z0-9+/=]{32,88}",
            Random(3.8),
        ),
        ctx(
            "adyen-key",
            &["adyen"],
            r"adyen[a-z0-9_.\-]{0,20}(?:key|secret)",
            r"AQE[A-Za-z0-9_+/=\-]{60,}",
            Plain,
        ),
        // AI providers.
        tok(
            "anthropic-key",
            &["sk-ant-"],
            r"sk-ant-(?:api|admin|oat|ort|sid)[0-9]{2}-[A-Za-z0-9_\-]{80,120}",
        ),
        tok(
            "openai-key",
            &["T3BlbkFJ", "sk-proj-", "sk-svcacct-", "sk-admin-"],
            r"(?:sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,200}|sk-[A-Za-z0-9_\-]{20,74}T3BlbkFJ[A-Za-z0-9_\-]{20,74})",
        ),
        tok("openrouter-key", &["sk-or-v1-"], r"sk-or-v1-[a-f0-9]{64}"),
        short("groq-key", &["gsk_"], r"gsk_[A-Za-z0-9]{52}"),
        short("perplexity-key", &["pplx-"], r"pplx-[A-Za-z0-9]{48}"),
        short("xai-key", &["xai-"], r"xai-[A-Za-z0-9]{80}"),
        short("replicate-token", &["r8_"], r"r8_[A-Za-z0-9]{37}"),
        short(
            "huggingface-token",
            &["hf_", "api_org_"],
            r"(?:hf_[A-Za-z0-9]{34,40}|api_org_[A-Za-z0-9]{34})",
        ),
        tok(
            "langsmith-key",
            &["lsv2_"],
            r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}",
        ),
        short(
            "pinecone-key",
            &["pcsk_"],
            r"pcsk_[A-Za-z0-9]{4,8}_[A-Za-z0-9]{50,80}",
        ),
        tok("nvidia-key", &["nvapi-"], r"nvapi-[A-Za-z0-9_\-]{64}"),
        short(
            "tavily-key",
            &["tvly-"],
            r"tvly-(?:dev-|prod-)?[A-Za-z0-9]{32}",
        ),
        short("cerebras-key", &["csk-"], r"csk-[a-z0-9]{48}"),
        short("fireworks-key", &["fw_"], r"fw_[A-Za-z0-9]{24}"),
        short("elevenlabs-key", &["sk_"], r"sk_[a-f0-9]{48}"),
        ctx(
            "cohere-key",
            &["cohere", "co_api"],
            "cohere|co_api",
            "[A-Za-z0-9]{40}",
            Random(4.0),
        ),
        ctx(
            "mistral-key",
            &["mistral"],
            "mistral",
            "[A-Za-z0-9]{32}",
            Random(4.0),
        ),
        ctx(
            "deepseek-key",
            &["deepseek"],
            "deepseek",
            "sk-[a-f0-9]{32}",
            Random(3.0),
        ),
        ctx(
            "together-key",
            &["together"],
            r"together[a-z0-9_.\-]{0,10}(?:key|token)",
            r"[a-f0-9]{64}|tgp_v1_[A-Za-z0-9_\-]{43}",
            Random(3.0),
        ),
        ctx(
            "assemblyai-key",
            &["assemblyai", "assembly_ai"],
            "assembly_?ai",
            "[a-f0-9]{32}",
            Random(3.0),
        ),
        ctx(
            "deepgram-key",
            &["deepgram"],
            "deepgram",
            "[a-f0-9]{40}",
            Random(3.0),
        ),
        ctx(
            "wandb-key",
            &["wandb"],
            "wandb",
            "[a-f0-9]{40}",
            Random(3.0),
        ),
        ctx(
            "voyage-key",
            &["voyage"],
            "voyage",
            r"pa-[A-Za-z0-9_\-]{40,50}",
            Random(3.5),
        ),
        // This tool's own keys.
        pat(
            "devin-key",
            &["cog_", "apk_"],
            r"((?:cog|apk)_(?:user_)?[A-Za-z0-9_\-]{24,})",
            1,
            Random(3.5),
        ),
        // Credentials in URLs, headers and commands.
        tok(
            "jwt",
            &["eyJ"],
            r"eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{16,}",
        ),
        tok(
            "jwt-base64",
            &["ZXlK"],
            r"ZXlK[A-Za-z0-9+/]{20,}LmV5S[A-Za-z0-9+/]{20,}={0,2}",
        ),
        pat(
            "database-url",
            &["://"],
            r"(?i:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|clickhouse|cockroachdb|jdbc:[a-z]+|neo4j(?:\+s)?|couchbases?)://[^\s:@/'\x22]{0,100}:([^\s@/'\x22]{1,200})@[^\s'\x22]+",
            1,
            UrlPassword,
        ),
        pat(
            "url-basic-auth",
            &["://"],
            // Any scheme: `ftp://`, `sftp://`, `cloudinary://`, `s3://`, `smb://` carry a
            // password the same way (RFC 3986's userinfo).
            r"\b[A-Za-z][A-Za-z0-9+.\-]{1,30}://[^\s:@/'\x22]{1,100}:([^\s@/'\x22]{1,200})@[A-Za-z0-9.\-\[\]]+",
            1,
            UrlPassword,
        ),
        pat(
            "docker-auth",
            &["\"auth\"", "\\\"auth\\\""],
            r#"\\?"auth\\?"\s*:\s*\\?"([A-Za-z0-9+/]{16,}={0,2})\\?""#,
            1,
            Random(3.0),
        ),
        pat(
            "authorization-basic",
            &["basic "],
            r"(?i:authorization|auth)[\x22']?\s*[:=]\s*[\x22']?(?i:basic)\s+([A-Za-z0-9+/]{12,}={0,2})",
            1,
            Random(3.0),
        ),
        pat(
            "authorization-bearer",
            &["bearer "],
            r"(?i:bearer)\s+([A-Za-z0-9_\-.~+/]{20,}={0,2})",
            1,
            Random(3.5),
        ),
        pat(
            "curl-auth",
            &["curl"],
            r"curl\s.*?(?:-u|--user)\s*[\x22']?[^\s:\x22']{1,64}:([^\s\x22'@]{6,100})[\x22']?",
            1,
            UrlPassword,
        ),
        pat(
            "netrc-password",
            &["password"],
            r"machine\s+\S+\s+login\s+\S+\s+password\s+(\S{6,})",
            1,
            UrlPassword,
        ),
        // Unix crypt(3) password hashes: MD5-crypt and Apache's `$apr1$`, SHA-crypt `$5$`/`$6$`
        // (with optional `rounds=`), bcrypt `$2a$`/`$2b$`/`$2y$`, yescrypt `$y$`, and the PHC
        // string of Argon2 (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`). A hash in a shadow,
        // htpasswd or seed file gives the password to anyone with a cracker.
        pat(
            "password-hash",
            &[
                "$1$", "$apr1$", "$5$", "$6$", "$2a$", "$2b$", "$2y$", "$2x$", "$y$", "$argon2",
            ],
            r"\$(?:(?:1|apr1)\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}|[56]\$(?:rounds=[0-9]{1,9}\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43}(?:[./A-Za-z0-9]{43})?|2[abxy]\$[0-9]{2}\$[./A-Za-z0-9]{53}|y\$[./A-Za-z0-9]{1,30}\$[./A-Za-z0-9]{1,86}\$[./A-Za-z0-9]{43}|argon2(?:id|i|d)\$v=[0-9]+\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,})",
            0,
            Random(3.0),
        ),
        // A PEM private key wrapped in base64 (`LS0tLS1CRUdJTi…` is `-----BEGIN `), as
        // Kubernetes secrets, Helm values and JSON configs carry it.
        pat(
            "private-key-base64",
            &["LS0tLS1CRUdJTi"],
            r"LS0tLS1CRUdJTi[A-Za-z0-9+/]{20,}={0,2}",
            0,
            Base64Key,
        ),
        // PsExec / PAExec take the remote account's password as `-p`; `net use` takes it
        // after `/user:NAME`.
        pat(
            "psexec-password",
            &["psexec", "paexec"],
            r"(?i:\b(?:psexec|paexec)(?:64)?(?:\.exe)?)\s.*?\s-p\s+[\x22']?([^\s\x22'\-][^\s\x22']{3,})",
            1,
            UrlPassword,
        ),
        pat(
            "net-use-password",
            &["net use"],
            r"(?i:\bnet\s+use)\s.*?/user:\S+\s+[\x22']?([^\s\x22'/*][^\s\x22']{3,})",
            1,
            UrlPassword,
        ),
        // Maven and Gradle pass SonarQube credentials as system properties.
        pat(
            "sonar-login",
            &["sonar."],
            r"-Dsonar\.(?:login|token|password)=[\x22']?([^\s\x22']{6,})",
            1,
            UrlPassword,
        ),
        // PowerShell's `ConvertTo-SecureString "…" -AsPlainText` holds the password in clear.
        pat(
            "powershell-password",
            &["convertto-securestring"],
            r"(?i:ConvertTo-SecureString)\s+(?:-String\s+)?[\x22']([^\x22'$]{4,})[\x22']\s+-AsPlainText",
            1,
            UrlPassword,
        ),
        // `-pSECRET` touches its flag, so no edge check.
        build(
            "cli-password",
            &["sshpass", "-p"],
            r"(?:sshpass\s+-p\s*[\x22']?|\bmysql(?:dump)?\s.*?\s-p)([^\s\x22'-][^\s\x22']{5,})"
                .into(),
            1,
            Random(3.0),
            false,
        ),
    ];
    r.push(generic());
    r
});

/// The generic `NAME = value` rule, for names that say "secret" in any of the usual ways.
fn generic() -> Rule {
    const NAMES: &str = r"(?:password|passwd|pwd|pass|secret|token|creds|auth|api[_\-]?key|access[_\-]?key|auth[_\-]?key|credential|private[_\-]?key|client[_\-]?key|signing[_\-]?key|encryption[_\-]?key|master[_\-]?key|session[_\-]?key|[a-z0-9][_\-.]?key)";
    let pattern = format!(
        r#"(?i)((?:[A-Za-z0-9_.\-]+/)*[A-Za-z0-9_.\-]*{NAMES}[A-Za-z0-9_.\-]*)(?:{ASSIGN}|(?P<sp>[ \t]+))([^\s"'`,;)\]}}<>\\]{{8,200}})(?P<call>[ \t]*\()?"#
    );
    build(
        "generic-secret",
        &[
            "password",
            "passwd",
            "pwd",
            "pass",
            "secret",
            "token",
            "key",
            "credential",
            "creds",
            "auth",
        ],
        pattern,
        3,
        Generic,
        true,
    )
}

impl Rule {
    /// Whether the keywords are matched ignoring case.
    pub(crate) fn folds_case(&self) -> bool {
        self.pattern.contains("(?i")
    }

    fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            // The patterns are constants covered by unit tests; a failure is a bug in this file.
            Regex::new(&self.pattern).unwrap_or_else(|e| panic!("rule {}: {e}", self.id))
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
            // The tool's own marker names a rule (`[REDACTED:stripe-key]`): read as a name,
            // it would make whatever follows it look like that key's value.
            let whole = caps.get(0).map_or(m.start(), |w| w.start());
            if line[..whole].ends_with(super::redact::MARKER_OPEN) {
                continue;
            }
            if self.edges && !on_edges(line, m.start(), m.end()) {
                continue;
            }
            // `sk_test_…_EXAMPLE`: the word the secret sits in may say it is an example.
            let word = whole_word(line, m.start(), m.end());
            if word.len() > m.len() && is_placeholder(word) {
                continue;
            }
            if accept(self.check, m.as_str(), &caps, path) {
                found(m.start(), m.end());
            }
        }
    }
}

/// The secret with the letters, digits, `_` and `-` around it.
fn whole_word(line: &str, start: usize, end: usize) -> &str {
    let part = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let from = line[..start]
        .char_indices()
        .rev()
        .take_while(|(_, c)| part(*c))
        .last()
        .map_or(start, |(i, _)| i);
    let to = line[end..]
        .char_indices()
        .take_while(|(_, c)| part(*c))
        .last()
        .map_or(end, |(i, c)| end + i + c.len_utf8());
    &line[from..to]
}

/// No letter or digit touches the secret on either side.
fn on_edges(line: &str, start: usize, end: usize) -> bool {
    let before = line[..start].chars().next_back();
    let after = line[end..].chars().next();
    !before.is_some_and(|c| c.is_ascii_alphanumeric())
        && !after.is_some_and(|c| c.is_ascii_alphanumeric())
}

fn accept(check: Check, secret: &str, caps: &Captures<'_>, path: &str) -> bool {
    if is_placeholder(secret) || low_randomness(secret) {
        return false;
    }
    match check {
        Plain => true,
        Random(min) => entropy::shannon(secret) >= min,
        // Generated values mix character classes; a run of one class is a word.
        Mixed(min) => entropy::shannon(secret) >= min && entropy::classes(secret) >= 2,
        UrlPassword => !is_variable(secret) && secret.len() >= 3 && !default_password(secret),
        Generic => generic_ok(secret, caps, path),
        Base64Key => {
            use base64::Engine;
            // A value cut by the line keeps its whole 4-character groups.
            let whole = &secret.trim_end_matches('=')[..secret.trim_end_matches('=').len() / 4 * 4];
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(whole)
                .is_ok_and(|pem| memchr::memmem::find(&pem, b"PRIVATE KEY").is_some())
        }
    }
}

/// Values a person typed, not a generator. Short ones: runs like `1234` or `abcd`, or two
/// interleaved runs like `1a2b3c4d`, make up most of it. Long ones: a character set written
/// out (`ABCDEFGHIJ…`), or hardly any distinct characters.
pub(crate) fn low_randomness(s: &str) -> bool {
    let b: Vec<u8> = s.bytes().map(|c| c.to_ascii_lowercase()).collect();
    if b.len() < 6 {
        return false;
    }
    let next =
        |w: &[u8], stride: usize| w[stride] == w[0].wrapping_add(1) && w[0].is_ascii_alphanumeric();
    if b.len() >= 24 {
        let mut run = 1;
        let mut longest = 1;
        for w in b.windows(2) {
            run = if next(w, 1) { run + 1 } else { 1 };
            longest = longest.max(run);
        }
        let mut distinct = b.clone();
        distinct.sort_unstable();
        distinct.dedup();
        // Ascending triples (`123`, `def`) are rare in generated text: one in some 4,000
        // positions for base64, 256 for hex. One every 16 characters is a person's keyboard.
        let triples = b
            .windows(3)
            .filter(|w| next(&w[..2], 1) && next(&w[1..], 1))
            .count();
        return longest >= 10 || distinct.len() <= 3 || (triples >= 3 && triples * 16 >= b.len());
    }
    let steps = |stride: usize| b.windows(stride + 1).filter(|w| next(w, stride)).count();
    let pairs = b.len() - 1;
    steps(1) * 10 >= pairs * 4 || steps(2) * 10 >= (b.len() - 2) * 6
}

/// Keys printed in providers' own documentation as examples: public, and not anyone's.
const DOCUMENTED_EXAMPLES: &[&str] = &[
    // Stripe's API reference.
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    "pk_test_TYooMQauvdEDq54NiTphI7jx",
    // GitHub's documentation's example personal access token.
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    // The digests of empty input (MD5, SHA-1, SHA-256): checksums that every tool prints,
    // never a key.
    "d41d8cd98f00b204e9800998ecf8427e",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    // jwt.io's example token.
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    // The Algolia search key yarnpkg's documentation site publishes in its pages.
    "6fe4476ee5a1832882e326b506d14126",
    // Firebase's documentation of a web app's config.
    "AIzaSyDOCAbC123dEf456GhI789jKl012-MnO",
    // The example UUID of RFC 9562 and countless docs.
    "123e4567-e89b-12d3-a456-426614174000",
    // AWS's IAM guide.
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
];

/// Documentation examples and template placeholders, never real secrets.
pub(crate) fn is_placeholder(s: &str) -> bool {
    if DOCUMENTED_EXAMPLES.iter().any(|e| s.contains(e)) {
        return true;
    }
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
        // The sequences people type for a stand-in value (`sk-proj-abc123`).
        "abc123",
        "123abc",
        "notasecret",
        "not_a_secret",
        "not-a-secret",
        "fake",
        "randomstring",
        "enc[",
        "aes256_gcm",
        "$ansible_vault",
        "lorem",
        "ipsum",
    ];
    if MARKERS.iter().any(|m| lower.contains(m)) {
        return true;
    }
    let first = s.chars().next();
    s.len() >= 4 && s.chars().all(|c| Some(c) == first)
}

/// The passwords local databases and tutorials ship with: a development default, not a
/// credential anyone was given.
fn default_password(s: &str) -> bool {
    const DEFAULTS: &[&str] = &[
        "password",
        "postgres",
        "root",
        "admin",
        "secret",
        "pass",
        "test",
        "guest",
        "mysql",
        "redis",
        "user",
        "toor",
        "default",
        "rabbitmq",
        "mongo",
        "example",
        "demo",
        // RFC 7617's own example (`Aladdin:open sesame`), copied into docs and tests.
        "opensesame",
    ];
    DEFAULTS.contains(&s.to_ascii_lowercase().as_str())
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
        "public",
        "publishable",
        "keyvault",
        "key_vault",
        "tostoresecrets",
        "jsonwebtoken",
        "author",
        "oauth_url",
        // RFC 6455's handshake nonce, sent in the clear by every WebSocket client.
        "websocket",
        // Helm's `checksum/secret` annotation: a digest of the rendered secret, not the secret.
        "checksum",
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

/// Names that say the value is the secret itself, not something about one.
fn strong_name(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "token",
        "secret",
        "password",
        "passwd",
        "apikey",
        "api_key",
        "api-key",
        "credential",
    ]
    .iter()
    .any(|w| k.contains(w))
}

/// Whether the name really says "secret": `pass` only as a whole last word (`DB_PASS`, not
/// `passport_no`), `key` only at the end and not one of the keys of data structures.
fn secret_name(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    const STRONG: &[&str] = &[
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "credential",
        "private_key",
        "privatekey",
        "access_key",
        "accesskey",
        "auth_key",
        "authkey",
    ];
    if STRONG.iter().any(|w| k.contains(w)) {
        return true;
    }
    let word = k.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
    if word.ends_with("pass") || word.ends_with("creds") || word.ends_with("auth") {
        return true;
    }
    if let Some(stem) = word.strip_suffix("key") {
        const DATA_KEYS: &[&str] = &[
            "primary",
            "foreign",
            "sort",
            "partition",
            "cache",
            "public",
            "pub",
            "idempotency",
            "unique",
            "lookup",
            "row",
            "composite",
            "routing",
            "dedup",
            "dedupe",
            "map",
            "dict",
            "object",
            "registry",
            "hot",
            "shortcut",
            "translation",
            "i18n",
            "message",
            "locale",
            "label",
            "field",
            "column",
            "index",
            "group",
            "hash",
            "range",
            "shard",
            "sharding",
            "cluster",
            "tenant",
            "entity",
            "record",
            "item",
            "react",
            "list",
            "mon",
            "tur",
            "hoc",
            "don",
            "jour",
            "whis",
            "storage_object",
            "s3",
            "bucket",
            "join",
            "natural",
            "surrogate",
            "compound",
            "candidate",
            "dataset",
            "schema",
            "metric",
            "feature",
            "config",
            "setting",
            "state",
            "redis",
            "kv",
            "cursor",
            "page",
            "next",
            "prev",
            "parent",
            "child",
            "root",
            "node",
            "tree",
            "data",
            "request",
            "response",
            "event",
            "query",
            "search",
            "filter",
            "order",
            "key",
            "hot_",
            "api_key_name",
        ];
        let stem = stem.trim_end_matches(['_', '-', '.']);
        let last = stem.rsplit(['_', '-', '.']).next().unwrap_or(stem);
        return !stem.is_empty() && !DATA_KEYS.contains(&last) && !DATA_KEYS.contains(&stem);
    }
    false
}

fn generic_ok(value: &str, caps: &Captures<'_>, path: &str) -> bool {
    let key = caps.get(1).map_or("", |m| m.as_str());
    if !secret_name(key) || benign_key(key) || is_variable(value) {
        return false;
    }
    // The value is itself a name (`import { a_Key, b_Key }`), or code (`->x==0`).
    if secret_name(value) || value.contains("==") && !value.ends_with("==") || value.contains("->")
    {
        return false;
    }
    // A UUID is an ID unless the name says it is the secret itself (`api_token = <uuid>`).
    if looks_like_uuid(value) && !strong_name(key) {
        return false;
    }
    // `name value` with only blanks between: prose does that too, so only a long, mixed value.
    if caps.name("sp").is_some() && (value.len() < 20 || !value.bytes().any(|b| b.is_ascii_digit()))
    {
        return false;
    }
    // SOPS and Ansible Vault values are ciphertext, safe to share.
    if value.starts_with("ENC[") || value.starts_with("$ANSIBLE_VAULT") {
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
    // Code, not a value: a call (`auth = dbus_malloc0 (size)`), a path in a type or an import
    // (`frag_token: crate::__u32`, `Token::to_error`), a reserved or generated name
    // (`__X32_SYSCALL_BIT`, `__sifields__bindgen_ty_5`).
    if caps.name("call").is_some()
        || value.contains("::")
        || value.starts_with(':')
        || value.starts_with("__")
    {
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
    // Longer values need less entropy per character to be as unlikely as a word.
    let floor = match value.len() {
        0..16 => 3.0,
        16..24 => 2.8,
        _ => 2.5,
    };
    let random = has_digit && has_alpha && entropy::classes(value) >= 2 && e >= floor;
    // A slash suggests a path; only very random values with one are secrets (base64).
    random && (!value.contains('/') || e >= 4.3)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) use crate::testkit::{Gen, B62, B64, HEX, UPPER32, URLSAFE};
    const BECH32: &str = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";

    fn ids(line: &str, path: &str) -> Vec<&'static str> {
        let mut out = Vec::new();
        for r in RULES.iter() {
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
        for r in RULES.iter() {
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
        assert!(hits(
            "github-oauth",
            &format!("token: gho_{}", g.s(B62, 36))
        ));
        assert!(!hits("github-pat", "ghp_short"));
        assert!(hits(
            "github-fine-grained-pat",
            &format!("github_pat_{}_{}", g.s(B62, 22), g.s(B62, 59))
        ));
        assert!(!hits("github-fine-grained-pat", "github_pat_tooShort"));
        assert!(hits("gitlab-pat", &format!("glpat-{}", g.s(URLSAFE, 20))));
        assert!(!hits("gitlab-pat", "glpat-xxxxxxxxxxxxxxxxxxxx"));
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
            "slack-bot-token",
            &format!(
                "xoxb-{}-{}-{}",
                g.s("0123456789", 12),
                g.s("0123456789", 13),
                g.s(B62, 24)
            )
        ));
        assert!(!hits("slack-bot-token", "xoxb-your-token-here"));
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
        // The Redis URI scheme's password-only form (no user name): redis://:password@host.
        assert!(hits(
            "database-url",
            &format!("REDIS_URL=redis://:{pw}@cache.internal:6379/0")
        ));
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
