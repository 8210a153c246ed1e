//! Remote URL parsing: every form git accepts, reduced to a host and `owner/name`.
//!
//! Only the host and the repository path survive parsing; user names, passwords, tokens and
//! ports are dropped here so that nothing downstream can leak them.

use serde::Serialize;

/// Where a remote lives, with credentials already stripped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteRepo {
    /// Lower-cased host name, without port or user info, e.g. `github.com`.
    pub host: String,
    /// The owner part; may hold several segments (GitLab subgroups, Azure `org/project`).
    pub owner: String,
    /// The repository name, without `.git`.
    pub name: String,
}

impl RemoteRepo {
    /// `owner/name`, the form the Devin API's `repos` field takes.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// Parses a remote URL. Returns `None` for local paths and for anything that is not a
/// recognisable hosted repository; the caller then hands off without a repository name.
pub fn parse_remote_url(raw: &str) -> Option<RemoteRepo> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    if let Some((scheme, _)) = raw.split_once("://") {
        let scheme = scheme.to_ascii_lowercase();
        if !matches!(
            scheme.as_str(),
            "https" | "http" | "ssh" | "git" | "git+ssh" | "ssh+git"
        ) {
            return None;
        }
        let url = url::Url::parse(raw).ok()?;
        let host = url
            .host_str()?
            .trim_matches(['[', ']'])
            .to_ascii_lowercase();
        let path = percent_decode(url.path());
        return from_host_path(&host, &path);
    }
    // scp-like syntax: [user@]host:path. Git treats it as such only when there is no slash
    // before the first colon; otherwise it is a local path.
    let colon = raw.find(':')?;
    let before = &raw[..colon];
    if before.contains('/') || before.is_empty() {
        return None;
    }
    // A single letter before the colon is a Windows drive (C:\repo), not a host.
    if before.len() == 1 && before.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let host = before.rsplit('@').next()?.to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    from_host_path(&host, &raw[colon + 1..])
}

fn percent_decode(path: &str) -> String {
    // Remote paths rarely hold escapes, but Azure project names with spaces do (%20).
    percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned()
}

fn from_host_path(host: &str, path: &str) -> Option<RemoteRepo> {
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let mut segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if segments.contains(&"..") {
        return None;
    }
    // ssh-style user home shorthand (`host:~user/repo`) names a path, not an owner.
    if let Some(first) = segments.first() {
        if first.starts_with('~') && segments.len() > 2 {
            segments.remove(0);
        }
    }
    // Azure DevOps: `v3/org/project/repo` over ssh, `org/project/_git/repo` over https,
    // and the legacy `org.visualstudio.com/project/_git/repo`.
    if host == "ssh.dev.azure.com" || host == "vs-ssh.visualstudio.com" {
        if segments.first() == Some(&"v3") && segments.len() == 4 {
            return make("dev.azure.com", &segments[1..3].join("/"), segments[3]);
        }
        return None;
    }
    if let Some(pos) = segments.iter().position(|s| *s == "_git") {
        if pos + 2 != segments.len() {
            return None;
        }
        let name = segments[pos + 1];
        let mut owner: Vec<&str> = segments[..pos]
            .iter()
            .copied()
            .filter(|s| *s != "DefaultCollection")
            .collect();
        if let Some(org) = host.strip_suffix(".visualstudio.com") {
            owner.insert(0, org);
            return make("dev.azure.com", &owner.join("/"), name);
        }
        // `_git/repo` directly under the org means project == repo.
        if owner.len() == 1 {
            owner.push(name);
        }
        if owner.is_empty() {
            return None;
        }
        return make(host, &owner.join("/"), name);
    }
    if segments.len() < 2 {
        return None;
    }
    let name = segments.pop()?;
    make(host, &segments.join("/"), name)
}

fn make(host: &str, owner: &str, name: &str) -> Option<RemoteRepo> {
    let name = name.strip_suffix(".git").unwrap_or(name);
    if name.is_empty() || owner.is_empty() {
        return None;
    }
    Some(RemoteRepo {
        host: host.to_string(),
        owner: owner.to_string(),
        name: name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(url: &str) -> Option<(String, String)> {
        parse_remote_url(url).map(|r| (r.host.clone(), r.full_name()))
    }

    fn some(host: &str, full: &str) -> Option<(String, String)> {
        Some((host.to_string(), full.to_string()))
    }

    #[test]
    fn every_remote_form() {
        let table: &[(&str, Option<(String, String)>)] = &[
            (
                "https://github.com/acme/widget",
                some("github.com", "acme/widget"),
            ),
            (
                "https://github.com/acme/widget.git",
                some("github.com", "acme/widget"),
            ),
            (
                "https://github.com/acme/widget/",
                some("github.com", "acme/widget"),
            ),
            (
                "https://github.com/acme/widget.git/",
                some("github.com", "acme/widget"),
            ),
            (
                "http://GitHub.com/acme/widget",
                some("github.com", "acme/widget"),
            ),
            (
                "https://x-access-token:ghp_SECRET123@github.com/acme/widget.git",
                some("github.com", "acme/widget"),
            ),
            (
                "https://user@github.com:8443/acme/widget.git",
                some("github.com", "acme/widget"),
            ),
            (
                "https://oauth2:glpat-TOKEN@gitlab.com/grp/sub/deeper/proj.git",
                some("gitlab.com", "grp/sub/deeper/proj"),
            ),
            (
                "ssh://git@github.com/acme/widget.git",
                some("github.com", "acme/widget"),
            ),
            (
                "ssh://git@github.com:2222/acme/widget.git",
                some("github.com", "acme/widget"),
            ),
            (
                "ssh://github.com/acme/widget",
                some("github.com", "acme/widget"),
            ),
            (
                "git+ssh://git@host.example:22/acme/widget.git",
                some("host.example", "acme/widget"),
            ),
            (
                "git@github.com:acme/widget.git",
                some("github.com", "acme/widget"),
            ),
            (
                "git@github.com:acme/widget",
                some("github.com", "acme/widget"),
            ),
            (
                "github.com:acme/widget.git",
                some("github.com", "acme/widget"),
            ),
            (
                "git@github.com:/acme/widget.git",
                some("github.com", "acme/widget"),
            ),
            (
                "git://git.kernel.org/pub/scm/git/git.git",
                some("git.kernel.org", "pub/scm/git/git"),
            ),
            (
                "git://example.org/acme/widget",
                some("example.org", "acme/widget"),
            ),
            (
                "git@gitlab.com:grp/sub/proj.git",
                some("gitlab.com", "grp/sub/proj"),
            ),
            (
                "https://gitlab.com/grp/sub/proj",
                some("gitlab.com", "grp/sub/proj"),
            ),
            (
                "https://dev.azure.com/org/project/_git/repo",
                some("dev.azure.com", "org/project/repo"),
            ),
            (
                "https://org@dev.azure.com/org/project/_git/repo",
                some("dev.azure.com", "org/project/repo"),
            ),
            (
                "https://dev.azure.com/org/My%20Project/_git/repo",
                some("dev.azure.com", "org/My Project/repo"),
            ),
            (
                "git@ssh.dev.azure.com:v3/org/project/repo",
                some("dev.azure.com", "org/project/repo"),
            ),
            (
                "ssh://git@ssh.dev.azure.com/v3/org/project/repo",
                some("dev.azure.com", "org/project/repo"),
            ),
            (
                "https://org.visualstudio.com/project/_git/repo",
                some("dev.azure.com", "org/project/repo"),
            ),
            (
                "https://org.visualstudio.com/DefaultCollection/project/_git/repo",
                some("dev.azure.com", "org/project/repo"),
            ),
            (
                "org@vs-ssh.visualstudio.com:v3/org/project/repo",
                some("dev.azure.com", "org/project/repo"),
            ),
            (
                "https://github.example.com/team/service.git",
                some("github.example.com", "team/service"),
            ),
            (
                "git@github.example.com:team/service.git",
                some("github.example.com", "team/service"),
            ),
            (
                "https://[::1]:8080/acme/widget.git",
                some("::1", "acme/widget"),
            ),
            ("/srv/git/widget.git", None),
            ("./widget", None),
            ("../widget.git", None),
            ("file:///srv/git/widget.git", None),
            ("C:\\repos\\widget", None),
            ("C:/repos/widget", None),
            ("", None),
            ("not a url", None),
            ("https://github.com/", None),
            ("https://github.com/onlyowner", None),
            ("https://github.com/a/../b", None),
            ("ftp://example.com/a/b", None),
        ];
        for (input, want) in table {
            assert_eq!(&p(input), want, "parsing {input:?}");
        }
    }

    #[test]
    fn credentials_never_survive() {
        let r = parse_remote_url("https://bob:hunter2-token@github.com:444/acme/widget.git")
            .expect("parses");
        let all = format!("{r:?} {} {}", r.host, r.full_name());
        assert!(!all.contains("hunter2"));
        assert!(!all.contains("bob"));
        assert!(!all.contains("444"));
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any string parses or is refused, never panics, and a password never survives.
        #[test]
        fn remote_urls_never_panic_or_leak(s in "\\PC{0,120}", pw in "[A-Za-z0-9]{8,20}") {
            let _ = parse_remote_url(&s);
            if let Some(r) = parse_remote_url(&format!("https://user:{pw}@github.com/acme/widget.git")) {
                let shown = format!("{:?}", r);
                prop_assert!(!shown.contains(&pw));
            }
        }
    }
}
