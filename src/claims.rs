//! What a valid token says: [`AuthInfo`] and its [`Scopes`].

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// The prefix of Logto's organization audiences: `urn:logto:organization:<id>`.
pub(crate) const ORGANIZATION_AUDIENCE_PREFIX: &str = "urn:logto:organization:";

/// The `<id>` of the first `urn:logto:organization:<id>` among `audiences` (never empty).
pub(crate) fn audience_organization_id(audiences: &[String]) -> Option<&str> {
    audiences
        .iter()
        .find_map(|aud| aud.strip_prefix(ORGANIZATION_AUDIENCE_PREFIX))
        .filter(|id| !id.is_empty())
}

/// A JSON `NumericDate` (RFC 7519 §2): seconds since the epoch, possibly with a fraction. Kept
/// exact for the time rules; shown as whole seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct NumericDate(pub(crate) f64);

impl NumericDate {
    /// Whole seconds, rounded down; saturates beyond the range of `i64`.
    pub(crate) fn secs(self) -> i64 {
        // `as` saturates (and the value is finite: it comes from JSON).
        self.0.floor() as i64
    }
}

impl Serialize for NumericDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.secs())
    }
}

/// The scopes a token grants, from its `scope` claim.
///
/// RFC 6749 §3.3: scopes are separated by spaces (U+0020) only; a tab, a no-break space or any
/// other character is part of a scope name, never a separator. A missing or empty `scope`
/// means no scopes. Duplicates are kept once, in order.
///
/// ```
/// use axum_logto::Scopes;
///
/// let scopes = Scopes::parse("read:docs  write:docs");
/// assert!(scopes.contains("read:docs"));
/// assert!(scopes.contains_all(["read:docs", "write:docs"]));
/// assert!(scopes.contains_any(["admin", "write:docs"]));
/// assert!(!scopes.contains_any(["admin"]));
/// assert_eq!(scopes.iter().collect::<Vec<_>>(), ["read:docs", "write:docs"]);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Scopes(Vec<Box<str>>);

impl Scopes {
    /// Splits a `scope` value on spaces (U+0020), skipping empty parts.
    pub fn parse(scope: &str) -> Self {
        let mut scopes: Vec<Box<str>> = Vec::new();
        for token in scope.split(' ').filter(|s| !s.is_empty()) {
            if !scopes.iter().any(|s| &**s == token) {
                scopes.push(token.into());
            }
        }
        Self(scopes)
    }

    /// Whether `scope` is granted.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| &**s == scope)
    }

    /// Whether every one of `scopes` is granted (true for an empty list).
    pub fn contains_all<'a>(&self, scopes: impl IntoIterator<Item = &'a str>) -> bool {
        scopes.into_iter().all(|s| self.contains(s))
    }

    /// Whether at least one of `scopes` is granted (false for an empty list).
    pub fn contains_any<'a>(&self, scopes: impl IntoIterator<Item = &'a str>) -> bool {
        scopes.into_iter().any(|s| self.contains(s))
    }

    /// The granted scopes, in token order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|s| &**s)
    }

    /// The bytes its scope names hold on the heap.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.0.capacity() * size_of::<Box<str>>() + self.0.iter().map(|s| s.len()).sum::<usize>()
    }

    /// How many distinct scopes are granted.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no scope is granted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Scopes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// A custom claim exists but does not have the type asked for; returned by
/// [`AuthInfo::claim`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimTypeError;

impl fmt::Display for ClaimTypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the claim does not have the requested type")
    }
}

impl std::error::Error for ClaimTypeError {}

/// What a validated access token says about the caller.
///
/// Serializes in camelCase, as Logto's guides show it:
///
/// ```json
/// {"sub":"u1","clientId":"app","organizationId":null,"scopes":["read:docs"],
///  "audience":["https://api.example.com"],"issuer":"https://t.logto.app/oidc",
///  "jti":"abc","issuedAt":1700000000,"expiresAt":1700003600}
/// ```
///
/// Cheap to clone (one `Arc`): the same value serves every extractor of a request and every
/// request that presents the same verified token.
#[derive(Clone)]
pub struct AuthInfo(Arc<AuthInfoData>);

/// What [`AuthInfo`] shares.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuthInfoData {
    pub(crate) sub: String,
    pub(crate) client_id: Option<String>,
    pub(crate) organization_id: Option<String>,
    pub(crate) scopes: Scopes,
    pub(crate) audience: Vec<String>,
    pub(crate) issuer: String,
    pub(crate) jti: Option<String>,
    pub(crate) issued_at: Option<NumericDate>,
    pub(crate) expires_at: NumericDate,
    #[serde(skip)]
    pub(crate) not_before: Option<NumericDate>,
    #[serde(skip)]
    pub(crate) claims: Map<String, Value>,
}

impl Serialize for AuthInfo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl fmt::Debug for AuthInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = self.data();
        f.debug_struct("AuthInfo")
            .field("sub", &data.sub)
            .field("client_id", &data.client_id)
            .field("organization_id", &data.organization_id)
            .field("scopes", &data.scopes)
            .field("audience", &data.audience)
            .field("issuer", &data.issuer)
            .field("jti", &data.jti)
            .field("issued_at", &data.issued_at)
            .field("expires_at", &data.expires_at)
            .finish_non_exhaustive()
    }
}

impl AuthInfo {
    pub(crate) fn new(data: AuthInfoData) -> Self {
        Self(Arc::new(data))
    }

    pub(crate) fn data(&self) -> &AuthInfoData {
        &self.0
    }

    /// The subject: the user id, or for machine-to-machine tokens the application id.
    pub fn sub(&self) -> &str {
        &self.0.sub
    }

    /// The `client_id` claim: the application the token was issued to.
    pub fn client_id(&self) -> Option<&str> {
        self.0.client_id.as_deref()
    }

    /// The `organization_id` claim, present on tokens for organization-level API resources.
    pub fn organization_id(&self) -> Option<&str> {
        self.0.organization_id.as_deref()
    }

    /// The organization id of an organization token: the `<id>` of the first
    /// `urn:logto:organization:<id>` audience.
    pub fn audience_organization_id(&self) -> Option<&str> {
        audience_organization_id(&self.0.audience)
    }

    /// Whether `urn:logto:organization:<organization_id>` is among the audiences (never for an
    /// empty `organization_id`).
    pub fn has_organization_audience(&self, organization_id: &str) -> bool {
        !organization_id.is_empty()
            && self
                .0
                .audience
                .iter()
                .any(|aud| aud.strip_prefix(ORGANIZATION_AUDIENCE_PREFIX) == Some(organization_id))
    }

    /// Whether this token is for the machine-to-machine application itself
    /// (`sub == client_id`).
    pub fn is_machine_to_machine(&self) -> bool {
        self.0.client_id.as_deref() == Some(self.0.sub.as_str())
    }

    /// The granted scopes.
    pub fn scopes(&self) -> &Scopes {
        &self.0.scopes
    }

    /// The audiences (`aud` as a list, also when the token carries a single string).
    pub fn audiences(&self) -> &[String] {
        &self.0.audience
    }

    /// The issuer (`iss`).
    pub fn issuer(&self) -> &str {
        &self.0.issuer
    }

    /// The token id (`jti`).
    ///
    /// Key anything you keep per token (a deny-list, a rate limit) by this, not by the
    /// token's text: ECDSA signatures are malleable, so one token can be sent with two
    /// different, equally valid signature strings.
    pub fn jti(&self) -> Option<&str> {
        self.0.jti.as_deref()
    }

    /// Issued at (`iat`), in seconds since the Unix epoch.
    pub fn issued_at(&self) -> Option<i64> {
        self.0.issued_at.map(NumericDate::secs)
    }

    /// Expiry (`exp`), in seconds since the Unix epoch.
    pub fn expires_at(&self) -> i64 {
        self.0.expires_at.secs()
    }

    /// Every claim of the payload, for custom claims.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.0.claims
    }

    /// A claim as type `T`: `Ok(None)` when absent, `Err` when present with another type.
    ///
    /// ```
    /// # fn show(info: &axum_logto::AuthInfo) -> Result<(), axum_logto::ClaimTypeError> {
    /// let roles: Vec<String> = info.claim("roles")?.unwrap_or_default();
    /// # Ok(()) }
    /// ```
    pub fn claim<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, ClaimTypeError> {
        match self.0.claims.get(name) {
            None => Ok(None),
            Some(value) => T::deserialize(value).map(Some).map_err(|_| ClaimTypeError),
        }
    }
}
