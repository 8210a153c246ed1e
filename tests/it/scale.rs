//! Big changes: whole-patch upload as an attachment, and the forced-inline cut.

use crate::common::*;

/// About 9 MB of text spread over 90 new and modified files.
fn big_change(fx: &Fixture) {
    let mut g = Gen::new(300);
    for i in 0..90 {
        let mut text = String::with_capacity(100_000);
        while text.len() < 100_000 {
            text.push_str(&format!(
                "line {} of file {i}: {}\n",
                text.len(),
                g.s("abcdefghij klmnop", 60)
            ));
        }
        write(&fx.work.join(format!("data/part-{i:02}.txt")), text);
    }
    write(
        &fx.work.join("src/lib.rs"),
        "pub fn one() -> u32 {\n    2\n}\n",
    );
}

#[test]
fn a_big_change_travels_whole_as_one_upload_and_one_session() {
    let fx = Fixture::new();
    big_change(&fx);
    let api = FakeApi::start();
    let out = bin_api(&fx.work, &api)
        // The patch carrier, with the default budget asked for explicitly.
        .args(["--yes", "--json", "--inline-budget", "64K", "ship the data"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let uploads = api.uploads();
    assert_eq!(uploads.len(), 1, "one upload");
    assert_eq!(api.sessions_created(), 1, "one session");
    assert_eq!(uploads[0].field, "file");
    assert_eq!(uploads[0].file_name, "handoff.patch");
    assert!(
        uploads[0].bytes.len() > 8_000_000,
        "the whole patch: {}",
        uploads[0].bytes.len()
    );

    let body = api.create_requests()[0].json();
    let prompt = body["prompt"].as_str().expect("prompt");
    assert!(
        prompt.len() < 128 * 1024,
        "inline prompt stays small: {}",
        prompt.len()
    );
    assert_eq!(body["attachment_urls"], serde_json::json!([uploads[0].url]));
    assert!(prompt.contains(&format!("ATTACHMENT:\"{}\"", uploads[0].url)));
    assert!(
        prompt.contains("data/part-00.txt | +"),
        "a summary of files and line counts"
    );
    assert!(!prompt.contains("```diff"), "no inline patch");
    assert_eq!(stdout_json(&out)["manifest"]["delivery"], "attachment");

    // The uploaded patch, applied at the base, reproduces the working tree exactly.
    let patch = String::from_utf8(uploads[0].bytes.clone()).expect("utf8");
    let replayed = fx.replay(&fx.head(), &patch);
    assert_same_tree(&fx.work, &replayed, &[]);
}

#[test]
fn forced_inline_cuts_at_file_boundaries_and_lists_what_was_omitted() {
    let fx = Fixture::new();
    big_change(&fx);
    let api = FakeApi::start();
    let out = bin_api(&fx.work, &api)
        .args([
            "--yes",
            "--json",
            "--via",
            "inline",
            "--inline-budget",
            "300K",
            "ship it",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(api.uploads().is_empty(), "no upload with --via inline");
    let body = api.create_requests()[0].json();
    let prompt = body["prompt"].as_str().expect("prompt");
    let patch = extract_patch(prompt);
    assert!(patch.len() <= 300 * 1024);
    assert!(prompt.contains("omitted to fit the inline budget"));
    let omitted: Vec<String> = stdout_json(&out)["manifest"]["left_out"]
        .as_array()
        .expect("left_out")
        .iter()
        .filter(|l| {
            l["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("omitted"))
        })
        .map(|l| l["path"].as_str().expect("path").to_string())
        .collect();
    assert!(omitted.len() > 80, "{}", omitted.len());
    // What was kept still applies, and every omitted file is exactly what is missing.
    let replayed = fx.replay(&fx.head(), &patch);
    let ignore: Vec<&str> = omitted.iter().map(String::as_str).collect();
    assert_same_tree(&fx.work, &replayed, &ignore);
    for o in &omitted {
        assert!(!replayed.join(o).exists(), "{o}");
    }
}

#[test]
fn forced_attachment_and_v1_uploads() {
    let fx = Fixture::new();
    write(&fx.work.join("small.txt"), "small\n");
    let api = FakeApi::start();
    let out = bin_api(&fx.work, &api)
        .env("DEVIN_API_KEY", "apk_user_legacykey123")
        .args(["create", "--yes", "--json", "--via", "attachment", "t"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let paths: Vec<String> = api.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/v1/attachments", "/v1/sessions"]);
    let prompt = api.create_requests()[0].json()["prompt"]
        .as_str()
        .expect("prompt")
        .to_string();
    assert!(prompt.contains("ATTACHMENT:\""));

    // A dry run says what it would upload, and sends nothing.
    let out = bin(&fx.work)
        .args(["create", "--dry-run", "--json", "--via", "attachment", "t"])
        .output()
        .expect("run");
    let json = stdout_json(&out);
    assert_eq!(json["upload"]["name"], "handoff.patch");
    assert_eq!(json["manifest"]["delivery"], "attachment");

    let out = bin(&fx.work)
        .args(["create", "--dry-run", "--inline-budget", "12Q", "t"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}
