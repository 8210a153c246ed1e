//! Fidelity regressions found by trying repository shapes from outside: each builds the
//! shape in a real repository, hands it off with the real binary (dry run), replays the
//! patch in a fresh clone at the base, and compares the replayed tree with the working tree.

use std::path::{Path, PathBuf};

use crate::common::*;

/// A clone of a local bare remote with `files` committed and pushed.
fn repo(files: &[(&str, &[u8])]) -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::TempDir::new().expect("tempdir");
    git(root.path(), &["init", "-q", "--bare", "remote.git"]);
    git(root.path(), &["clone", "-q", "remote.git", "work"]);
    let work = root.path().join("work");
    for (p, c) in files {
        write(&work.join(p), c);
    }
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "initial"]);
    git(&work, &["push", "-q", "origin", "HEAD"]);
    (root, work)
}

fn sh(dir: &Path, script: &str) {
    let ok = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("HOME", home())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .expect("sh")
        .success();
    assert!(ok, "{script}");
}

/// Hands `work` off (dry run), replays in a fresh clone of the remote, and returns the
/// replayed tree and the manifest's left-out paths.
fn replay(work: &Path) -> (PathBuf, Vec<String>) {
    let DryRun {
        json,
        prompt,
        base,
        patch,
    } = dry_run(work, "allow");
    let dest = tempfile::TempDir::new().expect("tempdir").keep();
    let remote = work.parent().expect("root").join("remote.git");
    git(
        &dest,
        &["clone", "-q", remote.to_str().expect("utf8"), "replay"],
    );
    let replay = dest.join("replay");
    git(&replay, &["checkout", "-q", "--detach", &base]);
    if prompt.contains("\n### Patch\n") {
        let file = dest.join("h.patch");
        std::fs::write(&file, &patch).expect("write");
        git(&replay, &["apply", file.to_str().expect("utf8")]);
    }
    let left_out = json["manifest"]["left_out"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|l| l["path"].as_str().expect("path").to_string())
                .collect()
        })
        .unwrap_or_default();
    (replay, left_out)
}

/// The replayed tree equals the working tree, but for ignored files (which are never sent)
/// and the paths `also_ignore`.
fn assert_replays(work: &Path, also_ignore: &[&str]) {
    let (replay, left_out) = replay(work);
    let ignored = git(
        work,
        &["ls-files", "-o", "-i", "--exclude-standard", "--directory"],
    );
    let mut skip: Vec<String> = ignored.lines().map(str::to_string).collect();
    skip.extend(also_ignore.iter().map(|s| s.to_string()));
    skip.extend(left_out);
    let refs: Vec<&str> = skip.iter().map(String::as_str).collect();
    let mut expected = snapshot(work);
    let mut actual = snapshot(&replay);
    for s in &refs {
        expected.remove(s.trim_end_matches('/'));
        actual.remove(s.trim_end_matches('/'));
    }
    assert_eq!(
        expected.keys().collect::<Vec<_>>(),
        actual.keys().collect::<Vec<_>>(),
        "same paths"
    );
    for (k, v) in &expected {
        assert_eq!(Some(v), actual.get(k), "content of {k}");
    }
}

#[test]
fn an_untracked_file_re_included_by_a_nested_gitignore_is_sent() {
    let (_root, work) = repo(&[(".gitignore", b"*.tmp\n"), ("a.txt", b"a\n")]);
    write(&work.join("pkg/keep.tmp"), "k\n");
    write(&work.join("pkg/.gitignore"), "!keep.tmp\n");
    write(&work.join("pkg/drop.tmp"), "ignored\n");
    assert!(git(&work, &["status", "--porcelain", "-uall"]).contains("pkg/keep.tmp"));
    assert_replays(&work, &[]);
}

#[test]
fn a_file_removed_from_the_index_but_kept_on_disk_is_not_deleted() {
    // `text=auto` sends the capture down libgit2's full diff.
    let (_root, work) = repo(&[
        (".gitattributes", b"* text=auto\n"),
        ("pkg/mod.py", b"x = 1\n"),
    ]);
    git(&work, &["rm", "-q", "--cached", "pkg/mod.py"]);
    assert_replays(&work, &[]);
    // Changed as well as untracked: the change travels.
    write(&work.join("pkg/mod.py"), "x = 2\n");
    assert_replays(&work, &[]);
}

#[test]
fn a_renamed_binary_file_applies() {
    let (_root, work) = repo(&[("a.bin", b"bin\0ary")]);
    sh(&work, "mv a.bin b.bin");
    assert_replays(&work, &[]);
    let (_root, work) = repo(&[("a.bin", b"bin\0ary")]);
    git(&work, &["mv", "a.bin", "b.bin"]);
    assert_replays(&work, &[]);
}

#[test]
fn typechanges_keep_both_halves_in_order() {
    for how in ["staged", "committed", "unstaged-with-rename"] {
        let (_root, work) = repo(&[
            ("f.txt", b"hello\n"),
            ("t.txt", b"target\n"),
            ("r1.txt", b"some content here\nmore\nlines\n"),
        ]);
        sh(&work, "rm f.txt && ln -s t.txt f.txt");
        match how {
            "staged" => git(&work, &["add", "-A"]),
            "committed" => {
                git(&work, &["add", "-A"]);
                git(&work, &["commit", "-q", "-m", "typechange"])
            }
            _ => git(&work, &["mv", "r1.txt", "r2.txt"]),
        };
        assert_replays(&work, &[]);
    }
}

#[test]
fn a_tracked_directory_replaced_by_a_symlink_to_it_replays() {
    let (_root, work) = repo(&[("conf/a.cfg", b"a\n"), ("conf/b.cfg", b"b\n")]);
    sh(&work, "mv conf conf.real && ln -s conf.real conf");
    assert_replays(&work, &[]);
}

#[test]
fn a_big_binary_moved_with_git_mv_is_listed_and_its_old_path_deleted() {
    let big: Vec<u8> = (0..1_200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let (_root, work) = repo(&[("big.bin", &big), ("x.txt", b"x\n")]);
    git(&work, &["mv", "big.bin", "moved.bin"]);
    let (replay, left_out) = replay(&work);
    assert_eq!(left_out, vec!["moved.bin".to_string()]);
    assert!(!replay.join("big.bin").exists(), "the old path is deleted");
    assert!(!replay.join("moved.bin").exists());
}

/// Runs the prompt's own replay steps in a fresh clone of `remote`, with the patch saved
/// where the steps say, and returns the clone.
fn run_prompt_steps(work: &Path, remote: &Path) -> PathBuf {
    let DryRun { prompt, patch, .. } = dry_run(work, "allow");
    let start = prompt.find("```sh\n").expect("steps") + 6;
    let steps = &prompt[start..start + prompt[start..].find("```").expect("end of steps")];
    let dest = tempfile::TempDir::new().expect("tempdir").keep();
    git(
        &dest,
        &["clone", "-q", remote.to_str().expect("utf8"), "replay"],
    );
    let replay = dest.join("replay");
    let patch_at = git(&replay, &["rev-parse", "--git-path", "handoff.patch"]);
    std::fs::write(replay.join(patch_at.trim()), &patch).expect("save patch");
    sh(&replay, steps);
    replay
}

#[test]
fn the_prompts_steps_work_on_an_empty_remote_and_beside_a_file_named_handoff_patch() {
    let root = tempfile::TempDir::new().expect("tempdir");
    git(root.path(), &["init", "-q", "--bare", "remote.git"]);
    git(root.path(), &["clone", "-q", "remote.git", "work"]);
    let work = root.path().join("work");
    write(
        &work.join("handoff.patch"),
        "a file of the project, not the patch\n",
    );
    write(&work.join("src/main.rs"), "fn main() {}\n");
    let replay = run_prompt_steps(&work, &root.path().join("remote.git"));
    assert_eq!(
        std::fs::read_to_string(replay.join("handoff.patch")).expect("read"),
        "a file of the project, not the patch\n"
    );
    assert!(replay.join("src/main.rs").exists());

    // With history on the remote, and the tracked file named like the patch changed.
    let (root, work) = repo(&[("handoff.patch", b"v1\n"), ("a.txt", b"a\n")]);
    write(&work.join("handoff.patch"), "v2\n");
    let replay = run_prompt_steps(&work, &root.path().join("remote.git"));
    assert_eq!(
        std::fs::read_to_string(replay.join("handoff.patch")).expect("read"),
        "v2\n"
    );
}

#[test]
fn without_an_upstream_or_a_main_branch_the_base_is_a_remote_branch_sharing_history() {
    let root = tempfile::TempDir::new().expect("tempdir");
    git(root.path(), &["init", "-q", "--bare", "remote.git"]);
    git(root.path(), &["clone", "-q", "remote.git", "work"]);
    let work = root.path().join("work");
    git(&work, &["checkout", "-q", "-b", "trunk"]);
    write(&work.join("a.txt"), "a\n");
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "on trunk"]);
    git(&work, &["push", "-q", "origin", "trunk"]);
    let pushed = git(&work, &["rev-parse", "HEAD"]).trim().to_string();
    // A local branch with no upstream and one local commit; origin/HEAD is not set.
    git(&work, &["checkout", "-q", "-b", "feature"]);
    write(&work.join("b.txt"), "b\n");
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "local only"]);
    let _ = std::process::Command::new("git")
        .args(["remote", "set-head", "origin", "-d"])
        .current_dir(&work)
        .output();
    let out = bin(&work)
        .args(["create", "--dry-run", "--json", "go on"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = stdout_json(&out);
    assert_eq!(
        json["manifest"]["base"]["commit"],
        pushed.as_str(),
        "{json}"
    );
    assert_eq!(json["manifest"]["base"]["source"], "remote_branch");
    assert_eq!(json["manifest"]["base"]["via"], "origin/trunk");
    assert_replays(&work, &[]);
}

/// Found by the differential test (seed 1000278): an intent-to-add file with a `binary`
/// attribute came out as `Binary files … differ`, with no data, and the patch did not apply.
#[test]
fn an_intent_to_add_binary_file_carries_its_data() {
    let (_root, work) = repo(&[(".gitattributes", b"*.bin binary\n"), ("a.txt", b"a\n")]);
    write(&work.join("hs.bin"), "some text marked binary\n");
    git(&work, &["add", "-N", "hs.bin"]);
    assert_replays(&work, &[]);
}

#[test]
fn edits_git_does_not_look_at_are_listed_as_left_out() {
    for flag in ["--assume-unchanged", "--skip-worktree"] {
        // Both capture paths: plain, and with attributes (libgit2's full diff).
        for attrs in [false, true] {
            let mut files: Vec<(&str, &[u8])> = vec![("a.txt", b"a\n"), ("b.txt", b"b\n")];
            if attrs {
                files.push((".gitattributes", b"* text=auto\n"));
            }
            let (_root, work) = repo(&files);
            git(&work, &["update-index", flag, "a.txt"]);
            write(&work.join("a.txt"), "changed where git does not look\n");
            write(&work.join("b.txt"), "b2\n");
            let (replay, left_out) = replay(&work);
            assert_eq!(left_out, vec!["a.txt".to_string()], "{flag} attrs={attrs}");
            assert_eq!(
                std::fs::read_to_string(replay.join("b.txt")).expect("b"),
                "b2\n"
            );
        }
    }
}

#[test]
fn a_conflicted_merge_travels_with_its_markers_and_names_what_is_unmerged() {
    let (_root, work) = repo(&[("c.txt", b"base\n"), ("both.txt", b"x\n")]);
    git(&work, &["checkout", "-q", "-b", "other"]);
    write(&work.join("c.txt"), "theirs\n");
    write(&work.join("added.txt"), "added on other\n");
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "other"]);
    let merge_head = git(&work, &["rev-parse", "HEAD"]).trim().to_string();
    git(&work, &["checkout", "-q", "main"]);
    write(&work.join("c.txt"), "ours\n");
    write(&work.join("added.txt"), "added on main\n");
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "ours"]);
    let merged = std::process::Command::new("git")
        .args(["merge", "-q", "other"])
        .current_dir(&work)
        .env("HOME", home())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("merge");
    assert!(!merged.status.success(), "the merge conflicts");
    assert!(std::fs::read_to_string(work.join("c.txt"))
        .expect("c")
        .contains("<<<<<<<"));
    assert_replays(&work, &[]);
    let out = bin(&work)
        .args([
            "create",
            "--dry-run",
            "--json",
            "--secrets",
            "allow",
            "finish the merge",
        ])
        .output()
        .expect("run");
    let json = stdout_json(&out);
    let prompt = json["request"]["prompt"].as_str().expect("prompt");
    assert!(prompt.contains(&merge_head), "names the merge head");
    assert!(prompt.contains("unmerged paths"), "{prompt}");
    assert!(prompt.contains("c.txt") && prompt.contains("added.txt"));
}

/// Found by the differential test (seed 4000170): a file removed from the index but kept on
/// disk was paired by rename detection with a new file of the same content, and the replay
/// deleted it.
#[test]
fn a_file_kept_on_disk_is_not_renamed_away() {
    let (_root, work) = repo(&[("pkg/kcqe.md", b""), ("a.txt", b"a\n")]);
    git(&work, &["rm", "-q", "--cached", "pkg/kcqe.md"]);
    write(&work.join("h"), "");
    git(&work, &["add", "-N", "h"]);
    assert_replays(&work, &[]);
}

#[test]
fn files_outside_a_sparse_checkout_are_not_deleted() {
    // Plain, and with attributes (libgit2's full diff).
    for attrs in [false, true] {
        let mut files: Vec<(&str, &[u8])> = vec![("in/a.txt", b"a\n"), ("out/b.txt", b"b\n")];
        if attrs {
            files.push((".gitattributes", b"* text=auto\n"));
        }
        let (_root, work) = repo(&files);
        git(&work, &["sparse-checkout", "set", "--cone", "in"]);
        assert!(!work.join("out/b.txt").exists());
        write(&work.join("in/a.txt"), "a2\n");
        let (replay, left_out) = replay(&work);
        assert!(left_out.is_empty(), "{left_out:?}");
        assert!(
            replay.join("out/b.txt").exists(),
            "attrs={attrs}: not deleted"
        );
        assert_eq!(
            std::fs::read_to_string(replay.join("in/a.txt")).expect("a"),
            "a2\n"
        );
    }
}

#[test]
fn with_history_the_clone_gets_the_same_commits_and_the_same_tree() {
    let (root, work) = repo(&[("a.txt", b"a\n"), ("bin.dat", b"bin\0ary")]);
    for (i, msg) in ["first local commit", "second local commit"]
        .iter()
        .enumerate()
    {
        write(&work.join(format!("c{i}.txt")), format!("commit {i}\n"));
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", msg]);
    }
    let local: Vec<String> = git(&work, &["log", "--format=%H", "origin/main..HEAD"])
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(local.len(), 2);
    // Uncommitted work on top.
    write(&work.join("a.txt"), "a, edited after the commits\n");
    write(&work.join("new.txt"), "untracked\n");

    // The dry run lists the commits.
    let out = bin(&work)
        .args(["create", "--dry-run", "--json", "--history", "go on"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dry = stdout_json(&out);
    let listed: Vec<&str> = dry["manifest"]["history"]["commits"]
        .as_array()
        .expect("commits")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        listed,
        local.iter().rev().map(String::as_str).collect::<Vec<_>>()
    );

    // For real, against the fake API: the bundle is uploaded and named in the prompt.
    let api = FakeApi::start();
    let out = bin_api(&work, &api)
        .args([
            "create",
            "--yes",
            "--json",
            "--history",
            "--via",
            "inline",
            "go on",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let uploads = api.uploads();
    let bundle = uploads
        .iter()
        .find(|u| u.file_name == "handoff.bundle")
        .expect("bundle uploaded");
    let body = api.create_requests()[0].json();
    let prompt = body["prompt"].as_str().expect("prompt").to_string();
    assert!(prompt.contains(&format!("ATTACHMENT:\"{}\"", bundle.url)));
    let urls = body["attachment_urls"].as_array().expect("urls");
    assert!(urls.iter().any(|u| u == bundle.url.as_str()));

    // The agent's steps, in a fresh clone of the remote.
    let dest = tempfile::TempDir::new().expect("tempdir");
    git(
        dest.path(),
        &[
            "clone",
            "-q",
            root.path().join("remote.git").to_str().expect("utf8"),
            "replay",
        ],
    );
    let replay = dest.path().join("replay");
    let at = |name: &str| replay.join(git(&replay, &["rev-parse", "--git-path", name]).trim());
    std::fs::write(at("handoff.bundle"), &bundle.bytes).expect("save bundle");
    std::fs::write(at("handoff.patch"), extract_patch(&prompt)).expect("save patch");
    let start = prompt.rfind("```sh\n").expect("steps") + 6;
    let steps = &prompt[start..start + prompt[start..].find("```").expect("end")];
    sh(&replay, steps);
    let replayed: Vec<String> = git(&replay, &["log", "--format=%H", "origin/main..HEAD"])
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(replayed, local, "the same commit IDs");
    assert_eq!(
        git(&replay, &["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "main"
    );
    assert_same_tree(&work, &replay, &[]);
}

#[test]
fn with_history_commit_messages_and_every_commit_go_through_the_guard() {
    let mut g = Gen::new(1201);
    let token = g.github_token();
    // A secret committed, then removed: the sum of the commits is clean, the bundle is not.
    let (_root, work) = repo(&[("a.txt", b"a\n")]);
    write(&work.join("cfg.py"), format!("TOKEN = \"{token}\"\n"));
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "add config"]);
    write(&work.join("cfg.py"), "TOKEN = os.environ[\"TOKEN\"]\n");
    git(&work, &["add", "-A"]);
    git(
        &work,
        &["commit", "-q", "-m", "read it from the environment"],
    );
    let run = |extra: &[&str]| {
        bin(&work)
            .args(["create", "--dry-run", "--json"])
            .args(extra)
            .arg("go on")
            .output()
            .expect("run")
    };
    let out = run(&["--secrets", "block"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "without --history the sum is sent, and it is clean"
    );
    let out = run(&["--history", "--secrets", "block"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["--history", "--secrets", "redact"]);
    assert_eq!(out.status.code(), Some(3), "history cannot be redacted");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&token));

    // A secret in a commit message.
    let (_root, work) = repo(&[("a.txt", b"a\n")]);
    write(&work.join("b.txt"), "b\n");
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", &format!("use {token}")]);
    let out = bin(&work)
        .args([
            "create",
            "--dry-run",
            "--json",
            "--history",
            "--secrets",
            "block",
            "go on",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    let json = stdout_json(&out);
    assert!(json["findings"][0]["path"]
        .as_str()
        .expect("path")
        .starts_with("<commit "));
}

#[test]
fn a_shallow_clone_whose_remote_moved_on_keeps_a_base_the_remote_has() {
    let (root, work) = repo(&[("a.txt", b"one\n")]);
    write(&work.join("a.txt"), "two\n");
    git(&work, &["commit", "-q", "-am", "two"]);
    git(&work, &["push", "-q", "origin", "HEAD"]);
    let url = format!("file://{}", root.path().join("remote.git").display());
    git(
        root.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let shallow = root.path().join("shallow");
    let cloned_at = git(&shallow, &["rev-parse", "HEAD"]).trim().to_string();
    // The remote moves on; the shallow clone fetches only the new tip.
    write(&work.join("a.txt"), "three\n");
    git(&work, &["commit", "-q", "-am", "three"]);
    git(&work, &["push", "-q", "origin", "HEAD"]);
    git(&shallow, &["fetch", "-q", "--depth", "1", "origin"]);
    // Hosted, as a real clone's remote is (a `file://` remote publishes nothing).
    git(
        &shallow,
        &[
            "remote",
            "set-url",
            "origin",
            "https://github.com/acme/app.git",
        ],
    );
    write(&shallow.join("new.txt"), "local work\n");
    let DryRun { json, .. } = dry_run(&shallow, "block");
    let base = &json["manifest"]["base"];
    assert_eq!(base["commit"], cloned_at.as_str(), "{base}");
    assert_eq!(base["source"], "remote_branch");
    assert_eq!(base["on_remote"], true);
    let (replay, _) = {
        // Replay from the remote itself: the base is on it.
        let DryRun { base, patch, .. } = dry_run(&shallow, "block");
        let dest = tempfile::TempDir::new().expect("tempdir").keep();
        git(&dest, &["clone", "-q", &url, "replay"]);
        let replay = dest.join("replay");
        git(&replay, &["checkout", "-q", "--detach", &base]);
        let file = dest.join("h.patch");
        std::fs::write(&file, &patch).expect("write");
        git(&replay, &["apply", file.to_str().expect("utf8")]);
        (replay, ())
    };
    assert_same_tree(&shallow, &replay, &[]);
}

/// A loop-mounted ext4 with 128-byte inodes: timestamps in whole seconds, as on HFS+, old
/// ext4 and some network mounts. Unmounted on drop.
struct CoarseFs {
    mnt: PathBuf,
    _root: tempfile::TempDir,
}

impl CoarseFs {
    /// `None` where loop mounts are not allowed (not root, no loop device).
    fn mount() -> Option<CoarseFs> {
        let root = tempfile::TempDir::new().expect("tempdir");
        let img = root.path().join("fs.img");
        let mnt = root.path().join("mnt");
        std::fs::create_dir(&mnt).expect("mkdir");
        let run = |cmd: &str, args: &[&str]| {
            std::process::Command::new(cmd)
                .args(args)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        let img_s = img.to_str().expect("utf8");
        let ok = run("truncate", &["-s", "32M", img_s])
            && run("mkfs.ext4", &["-q", "-I", "128", "-F", img_s])
            && run("mount", &["-o", "loop", img_s, mnt.to_str().expect("utf8")]);
        ok.then_some(CoarseFs { mnt, _root: root })
    }
}

impl Drop for CoarseFs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.mnt).output();
    }
}

/// Bug 6: the untracked cache trusted a directory whose mtime, in whole seconds, was not
/// older than the listing itself; a file created later in that same second stayed unseen.
/// git's rule (racy timestamps) is applied: such a directory is listed again.
#[test]
fn a_file_created_in_the_same_second_as_the_last_listing_is_seen_on_a_coarse_filesystem() {
    let Some(fs) = CoarseFs::mount() else {
        eprintln!("skipped: this machine does not allow a loop mount (needs root)");
        return;
    };
    let root = &fs.mnt;
    git(root, &["init", "-q", "--bare", "remote.git"]);
    git(root, &["clone", "-q", "remote.git", "work"]);
    let work = root.join("work");
    write(&work.join("notes/readme.txt"), "notes\n");
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "initial"]);
    git(&work, &["push", "-q", "origin", "HEAD"]);
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
    };
    let dir_second = || {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(work.join("notes")).expect("stat");
        assert_eq!(m.mtime_nsec(), 0, "the filesystem keeps whole seconds");
        m.mtime() as u64
    };
    let mut raced = 0;
    for i in 0..20 {
        // Start early in a second, so both runs and both files fall within it.
        while now().subsec_millis() > 100 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let second = now().as_secs();
        write(&work.join(format!("notes/first{i}.txt")), "one\n");
        dry_run(&work, "allow");
        let late = format!("notes/late{i}.txt");
        write(&work.join(&late), "two\n");
        if dir_second() != second || now().as_secs() != second {
            continue;
        }
        raced += 1;
        let json = dry_run(&work, "allow").json;
        let sent: Vec<&str> = json["manifest"]["files"]
            .as_array()
            .expect("files")
            .iter()
            .filter_map(|f| f["path"].as_str())
            .collect();
        assert!(sent.contains(&late.as_str()), "{late} is missing: {sent:?}");
        if raced == 3 {
            break;
        }
    }
    assert!(raced > 0, "never managed two runs within one second");
}
