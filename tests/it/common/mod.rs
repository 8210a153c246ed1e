//! Shared test support: hermetic git, repository builders, the binary, and the fake API.

#![allow(dead_code)]

pub mod fake_api;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::sync::OnceLock;

use assert_cmd::Command;
use tempfile::TempDir;

pub use fake_api::{FakeApi, Fault, Recorded};

/// A secret-looking token placed in remote URLs; it must never travel or be printed.
pub const URL_TOKEN: &str = "ghp_URLTOKEN0123456789abcdefSECRET";
pub const KEY: &str = "cog_testkey_0123456789abcdef";

/// A HOME shared by all tests, whose `.gitconfig` sets only identity and branch name.
pub fn home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let dir = TempDir::new().expect("tempdir").keep();
        std::fs::write(
            dir.join(".gitconfig"),
            "[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n[protocol \"file\"]\n\tallow = always\n",
        )
        .expect("write gitconfig");
        dir
    })
}

pub fn hermetic(cmd: &mut StdCommand, home: &Path) {
    cmd.env("HOME", home)
        // No pager waits for a key in a test's terminal; the pager test sets its own.
        .env("DEVIN_HANDOFF_PAGER", "cat")
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_STATE_HOME", home.join(".state"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_CONFIG_GLOBAL")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z");
}

/// Runs git in `dir` and returns its stdout; panics with stderr on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let mut cmd = StdCommand::new("git");
    cmd.current_dir(dir).args(args);
    hermetic(&mut cmd, home());
    let out = cmd.output().expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The binary under test, with a hermetic environment and no Devin settings.
pub fn bin(dir: &Path) -> Command {
    bin_with_home(dir, home())
}

pub fn bin_with_home(dir: &Path, home: &Path) -> Command {
    let mut std = StdCommand::new(assert_cmd::cargo::cargo_bin!("devin-handoff"));
    std.current_dir(dir)
        .env_remove("DEVIN_API_KEY")
        .env_remove("DEVIN_ORG_ID")
        .env_remove("DEVIN_API_URL")
        .env_remove("DEVIN_USER_ID")
        .env("NO_COLOR", "1");
    hermetic(&mut std, home);
    let mut cmd = Command::from_std(std);
    cmd.timeout(std::time::Duration::from_secs(60));
    cmd
}

/// The binary pointed at a fake API with a valid key and org.
pub fn bin_api(dir: &Path, api: &FakeApi) -> Command {
    let mut cmd = bin(dir);
    cmd.env("DEVIN_API_KEY", KEY)
        .env("DEVIN_ORG_ID", &api.org)
        .env("DEVIN_API_URL", api.url());
    cmd
}

/// Runs the binary against `api` in `dir` and waits for it (bin_api's 60 s limit applies).
pub fn run_api(api: &FakeApi, dir: &Path, args: &[&str]) -> std::process::Output {
    checked(bin_api(dir, api).args(args).output().expect("run"))
}

/// What every run must hold, whatever the test: the key appears in no output, and with
/// `NO_COLOR` (as the helpers set it) no output holds an ESC byte at all.
pub fn checked(out: std::process::Output) -> std::process::Output {
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains(KEY), "the key is in {name}: {text}");
        assert!(!bytes.contains(&0x1b), "an ESC byte in {name}: {text}");
    }
    out
}

pub fn write(path: &Path, content: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, content).expect("write");
}

/// A bare "remote" and a working clone of it, with one pushed commit; origin's URL is then
/// rewritten to a hosted form carrying a token, as a user's might.
pub struct Fixture {
    pub root: TempDir,
    pub remote: PathBuf,
    pub work: PathBuf,
}

impl Fixture {
    pub fn new() -> Fixture {
        let root = TempDir::new().expect("tempdir");
        let remote = root.path().join("remote.git");
        let work = root.path().join("work");
        git(root.path(), &["init", "-q", "--bare", "remote.git"]);
        git(
            root.path(),
            &["clone", "-q", remote.to_str().expect("utf8"), "work"],
        );
        write(&work.join("README.md"), "# widget\n\nA widget.\n");
        write(
            &work.join("src/lib.rs"),
            "pub fn one() -> u32 {\n    1\n}\n",
        );
        write(
            &work.join("src/old_name.rs"),
            "// will be renamed\npub fn renamed() {}\n// with enough lines\n// to be found\n",
        );
        write(&work.join("doomed.txt"), "this file will be deleted\n");
        write(&work.join("script.sh"), "#!/bin/sh\necho hi\n");
        write(&work.join("logo.bin"), [0u8, 1, 2, 3, 255, 254, 0, 7]);
        write(&work.join(".gitignore"), "*.log\ntarget/\n");
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", "initial"]);
        git(&work, &["push", "-q", "origin", "main"]);
        git(
            &work,
            &[
                "remote",
                "set-url",
                "origin",
                &format!("https://x-access-token:{URL_TOKEN}@github.com/acme/widget.git"),
            ],
        );
        Fixture { root, remote, work }
    }

    pub fn head(&self) -> String {
        git(&self.work, &["rev-parse", "HEAD"]).trim().to_string()
    }

    /// Clones the remote afresh, checks out `base`, applies `patch`, and returns the tree.
    pub fn replay(&self, base: &str, patch: &str) -> PathBuf {
        let dest = self.root.path().join(format!("replay-{}", rand_suffix()));
        git(
            self.root.path(),
            &[
                "clone",
                "-q",
                self.remote.to_str().expect("utf8"),
                dest.to_str().expect("utf8"),
            ],
        );
        git(&dest, &["checkout", "-q", "--detach", base]);
        let patch_file = self
            .root
            .path()
            .join(format!("handoff-{}.patch", rand_suffix()));
        std::fs::write(&patch_file, patch).expect("write patch");
        git(&dest, &["apply", patch_file.to_str().expect("utf8")]);
        dest
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// The patch inside the prompt's fenced `diff` block.
pub fn extract_patch(prompt: &str) -> String {
    let start = prompt
        .find("\n### Patch\n\n")
        .expect("prompt has a Patch section")
        + 12;
    let rest = &prompt[start..];
    let fence_len = rest.bytes().take_while(|b| *b == b'`').count();
    assert!(fence_len >= 3, "patch fence");
    let fence = &rest[..fence_len];
    let header_end = rest.find('\n').expect("fence line");
    assert_eq!(&rest[fence_len..header_end], "diff", "fence info string");
    let body = &rest[header_end + 1..];
    let close = format!("\n{fence}\n");
    let end = body.find(&close).expect("closing fence");
    body[..end + 1].to_string()
}

#[derive(Debug, PartialEq, Eq)]
pub enum Entry {
    File { bytes: Vec<u8>, exec: bool },
    Link(PathBuf),
}

/// Every file and symlink under `dir` except `.git`, with content and exec bit.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Entry> {
    use std::os::unix::fs::PermissionsExt;
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Entry>) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let e = e.expect("entry");
            let p = e.path();
            let rel = p
                .strip_prefix(root)
                .expect("prefix")
                .to_string_lossy()
                .into_owned();
            if rel == ".git" {
                continue;
            }
            let meta = std::fs::symlink_metadata(&p).expect("meta");
            if meta.file_type().is_symlink() {
                out.insert(rel, Entry::Link(std::fs::read_link(&p).expect("readlink")));
            } else if meta.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(
                    rel,
                    Entry::File {
                        bytes: std::fs::read(&p).expect("read"),
                        exec: meta.permissions().mode() & 0o111 != 0,
                    },
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

pub fn assert_same_tree(expected: &Path, actual: &Path, ignore: &[&str]) {
    let mut a = snapshot(expected);
    for i in ignore {
        a.remove(*i);
    }
    let b = snapshot(actual);
    let a_keys: Vec<_> = a.keys().collect();
    let b_keys: Vec<_> = b.keys().collect();
    assert_eq!(a_keys, b_keys, "same paths");
    for (k, v) in &a {
        assert_eq!(Some(v), b.get(k), "content of {k}");
    }
}

/// Parses stdout as the one JSON document a `--json` run prints.
pub fn stdout_json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Random-looking values in providers' shapes, made at run time so that the tests hold no
/// real (or copied) secrets. Deterministic per seed; one generator with the unit tests.
pub use devin_handoff::testkit::{Gen, B62};

/// A run's stderr, as text.
pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A run's stdout, as text.
pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `devin-handoff ARGS` in a real pseudo-terminal, in `dir`, pointed at `api`, with `NO_COLOR`.
pub fn pty_api(dir: &Path, api: &FakeApi, args: &[&str]) -> rexpect::session::PtySession {
    let mut cmd = StdCommand::new(assert_cmd::cargo::cargo_bin!("devin-handoff"));
    hermetic(&mut cmd, home());
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("DEVIN_API_KEY", KEY)
        .env("DEVIN_ORG_ID", &api.org)
        .env("DEVIN_API_URL", api.url())
        .args(args);
    rexpect::session::spawn_command(cmd, Some(20_000)).expect("spawn in a pty")
}

/// As [`pty_api`] in a terminal `cols` columns wide (set with `stty` on the pty before the
/// binary starts, as a resized window would).
pub fn pty_api_cols(
    dir: &Path,
    api: &FakeApi,
    cols: u16,
    env: &[(&str, &str)],
    args: &[&str],
) -> rexpect::session::PtySession {
    let mut cmd = StdCommand::new("sh");
    hermetic(&mut cmd, home());
    cmd.current_dir(dir)
        .env("DEVIN_API_KEY", KEY)
        .env("DEVIN_ORG_ID", &api.org)
        .env("DEVIN_API_URL", api.url())
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .arg("-c")
        .arg(format!("stty cols {cols} rows 40 && exec \"$0\" \"$@\""))
        .arg(assert_cmd::cargo::cargo_bin!("devin-handoff"))
        .args(args);
    // An empty value unsets the variable.
    for (k, v) in env {
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    rexpect::session::spawn_command(cmd, Some(20_000)).expect("spawn in a pty")
}

/// `devin-handoff "please continue"` in a real pseudo-terminal, pointed at `api`.
pub fn pty_handoff(dir: &Path, api: &FakeApi) -> rexpect::session::PtySession {
    pty_handoff_with(dir, api, &[])
}

/// As [`pty_handoff`], with `flags` before the task.
pub fn pty_handoff_with(dir: &Path, api: &FakeApi, flags: &[&str]) -> rexpect::session::PtySession {
    let mut cmd = StdCommand::new(assert_cmd::cargo::cargo_bin!("devin-handoff"));
    cmd.current_dir(dir)
        .env("HOME", home())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .env("DEVIN_API_KEY", KEY)
        .env("DEVIN_ORG_ID", &api.org)
        .env("DEVIN_API_URL", api.url())
        .args(flags)
        .arg("please continue");
    rexpect::session::spawn_command(cmd, Some(30_000)).expect("spawn in a pty")
}

/// A dry run's output, parsed: what a handoff from `work` would send.
pub struct DryRun {
    pub json: serde_json::Value,
    pub prompt: String,
    /// The base commit the prompt names (empty when the branch has no commit yet).
    pub base: String,
    /// The inline patch (empty when there are no changes).
    pub patch: String,
}

/// `create --dry-run --json --via inline --secrets POLICY` in `work`, which must succeed.
pub fn dry_run(work: &Path, policy: &str) -> DryRun {
    let out = dry_run_output(work, policy, &[]);
    assert!(
        out.status.success(),
        "dry run failed in {}: {}",
        work.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    parse_dry_run(stdout_json(&out))
}

/// `create --dry-run --json --via inline --secrets POLICY EXTRA… "go on"` in `work`, as run.
pub fn dry_run_output(work: &Path, policy: &str, extra: &[&str]) -> std::process::Output {
    checked(
        bin(work)
            .args([
                "create",
                "--dry-run",
                "--json",
                "--via",
                "inline",
                "--secrets",
                policy,
            ])
            .args(extra)
            .arg("go on")
            .output()
            .expect("run"),
    )
}

/// Parses a dry run's JSON: prompt, base and inline patch.
pub fn parse_dry_run(json: serde_json::Value) -> DryRun {
    let prompt = json["request"]["prompt"]
        .as_str()
        .expect("prompt")
        .to_string();
    let base = prompt
        .lines()
        .find_map(|l| l.strip_prefix("- Base commit: `"))
        .and_then(|l| l.split('`').next())
        .unwrap_or_default()
        .to_string();
    let patch = if prompt.contains("\n### Patch\n") {
        extract_patch(&prompt)
    } else {
        String::new()
    };
    DryRun {
        json,
        prompt,
        base,
        patch,
    }
}

/// A HOME like the shared one, with `config` as the tool's config file at `mode`.
pub fn home_with_config(config: &str, mode: u32) -> tempfile::TempDir {
    let dir = tempfile::TempDir::new().expect("tempdir");
    std::fs::copy(home().join(".gitconfig"), dir.path().join(".gitconfig")).expect("gitconfig");
    let path = dir.path().join(".config/devin-handoff/config.toml");
    write(&path, config);
    let perms = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(mode);
    std::fs::set_permissions(&path, perms).expect("chmod");
    dir
}

/// `PATH` with the built binaries' folder first, so that `git handoff` and shell scripts
/// find them.
pub fn path_with_bins() -> String {
    let bin_dir = assert_cmd::cargo::cargo_bin!("devin-handoff")
        .parent()
        .expect("dir")
        .to_path_buf();
    format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// A file of `fixtures/hooks` (hook events and transcripts, see its README).
pub fn hook_fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/hooks")
            .join(name),
    )
    .expect("fixture")
}
