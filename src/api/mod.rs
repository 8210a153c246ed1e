//! Deliver: one typed client for the Devin API (v3, and v1 for legacy `apk_` keys).

mod attachments;
mod client;
mod lifecycle;
pub mod org;
pub use lifecycle::{session_id, SessionFilter};
mod sessions;
pub mod types;

pub use client::Client;
