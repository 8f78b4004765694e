//! The MCP server's router, shared by `examples/mcp_server.rs` and the tests that drive
//! it: rmcp's streamable HTTP transport at `/mcp` behind `LogtoLayer` with a policy that says
//! which scope each tool needs, and the protected-resource metadata (RFC 9728) outside the
//! layer, where a client without a token finds it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum_logto::{AuthInfo, LogtoLayer, LogtoState, McpPolicy, scopes};
use rmcp::handler::server::common::{AsRequestContext, FromContextPart};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, ServerHandler, schemars, tool, tool_handler, tool_router};
use serde::Deserialize;
use serde_json::json;

scopes! {
    /// Read your notes (`list_notes`).
    pub(crate) ReadNotes = "read:notes";
    /// Add notes (`add_note`).
    pub(crate) WriteNotes = "write:notes";
}

/// What each tool needs, checked by the layer before rmcp runs: `whoami` any valid token,
/// `list_notes` `read:notes`, `add_note` `write:notes`. A tool not listed here is refused,
/// so a tool added to the server later needs an entry before anyone can call it. A token
/// without a tool's scope gets 403 `insufficient_scope` with `scope="<the tool's scope>"`,
/// from which an MCP client asks for a new token ("step-up authorization").
/// (`initialize`, `ping`, `notifications/*` and `tools/list` need any valid token: the
/// policy's defaults.) Its scopes are the metadata's `scopes_supported`.
pub(crate) fn policy() -> McpPolicy {
    McpPolicy::new()
        .tool::<()>("whoami")
        .tool::<ReadNotes>("list_notes")
        .tool::<WriteNotes>("add_note")
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

    // The layer's policy checked the scope before the call reached rmcp.
    #[tool(description = "List your notes. Needs the scope read:notes.")]
    async fn list_notes(&self, Caller(auth): Caller) -> Result<CallToolResult, ErrorData> {
        let notes = self.notes.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mine = notes.get(auth.sub()).cloned().unwrap_or_default();
        Ok(CallToolResult::success(vec![ContentBlock::text(
            json!({ "notes": mine }).to_string(),
        )]))
    }

    #[tool(description = "Add a note. Needs the scope write:notes.")]
    async fn add_note(
        &self,
        Caller(auth): Caller,
        Parameters(AddNote { text }): Parameters<AddNote>,
    ) -> Result<CallToolResult, ErrorData> {
        let mut notes = self.notes.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mine = notes.entry(auth.sub().to_owned()).or_default();
        mine.push(text);
        Ok(CallToolResult::success(vec![ContentBlock::text(
            json!({ "added": true, "count": mine.len() }).to_string(),
        )]))
    }
}

#[tool_handler(name = "axum-logto-notes", version = "0.1.0")]
impl ServerHandler for NotesServer {}

/// The MCP endpoint at [`MCP_PATH`] behind `LogtoLayer` with the [`policy`], and the
/// protected-resource metadata outside it. `public_host` is the host of the public URL (`PUBLIC_URL`): rmcp answers 403 to
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
        // Every request to the MCP endpoint needs a valid token for this server, and each
        // operation what the policy says (`route_layer`: other paths stay 404).
        .route_layer(LogtoLayer::new(logto.clone()).mcp(policy()))
        // Outside the layer: the 401 challenge names this document, so it must be public.
        .merge(logto.resource_metadata_router())
}
