//! `sessions pull`: the session's pull request, checked out with the user's own git.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::api::session_id;
use crate::error::{Error, ErrorKind, Result};
use crate::settings::Settings;
use crate::{git, journal, ui};

/// The ref a host publishes a pull request's head under, and its number.
fn pr_ref(pr_url: &str) -> Option<(String, u64)> {
    let url = url::Url::parse(pr_url).ok()?;
    let segs: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    let n_at = |marker: &str| -> Option<u64> {
        let i = segs.iter().position(|s| *s == marker)?;
        segs.get(i + 1)?.parse().ok()
    };
    if let Some(n) = n_at("pull") {
        return Some((format!("refs/pull/{n}/head"), n));
    }
    if let Some(n) = n_at("merge_requests") {
        return Some((format!("refs/merge-requests/{n}/head"), n));
    }
    if let Some(n) = n_at("pullrequest") {
        return Some((format!("refs/pull/{n}/merge"), n));
    }
    None
}

/// Runs git in `dir` with the user's configuration; its stderr becomes the error.
fn git_cmd(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .map_err(|e| Error::other(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(Error::other(format!(
            "git {} failed: {}",
            args.join(" "),
            err.trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub async fn run(settings: &Settings, id: &str, here: bool, path: Option<&Path>) -> Result<()> {
    let id = session_id(id)?;
    let cwd = std::env::current_dir().map_err(|e| Error::other(e.to_string()))?;
    let (workdir, head) = git::locate(&cwd)?.ok_or_else(|| {
        Error::usage("sessions pull runs inside the repository the session works on")
    })?;
    let mut client = settings.client()?;
    let session = client.get_session(&id).await?;
    let pr = session.pr_url().ok_or_else(|| {
        Error::new(
            ErrorKind::Usage,
            format!("session {id} has no pull request yet"),
        )
        .hint("watch it until it opens one: devin-handoff sessions watch ID")
    })?;
    let (refname, n) =
        pr_ref(pr).ok_or_else(|| Error::usage(format!("cannot tell the branch of {pr}")))?;

    warn_if_moved(&id, &head);

    let source = pick_source(&workdir, pr)?;
    // `--`: a remote's name or URL is never read as an option.
    git_cmd(&workdir, &["fetch", "--quiet", "--", &source, &refname])?;
    let fetched = git_cmd(
        &workdir,
        &["rev-parse", "--verify", "--quiet", "FETCH_HEAD^{commit}"],
    )?;
    let fetched = fetched.trim().to_string();
    let branch = format!("devin/pr-{n}");
    keep_local_commits(&workdir, &branch, &fetched)?;
    let target = if here {
        let dirty = git_cmd(&workdir, &["status", "--porcelain"])?;
        if !dirty.trim().is_empty() {
            return Err(Error::usage("this working tree has uncommitted changes; --here would mix them with the pull request")
                .hint("commit or stash them, or drop --here to use a new worktree"));
        }
        git_cmd(&workdir, &["switch", "--quiet", "-C", &branch, &fetched])?;
        workdir.clone()
    } else {
        let dest = match path {
            Some(p) => p.to_path_buf(),
            None => default_worktree(&workdir, n),
        };
        if dest.exists() {
            return Err(Error::usage(format!("{} already exists", dest.display()))
                .hint("choose another place with --path DIR"));
        }
        let dest_s = dest.to_string_lossy().into_owned();
        git_cmd(
            &workdir,
            &[
                "worktree", "add", "--quiet", "-B", &branch, "--", &dest_s, &fetched,
            ],
        )?;
        dest
    };
    let v = serde_json::json!({"session_id": id, "pr_url": pr, "branch": branch, "path": target});
    settings.out.result(&v, || {
        ui::say(&format!("checked out {pr} as {branch}"));
        ui::print_stdout(&format!("{}\n", target.display()))
    })
}

/// The branch moved since the handoff: the pull request was built on the state handed off
/// then, which the journal remembers.
fn warn_if_moved(id: &str, head: &git::Head) {
    let Some(rec) = journal::read()
        .into_iter()
        .rev()
        .find(|r| r.session_id == id)
    else {
        return;
    };
    let was = rec.head.as_deref();
    if rec.branch.as_deref() == Some(head.label().as_str()) && was.is_some() && was != head.commit()
    {
        ui::warn(&format!(
            "{} moved since the handoff (was {}); the pull request starts from the old state",
            head.label(),
            was.map_or("?", git::short)
        ));
    }
}

fn default_worktree(workdir: &Path, n: u64) -> PathBuf {
    let name = workdir
        .file_name()
        .map_or("repo".into(), |s| s.to_string_lossy().into_owned());
    workdir
        .parent()
        .unwrap_or(workdir)
        .join(format!("{name}-devin-pr-{n}"))
}

/// Where the pull request's head is fetched from: the remote whose URL names the PR's
/// repository, else the PR's repository itself by its URL (as `gh pr checkout` does). Never
/// another repository that happens to be `origin`: its PR of the same number is someone
/// else's.
fn pick_source(workdir: &Path, pr: &str) -> Result<String> {
    let url = pr_repo_url(pr)
        .ok_or_else(|| Error::usage(format!("cannot tell the repository of {pr}")))?;
    let want = git::parse_remote_url(&url).map(|r| (r.full_name(), r.host));
    let names = git_cmd(workdir, &["remote"])?;
    for n in names.lines().filter(|l| !l.is_empty()) {
        // The URL as configured: `remote get-url` would apply `insteadOf` rewrites first.
        if let Ok(u) = git_cmd(workdir, &["config", "--get", &format!("remote.{n}.url")]) {
            let repo = git::parse_remote_url(u.trim()).map(|r| (r.full_name(), r.host));
            if repo.is_some() && repo == want {
                return Ok(n.to_string());
            }
        }
    }
    Ok(url)
}

/// The PR's repository as a URL git can fetch: `https://host/owner/name.git`, from an
/// `https` pull request URL only.
fn pr_repo_url(pr: &str) -> Option<String> {
    let url = url::Url::parse(pr).ok()?;
    if url.scheme() != "https" || !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    let path = url.path();
    let repo = [
        "/pull/",
        "/-/merge_requests/",
        "/merge_requests/",
        "/pull-requests/",
        "/pullrequest/",
    ]
    .iter()
    .find_map(|m| path.find(m).map(|i| &path[..i]))?;
    let repo = repo.trim_end_matches('/');
    if repo.split('/').filter(|s| !s.is_empty()).count() < 2 {
        return None;
    }
    Some(format!("https://{}{repo}.git", url.host_str()?))
}

/// An existing local branch of this name is reset only when everything on it is in what was
/// fetched: the user's own commits there are never thrown away.
fn keep_local_commits(workdir: &Path, branch: &str, fetched: &str) -> Result<()> {
    let full = format!("refs/heads/{branch}");
    let Ok(local) = git_cmd(workdir, &["rev-parse", "--verify", "--quiet", &full]) else {
        return Ok(());
    };
    let local = local.trim();
    if local.is_empty() || local == fetched {
        return Ok(());
    }
    let contained = Command::new("git")
        .current_dir(workdir)
        .args(["merge-base", "--is-ancestor", local, fetched])
        .status()
        .is_ok_and(|s| s.success());
    if contained {
        return Ok(());
    }
    Err(Error::usage(format!(
        "{branch} has commits that are not in the pull request: it was not reset"
    ))
    .hint(format!(
        "keep them under another name first: git branch -m {} {}",
        crate::shell::quote(branch),
        crate::shell::quote(&format!("{branch}-mine"))
    ))
    .hint("or delete the branch if they are not needed: git branch -D …"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_request_repositories() {
        assert_eq!(
            pr_repo_url("https://github.com/acme/w/pull/7").as_deref(),
            Some("https://github.com/acme/w.git")
        );
        assert_eq!(
            pr_repo_url("https://gitlab.com/g/s/p/-/merge_requests/12").as_deref(),
            Some("https://gitlab.com/g/s/p.git")
        );
        assert_eq!(pr_repo_url("http://github.com/acme/w/pull/7"), None);
        assert_eq!(pr_repo_url("https://github.com/pull/7"), None);
    }

    #[test]
    fn pull_request_refs() {
        assert_eq!(
            pr_ref("https://github.com/acme/w/pull/7"),
            Some(("refs/pull/7/head".into(), 7))
        );
        assert_eq!(
            pr_ref("https://gitlab.com/g/s/p/-/merge_requests/12"),
            Some(("refs/merge-requests/12/head".into(), 12))
        );
        assert_eq!(pr_ref("https://github.com/acme/w"), None);
    }
}
