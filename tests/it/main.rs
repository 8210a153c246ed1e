//! Integration tests: the real binary, real repositories in temp dirs, a fake API on loopback.

mod common;

mod architecture;
mod capture;
mod channels;
mod corpus;
mod create;
mod differential;
mod fidelity;
mod front;
mod gate;
mod guard;
mod hardening;
mod help;
mod integrations;
mod mcp;
mod org;
mod polish;
mod real_api;
mod replay;
mod scale;
mod sessions;
mod transcripts;
mod trust;
mod workflows;
