//! Attachment routes: uploading a file (the patch of a big handoff) and getting its URL.

use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use serde::Deserialize;

use super::client::{Client, Idempotency};
use super::KeyFlavor;
use crate::error::Result;
use crate::pipeline::Cleared;

/// `AttachmentResponse` (v3); v1 answers with the URL as a bare JSON string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Uploaded {
    V3 { url: String },
    V1(String),
}

/// Chunk size of the upload body: the progress bar moves once per chunk.
const CHUNK: usize = 64 * 1024;

impl Client {
    /// The route an upload would use, for dry runs.
    pub fn upload_route(flavor: KeyFlavor, org: Option<&str>) -> String {
        super::routes::shown("POST", |o| super::routes::attachments(flavor, o), org)
    }

    /// Uploads `data` as a file named `name` (multipart, one part named `file`) and returns
    /// the URL to pass in `attachment_urls`. A repeated upload only leaves an unused copy, so
    /// failures are retried like reads.
    pub async fn upload(
        &mut self,
        name: &str,
        data: Cleared<Bytes>,
        progress: Option<&indicatif::ProgressBar>,
    ) -> Result<String> {
        let flavor = self.flavor();
        let org = match flavor {
            KeyFlavor::V1 => String::new(),
            KeyFlavor::V3 => self.org_id().await?,
        };
        let path = super::routes::attachments(flavor, &org);
        let data = data.get().clone();
        let len = data.len() as u64;
        let name = name.to_string();
        let attach = |rb: reqwest::RequestBuilder| {
            if let Some(bar) = progress {
                bar.set_position(0);
            }
            let bar = progress.cloned();
            let chunks: Vec<Bytes> = (0..data.len())
                .step_by(CHUNK)
                .map(|at| data.slice(at..(at + CHUNK).min(data.len())))
                .collect();
            let stream = futures_util::stream::iter(chunks.into_iter().map(move |c| {
                if let Some(b) = &bar {
                    b.inc(c.len() as u64);
                }
                Ok::<Bytes, std::io::Error>(c)
            }));
            let part = reqwest::multipart::Part::stream_with_length(
                reqwest::Body::wrap_stream(stream),
                len,
            )
            .file_name(name.clone());
            let part = match part.mime_str("text/x-diff") {
                Ok(p) => p,
                // The literal MIME type always parses; keep the part untyped if it ever did not.
                Err(_) => reqwest::multipart::Part::bytes(data.to_vec()).file_name(name.clone()),
            };
            // The time the body needs at a slow 64 KiB/s, on top of `--timeout`.
            let allowance = Duration::from_secs(len / (64 * 1024));
            rb.multipart(reqwest::multipart::Form::new().part("file", part))
                .timeout(self.timeout + allowance)
        };
        let uploaded: Uploaded = self
            .execute(Method::POST, &path, Idempotency::Safe, &attach)
            .await?;
        if let Some(bar) = progress {
            bar.finish_and_clear();
        }
        Ok(match uploaded {
            Uploaded::V3 { url } | Uploaded::V1(url) => url,
        })
    }
}
