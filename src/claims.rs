//! What a valid token says: [`AuthInfo`] and its [`Scopes`].

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::InvalidTokenReason;

/// The prefix of Logto's organization audiences: `urn:logto:organization:<id>`.
pub(crate) const ORGANIZATION_AUDIENCE_PREFIX: &str = "urn:logto:organization:";

/// The scopes a token grants, from its space-separated `scope` claim.
///
/// A missing or empty `scope` means no scopes. Duplicates are kept once, in order.
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
    /// Splits a `scope` value on whitespace.
    pub fn parse(scope: &str) -> Self {
        let mut scopes: Vec<Box<str>> = Vec::new();
        for token in scope.split_whitespace() {
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
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthInfo {
    sub: String,
    client_id: Option<String>,
    organization_id: Option<String>,
    scopes: Scopes,
    audience: Vec<String>,
    issuer: String,
    jti: Option<String>,
    issued_at: Option<i64>,
    expires_at: i64,
    #[serde(skip)]
    pub(crate) not_before: Option<i64>,
    #[serde(skip)]
    claims: Arc<Map<String, Value>>,
}

impl fmt::Debug for AuthInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthInfo")
            .field("sub", &self.sub)
            .field("client_id", &self.client_id)
            .field("organization_id", &self.organization_id)
            .field("scopes", &self.scopes)
            .field("audience", &self.audience)
            .field("issuer", &self.issuer)
            .field("jti", &self.jti)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl AuthInfo {
    /// Builds the typed view of a payload. Registered claims of the wrong JSON type are a
    /// rejection, never "absent".
    pub(crate) fn from_claims(claims: Map<String, Value>) -> Result<Self, InvalidTokenReason> {
        const BAD: InvalidTokenReason = InvalidTokenReason::InvalidClaims;
        fn string(
            claims: &Map<String, Value>,
            name: &str,
        ) -> Result<Option<String>, InvalidTokenReason> {
            match claims.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(BAD),
            }
        }
        fn numeric_date(
            claims: &Map<String, Value>,
            name: &str,
        ) -> Result<Option<i64>, InvalidTokenReason> {
            match claims.get(name) {
                None => Ok(None),
                // NumericDate may have a fraction (RFC 7519 §2); whole seconds are enough.
                Some(Value::Number(n)) => n
                    .as_i64()
                    .or_else(|| {
                        n.as_f64()
                            .filter(|f| f.is_finite())
                            .map(|f| f.floor() as i64)
                    })
                    .map(Some)
                    .ok_or(BAD),
                Some(_) => Err(BAD),
            }
        }
        let audience = match claims.get("aud") {
            None => None,
            Some(Value::String(s)) => Some(vec![s.clone()]),
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned).ok_or(BAD))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(_) => return Err(BAD),
        };
        let scopes = match claims.get("scope") {
            None => Scopes::default(),
            Some(Value::String(s)) => Scopes::parse(s),
            Some(_) => return Err(BAD),
        };
        Ok(Self {
            issuer: string(&claims, "iss")?.ok_or(BAD)?,
            sub: string(&claims, "sub")?.ok_or(BAD)?,
            expires_at: numeric_date(&claims, "exp")?.ok_or(BAD)?,
            audience: audience.ok_or(BAD)?,
            client_id: string(&claims, "client_id")?,
            organization_id: string(&claims, "organization_id")?,
            jti: string(&claims, "jti")?,
            issued_at: numeric_date(&claims, "iat")?,
            not_before: numeric_date(&claims, "nbf")?,
            scopes,
            claims: Arc::new(claims),
        })
    }

    /// The subject: the user id, or for machine-to-machine tokens the application id.
    pub fn sub(&self) -> &str {
        &self.sub
    }

    /// The `client_id` claim: the application the token was issued to.
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// The `organization_id` claim, present on tokens for organization-level API resources.
    pub fn organization_id(&self) -> Option<&str> {
        self.organization_id.as_deref()
    }

    /// The organization id of an organization token: the `<id>` of the first
    /// `urn:logto:organization:<id>` audience.
    pub fn audience_organization_id(&self) -> Option<&str> {
        self.audience
            .iter()
            .find_map(|aud| aud.strip_prefix(ORGANIZATION_AUDIENCE_PREFIX))
            .filter(|id| !id.is_empty())
    }

    /// Whether `urn:logto:organization:<organization_id>` is among the audiences.
    pub fn has_organization_audience(&self, organization_id: &str) -> bool {
        self.audience
            .iter()
            .any(|aud| aud.strip_prefix(ORGANIZATION_AUDIENCE_PREFIX) == Some(organization_id))
    }

    /// Whether this token is for the machine-to-machine application itself
    /// (`sub == client_id`).
    pub fn is_machine_to_machine(&self) -> bool {
        self.client_id.as_deref() == Some(self.sub.as_str())
    }

    /// The granted scopes.
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }

    /// The audiences (`aud` as a list, also when the token carries a single string).
    pub fn audience(&self) -> &[String] {
        &self.audience
    }

    /// The issuer (`iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The token id (`jti`).
    pub fn jti(&self) -> Option<&str> {
        self.jti.as_deref()
    }

    /// Issued at (`iat`), in seconds since the Unix epoch.
    pub fn issued_at(&self) -> Option<i64> {
        self.issued_at
    }

    /// Expiry (`exp`), in seconds since the Unix epoch.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// Every claim of the payload, for custom claims.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// A claim as type `T`: `Ok(None)` when absent, `Err` when present with another type.
    ///
    /// ```
    /// # fn show(info: &axum_logto::AuthInfo) -> Result<(), axum_logto::ClaimTypeError> {
    /// let roles: Vec<String> = info.claim("roles")?.unwrap_or_default();
    /// # Ok(()) }
    /// ```
    pub fn claim<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, ClaimTypeError> {
        match self.claims.get(name) {
            None => Ok(None),
            Some(value) => T::deserialize(value).map(Some).map_err(|_| ClaimTypeError),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test input is an object"),
        }
    }

    fn base() -> Value {
        json!({"iss": "https://t/oidc", "sub": "u1", "exp": 2000000000, "aud": "https://api",
               "client_id": "app", "scope": "a b a", "jti": "j", "iat": 1700000000.5})
    }

    #[test]
    fn parses_logto_claims() {
        let info = AuthInfo::from_claims(claims(base())).unwrap();
        assert_eq!(info.sub(), "u1");
        assert_eq!(info.client_id(), Some("app"));
        assert_eq!(info.audience(), ["https://api"]);
        assert_eq!(info.scopes().iter().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(info.issued_at(), Some(1700000000));
        assert_eq!(info.expires_at(), 2000000000);
        assert!(!info.is_machine_to_machine());
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(
            json,
            json!({"sub": "u1", "clientId": "app", "organizationId": null, "scopes": ["a", "b"],
                   "audience": ["https://api"], "issuer": "https://t/oidc", "jti": "j",
                   "issuedAt": 1700000000, "expiresAt": 2000000000})
        );
    }

    #[test]
    fn wrong_types_are_rejections_not_absent() {
        for (name, value) in [
            ("exp", json!("2000000000")),
            ("scope", json!(["a", "b"])),
            ("aud", json!(["x", 1])),
            ("aud", json!(7)),
            ("iss", json!(null)),
            ("sub", json!(1)),
            ("client_id", json!(1)),
            ("organization_id", json!(["o"])),
            ("iat", json!("now")),
            ("nbf", json!(true)),
            ("jti", json!({})),
        ] {
            let mut c = claims(base());
            c.insert(name.to_owned(), value);
            assert_eq!(
                AuthInfo::from_claims(c).unwrap_err(),
                InvalidTokenReason::InvalidClaims,
                "{name}"
            );
        }
        for required in ["iss", "sub", "exp", "aud"] {
            let mut c = claims(base());
            c.remove(required);
            assert_eq!(
                AuthInfo::from_claims(c).unwrap_err(),
                InvalidTokenReason::InvalidClaims,
                "{required}"
            );
        }
    }

    #[test]
    fn scope_missing_or_empty_means_none() {
        let mut c = claims(base());
        c.remove("scope");
        assert!(AuthInfo::from_claims(c).unwrap().scopes().is_empty());
        let mut c = claims(base());
        c.insert("scope".into(), json!(""));
        assert!(AuthInfo::from_claims(c).unwrap().scopes().is_empty());
    }

    #[test]
    fn organization_helpers() {
        let mut c = claims(base());
        c.insert(
            "aud".into(),
            json!(["urn:logto:organization:o1", "https://api"]),
        );
        c.insert("organization_id".into(), json!("o2"));
        c.insert("sub".into(), json!("app"));
        let info = AuthInfo::from_claims(c).unwrap();
        assert_eq!(info.audience_organization_id(), Some("o1"));
        assert!(info.has_organization_audience("o1"));
        assert!(!info.has_organization_audience("o2"));
        assert_eq!(info.organization_id(), Some("o2"));
        assert!(info.is_machine_to_machine());
    }

    #[test]
    fn typed_custom_claims() {
        let mut c = claims(base());
        c.insert("roles".into(), json!(["admin"]));
        let info = AuthInfo::from_claims(c).unwrap();
        assert_eq!(
            info.claim::<Vec<String>>("roles"),
            Ok(Some(vec!["admin".to_owned()]))
        );
        assert_eq!(info.claim::<u32>("roles"), Err(ClaimTypeError));
        assert_eq!(info.claim::<u32>("absent"), Ok(None));
    }
}
