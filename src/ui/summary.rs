//! What people see of a handoff before it goes: the short summary, sizes in one unit scheme.

use std::fmt::Write as _;

use crate::prompt::{self, Manifest};

/// The short summary shown before confirming: repo, branch, base, files, size, left out.
pub fn summary(task: &str, m: &Manifest) -> String {
    let mut s = String::from("About to hand off:\n");
    let _ = writeln!(s, "  task        {}", prompt::default_title(task));
    if !m.in_repository {
        s.push_str("  repository  none (the task alone)\n");
        return s;
    }
    let repo = m
        .repository
        .as_ref()
        .map_or("(no hosted remote)".to_string(), |r| {
            format!("{}/{}", r.host, r.full_name)
        });
    let _ = writeln!(s, "  repository  {repo}");
    if let Some(h) = &m.head {
        let _ = writeln!(s, "  branch      {}", h.label());
    }
    if let Some(b) = &m.base {
        let base = b
            .commit
            .as_deref()
            .map_or("none (empty tree)", crate::git::short);
        let _ = writeln!(s, "  base        {base}");
    }
    let commits = if m.unpushed_commits > 0 {
        format!(", {} unpushed commits", m.unpushed_commits)
    } else {
        String::new()
    };
    let _ = writeln!(
        s,
        "  changes     {} files, +{} -{}, {} patch{commits}",
        m.files.len(),
        m.additions,
        m.deletions,
        human_bytes(m.patch_bytes),
    );
    if let Some(sec) = &m.secrets {
        let _ = writeln!(
            s,
            "  secrets     {} found: {} ({} files redacted, {} withheld)",
            sec.findings.len(),
            if sec.policy == "allow" {
                "sent as they are"
            } else {
                "redacted"
            },
            sec.redacted.len(),
            sec.withheld.len()
        );
    }
    match m.delivery {
        "attachment" => s.push_str("  patch       goes as an uploaded attachment (over the inline budget, or --via attachment)\n"),
        "inline_cut" => s.push_str("  patch       cut to the inline budget at file boundaries; the rest is listed as omitted\n"),
        _ => {}
    }
    if !m.left_out.is_empty() {
        let _ = writeln!(s, "  left out    {} paths:", m.left_out.len());
        for l in m.left_out.iter().take(5) {
            let _ = writeln!(s, "                {} ({})", l.path, l.reason);
        }
        if m.left_out.len() > 5 {
            let _ = writeln!(s, "                … and {} more", m.left_out.len() - 5);
        }
    }
    // Said once before the secrets, and again here, where the go-ahead is given.
    for w in &m.warnings {
        let _ = writeln!(s, "  warning     {}", super::clean_line(w));
    }
    s
}

/// Bytes as people read them: B, KiB, MiB.
pub fn human_bytes(n: usize) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    }
}
