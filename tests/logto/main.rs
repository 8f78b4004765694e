//! End to end against a real Logto (the open-source core, built from source): real tokens from
//! its token endpoint — machine-to-machine, users signed in without a browser, organizations,
//! custom claims, opaque and ID tokens, delegation — driven through the crate's extractors,
//! the layer, `LogtoState::validate` and the demo binary; and the key lifecycle (rotation,
//! outage, changed permissions) with the API's `LogtoState` never restarted.
//!
//! ```text
//! LOGTO_SOURCE=../shared/logto/logto-1.37.1-src.tar.gz cargo test --test logto
//! ```
//!
//! Without `LOGTO_SOURCE` every test skips, with one note on stderr; with `CI` set they are
//! required. The first run installs Node.js 22, pnpm and Logto's workspace and builds Logto core
//! under `target/logto/<hash of the archive>/` (`prepare.sh`); later runs reuse it. Each run
//! seeds fresh databases. See `harness.rs` for the fixture that later suites reuse.

mod api;
mod harness;
mod management;
mod oidc;
mod world;

mod claims;
mod delegation;
mod demo;
mod lifecycle;
mod m2m;
mod organizations;
mod tokens;
mod users;
mod webhooks;

use std::time::Duration;

use axum_logto::{LogtoState, LogtoStateBuilder};

/// A state builder for `audience` of the Logto at `endpoint`, as an API would configure it.
pub(crate) fn state_builder(endpoint: &str, audience: &str) -> LogtoStateBuilder {
    LogtoState::builder(endpoint)
        .audience(audience)
        .fetch_timeout(Duration::from_secs(5))
}

/// A state for `audience` of the Logto at `endpoint`.
pub(crate) fn state(endpoint: &str, audience: &str) -> LogtoState {
    state_builder(endpoint, audience).build().unwrap()
}
