//! Entry points for the fuzz targets in `fuzz/`: thin wrappers over crate-private functions.
//!
//! Compiled only with `--cfg fuzzing` (which `cargo fuzz` passes); not part of the API and
//! never built by a normal `cargo build` or `cargo test`.

use std::borrow::Cow;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use url::Url;

use std::sync::Arc;
use std::time::Duration;

use crate::claims::AuthInfo;
use crate::credentials::TokenSources;
use crate::error::AuthError;
use crate::keys::{Algorithm, KeyFetchError, KeyFetchErrorKind, KeySet, KeyStore, Lookup};
use crate::rejection::RejectionContext;
use crate::settings::{
    DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_SIZE, DEFAULT_VERIFIED_CACHE_BYTES, ValidationSettings,
};
use crate::state::LogtoState;
use crate::token::{Policy, Validator};

/// Every algorithm of the crate's table.
const ALGORITHMS: [Algorithm; 8] = [
    Algorithm::Es256,
    Algorithm::Es384,
    Algorithm::Rs256,
    Algorithm::Rs384,
    Algorithm::Rs512,
    Algorithm::Ps256,
    Algorithm::Ps384,
    Algorithm::Ps512,
];

/// The bearer token of a request, as every extractor reads it: from the `Authorization`
/// header only (the default), or also from the cookie and query parameter named.
///
/// # Errors
///
/// As the extractors: missing, duplicated or malformed credentials.
pub fn bearer_token<'a>(
    parts: &'a http::request::Parts,
    cookie: Option<&str>,
    query: Option<&str>,
) -> Result<Cow<'a, [u8]>, AuthError> {
    let sources = TokenSources {
        cookie: cookie.map(str::to_owned),
        query: query.map(str::to_owned),
    };
    crate::credentials::bearer_token(parts, &sources).map(|bearer| bearer.token)
}

/// A [`LogtoState`] for tokens from `issuers` to `audiences`, holding the keys of the JWK set
/// `jwks` and never fetching (as [`FixedValidator`]), that also takes tokens from the cookie
/// `session` and the query parameter `access_token`: what the extractors and the layer run
/// on in the `request` target.
///
/// # Errors
///
/// When `jwks` has no usable key, or the HTTP client (never used) cannot be built.
pub fn fixed_state(
    jwks: &[u8],
    issuers: Vec<String>,
    audiences: Vec<String>,
) -> Result<LogtoState, KeyFetchError> {
    let FixedValidator { validator } = FixedValidator::new(jwks, issuers, audiences)?;
    let rejection = Arc::new(RejectionContext {
        realm: "fuzz".to_owned(),
        retry_after: Duration::from_secs(2),
        hook: None,
        resource_metadata: None,
    });
    let sources = TokenSources {
        cookie: Some("session".to_owned()),
        query: Some("access_token".to_owned()),
    };
    Ok(LogtoState::from_parts(validator, rejection, sources, None))
}

/// Polls `future` until it is ready, with a waker that does nothing: a request to a router
/// over [`fixed_state`] never waits (nothing fetches), so a future still pending after a few
/// polls is a bug the fuzzer should report.
///
/// # Panics
///
/// When the future is still pending after 16 polls.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    for _ in 0..16 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
    panic!("a request over a fixed key set waited (for a fetch?)");
}

/// The `jwks_uri` of a discovery document fetched from `discovery_url`.
///
/// # Errors
///
/// The kind of [`KeyFetchError`] the key store would report.
pub fn jwks_uri_from_discovery(
    body: &[u8],
    discovery_url: &Url,
    expected_issuer: &str,
) -> Result<Url, KeyFetchErrorKind> {
    crate::keys::jwks_uri_from_discovery(body, discovery_url, expected_issuer)
        .map_err(|error| error.kind().clone())
}

/// A key of a parsed JWK set, found by a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundKey {
    /// The key's `kid`.
    pub kid: Option<String>,
    /// The JOSE name of the algorithm bound to the key.
    pub alg: &'static str,
    /// Whether the key verified the signature it was given.
    pub verified: bool,
}

/// Parses a JWK set as the key store does, then looks up every key it can reach (by each
/// `kid` and without one, for every algorithm) and verifies `signature` over `input` with
/// each key found whose algorithm fits the signature's length, so that building the
/// backend's key from the JWK's parameters runs too.
///
/// # Errors
///
/// The kind of [`KeyFetchError`] the key store would report.
pub fn parse_jwks(
    body: &[u8],
    input: &[u8],
    signature: &[u8],
) -> Result<Vec<FoundKey>, KeyFetchErrorKind> {
    let set = crate::keys::parse_jwks(body).map_err(|error| error.kind().clone())?;
    let mut kids: Vec<Option<&str>> = set.kids().0.into_iter().map(Some).collect();
    kids.push(None);
    let mut found = Vec::new();
    for kid in kids {
        for alg in ALGORITHMS {
            if let Lookup::Found(key) = set.lookup(kid, alg) {
                // As for a token: the length is checked before the verifier runs.
                let verified =
                    key.alg.signature_len_fits(signature.len()) && key.verify(input, signature);
                found.push(FoundKey {
                    kid: key.kid.clone(),
                    alg: key.alg.name(),
                    verified,
                });
            }
        }
    }
    Ok(found)
}

/// The validation core over a fixed key set that never fetches.
#[derive(Debug)]
pub struct FixedValidator {
    validator: Validator,
}

impl FixedValidator {
    /// A validator for tokens from `issuers` to `audiences` (with the default leeway and size
    /// cap), holding the keys of the JWK set `jwks`.
    ///
    /// # Errors
    ///
    /// When `jwks` has no usable key, or the HTTP client (never used) cannot be built.
    pub fn new(
        jwks: &[u8],
        issuers: Vec<String>,
        audiences: Vec<String>,
    ) -> Result<Self, KeyFetchError> {
        let keys: KeySet = crate::keys::parse_jwks(jwks)?;
        let client = crate::keys::default_client().map_err(KeyFetchError::from_reqwest)?;
        let settings = ValidationSettings {
            issuers,
            audiences,
            leeway: DEFAULT_LEEWAY,
            max_token_size: DEFAULT_MAX_TOKEN_SIZE,
            allow_org_level_tokens: false,
            allowed_clients: None,
            verified_cache_bytes: DEFAULT_VERIFIED_CACHE_BYTES,
            max_token_lifetime: None,
            scope_hierarchy: Default::default(),
        };
        Ok(Self {
            validator: Validator::new(
                settings,
                KeyStore::with_fixed_keys(keys, client),
                crate::revocation::Revocations::new(Duration::from_secs(24 * 3600), None, false),
            ),
        })
    }

    /// As [`LogtoState::validate`](crate::LogtoState::validate): verify, then the decision
    /// for a global API resource.
    ///
    /// # Errors
    ///
    /// Why the token is refused.
    pub fn validate(&self, token: &str) -> Result<AuthInfo, AuthError> {
        let info = self.verify(token)?;
        self.check_global(&info)?;
        Ok(info)
    }

    /// Steps 1-4, as every extractor runs them once per request: the token's shape, header,
    /// key and signature, then its claims typed.
    ///
    /// # Errors
    ///
    /// Why the token is refused.
    pub fn verify(&self, token: &str) -> Result<AuthInfo, AuthError> {
        Ok(ready(self.validator.verify(token))?)
    }

    /// The decision for a global API resource ([`Auth`](crate::Auth), `validate`).
    ///
    /// # Errors
    ///
    /// Why the token is refused.
    pub fn check_global(&self, info: &AuthInfo) -> Result<(), AuthError> {
        self.validator.decide(info, &Policy::global())?;
        Ok(())
    }

    /// The decision for organization tokens ([`OrgToken`](crate::OrgToken)); `wanted` is the
    /// organization the request names (`None` for [`AnyOrg`](crate::AnyOrg)). Returns the
    /// token's organization.
    ///
    /// # Errors
    ///
    /// Why the token is refused.
    pub fn check_organization(
        &self,
        info: &AuthInfo,
        wanted: Option<&str>,
    ) -> Result<String, AuthError> {
        organization(self.validator.decide(info, &Policy::org(wanted))?)
    }

    /// The decision for organization-level API resources ([`OrgApiToken`](crate::OrgApiToken)).
    /// Returns the token's organization.
    ///
    /// # Errors
    ///
    /// Why the token is refused.
    pub fn check_organization_resource(
        &self,
        info: &AuthInfo,
        wanted: Option<&str>,
    ) -> Result<String, AuthError> {
        organization(self.validator.decide(info, &Policy::org_api(wanted))?)
    }
}

/// The organization an organization model's decision returns (always `Some`).
fn organization(found: Option<String>) -> Result<String, AuthError> {
    found.ok_or(AuthError::WrongOrg)
}

/// Polls `future` once. With a fixed key set nothing ever waits, so it must be ready: a
/// pending validation means the validator tried to fetch, a bug the fuzzer should report.
fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("validation against a fixed key set waited (for a fetch?)"),
    }
}

/// The operations of an MCP request body as `McpLayer` reads them (method, and the tool,
/// prompt or resource it names; `None` for a JSON-RPC response); `None` when it refuses it.
pub fn mcp_body_operations(body: &[u8]) -> Option<Vec<Option<(String, Option<String>)>>> {
    crate::layer::body_operations(body)
}

/// The operation an MCP request's headers name where `McpLayer` trusts them (`Some(None)`:
/// it reads the body instead); `None` when it refuses them.
pub fn mcp_header_operation(headers: &http::HeaderMap) -> Option<Option<(String, Option<String>)>> {
    crate::layer::header_operation(headers)
}
