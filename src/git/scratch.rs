//! A throwaway index and object store layered over the repository's, where git itself
//! builds trees: what git records is the definition of the local state, and nothing is
//! written to the repository.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use git2::Repository;

use crate::error::{Error, Result};

pub(crate) struct Scratch {
    dir: tempfile::TempDir,
    git_dir: PathBuf,
    /// The repository's own object directory, read through as an alternate.
    objects: PathBuf,
    workdir: PathBuf,
}

impl Scratch {
    /// An empty scratch store and index for `repo`, whose working tree is `workdir`.
    pub fn new(repo: &Repository, workdir: &Path) -> Result<Scratch> {
        let dir = tempfile::Builder::new()
            .prefix("handoff-objects")
            .tempdir()?;
        std::fs::create_dir_all(dir.path().join("objects"))?;
        Ok(Scratch {
            dir,
            git_dir: repo.path().to_path_buf(),
            objects: repo.commondir().join("objects"),
            workdir: workdir.to_path_buf(),
        })
    }

    /// The scratch object directory (new objects only; the repository's are an alternate).
    pub fn objects(&self) -> PathBuf {
        self.dir.path().join("objects")
    }

    /// The scratch index file.
    pub fn index(&self) -> PathBuf {
        self.file("index")
    }

    /// A file of the caller's in the scratch folder (removed with it).
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts from a copy of the repository's index, so that git's stat cache spares it
    /// rehashing unchanged files.
    pub fn copy_index(&self) -> Result<()> {
        let from = self.git_dir.join("index");
        if from.exists() {
            std::fs::copy(&from, self.index())?;
            // git tells a racily clean entry (a file changed within the same clock tick as
            // the index was written) by the index file's time: the copy keeps it, or such
            // an edit would pass for clean.
            let when = std::fs::metadata(&from)?.modified()?;
            std::fs::File::options()
                .write(true)
                .open(self.index())?
                .set_modified(when)?;
        }
        Ok(())
    }

    /// Runs git against the scratch index and store; returns its stdout.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Vec<u8>> {
        stdout_of(args, self.command(args).output()?)
    }

    /// Runs git with `input` on its stdin; returns its stdout.
    pub fn run_input<S: AsRef<OsStr>>(&self, args: &[S], input: &[u8]) -> Result<Vec<u8>> {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()?;
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| Error::other("internal: git's input was not piped"))?;
        let data = input.to_vec();
        // A writer thread: git may fill its stdout before it has read all of its input.
        let writer = std::thread::spawn(move || stdin.write_all(&data));
        let out = child.wait_with_output()?;
        let _ = writer.join();
        stdout_of(args, out)
    }

    /// Runs git and returns whether it succeeded, and its stderr, for the caller to read.
    pub fn run_lenient<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<(bool, String)> {
        let out = self.command(args).output()?;
        Ok((
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> std::process::Command {
        let mut cmd = std::process::Command::new("git");
        cmd.current_dir(&self.workdir)
            .env("GIT_DIR", &self.git_dir)
            .env("GIT_WORK_TREE", &self.workdir)
            .env("GIT_INDEX_FILE", self.index())
            .env("GIT_OBJECT_DIRECTORY", self.objects())
            .env("GIT_ALTERNATE_OBJECT_DIRECTORIES", &self.objects)
            .env_remove("GIT_NAMESPACE")
            // No lock or cache of the repository's is touched, and the scratch index is
            // written whole: a split index would put its shared part in the repository.
            .args([
                "--no-optional-locks",
                "-c",
                "core.splitIndex=false",
                "-c",
                "core.fsmonitor=false",
                "-c",
                "core.untrackedCache=false",
                // Throwaway objects and index: stored uncompressed and without the index's
                // trailing checksum, since they are read once, here, and never kept.
                "-c",
                "core.looseCompression=0",
                "-c",
                "index.skipHash=true",
                "-c",
                "advice.addEmbeddedRepo=false",
                "-c",
                "advice.addIgnoredFile=false",
            ])
            .args(args);
        cmd
    }

    /// Runs git and returns its trimmed stdout as text.
    pub fn text<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<String> {
        Ok(String::from_utf8_lossy(&self.run(args)?).trim().to_string())
    }
}

/// git's stdout when it succeeded; else an error naming the command and what git said.
fn stdout_of<S: AsRef<OsStr>>(args: &[S], out: std::process::Output) -> Result<Vec<u8>> {
    if !out.status.success() {
        let shown: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy()).collect();
        return Err(Error::other(format!(
            "git {} failed: {}",
            shown.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}
