//! [`LogtoScheme`]: the tenant as an OpenAPI security scheme, its name, and the scopes it
//! lists.

#[cfg(feature = "aide")]
use serde_json::{Map, Value, json};

use crate::scope::ScopeDoc;
use crate::state::LogtoState;

/// The name the extractors' security requirements use until [`LogtoScheme::name`] renames
/// them: `"logto"`.
pub const DEFAULT_SCHEME_NAME: &str = "logto";

/// Which kind of OpenAPI security scheme describes the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SchemeKind {
    /// OAuth 2.0 (the default): the authorization code flow (use it with PKCE) and the client
    /// credentials flow, at the tenant's `<issuer>/auth` and `<issuer>/token`, with every
    /// scope and its description. What Swagger UI needs to get a token for you.
    #[default]
    OAuth2,
    /// OpenID Connect: the tenant's discovery document,
    /// `<issuer>/.well-known/openid-configuration` (clients read the endpoints there; the
    /// scheme lists no scopes).
    OpenIdConnect,
    /// HTTP bearer (`bearerFormat: JWT`): no flows, only "send a bearer token". Tools that
    /// only understand `http` schemes (schemathesis's `ignored_auth` check) can probe it.
    Bearer,
}

/// The tenant as an OpenAPI security scheme: its name in the document (default
/// [`"logto"`](DEFAULT_SCHEME_NAME)), its [kind](SchemeKind), its endpoints (from
/// [`LogtoState::issuer`]) and its scopes.
///
/// With aide (feature `aide`), the extractors document their requirements under the name
/// `"logto"`; `finish_aide` declares the scheme under the name chosen here (renaming the
/// requirements if it is another), with every scope the routes name and its doc line. With
/// utoipa (feature `utoipa`) it is a `utoipa::Modify`: annotations name the scheme themselves
/// (`security(("logto" = [ReadDocs]))`), so pick the same name here.
///
/// Swagger UI asks Logto for a token with the scheme's endpoints, but Logto issues a JWT access
/// token for an API only when the request names the API resource: configure Swagger UI with
/// `additionalQueryStringParams: { resource: "<your audience>" }` and
/// `usePkceWithAuthorizationCodeGrant: true` (the scheme's description says so too).
///
/// ```
/// use axum_logto::openapi::{LogtoScheme, SchemeKind};
/// use axum_logto::{scopes, LogtoState, ScopeDoc};
///
/// scopes! {
///     pub const API_SCOPES: &[ScopeDoc];
///     /// Read documents.
///     pub ReadDocs = "read:docs";
/// }
///
/// let logto = LogtoState::builder("https://my-tenant.logto.app")
///     .audience("https://api.example.com")
///     .build()
///     .unwrap();
/// let scheme = LogtoScheme::new(&logto).scopes(API_SCOPES);
/// assert_eq!(scheme.scheme_name(), "logto");
/// assert_eq!(scheme.token_url(), "https://my-tenant.logto.app/oidc/token");
/// let oidc = LogtoScheme::new(&logto).name("tenant").kind(SchemeKind::OpenIdConnect);
/// assert_eq!(
///     oidc.discovery_url(),
///     "https://my-tenant.logto.app/oidc/.well-known/openid-configuration"
/// );
/// ```
#[derive(Debug, Clone)]
pub struct LogtoScheme {
    name: String,
    kind: SchemeKind,
    issuer: String,
    audience: Option<String>,
    scopes: Vec<(String, String)>,
    description: Option<String>,
}

impl LogtoScheme {
    /// The scheme of `logto`'s tenant, named `"logto"`, OAuth 2.0, with the scopes the
    /// routes name (aide) or none yet (utoipa: see [`scopes`](Self::scopes)).
    pub fn new(logto: &LogtoState) -> Self {
        Self {
            name: DEFAULT_SCHEME_NAME.to_owned(),
            kind: SchemeKind::default(),
            issuer: logto.issuer().to_owned(),
            audience: logto.audiences().first().cloned(),
            scopes: Vec::new(),
            description: None,
        }
    }

    /// The scheme's name in the document. Default: `"logto"`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The kind of scheme. Default: [`SchemeKind::OAuth2`].
    pub fn kind(mut self, kind: SchemeKind) -> Self {
        self.kind = kind;
        self
    }

    /// Lists these scopes in the scheme, with their descriptions (a `scopes!` constant
    /// `const NAME: &[ScopeDoc];`), before those the routes name. Repeatable.
    pub fn scopes(mut self, scopes: &[ScopeDoc]) -> Self {
        for scope in scopes {
            add_scope(&mut self.scopes, scope.name(), scope.description());
        }
        self
    }

    /// The scheme's description. Default: which tenant issues the tokens, and that a client
    /// asks for them with `resource=<audience>`.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The scheme's name in the document.
    pub fn scheme_name(&self) -> &str {
        &self.name
    }

    /// The tenant's discovery document: `<issuer>/.well-known/openid-configuration`.
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer)
    }

    /// The tenant's token endpoint: `<issuer>/token`.
    pub fn token_url(&self) -> String {
        format!("{}/token", self.issuer)
    }

    /// The tenant's authorization endpoint: `<issuer>/auth`.
    pub fn authorization_url(&self) -> String {
        format!("{}/auth", self.issuer)
    }

    /// The kind of scheme.
    #[cfg(feature = "utoipa")]
    pub(crate) fn scheme_kind(&self) -> SchemeKind {
        self.kind
    }

    /// The scopes given to [`scopes`](Self::scopes), then `more`.
    pub(crate) fn all_scopes(&self, more: &[(String, String)]) -> Vec<(String, String)> {
        let mut all = self.scopes.clone();
        for (name, text) in more {
            add_scope(&mut all, name, text);
        }
        all
    }

    /// The description the scheme carries.
    pub(crate) fn description_text(&self) -> String {
        if let Some(description) = &self.description {
            return description.clone();
        }
        match &self.audience {
            Some(audience) => format!(
                "Access tokens issued by the Logto tenant {} for the API resource {audience}. \
                 Ask for one with `resource={audience}` (Swagger UI: \
                 `additionalQueryStringParams: {{resource: \"{audience}\"}}`), with PKCE for the \
                 authorization code flow. Organization tokens are asked for with \
                 `organization_id=<id>` instead of `resource`.",
                self.issuer
            ),
            None => format!(
                "Organization tokens issued by the Logto tenant {}: ask for one with \
                 `organization_id=<id>`.",
                self.issuer
            ),
        }
    }

    /// The scheme as JSON (an OpenAPI Security Scheme Object), listing `scopes` after those
    /// given to [`scopes`](Self::scopes).
    #[cfg(feature = "aide")]
    pub(crate) fn to_json(&self, scopes: &[(String, String)]) -> Value {
        let description = self.description_text();
        match self.kind {
            SchemeKind::OpenIdConnect => json!({
                "type": "openIdConnect",
                "openIdConnectUrl": self.discovery_url(),
                "description": description,
            }),
            SchemeKind::Bearer => json!({
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": description,
            }),
            SchemeKind::OAuth2 => {
                let scopes: Map<String, Value> = self
                    .all_scopes(scopes)
                    .into_iter()
                    .map(|(name, text)| (name, Value::String(text)))
                    .collect();
                let token_url = self.token_url();
                // Logto refreshes tokens at its token endpoint.
                json!({
                    "type": "oauth2",
                    "description": description,
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": self.authorization_url(),
                            "tokenUrl": token_url,
                            "refreshUrl": token_url,
                            "scopes": scopes,
                        },
                        "clientCredentials": {
                            "tokenUrl": token_url,
                            "refreshUrl": token_url,
                            "scopes": scopes,
                        },
                    },
                })
            }
        }
    }
}

/// Adds a scope to `scopes` unless listed; a listed one without description takes this one's.
pub(crate) fn add_scope(scopes: &mut Vec<(String, String)>, name: &str, description: &str) {
    match scopes.iter_mut().find(|(listed, _)| listed == name) {
        Some((_, text)) if text.is_empty() => description.clone_into(text),
        Some(_) => {}
        None => scopes.push((name.to_owned(), description.to_owned())),
    }
}
