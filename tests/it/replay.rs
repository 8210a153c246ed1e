//! The receiving side: the prompt's steps, run by bash in a fresh clone with the uploads
//! saved where the prompt says, rebuild the local state, and their last line proves it.

use std::path::{Path, PathBuf};

use crate::common::*;

/// Hands `work` off against a fake API with `flags`, then runs the prompt's steps in a fresh
/// clone of `remote`. Returns the clone and the steps' outcome (success, stdout+stderr).
fn replay_steps(
    work: &Path,
    remote: &Path,
    flags: &[&str],
) -> (tempfile::TempDir, PathBuf, String, bool, String) {
    let api = FakeApi::start();
    let mut args = vec!["--yes"];
    args.extend(flags);
    args.push("go on");
    let out = run_api(&api, work, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let prompt = api.create_requests()[0].json()["prompt"]
        .as_str()
        .expect("prompt")
        .to_string();
    let dest = tempfile::TempDir::new().expect("tempdir");
    git(
        dest.path(),
        &["clone", "-q", remote.to_str().expect("utf8"), "replay"],
    );
    let clone = dest.path().join("replay");
    let at = |n: &str| clone.join(git(&clone, &["rev-parse", "--git-path", n]).trim());
    for u in api.uploads() {
        std::fs::write(at(&u.file_name), &u.bytes).expect("save upload");
    }
    if prompt.contains("### Patch") {
        std::fs::write(at("handoff.patch"), extract_patch(&prompt)).expect("save patch");
    }
    let (ok, text) = run_steps(&clone, &steps(&prompt));
    (dest, clone, prompt, ok, text)
}

/// The prompt's one ```sh block.
fn steps(prompt: &str) -> String {
    let start = prompt.find("```sh\n").expect("steps") + 6;
    prompt[start..start + prompt[start..].find("```").expect("end")].to_string()
}

/// Steps run line by line as an agent would (each line alone, in its own shell).
fn run_steps(clone: &Path, steps: &str) -> (bool, String) {
    let mut text = String::new();
    for line in steps.lines().filter(|l| !l.trim().is_empty()) {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(line)
            .current_dir(clone)
            .env("HOME", home())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("bash");
        text.push_str(&String::from_utf8_lossy(&out.stdout));
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        if !out.status.success() {
            return (false, text);
        }
    }
    (true, text)
}

/// Every carrier ends with the check, and the check passes on an exact replay of the usual
/// shapes: edits, new and deleted files, a rename, a mode change, a symlink, a binary.
#[cfg(unix)]
#[test]
fn the_steps_end_with_a_check_that_passes_on_every_carrier() {
    for flags in [&[][..], &["--via", "attachment"][..], &["--history"][..]] {
        let fx = Fixture::new();
        let w = &fx.work;
        git(w, &["checkout", "-q", "-b", "work"]);
        write(&w.join("committed.txt"), "an unpushed commit\n");
        git(w, &["add", "-A"]);
        git(w, &["commit", "-q", "-m", "local"]);
        write(&w.join("src/lib.rs"), "pub fn one() -> u32 {\n    11\n}\n");
        write(&w.join("new.txt"), "untracked\n");
        std::fs::remove_file(w.join("doomed.txt")).expect("rm");
        git(w, &["mv", "src/old_name.rs", "src/new_name.rs"]);
        std::os::unix::fs::symlink("README.md", w.join("link")).expect("symlink");
        let mut perms = std::fs::metadata(w.join("script.sh"))
            .expect("stat")
            .permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(w.join("script.sh"), perms.clone()).expect("chmod");
        write(&w.join("logo.bin"), [9u8, 0, 1, 2, 255, 0, 3]);
        let (_dest, clone, prompt, ok, text) = replay_steps(w, &fx.remote, flags);
        assert!(ok, "{flags:?}: {text}");
        assert!(
            text.contains("verified: the working tree is the handed-off state"),
            "{flags:?}: {text}"
        );
        assert_same_tree(w, &clone, &[]);

        // The check changes nothing: it passes again.
        let steps = steps(&prompt);
        let check = steps
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .expect("check");
        assert!(
            run_steps(&clone, check).0,
            "{flags:?}: the check is repeatable"
        );
        // One changed byte, an extra file, a mode: the check fails and names each.
        write(&clone.join("new.txt"), "untracked!\n");
        write(&clone.join("extra.txt"), "not handed off\n");
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o644);
        std::fs::set_permissions(clone.join("script.sh"), perms.clone()).expect("chmod");
        let (ok, text) = run_steps(&clone, check);
        assert!(!ok, "{flags:?}: the check passed on a changed tree");
        for path in ["new.txt", "extra.txt", "script.sh"] {
            assert!(text.contains(path), "{flags:?}: {path} not named: {text}");
        }
    }
}
