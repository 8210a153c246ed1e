//! The secret corpus (`fixtures/secrets/corpus.jsonl`): recall and false positives, reported.
//! Run with `cargo test corpus -- --nocapture` to see the figures.

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
fn corpus_recall_and_false_positives() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/secrets/corpus.jsonl");
    let text = std::fs::read_to_string(path).expect("corpus");
    let scanner = Scanner::new();
    let (mut pos, mut found, mut neg, mut false_pos) = (0, 0, 0, 0);
    let mut missed = Vec::new();
    let mut alarms = Vec::new();
    let mut types = std::collections::BTreeSet::new();
    for line in text.lines() {
        let case: serde_json::Value = serde_json::from_str(line).expect("case");
        let file = case["file"].as_str().expect("file");
        let content = case["content"].as_str().expect("content");
        types.insert(file.rsplit('.').next().unwrap_or(file).to_string());
        let findings = scanner.scan_file_patch(&as_patch(file, content), Default::default());
        // Content findings only: a positive must be found in what it says, not by its name.
        let content_hits: Vec<_> = findings.iter().filter(|f| f.line.is_some()).collect();
        if case["secret"].as_bool().expect("secret") {
            pos += 1;
            if content_hits.is_empty() {
                missed.push(format!("{} {} ({})", case["id"], file, case["kind"]));
            } else {
                found += 1;
            }
        } else {
            neg += 1;
            if !findings.is_empty() {
                false_pos += 1;
                alarms.push(format!(
                    "{} {} {:?}",
                    case["id"],
                    file,
                    findings.iter().map(|f| f.rule).collect::<Vec<_>>()
                ));
            }
        }
    }
    let recall = f64::from(found) / f64::from(pos);
    println!(
        "corpus: {pos} positives, {neg} negatives across {} file types; recall {:.1}% ({found}/{pos}); false positives {false_pos}/{neg}",
        types.len(),
        recall * 100.0
    );
    for m in &missed {
        println!("  missed: {m}");
    }
    for a in &alarms {
        println!("  false alarm: {a}");
    }
    assert!(
        pos >= 60 && neg >= 60,
        "the corpus keeps at least 60 of each"
    );
    assert!(recall >= 0.97, "recall {recall:.3} below 97%: {missed:?}");
    assert_eq!(false_pos, 0, "false positives: {alarms:?}");
}
