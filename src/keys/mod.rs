//! Keys: the issuer's signing keys, from discovery to a verified lookup.
//!
//! - `algorithm`: the one table of the algorithms this crate verifies;
//! - `jwk`: JWK parsing (pure), one algorithm bound to each key;
//! - `public_key`: a key parsed once and its signature check (the crypto backend);
//! - `fetch`: one capped, timed GET, and the default HTTP client;
//! - `discovery`: the OpenID discovery document;
//! - `budget`: how many fetches unknown `kid`s may cause;
//! - `store`: the snapshot, single flight, the unknown-`kid` budget and refresher;
//! - `error`: [`KeyFetchError`].
//!
//! Part of the validation core: nothing here knows about Axum or HTTP responses.

mod algorithm;
mod budget;
mod discovery;
mod error;
mod fetch;
mod jwk;
mod public_key;
mod store;
#[cfg(test)]
mod wycheproof_tests;

pub(crate) use algorithm::Algorithm;
pub use error::{KeyFetchError, KeyFetchErrorKind};
pub(crate) use fetch::{default_client, read_capped};
pub(crate) use jwk::VerifyingKey;
#[cfg(feature = "test-util")]
pub(crate) use store::lock;
pub(crate) use store::{KeyError, KeyStore};

// Fuzzing only (`src/fuzz.rs`): the pure parsers, and the key set for a fixed-key store.
#[cfg(fuzzing)]
pub(crate) use discovery::jwks_uri_from_discovery;
#[cfg(fuzzing)]
pub(crate) use jwk::{KeySet, Lookup, parse_jwks};
