//! OAuth 2.0 Protected Resource Metadata (RFC 9728): the document that tells a client (an MCP
//! client, say) which authorization server to ask for a token, and where it is published.

use std::sync::Arc;

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use url::Url;

/// The well-known path of RFC 9728 §3.
pub(crate) const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// RFC 6749 §3.3: `1*( %x21 / %x23-5B / %x5D-7E )`.
fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// What a [`LogtoState`](crate::LogtoState) publishes as its protected-resource metadata (RFC
/// 9728); set with
/// [`LogtoStateBuilder::resource_metadata`](crate::LogtoStateBuilder::resource_metadata).
///
/// - `resource`: the API's resource indicator, by default the first configured audience (so
///   that the two cannot drift apart);
/// - `authorization_servers`: the tenant's issuer and the additional issuers;
/// - `scopes_supported`: what you list (from [`scopes!`](crate::scopes)'s constant, say);
/// - `bearer_methods_supported`: `header`, and `query` when the query token source is on;
/// - `resource_name` and `resource_documentation` when set.
///
/// The document is served (by [`LogtoState::resource_metadata_router`](crate::LogtoState::resource_metadata_router))
/// at `/.well-known/oauth-protected-resource`, and at the path-inserted form when the resource
/// has a path (resource `https://mcp.example.com/mcp` →
/// `/.well-known/oauth-protected-resource/mcp`; a trailing slash is kept, `…/mcp/` →
/// `…/oauth-protected-resource/mcp/`, and the form without it answers too). Its absolute URL, named in every 401 and 403
/// challenge as `resource_metadata="…"`, starts with the public URL given here: never with the
/// request's `Host` header, which a client controls.
///
/// ```
/// use axum_logto::{LogtoState, ResourceMetadata};
///
/// axum_logto::scopes! {
///     pub const MCP_SCOPES;
///     pub ReadNotes = "read:notes";
///     pub WriteNotes = "write:notes";
/// }
///
/// let logto = LogtoState::builder("https://my-tenant.logto.app")
///     .audience("https://mcp.example.com/mcp")
///     .resource_metadata(
///         ResourceMetadata::new("https://mcp.example.com")
///             .scopes_supported(MCP_SCOPES)
///             .resource_name("Notes MCP server"),
///     )
///     .build()
///     .unwrap();
/// assert_eq!(
///     logto.resource_metadata_url(),
///     Some("https://mcp.example.com/.well-known/oauth-protected-resource/mcp")
/// );
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ResourceMetadata {
    pub(crate) public_url: String,
    pub(crate) resource: Option<String>,
    scopes_supported: Vec<String>,
    resource_name: Option<String>,
    resource_documentation: Option<String>,
}

impl ResourceMetadata {
    /// Metadata published under `public_url`: the scheme, host and port clients reach this
    /// API at (`https://mcp.example.com`; any path is ignored). `build()` requires https, or
    /// http to loopback.
    pub fn new(public_url: impl Into<String>) -> Self {
        Self {
            public_url: public_url.into(),
            resource: None,
            scopes_supported: Vec::new(),
            resource_name: None,
            resource_documentation: None,
        }
    }

    /// The `resource` value. Default: the first configured audience. It is compared with the
    /// token's `aud` byte for byte like any audience: `https://mcp.example.com/` (with the
    /// trailing slash of Logto's MCP guide) and `https://mcp.example.com` are two resources.
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// The scopes a client may ask for (`scopes_supported`), from a
    /// [`scopes!`](crate::scopes) constant or a per-operation policy
    /// ([`McpPolicy::scopes`](crate::McpPolicy::scopes)). Default: none (the member is left
    /// out).
    ///
    /// `build()` refuses an entry that is not an RFC 6749 scope-token, and `offline_access`
    /// ([`ConfigError::ScopeNotSupported`](crate::ConfigError::ScopeNotSupported)): it asks
    /// the authorization server for a refresh token, which is no permission on this resource,
    /// and MCP servers "SHOULD NOT include `offline_access` in … `scopes_supported`" (MCP
    /// authorization, "Refresh Tokens"); a client that wants one adds it itself.
    pub fn scopes_supported<I, T>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.scopes_supported
            .extend(scopes.into_iter().map(|scope| scope.as_ref().to_owned()));
        self
    }

    /// A human-readable name (`resource_name`). Default: none.
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// A URL of documentation for developers (`resource_documentation`). Default: none.
    pub fn resource_documentation(mut self, url: impl Into<String>) -> Self {
        self.resource_documentation = Some(url.into());
        self
    }
}

impl ResourceMetadata {
    /// The first entry of `scopes_supported` that cannot be published: not an RFC 6749
    /// scope-token, or `offline_access`.
    pub(crate) fn unsupported_scope(&self) -> Option<&str> {
        self.scopes_supported
            .iter()
            .find(|scope| *scope == "offline_access" || !is_scope_token(scope))
            .map(String::as_str)
    }

    /// The document for `resource` and the accepted `issuers`, published under `public_url`
    /// (both checked by `build()`); `query`: the query token source is on.
    pub(crate) fn publish(
        &self,
        public_url: &Url,
        resource: String,
        issuers: &[String],
        query: bool,
    ) -> Published {
        let mut bearer_methods_supported = vec!["header"];
        if query {
            bearer_methods_supported.push("query");
        }
        let document = Document {
            resource,
            authorization_servers: issuers.to_vec(),
            scopes_supported: self.scopes_supported.clone(),
            bearer_methods_supported,
            resource_name: self.resource_name.clone(),
            resource_documentation: self.resource_documentation.clone(),
        };
        Published::new(document, public_url)
    }
}

/// The document as published (RFC 9728 §2).
#[derive(Debug, Serialize)]
struct Document {
    resource: String,
    authorization_servers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scopes_supported: Vec<String>,
    bearer_methods_supported: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_documentation: Option<String>,
}

/// The published metadata: the document, its JSON, and where it lives.
#[derive(Debug)]
pub(crate) struct Published {
    json: String,
    /// The absolute URL of the document (for `resource_metadata="…"`).
    pub(crate) url: String,
    /// The paths it answers at.
    paths: Vec<String>,
}

impl Published {
    /// Publishes `document` under `public_url` (already checked to be https or loopback).
    fn new(document: Document, public_url: &Url) -> Self {
        // RFC 9728 §3.1: the well-known path goes between the host and the resource's path,
        // which keeps a trailing slash (`https://x/mcp/` → `…/oauth-protected-resource/mcp/`);
        // only the lone `/` of a resource without a path is dropped. Some clients strip the
        // trailing slash anyway: that form is served too, but the RFC's is the one named.
        let resource_path = Url::parse(&document.resource)
            .ok()
            .map(|resource| resource.path().to_owned())
            .filter(|path| !path.trim_end_matches('/').is_empty())
            .unwrap_or_default();
        let inserted = format!("{WELL_KNOWN}{resource_path}");
        let mut paths = vec![WELL_KNOWN.to_owned()];
        for path in [inserted.as_str(), inserted.trim_end_matches('/')] {
            if !paths.iter().any(|known| known == path) {
                paths.push(path.to_owned());
            }
        }
        let origin = public_url.origin().ascii_serialization();
        // Serialising a struct of strings cannot fail.
        let json = serde_json::to_string(&document).unwrap_or_default();
        Self {
            json,
            url: format!("{origin}{inserted}"),
            paths,
        }
    }

    /// A router that answers `GET` at the document's paths.
    pub(crate) fn router<S: Clone + Send + Sync + 'static>(self: &Arc<Self>) -> Router<S> {
        self.paths.iter().fold(Router::new(), |router, path| {
            let published = self.clone();
            router.route(path, get(move || async move { published.response() }))
        })
    }

    fn response(&self) -> Response {
        let mut response = (StatusCode::OK, self.json.clone()).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        );
        response
    }
}
