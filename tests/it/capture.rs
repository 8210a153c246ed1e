//! Capture: the patch sent reproduces the working tree exactly, whatever the repo holds.

use std::os::unix::fs::PermissionsExt;

use crate::common::*;

/// Runs a real handoff against the fake API and returns the one create request's body.
fn handoff_body(dir: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let api = FakeApi::start();
    let mut cmd = bin_api(dir, &api);
    // The patch carrier, asked for explicitly: these tests replay its patch.
    cmd.args(["create", "--yes", "--json", "--via", "inline"])
        .args(extra)
        .arg("continue the refactor");
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "handoff failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reqs = api.create_requests();
    assert_eq!(reqs.len(), 1, "exactly one create");
    assert_eq!(api.sessions_created(), 1);
    reqs[0].json()
}

fn base_of(body: &serde_json::Value) -> String {
    let prompt = body["prompt"].as_str().expect("prompt");
    let line = prompt
        .lines()
        .find(|l| l.starts_with("- Base commit: `"))
        .expect("base line");
    line["- Base commit: `".len()..]
        .split('`')
        .next()
        .expect("sha")
        .to_string()
}

/// Builds every kind of change the acceptance list names, in one working tree.
pub(crate) fn make_every_change(fx: &Fixture) {
    let w = &fx.work;
    // An unpushed commit.
    write(
        &w.join("src/lib.rs"),
        "pub fn one() -> u32 {\n    1\n}\n\npub fn two() -> u32 {\n    2\n}\n",
    );
    git(w, &["commit", "-q", "-am", "add two"]);
    // A staged edit, then an unstaged edit on top of it in the same file, and another file.
    write(&w.join("README.md"), "# widget\n\nA widget, staged.\n");
    git(w, &["add", "README.md"]);
    write(
        &w.join("README.md"),
        "# widget\n\nA widget, staged and then edited.\n",
    );
    write(
        &w.join("src/new_staged.rs"),
        "pub const STAGED: bool = true;\n",
    );
    git(w, &["add", "src/new_staged.rs"]);
    // A rename (staged) and a deletion (unstaged).
    git(w, &["mv", "src/old_name.rs", "src/new_name.rs"]);
    std::fs::remove_file(w.join("doomed.txt")).expect("rm");
    // An exec-bit change, a symlink, a small binary change.
    let script = w.join("script.sh");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::os::unix::fs::symlink("src/lib.rs", w.join("lib-link")).expect("symlink");
    write(&w.join("logo.bin"), [0u8, 1, 2, 3, 255, 254, 0, 8, 9, 10]);
    // Untracked files: one with spaces, one with a non-ASCII name, one in a new directory.
    write(&w.join("notes with spaces.md"), "some notes\n");
    write(&w.join("résumé-ünïcode.txt"), "non-ASCII name\n");
    write(&w.join("newdir/deep/file.txt"), "deep\n");
    // An ignored file, which must not travel.
    write(&w.join("debug.log"), "ignored, must not travel\n");
    // A file without a trailing newline, and one holding backtick fences.
    write(&w.join("no-newline.txt"), "last line has no newline");
    write(
        &w.join("docs/fences.md"),
        "Example:\n\n```diff\n+not a real patch\n```\n\n````\nfour\n````\n ```\nindented fence\n",
    );
}

#[test]
fn replay_reproduces_the_working_tree_exactly() {
    let fx = Fixture::new();
    make_every_change(&fx);
    let body = handoff_body(&fx.work, &[]);
    let prompt = body["prompt"].as_str().expect("prompt");
    let patch = extract_patch(prompt);
    assert!(!patch.contains("debug.log"), "ignored file must not travel");
    let base = base_of(&body);
    let pushed = git(&fx.remote, &["rev-parse", "main"]).trim().to_string();
    assert_eq!(base, pushed, "base is the newest commit the remote has");
    let replayed = fx.replay(&base, &patch);
    assert_same_tree(&fx.work, &replayed, &["debug.log"]);
    assert!(!replayed.join("debug.log").exists());
    assert!(prompt.contains("Unpushed commits: 1"));
}

#[test]
fn capture_ignores_the_users_git_config() {
    let fx = Fixture::new();
    make_every_change(&fx);
    // A hostile HOME: no prefixes, colour forced, an external diff, renames off, a tiny limit.
    let hostile = tempfile::TempDir::new().expect("tempdir");
    write(
        &hostile.path().join(".gitconfig"),
        "[user]\n\tname = H\n\temail = h@example.com\n[diff]\n\tnoprefix = true\n\tmnemonicPrefix = true\n\texternal = /bin/false\n\trenames = false\n\trenameLimit = 1\n\tcontext = 0\n[color]\n\tui = always\n\tdiff = always\n[core]\n\tquotePath = false\n\tpager = /bin/false\n",
    );
    let api = FakeApi::start();
    let out = bin_with_home(&fx.work, hostile.path())
        .env("DEVIN_API_KEY", KEY)
        .env("DEVIN_ORG_ID", &api.org)
        .env("DEVIN_API_URL", api.url())
        .args(["--yes", "--json", "--via", "inline", "hand this over"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body = api.create_requests()[0].json();
    let patch = extract_patch(body["prompt"].as_str().expect("prompt"));
    assert!(
        patch.contains("diff --git a/README.md b/README.md"),
        "a/ b/ prefixes"
    );
    assert!(!patch.contains('\u{1b}'), "no colour codes");
    assert!(
        patch.contains("rename from src/old_name.rs"),
        "renames detected"
    );
    let replayed = fx.replay(&base_of(&body), &patch);
    assert_same_tree(&fx.work, &replayed, &["debug.log"]);
}

#[test]
fn no_untracked_and_exclude_leave_paths_out() {
    let fx = Fixture::new();
    make_every_change(&fx);
    let body = handoff_body(
        &fx.work,
        &[
            "--no-untracked",
            "--exclude",
            "docs/**",
            "--exclude",
            "*.bin",
        ],
    );
    let prompt = body["prompt"].as_str().expect("prompt");
    let patch = extract_patch(prompt);
    assert!(!patch.contains("notes with spaces.md"));
    assert!(!patch.contains("newdir/deep"));
    assert!(!patch.contains("logo.bin"));
    assert!(patch.contains("README.md"));
    assert!(prompt.contains("- `logo.bin`: excluded by --exclude"));
    // Staged new files are not untracked: they still travel.
    assert!(patch.contains("src/new_staged.rs"));
}

#[test]
fn oversized_binaries_are_listed_as_left_out() {
    let fx = Fixture::new();
    let mut big = vec![0u8; 2 * 1024 * 1024];
    big[1] = 7;
    write(&fx.work.join("assets/huge.dat"), &big);
    write(&fx.work.join("small.txt"), "small\n");
    let body = handoff_body(&fx.work, &[]);
    let prompt = body["prompt"].as_str().expect("prompt");
    assert!(prompt.contains("- `assets/huge.dat`: binary file of 2097152 bytes"));
    let patch = extract_patch(prompt);
    assert!(!patch.contains("huge.dat"));
    let replayed = fx.replay(&base_of(&body), &patch);
    assert_same_tree(&fx.work, &replayed, &["assets/huge.dat"]);
}

#[test]
fn non_utf8_text_travels_as_a_binary_patch() {
    let fx = Fixture::new();
    write(&fx.work.join("latin1.txt"), b"caf\xe9 au lait\n".as_slice());
    write(
        &fx.work.join("README.md"),
        b"# widget\n\nA widget \xff.\n".as_slice(),
    );
    let body = handoff_body(&fx.work, &[]);
    let patch = extract_patch(body["prompt"].as_str().expect("prompt"));
    assert!(patch.contains("GIT binary patch"));
    let replayed = fx.replay(&base_of(&body), &patch);
    assert_same_tree(&fx.work, &replayed, &[]);
}

#[test]
fn works_from_a_subdirectory_and_a_worktree() {
    let fx = Fixture::new();
    write(
        &fx.work.join("src/lib.rs"),
        "pub fn one() -> u32 {\n    11\n}\n",
    );
    let body = handoff_body(&fx.work.join("src"), &[]);
    assert!(extract_patch(body["prompt"].as_str().expect("prompt")).contains("+    11"));

    let wt = fx.root.path().join("wt");
    git(
        &fx.work,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "feature/wt",
            wt.to_str().expect("utf8"),
        ],
    );
    write(&wt.join("wt-only.txt"), "from the worktree\n");
    let body = handoff_body(&wt, &[]);
    let prompt = body["prompt"].as_str().expect("prompt");
    assert!(prompt.contains("- Branch: `feature/wt`"));
    let patch = extract_patch(prompt);
    assert!(patch.contains("wt-only.txt"));
    let replayed = fx.replay(&base_of(&body), &patch);
    assert_same_tree(&wt, &replayed, &[]);
}

/// The fast path and libgit2's full diff must capture the same thing.
fn assert_fast_equals_full(dir: &std::path::Path) {
    use devin_handoff::git::{capture, CaptureOptions};
    let fast = capture(dir, &CaptureOptions::default())
        .expect("fast capture")
        .expect("a repository");
    let full = capture(
        dir,
        &CaptureOptions {
            full_scan: true,
            ..CaptureOptions::default()
        },
    )
    .expect("full capture")
    .expect("a repository");
    assert_eq!(fast.changes.patch(), full.changes.patch(), "same patch");
    let kinds = |s: &devin_handoff::git::RepoState| {
        s.changes
            .files
            .iter()
            .map(|f| (f.path.clone(), f.kind, f.binary))
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(&fast), kinds(&full), "same files and kinds");
    let mut a = fast.changes.left_out.clone();
    let mut b = full.changes.left_out.clone();
    a.sort_by(|x, y| x.path.cmp(&y.path));
    b.sort_by(|x, y| x.path.cmp(&y.path));
    assert_eq!(a, b, "same left out");
}

#[test]
fn fast_capture_agrees_with_the_full_diff() {
    let fx = Fixture::new();
    make_every_change(&fx);
    assert_fast_equals_full(&fx.work);

    // Ignored directories, a nested repository, a removed directory, an oversized binary,
    // non-UTF-8 text, and a deletion staged while the file is still on disk.
    let w = &fx.work;
    write(&w.join("target/debug/out.bin"), "ignored build output\n");
    git(w, &["init", "-q", "vendored-repo"]);
    write(&w.join("vendored-repo/x.txt"), "nested\n");
    let mut big = vec![0u8; 1024 * 1024 + 10];
    big[3] = 1;
    write(&w.join("big.bin"), &big);
    write(&w.join("latin1.txt"), b"caf\xe9\n".as_slice());
    std::fs::remove_dir_all(w.join("src")).expect("rm src");
    assert_fast_equals_full(w);
}

#[test]
fn a_staged_deletion_of_a_file_still_on_disk_replays_exactly() {
    // `git rm --cached`: the file is deleted in the index but still in the working tree, so the
    // working tree (what the cloud must reproduce) still has it. libgit2's own workdir diff
    // reports it as deleted; the fast path gets it right.
    let fx = Fixture::new();
    git(&fx.work, &["rm", "-q", "--cached", "script.sh"]);
    write(&fx.work.join("README.md"), "changed\n");
    let body = handoff_body(&fx.work, &[]);
    let patch = extract_patch(body["prompt"].as_str().expect("prompt"));
    let replayed = fx.replay(&base_of(&body), &patch);
    assert_same_tree(&fx.work, &replayed, &[]);
}

#[test]
fn fast_capture_agrees_on_unborn_and_attribute_repos() {
    let dir = tempfile::TempDir::new().expect("tempdir");
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(&d.join("a.txt"), "a\n");
    git(d, &["add", "a.txt"]);
    write(&d.join("b.txt"), "b\n");
    assert_fast_equals_full(d);

    // Line-ending attributes: the fast path steps aside and both agree.
    write(&d.join(".gitattributes"), "*.txt text=auto eol=lf\n");
    write(&d.join("crlf.txt"), "one\r\ntwo\r\n");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "attrs"]);
    write(&d.join("crlf.txt"), "one\r\ntwo\r\nthree\r\n");
    assert_fast_equals_full(d);

    // A tracked file replaced by a directory.
    std::fs::remove_file(d.join("a.txt")).expect("rm");
    write(&d.join("a.txt/inside.txt"), "now a directory\n");
    assert_fast_equals_full(d);
}

#[test]
fn the_untracked_cache_never_hides_a_change() {
    let fx = Fixture::new();
    let w = &fx.work;
    write(&w.join("src/first.txt"), "untracked\n");
    assert_fast_equals_full(w);
    assert!(
        w.join(".git/devin-handoff/untracked-cache").exists(),
        "the cache is written"
    );

    // Each step changes what is untracked; every capture after it must see the change.
    write(&w.join("src/second.txt"), "another\n");
    assert_fast_equals_full(w);
    git(w, &["add", "src/second.txt"]);
    assert_fast_equals_full(w);
    std::fs::remove_file(w.join("src/first.txt")).expect("rm");
    assert_fast_equals_full(w);
    write(&w.join("newdir/inner/file.txt"), "deep\n");
    assert_fast_equals_full(w);
    write(&w.join("newdir/inner/more.txt"), "deeper\n");
    assert_fast_equals_full(w);
    write(&w.join(".gitignore"), "*.log\ntarget/\nnewdir/\n");
    assert_fast_equals_full(w);

    // A damaged cache is ignored.
    write(&w.join(".git/devin-handoff/untracked-cache"), "garbage\n");
    assert_fast_equals_full(w);

    // A file that stops being tracked while staying on disk (the directory is unchanged).
    git(w, &["rm", "-q", "--cached", "src/lib.rs"]);
    let body = handoff_body(w, &[]);
    let patch = extract_patch(body["prompt"].as_str().expect("prompt"));
    let replayed = fx.replay(&base_of(&body), &patch);
    assert_same_tree(
        w,
        &replayed,
        &["newdir/inner/file.txt", "newdir/inner/more.txt"],
    );
}
