#!/usr/bin/env python3
"""Writes about SIZE_MB of real source code (the crate sources cargo keeps under
~/.cargo/registry/src) as one unified diff of added files, for the scanner benchmark.

usage: make-source-patch.py OUT [SIZE_MB]
"""
import os
import sys

EXTS = (".rs", ".toml", ".md", ".c", ".h", ".py", ".js", ".json", ".yml", ".yaml", ".sh", ".txt")


def main():
    out_path = sys.argv[1]
    limit = int(sys.argv[2] if len(sys.argv) > 2 else 100) * 1024 * 1024
    src = os.path.expanduser("~/.cargo/registry/src")
    written = 0
    with open(out_path, "w", encoding="utf-8") as out:
        while written < limit:
            before = written
            for root, dirs, files in os.walk(src):
                dirs.sort()
                for name in sorted(files):
                    if not name.endswith(EXTS):
                        continue
                    path = os.path.join(root, name)
                    try:
                        with open(path, encoding="utf-8") as f:
                            lines = f.read().splitlines()
                    except (UnicodeDecodeError, OSError):
                        continue
                    if not lines:
                        continue
                    rel = os.path.relpath(path, src)
                    chunk = [f"diff --git a/{rel} b/{rel}\nnew file mode 100644\n--- /dev/null\n+++ b/{rel}\n@@ -0,0 +1,{len(lines)} @@\n"]
                    chunk.extend(f"+{l}\n" for l in lines)
                    text = "".join(chunk)
                    out.write(text)
                    written += len(text.encode("utf-8"))
                    if written >= limit:
                        return
            if written == before:
                sys.exit("no source files found under ~/.cargo/registry/src")


if __name__ == "__main__":
    main()
