// Where a feature is off, its items' links point at their docs.rs pages (which build with
// every feature), so that the crate docs build without a broken link whatever the features.
// (Link definitions go first: one after the text would be read as part of its last paragraph.)
#![cfg_attr(
    not(feature = "test-util"),
    doc = "[`testing::TestIssuer`]: https://docs.rs/axum-logto/latest/axum_logto/testing/struct.TestIssuer.html\n[`testing::send`]: https://docs.rs/axum-logto/latest/axum_logto/testing/fn.send.html\n\n"
)]
#![cfg_attr(
    not(feature = "tonic"),
    doc = "[`AuthInfoExt`]: https://docs.rs/axum-logto/latest/axum_logto/trait.AuthInfoExt.html\n[`GrpcPolicy`]: https://docs.rs/axum-logto/latest/axum_logto/struct.GrpcPolicy.html\n[`LogtoLayer::grpc`]: https://docs.rs/axum-logto/latest/axum_logto/struct.LogtoLayer.html#method.grpc\n\n"
)]
#![cfg_attr(
    not(any(feature = "aide", feature = "utoipa")),
    doc = "[`openapi`]: https://docs.rs/axum-logto/latest/axum_logto/openapi/index.html\n\n"
)]
#![doc = include_str!("lib.md")]
// The crate's lints are in Cargo.toml's `[lints]`; these two hold the library only (tests may
// unwrap): nothing here may panic on input from a client or from the network.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(not(any(feature = "aws_lc_rs", feature = "rust_crypto")))]
compile_error!(
    "axum-logto needs a crypto backend: enable the `aws_lc_rs` or the `rust_crypto` feature"
);

mod check;
mod claims;
mod credentials;
mod error;
mod extract;
mod keys;
mod layer;
mod metadata;
#[cfg(any(feature = "aide", feature = "utoipa"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "aide", feature = "utoipa"))))]
pub mod openapi;
mod outbound;
mod redact;
mod rejection;
mod revocation;
mod scope;
mod settings;
mod state;
mod telemetry;
mod token;
mod webhook;

#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod testing;

// Entry points for the fuzz targets in `fuzz/`; `cargo fuzz` passes `--cfg fuzzing`.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzz;

pub use check::{ClaimCheck, MachineOnly, UserOnly};
pub use claims::{Actor, AuthInfo, ClaimTypeError, NoClaims, Scopes};
pub use error::AuthError;
pub use extract::{
    AnyOrg, Auth, CallerToken, OrgApiToken, OrgFromHeader, OrgFromPath, OrgSource, OrgToken,
    ParamName, RequireCheck, RequireScopes,
};
#[doc(hidden)]
pub use extract::{OrgIdHeader, OrgIdParam};
pub use keys::{KeyFetchError, KeyFetchErrorKind};
#[cfg(feature = "tonic")]
#[cfg_attr(docsrs, doc(cfg(feature = "tonic")))]
pub use layer::AuthInfoExt;
#[cfg(feature = "tonic")]
#[cfg_attr(docsrs, doc(cfg(feature = "tonic")))]
pub use layer::GrpcPolicy;
pub use layer::{LogtoLayer, LogtoService, McpLayer, McpPolicy, McpService};
pub use metadata::ResourceMetadata;
pub use outbound::{
    AccessToken, LogtoClient, LogtoClientBuilder, SubjectToken, TokenRequest, TokenRequestError,
    TokenRequestErrorKind,
};
pub use rejection::AuthRejection;
/// The `reqwest` this crate fetches keys with, for
/// [`LogtoStateBuilder::http_client`]: build your client with `axum_logto::reqwest`, so that it
/// is the same version as the crate's whatever your own `reqwest` dependency is.
pub use reqwest;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use revocation::RedisRevocations;
pub use revocation::{Revocation, RevocationSink, RevocationStore, StoreError, StoreFuture};
pub use scope::{AnyOf, Scope, ScopeDoc, ScopeSet};
pub use state::{ConfigError, LogtoState, LogtoStateBuilder};
pub use token::{CacheStats, InvalidTokenReason, Policy};
pub use webhook::LogtoWebhook;

/// The former name of [`RequireCheck`].
#[doc(hidden)]
#[deprecated(note = "renamed `RequireCheck`: it takes a check, not claims")]
pub type RequireClaims<K> = RequireCheck<K>;
/// The former name of [`MachineOnly`].
#[doc(hidden)]
#[deprecated(note = "renamed `MachineOnly`")]
pub type MachineToMachine = MachineOnly;
/// The former name of [`UserOnly`].
#[doc(hidden)]
#[deprecated(note = "renamed `UserOnly`: a claim check, not an extractor")]
pub type UserToken = UserOnly;

#[doc(hidden)]
pub mod __private {
    pub use crate::scope::{assert_scope_token, first_doc_line};
}

// The README's examples are compiled and run as doc tests too, with the features they use
// (`cargo test --all-features`, the README's command).
#[cfg(all(doctest, feature = "redis", feature = "metrics", feature = "test-util"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
