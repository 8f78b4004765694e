//! End to end against a real Logto (the open-source core, built from source): real tokens from
//! its token endpoint — machine-to-machine, users signed in without a browser, organizations,
//! custom claims, opaque and ID tokens, delegation — driven through the crate's extractors,
//! the layer, `LogtoState::validate` and the demo binary; the key lifecycle (rotation,
//! outage, changed permissions) with the API's `LogtoState` never restarted; Logto's webhooks
//! revoking tokens (`revocation`, with a real `redis-server` for two replicas); and
//! `LogtoClient` against Logto's token endpoint (`outbound`).
//!
//! ```text
//! LOGTO_SOURCE=../shared/logto/logto-1.37.1-src.tar.gz cargo test --all-features --test logto
//! ```
//!
//! Without `LOGTO_SOURCE` every test skips, with one note on stderr; with `CI` set they are
//! required. The first run installs Node.js 22, pnpm and Logto's workspace and builds Logto core
//! under `target/logto/<hash of the archive>/` (`prepare.sh`); later runs reuse it. Each run
//! seeds fresh databases; each instance's logs are in `target/logto/run/<pid>-<name>/`.
//!
//! # Adding a suite
//!
//! A new module beside these, declared below, whose tests start with
//! `let Some(logto) = harness::shared() else { return };` (skipped without `LOGTO_SOURCE`), or
//! `world::world()` for the scenario set up here (read only: other tests use it in parallel).
//! The fixture gives:
//!
//! - `harness`: the shared instance (started once, from sync code, for every test of the
//!   binary; core runs with `ACCESS_TOKEN_EXCHANGE_ENABLED=1`), its `endpoint` and `issuer()`;
//!   `Logto::start(name)` for an instance of one's own, with `stop`, `start_core` and `restart`
//!   (see `lifecycle.rs`, which also shows how to take turns on it).
//! - `management`: `logto.management`, the Management API with `get`, `post`, `put`, `patch`,
//!   `delete` (JSON, 2xx asserted) or `request` (any status), a cached token, and
//!   `create_resource`, `create_role`, `create_app`, `create_m2m_app`, `create_user`,
//!   `create_organization*`, `add_organization_user|app`, `rotate_signing_key`.
//! - `oidc`: `client_credentials`, `sign_in` (a user without a browser: access token for a
//!   resource, refresh token, ID token), `refresh` (organizations, other resources),
//!   `token_exchange`, `decode`.
//! - `api`: the suite's own router with every extractor, `serve`, and `send` / `get_with`
//!   returning status, challenge and body.
//!
//! Names of organization scopes are unique in a tenant: a suite on the shared instance picks its
//! own. Webhooks reach receivers on loopback (`webhooks.rs`).

mod api;
mod harness;
mod management;
mod oidc;
mod world;

#[path = "../support/redis_server.rs"]
mod redis_server;

mod claims;
mod delegation;
mod demo;
mod lifecycle;
mod m2m;
mod organizations;
mod outbound;
mod revocation;
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
