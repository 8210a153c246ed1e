#!/usr/bin/env python3
"""Builds the synthetic repository the capture benchmark uses.

usage: make-big-repo.py DIR [FILES] [MODIFIED] [UNTRACKED]

FILES tracked files (default 100000) in 1000-file directories, committed and pushed to a bare
remote next to DIR; then MODIFIED of them edited (default 200) and UNTRACKED new files
(default 50) added, and the index refreshed, so the repository looks like real work in
progress with a fresh index.
"""
import os
import subprocess
import sys


def git(cwd, *args, **kw):
    subprocess.run(["git", *args], cwd=cwd, check=True, **kw)


def main():
    root = os.path.abspath(sys.argv[1])
    files = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    modified = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    untracked = int(sys.argv[4]) if len(sys.argv) > 4 else 50
    work = os.path.join(root, "work")
    remote = os.path.join(root, "remote.git")
    os.makedirs(work, exist_ok=True)
    git(root, "init", "-q", "--bare", remote)
    git(work, "init", "-q", "-b", "main")
    git(work, "config", "user.email", "bench@example.com")
    git(work, "config", "user.name", "bench")
    for i in range(files):
        d = os.path.join(work, f"pkg{i // 1000:03d}")
        if i % 1000 == 0:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"mod{i % 1000:03d}.rs"), "w") as f:
            f.write(f"// module {i}\npub fn f{i}(x: u64) -> u64 {{\n    x.wrapping_mul({i + 1})\n}}\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "synthetic tree")
    git(work, "remote", "add", "origin", remote)
    git(work, "push", "-q", "-u", "origin", "main", stderr=subprocess.DEVNULL)
    git(work, "remote", "set-url", "origin", "https://github.com/bench/big.git")
    step = max(1, files // max(1, modified))
    for n, i in enumerate(range(0, files, step)):
        if n >= modified:
            break
        p = os.path.join(work, f"pkg{i // 1000:03d}", f"mod{i % 1000:03d}.rs")
        with open(p, "a") as f:
            f.write(f"// edited {n}\npub const EDIT_{n}: u32 = {n};\n")
    for n in range(untracked):
        with open(os.path.join(work, f"pkg{n % 100:03d}", f"new{n:03d}.rs"), "w") as f:
            f.write(f"pub fn new_{n}() -> u32 {{ {n} }}\n")
    git(work, "status", "--porcelain", stdout=subprocess.DEVNULL)
    print(work)


if __name__ == "__main__":
    main()
