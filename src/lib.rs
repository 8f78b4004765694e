//! Protect [Axum](https://docs.rs/axum) APIs with access tokens issued by
//! [Logto](https://logto.io).
//!
//! The core of the crate is [`LogtoState`]: built once with [`LogtoState::builder`], cheap to
//! clone, it holds the tenant's signing keys (fetched on first use, refreshed on a timer and on
//! an unknown `kid`) and validates access tokens with [`LogtoState::validate`].
//!
//! Validation follows RFC 9068 (JWT access tokens) and the way Logto issues them: the `typ`
//! header must be `at+jwt`, the key is chosen by `kid` from the tenant's JWK set and fixes the
//! algorithm (ES384 by default on Logto, RS256 as the alternative), and `iss`, `exp`, `nbf`,
//! `iat` and `aud` are checked after the signature.
//!
//! ```no_run
//! use axum_logto::LogtoState;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let logto = LogtoState::builder("https://my-tenant.logto.app")
//!     .audience("https://api.example.com")
//!     .build()?; // no network I/O here
//!
//! logto.preload().await?; // optional: fail fast if Logto is unreachable
//!
//! let info = logto.validate("eyJhbGciOiJFUzM4NCIs...").await?;
//! println!("{} has scopes {:?}", info.sub(), info.scopes());
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! - `aws_lc_rs` (default): signatures are verified with `aws-lc-rs`.
//! - `rust_crypto`: signatures are verified with the RustCrypto crates. When both backends are
//!   enabled (for instance by two crates in one build), `aws_lc_rs` is used; nothing panics.
//! - `test-util`: [`testing::TestIssuer`], a local issuer that serves discovery and JWKS on
//!   loopback and mints real tokens, for tests without a Logto tenant.
#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    rust_2018_idioms,
    clippy::all
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(not(any(feature = "aws_lc_rs", feature = "rust_crypto")))]
compile_error!(
    "axum-logto needs a crypto backend: enable the `aws_lc_rs` or the `rust_crypto` feature"
);

mod claims;
mod config;
mod crypto;
mod discovery;
mod error;
mod extract;
mod jwks;
mod rejection;
mod scope;
mod state;
mod validate;

#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod testing;

pub use claims::{AuthInfo, ClaimTypeError, Scopes};
pub use config::{ConfigError, LogtoStateBuilder};
pub use error::{AuthError, InvalidTokenReason};
pub use extract::{
    AnyOrg, Auth, OrgApiToken, OrgFromHeader, OrgFromPath, OrgIdParam, OrgToken,
    OrganizationIdHeader, OrganizationSource, ParamName, RequireScopes,
};
pub use jwks::KeyFetchError;
pub use rejection::AuthRejection;
pub use scope::{AnyOf, Scope, ScopeSet};
pub use state::LogtoState;

#[doc(hidden)]
pub mod __private {
    pub use crate::scope::assert_scope_token;
}
