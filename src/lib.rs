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
mod redact;
mod rejection;
mod scope;
mod settings;
mod state;
mod telemetry;
mod token;

#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod testing;

// Entry points for the fuzz targets in `fuzz/`; `cargo fuzz` passes `--cfg fuzzing`.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzz;

pub use check::{ClaimCheck, MachineToMachine, UserToken};
pub use claims::{Actor, AuthInfo, ClaimTypeError, NoClaims, Scopes};
pub use error::AuthError;
pub use extract::{
    AnyOrg, Auth, OrgApiToken, OrgFromHeader, OrgFromPath, OrgIdHeader, OrgIdParam, OrgSource,
    OrgToken, ParamName, RequireClaims, RequireScopes,
};
pub use keys::{KeyFetchError, KeyFetchErrorKind};
#[cfg(feature = "tonic")]
#[cfg_attr(docsrs, doc(cfg(feature = "tonic")))]
pub use layer::AuthInfoExt;
pub use layer::{LogtoLayer, LogtoService};
pub use metadata::ResourceMetadata;
pub use rejection::AuthRejection;
/// The `reqwest` this crate fetches keys with, for
/// [`LogtoStateBuilder::http_client`]: build your client with `axum_logto::reqwest`, so that it
/// is the same version as the crate's whatever your own `reqwest` dependency is.
pub use reqwest;
pub use scope::{AnyOf, Scope, ScopeSet};
pub use state::{ConfigError, LogtoState, LogtoStateBuilder};
pub use token::{CacheStats, InvalidTokenReason};

#[doc(hidden)]
pub mod __private {
    pub use crate::scope::assert_scope_token;
}

// The README's examples are compiled and run as doc tests too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
