//! The secret corpus (`fixtures/secrets/corpus.jsonl`, made by `generate.py` beside it from
//! providers' documented token formats written into real file syntaxes): recall by rule, and
//! false positives. `cargo test corpus -- --nocapture` prints the figures and every miss.

use std::collections::{BTreeMap, BTreeSet};

use devin_handoff::scan::Scanner;

/// A case as the patch of a newly added file, as a handoff would scan it.
fn as_patch(file: &str, content: &str) -> String {
    let lines: Vec<&str> = content.lines().collect();
    let mut p = format!(
        "diff --git a/{file} b/{file}\nnew file mode 100644\n--- /dev/null\n+++ b/{file}\n@@ -0,0 +1,{} @@\n",
        lines.len()
    );
    for l in lines {
        p.push('+');
        p.push_str(l);
        p.push('\n');
    }
    p
}

#[test]
fn corpus_recall_by_rule_and_false_positives() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/secrets/corpus.jsonl");
    let text = std::fs::read_to_string(path).expect("corpus");
    let scanner = Scanner::new();
    let (mut pos, mut found, mut neg, mut false_pos) = (0u32, 0u32, 0u32, 0u32);
    let mut missed = Vec::new();
    let mut alarms = Vec::new();
    let mut rules = BTreeSet::new();
    let mut langs = BTreeSet::new();
    let mut per_rule: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for line in text.lines() {
        let case: serde_json::Value = serde_json::from_str(line).expect("case");
        let file = case["file"].as_str().expect("file");
        let content = case["content"].as_str().expect("content");
        langs.insert(case["lang"].as_str().expect("lang").to_string());
        let findings = scanner.scan_file_patch(&as_patch(file, content), Default::default());
        if case["secret"].as_bool().expect("secret") {
            let rule = case["rule"].as_str().expect("rule");
            rules.insert(rule.to_string());
            pos += 1;
            let entry = per_rule.entry(rule.to_string()).or_default();
            entry.0 += 1;
            // Content findings only, and by the rule the case names: a positive must be
            // found for what it is, not by its file's name or by a catch-all.
            if findings.iter().any(|f| f.line.is_some() && f.rule == rule) {
                found += 1;
                entry.1 += 1;
            } else {
                let got: Vec<_> = findings.iter().map(|f| f.rule).collect();
                missed.push(format!("{} {} {rule} (got {got:?})", case["id"], file));
            }
        } else {
            neg += 1;
            if !findings.is_empty() {
                false_pos += 1;
                alarms.push(format!(
                    "{} {} ({}) {:?}",
                    case["id"],
                    file,
                    case["doc"],
                    findings.iter().map(|f| f.rule).collect::<Vec<_>>()
                ));
            }
        }
    }
    let recall = f64::from(found) / f64::from(pos);
    let fp_rate = f64::from(false_pos) / f64::from(neg);
    println!(
        "corpus: {pos} positives over {} rules, {neg} negatives, {} languages and formats; \
         recall {:.1}% ({found}/{pos}); false positives {:.1}% ({false_pos}/{neg})",
        rules.len(),
        langs.len(),
        recall * 100.0,
        fp_rate * 100.0
    );
    for m in &missed {
        println!("  missed: {m}");
    }
    for a in &alarms {
        println!("  false alarm: {a}");
    }
    assert!(pos >= 400, "at least 400 positives, not {pos}");
    assert!(
        rules.len() >= 120,
        "at least 120 rules, not {}",
        rules.len()
    );
    assert!(neg >= 200, "at least 200 negatives, not {neg}");
    assert!(langs.len() >= 12, "at least 12 languages and formats");
    assert!(recall >= 0.97, "recall {recall:.3} below 97%: {missed:#?}");
    assert!(
        fp_rate <= 0.01,
        "false positives {fp_rate:.3} above 1%: {alarms:#?}"
    );
}
