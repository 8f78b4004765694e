#![doc = include_str!("../README.md")]
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
