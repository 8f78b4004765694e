//! What a valid token says: [`AuthInfo`], its [`Scopes`], its [`Actor`] and its typed custom
//! claims.

mod actor;
mod custom;
pub(crate) mod heap;
mod scopes;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use serde::de::DeserializeOwned;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

pub use actor::Actor;
pub(crate) use custom::CustomClaims;
pub use custom::NoClaims;
pub use scopes::Scopes;

/// The prefix of Logto's organization audiences: `urn:logto:organization:<id>`.
pub(crate) const ORGANIZATION_AUDIENCE_PREFIX: &str = "urn:logto:organization:";

/// The `<id>` of the first `urn:logto:organization:<id>` among `audiences` (never empty).
pub(crate) fn audience_org_id(audiences: &[String]) -> Option<&str> {
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) actor: Option<Actor>,
    #[serde(skip)]
    pub(crate) not_before: Option<NumericDate>,
    #[serde(skip)]
    pub(crate) claims: Map<String, Value>,
    #[serde(skip)]
    pub(crate) custom: CustomClaims,
    /// The version of the revocation rules the token was last found clean at (0: never).
    #[serde(skip)]
    pub(crate) revocations_seen: AtomicU64,
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

    /// Where the shared record lives: the same for every clone, and for no other record while
    /// this one lives.
    pub(crate) fn address(&self) -> usize {
        Arc::as_ptr(&self.0).addr()
    }

    /// What the record holds on the heap, in allocator chunks: its own allocation, the
    /// strings taken out of the claims, and the claims as parsed JSON (typed custom claims,
    /// read later, are told to the hook of [`CustomClaims::on_growth`]).
    pub(crate) fn heap_bytes(&self) -> usize {
        use heap::chunk;
        let data = self.data();
        let optional = [&data.client_id, &data.organization_id, &data.jti];
        chunk(2 * size_of::<usize>() + size_of::<AuthInfoData>())
            + chunk(data.sub.capacity())
            + chunk(data.issuer.capacity())
            + optional
                .iter()
                .flat_map(|s| s.as_ref())
                .map(|s| chunk(s.capacity()))
                .sum::<usize>()
            + chunk(data.audience.capacity() * size_of::<String>())
            + data
                .audience
                .iter()
                .map(|a| chunk(a.capacity()))
                .sum::<usize>()
            + data.scopes.heap_bytes()
            + data.actor.as_ref().map_or(0, Actor::heap_bytes)
            + heap::map(&data.claims)
    }

    /// The subject: the user id, or for machine-to-machine tokens the application id.
    pub fn sub(&self) -> &str {
        &self.0.sub
    }

    /// The `client_id` claim: the application the token was issued to.
    pub fn client_id(&self) -> Option<&str> {
        self.0.client_id.as_deref()
    }

    /// The organization the token is for, wherever Logto puts it: the `organization_id` claim
    /// of a token for an organization-level API resource, else the `<id>` of the first
    /// `urn:logto:organization:<id>` audience of an organization token; `None` for a token of
    /// neither kind. The organization extractors' own `org_id()` (which this one stands behind
    /// through `Deref`) is the organization the request was granted for.
    pub fn org_id(&self) -> Option<&str> {
        self.0
            .organization_id
            .as_deref()
            .filter(|id| !id.is_empty())
            .or_else(|| audience_org_id(&self.0.audience))
    }

    /// Whether `urn:logto:organization:<org_id>` is among the audiences (never for an empty
    /// `org_id`).
    pub fn has_org_audience(&self, org_id: &str) -> bool {
        !org_id.is_empty()
            && self
                .0
                .audience
                .iter()
                .any(|aud| aud.strip_prefix(ORGANIZATION_AUDIENCE_PREFIX) == Some(org_id))
    }

    /// The former `organization_id()`: the `organization_id` claim only, `None` for an
    /// organization token (whose organization is in its audience). [`org_id`](Self::org_id)
    /// reads both.
    #[doc(hidden)]
    #[deprecated(note = "use `org_id`, which also reads an organization token's audience")]
    pub fn organization_id(&self) -> Option<&str> {
        self.0.organization_id.as_deref()
    }

    /// The former `audience_organization_id()`: the organization of the first
    /// `urn:logto:organization:<id>` audience.
    #[doc(hidden)]
    #[deprecated(note = "use `org_id`")]
    pub fn audience_organization_id(&self) -> Option<&str> {
        audience_org_id(&self.0.audience)
    }

    /// The former name of [`has_org_audience`](Self::has_org_audience).
    #[doc(hidden)]
    #[deprecated(note = "renamed `has_org_audience`")]
    pub fn has_organization_audience(&self, org_id: &str) -> bool {
        self.has_org_audience(org_id)
    }

    /// Whether this token is for the machine-to-machine application itself
    /// (`sub == client_id`).
    pub fn is_machine_to_machine(&self) -> bool {
        self.0.client_id.as_deref() == Some(self.0.sub.as_str())
    }

    /// The granted scopes: the token's `scope` claim, then the scopes they imply by the
    /// state's [`scope_implies`](crate::LogtoStateBuilder::scope_implies) (none by default).
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

    /// Who acts for the subject, in a delegated token (the `act` claim of Logto's token
    /// exchange, RFC 8693); `None` when the subject acts for itself.
    pub fn actor(&self) -> Option<&Actor> {
        self.0.actor.as_ref()
    }

    /// The top-level claims read as `C` (for instance the roles and plan a Logto "custom JWT"
    /// script adds): once per token and type, then shared (by every extractor of a request,
    /// and through the verified-token cache by later requests with the same token). A claim
    /// that `C` needs and the token lacks follows serde (`#[serde(default)]` works); a claim
    /// of another JSON type is an error. The extractors take `C` as a type parameter:
    /// [`Auth<C>`](crate::Auth), [`RequireScopes<S, C>`](crate::RequireScopes)…
    ///
    /// ```
    /// use serde::Deserialize;
    ///
    /// #[derive(Deserialize)]
    /// struct MyClaims {
    ///     #[serde(default)]
    ///     roles: Vec<String>,
    /// }
    ///
    /// # fn show(info: &axum_logto::AuthInfo) -> Result<(), axum_logto::ClaimTypeError> {
    /// let custom = info.custom_claims::<MyClaims>()?;
    /// let admin = custom.roles.iter().any(|role| role == "admin");
    /// # Ok(()) }
    /// ```
    pub fn custom_claims<C>(&self) -> Result<Arc<C>, ClaimTypeError>
    where
        C: DeserializeOwned + Send + Sync + 'static,
    {
        self.0.custom.get(&self.0.claims)
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
