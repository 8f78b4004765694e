//! The MCP server's router, shared by `examples/mcp_server.rs` and the tests that drive
//! it: rmcp's streamable HTTP transport at `/mcp` behind `LogtoLayer`, and the protected-resource
//! metadata (RFC 9728) outside the layer, where a client without a token finds it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum_logto::{AuthInfo, LogtoLayer, LogtoState, ScopeSet, scopes};
use rmcp::handler::server::common::{AsRequestContext, FromContextPart};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, ServerHandler, schemars, tool, tool_handler, tool_router};
use serde::Deserialize;
use serde_json::json;

scopes! {
    /// Every scope the tools check, for the protected-resource metadata (`scopes_supported`).
    pub(crate) const MCP_SCOPES;
    /// Read your notes (`list_notes`).
    pub(crate) ReadNotes = "read:notes";
    /// Add notes (`add_note`).
    pub(crate) WriteNotes = "write:notes";
}

/// Where the MCP endpoint is mounted.
pub(crate) const MCP_PATH: &str = "/mcp";

/// The notes of every caller, by `sub`. Shared by the server instances: in stateless mode rmcp
/// makes one per request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Notes(Arc<Mutex<BTreeMap<String, Vec<String>>>>);

/// The MCP server: its tools read the caller from the `AuthInfo` the layer verified.
#[derive(Debug, Clone)]
pub(crate) struct NotesServer {
    notes: Notes,
}

/// The caller, as verified by `LogtoLayer`: rmcp puts the HTTP request's `Parts` (with the
/// layer's extensions) into its own extensions, where this finds the `AuthInfo`.
pub(crate) struct Caller(pub(crate) AuthInfo);

impl<C: AsRequestContext> FromContextPart<C> for Caller {
    fn from_context_part(context: &mut C) -> Result<Self, ErrorData> {
        context
            .as_request_context()
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<AuthInfo>())
            .cloned()
            .map(Caller)
            // Only when the service is mounted without the layer: a server bug, not the
            // caller's.
            .ok_or_else(|| ErrorData::internal_error("no verified caller", None))
    }
}

impl Caller {
    /// `None` when the token carries the scopes `S`; else the tool's answer: an error result
    /// (`isError: true`) that names the missing scopes.
    ///
    /// A result, not a JSON-RPC error: the request was valid and reached the tool, which
    /// refused it, and MCP clients show a result's text to the model and the user (who can
    /// ask for a token with the scope), while they often show a protocol error only as a
    /// failure. The token itself was already checked by the layer, whose refusals are HTTP
    /// 401/403 with RFC 6750 challenges.
    fn refuse_without<S: ScopeSet>(&self, tool: &str) -> Option<CallToolResult> {
        if S::is_satisfied_by(self.0.scopes()) {
            return None;
        }
        let granted: Vec<&str> = self.0.scopes().iter().collect();
        Some(CallToolResult::error(vec![ContentBlock::text(format!(
            "insufficient_scope: {tool} needs the scope {}, which the access token lacks \
             (it has: {}); ask for a token with it",
            S::SCOPES.join(" "),
            if granted.is_empty() {
                "none".to_owned()
            } else {
                granted.join(" ")
            },
        ))]))
    }
}

/// The arguments of `add_note`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct AddNote {
    /// The note's text.
    pub(crate) text: String,
}

#[tool_router]
impl NotesServer {
    pub(crate) fn new(notes: Notes) -> Self {
        Self { notes }
    }

    #[tool(description = "Who is calling: the access token's subject, application and scopes.")]
    async fn whoami(&self, Caller(auth): Caller) -> Result<CallToolResult, ErrorData> {
        let answer = json!({
            "sub": auth.sub(),
            "client_id": auth.client_id(),
            "scopes": auth.scopes().iter().collect::<Vec<_>>(),
            "machine_to_machine": auth.is_machine_to_machine(),
        });
        Ok(CallToolResult::success(vec![ContentBlock::text(
            answer.to_string(),
        )]))
    }

    #[tool(description = "List your notes. Needs the scope read:notes.")]
    async fn list_notes(&self, caller: Caller) -> Result<CallToolResult, ErrorData> {
        if let Some(refused) = caller.refuse_without::<ReadNotes>("list_notes") {
            return Ok(refused);
        }
        let notes = self.notes.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mine = notes.get(caller.0.sub()).cloned().unwrap_or_default();
        Ok(CallToolResult::success(vec![ContentBlock::text(
            json!({ "notes": mine }).to_string(),
        )]))
    }

    #[tool(description = "Add a note. Needs the scope write:notes.")]
    async fn add_note(
        &self,
        caller: Caller,
        Parameters(AddNote { text }): Parameters<AddNote>,
    ) -> Result<CallToolResult, ErrorData> {
        if let Some(refused) = caller.refuse_without::<WriteNotes>("add_note") {
            return Ok(refused);
        }
        let mut notes = self.notes.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mine = notes.entry(caller.0.sub().to_owned()).or_default();
        mine.push(text);
        Ok(CallToolResult::success(vec![ContentBlock::text(
            json!({ "added": true, "count": mine.len() }).to_string(),
        )]))
    }
}

#[tool_handler(name = "axum-logto-notes", version = "0.1.0")]
impl ServerHandler for NotesServer {}

/// The MCP endpoint at [`MCP_PATH`] behind `LogtoLayer`, and the protected-resource metadata
/// outside it. `public_host` is the host of the public URL (`PUBLIC_URL`): rmcp answers 403 to
/// any other `Host` than loopback's, against DNS rebinding, so a public host must be allowed.
pub(crate) fn router(logto: LogtoState, public_host: Option<&str>) -> Router {
    let mut allowed_hosts = vec!["localhost", "127.0.0.1", "::1"];
    allowed_hosts.extend(public_host);
    let config = StreamableHttpServerConfig::default()
        // Stateless: every POST stands alone (no session to share between callers), and the
        // answer is plain JSON, not an event stream.
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_allowed_hosts(allowed_hosts);
    let notes = Notes::default();
    let mcp = StreamableHttpService::new(
        move || Ok(NotesServer::new(notes.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    Router::new()
        .nest_service(MCP_PATH, mcp)
        // Every request to the MCP endpoint needs a valid token for this server (`route_layer`:
        // other paths stay 404).
        .route_layer(LogtoLayer::new(logto.clone()))
        // Outside the layer: the 401 challenge names this document, so it must be public.
        .merge(logto.resource_metadata_router())
}
