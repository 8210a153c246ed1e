//! Deliver: one typed client for the Devin API (v3, and v1 for legacy `apk_` keys).

mod attachments;
mod client;
pub mod org;
mod routes;
mod sessions;
pub mod types;
mod v1;

pub use client::Client;
pub use sessions::{session_id, SessionFilter};
