//! [`TokenBuilder`]: one token, claim by claim, signed by the test issuer.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::key::IssuerKey;
use super::{TestIssuer, now};
use crate::claims::ORGANIZATION_AUDIENCE_PREFIX;
use crate::keys::lock;

/// Builds and signs one token; made by [`TestIssuer::token`].
///
/// Setters replace the default claim or header member; [`claim`](Self::claim) and
/// [`header`](Self::header) set anything, including values of the wrong JSON type. A clone
/// starts another token from the same settings (with the same `jti` until one is set).
#[must_use = "call .sign() to get the token"]
#[derive(Clone)]
pub struct TokenBuilder<'a> {
    pub(super) issuer: &'a TestIssuer,
    pub(super) key: Arc<IssuerKey>,
    pub(super) header: Map<String, Value>,
    pub(super) claims: Map<String, Value>,
}

impl fmt::Debug for TokenBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenBuilder")
            .field("header", &self.header)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

impl TokenBuilder<'_> {
    /// Sets `sub`.
    #[allow(clippy::should_implement_trait)] // named after the claim, like every setter here
    pub fn sub(self, sub: &str) -> Self {
        self.claim("sub", json!(sub))
    }

    /// Sets `client_id`.
    pub fn client_id(self, client_id: &str) -> Self {
        self.claim("client_id", json!(client_id))
    }

    /// Sets `scope` to the space-separated `scopes`.
    pub fn scopes<'s>(self, scopes: impl IntoIterator<Item = &'s str>) -> Self {
        let scope = scopes.into_iter().collect::<Vec<_>>().join(" ");
        self.claim("scope", json!(scope))
    }

    /// Sets `aud` to a single string.
    pub fn audience(self, audience: &str) -> Self {
        self.claim("aud", json!(audience))
    }

    /// Sets `aud` to an array.
    pub fn audiences<'s>(self, audiences: impl IntoIterator<Item = &'s str>) -> Self {
        let list: Vec<&str> = audiences.into_iter().collect();
        self.claim("aud", json!(list))
    }

    /// Sets `aud` to `urn:logto:organization:<org_id>` (an organization token).
    pub fn org_audience(self, org_id: &str) -> Self {
        self.claim(
            "aud",
            json!(format!("{ORGANIZATION_AUDIENCE_PREFIX}{org_id}")),
        )
    }

    /// Sets the `organization_id` claim (a token for an organization-level API resource).
    pub fn org_id(self, org_id: &str) -> Self {
        self.claim("organization_id", json!(org_id))
    }

    /// The former name of [`org_audience`](Self::org_audience).
    #[doc(hidden)]
    #[deprecated(note = "renamed `org_audience`")]
    pub fn organization_audience(self, org_id: &str) -> Self {
        self.org_audience(org_id)
    }

    /// The former name of [`org_id`](Self::org_id).
    #[doc(hidden)]
    #[deprecated(note = "renamed `org_id`")]
    pub fn organization_id(self, org_id: &str) -> Self {
        self.org_id(org_id)
    }

    /// Sets `iat` (seconds since the epoch).
    pub fn issued_at(self, iat: i64) -> Self {
        self.claim("iat", json!(iat))
    }

    /// Sets `exp` (seconds since the epoch).
    pub fn expires_at(self, exp: i64) -> Self {
        self.claim("exp", json!(exp))
    }

    /// Sets `exp` to now plus `seconds` (negative for an expired token).
    pub fn expires_in(self, seconds: i64) -> Self {
        self.expires_at(now() + seconds)
    }

    /// Sets `nbf` (seconds since the epoch).
    pub fn not_before(self, nbf: i64) -> Self {
        self.claim("nbf", json!(nbf))
    }

    /// Sets any claim to any JSON value.
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims.insert(name.to_owned(), value);
        self
    }

    /// Removes a claim (also a default one such as `exp`).
    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets the header's `typ`.
    pub fn typ(self, typ: &str) -> Self {
        self.header("typ", json!(typ))
    }

    /// Sets the header's `kid` (the signing key stays the same).
    pub fn kid(self, kid: &str) -> Self {
        self.header("kid", json!(kid))
    }

    /// Sets any header member to any JSON value (for instance `alg`, `crit`, `jku`).
    pub fn header(mut self, name: &str, value: Value) -> Self {
        self.header.insert(name.to_owned(), value);
        self
    }

    /// Removes a header member (for instance `typ` or `kid`).
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Signs with another published key (by kid) instead of the current signing key, and
    /// sets the header's `kid` and `alg` to that key's.
    ///
    /// # Panics
    ///
    /// When `kid` is not published.
    pub fn signed_by(mut self, kid: &str) -> Self {
        let key = lock(&self.issuer.shared.keys)
            .published
            .iter()
            .find(|k| k.kid == kid)
            .unwrap_or_else(|| panic!("kid {kid} is not published"))
            .clone();
        self.header.insert("kid".into(), json!(key.kid));
        self.header.insert("alg".into(), json!(key.alg.name()));
        self.key = key;
        self
    }

    /// The header and claims as JSON, without signing.
    pub fn parts(&self) -> (Value, Value) {
        (
            Value::Object(self.header.clone()),
            Value::Object(self.claims.clone()),
        )
    }

    /// Signs the token and returns the `Authorization` header value: `Bearer <token>`.
    pub fn bearer(self) -> String {
        format!("Bearer {}", self.sign())
    }

    /// Sets `sub` and `client_id` to `client_id`: a machine-to-machine token (the
    /// application acting for itself).
    pub fn machine_to_machine(self, client_id: &str) -> Self {
        self.sub(client_id).client_id(client_id)
    }

    /// Sets the `act` claim (RFC 8693): `actor` acts for the subject.
    pub fn actor(self, actor: &str) -> Self {
        self.claim("act", json!({ "sub": actor }))
    }

    /// Signs the token (compact JWS).
    pub fn sign(self) -> String {
        let encode = |map: &Map<String, Value>| {
            // Serialising a map of JSON values cannot fail.
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(map).expect("JSON map serialises"))
        };
        let input = format!("{}.{}", encode(&self.header), encode(&self.claims));
        let signature = self.key.sign(&input);
        format!("{input}.{signature}")
    }
}
