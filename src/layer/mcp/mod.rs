//! [`McpPolicy`]: the scopes of each MCP operation (JSON-RPC method, tool, resource, prompt),
//! decided by [`McpLayer`] before the MCP server runs: the operation read from the request's
//! headers (`headers`) or its JSON-RPC body (`body`, `operation`), the fixed answers to
//! requests it cannot read (`error`), and the layer itself (`service`).

mod body;
mod error;
mod headers;
mod operation;
mod service;

pub use service::{McpLayer, McpService};

use super::policy::{Rule, Table, scopes_supported};
use crate::scope::ScopeSet;
use operation::{Target, may_escape_prefix};

/// Default cap on the JSON-RPC body the layer reads: 1 MiB.
const DEFAULT_MAX_BODY_SIZE: usize = 1024 * 1024;

/// The methods any valid token may call unless the policy says otherwise: what a client
/// needs to connect and find the tools.
const OPEN_METHODS: &[&str] = &[
    "initialize",
    "ping",
    "notifications/*",
    "tools/list",
    "server/discover",
];

/// The scopes each MCP operation needs, for [`LogtoLayer::mcp`](crate::LogtoLayer::mcp): a
/// map from JSON-RPC methods, tool names, resource URI prefixes and prompt names to scope
/// sets (a [`scopes!`](crate::scopes) marker, a tuple of them for all of them,
/// [`AnyOf`](crate::AnyOf) for one of them, `()` for any valid token). **What it does not
/// list is refused**, unless [`unlisted`](Self::unlisted) says otherwise: a tool added to the
/// server later inherits no check by accident.
///
/// ```
/// use axum_logto::{scopes, McpPolicy};
///
/// scopes! {
///     pub ReadNotes = "read:notes";
///     pub WriteNotes = "write:notes";
///     pub Admin = "admin";
/// }
///
/// let policy = McpPolicy::new()
///     .tool::<()>("whoami") // any valid token
///     .tool::<ReadNotes>("list_notes")
///     .tool::<WriteNotes>("add_note")
///     .resource::<ReadNotes>("notes://") // every URI that starts with notes://
///     .prompt::<ReadNotes>("summarize")
///     .method::<Admin>("logging/setLevel");
/// assert_eq!(policy.scopes(), ["admin", "read:notes", "write:notes"]);
/// ```
///
/// Behind the layer, a token that passes the layer's own checks but lacks an operation's
/// scopes gets what a [`RequireScopes`](crate::RequireScopes) extractor answers: 403
/// `insufficient_scope`, `WWW-Authenticate: Bearer …, scope="write:notes",
/// resource_metadata="…"` (with [`ResourceMetadata`](crate::ResourceMetadata) configured),
/// which MCP clients read to ask for a token with that scope and retry ("step-up
/// authorization"). An operation nothing allows is 403 with no `scope` (none would help;
/// logged and counted, feature `metrics`, with the reason `claim_check_failed`).
///
/// # What is an operation
///
/// - a JSON-RPC method: `tools/list`, `logging/setLevel`…, or every method with a prefix,
///   `notifications/*` ([`method`](Self::method));
/// - a tool, for `tools/call` ([`tool`](Self::tool)); a prompt, for `prompts/get`
///   ([`prompt`](Self::prompt)); a resource, by the start of its URI, for `resources/read`,
///   `resources/subscribe` and `resources/unsubscribe` ([`resource`](Self::resource)). A
///   `method` entry for `tools/call` (or the others) covers the tools (prompts, resources)
///   not listed by name.
///
/// By default `initialize`, `ping`, `notifications/*`, `tools/list` and `server/discover`
/// (the modern revision's handshake) need any valid token: what a client needs to connect
/// and see the tools. Change them with [`method`](Self::method) or
/// [`refuse_method`](Self::refuse_method). Every other method (`resources/list`,
/// `prompts/list`, `completion/complete`…) is refused until listed.
///
/// A server that filters its `tools/list` answer by the caller's scopes answers each token
/// differently: such an answer must never be cached as public (a shared cache, a CDN, a
/// gateway); mark it `Cache-Control: private` or `no-store` if anything between the client
/// and the server caches POST answers.
///
/// # Where the operation is read
///
/// - **Headers**, when `MCP-Protocol-Version` is `2026-07-28`, and `Mcp-Method` (and, for a
///   method that targets a tool, a prompt or a resource, `Mcp-Name`, decoded from its
///   `=?base64?…?=` form) name the operation. That revision requires the server to refuse a
///   request whose headers disagree with its body (400, `-32020`; rmcp 3.11 does), so the
///   body is not read: this costs a few header lookups. Use a server that implements this
///   revision's validation, or [`always_read_body`](Self::always_read_body).
/// - **The JSON-RPC body** for every other revision (2025-11-25 and older carry no such
///   headers), an absent or unknown `MCP-Protocol-Version`, or incomplete headers: read up
///   to [`max_body_size`](Self::max_body_size) (after the token passed, so that no body is
///   buffered for a request without a valid one, unless the layer is
///   [`optional`](crate::LogtoLayer::optional)), and handed to the server unchanged. Every
///   message of a batch must pass; a JSON-RPC response (the answer to the server's own
///   request) asks for no operation. `Mcp-Method` and `Mcp-Name`, when present, must match
///   it.
///
/// Requests other than POST (the legacy event stream's GET, a session's DELETE) carry no
/// JSON-RPC message: they need what the layer itself needs.
///
/// # Requests the layer cannot read
///
/// A request whose operation cannot be told is answered, once its token passed, with a
/// fixed JSON-RPC error (no challenge: the token was fine) that MCP clients report as the
/// failure of the request:
///
/// | request | status | JSON-RPC code |
/// |---|---|---|
/// | `Mcp-Method`/`Mcp-Name` that disagree with the body | 400 | `-32020` (MCP's HeaderMismatch) |
/// | a repeated or malformed `Mcp-Method`, `Mcp-Name`, `MCP-Protocol-Version`, or bad `=?base64?…?=` | 400 | `-32020` |
/// | a body that is not JSON | 400 | `-32700` |
/// | JSON that is not a JSON-RPC message (a member twice, `params` not an object, an empty batch…) | 400 | `-32600` |
/// | `tools/call`, `prompts/get`, `resources/*` without a string name or URI | 400 | `-32602` |
/// | a body over [`max_body_size`](Self::max_body_size) | 413 | `-32600` |
/// | a body with a `Content-Encoding` | 415 | `-32600` |
#[derive(Debug, Clone)]
#[must_use]
pub struct McpPolicy {
    methods: Table,
    tools: Table,
    prompts: Table,
    /// Prefixes only.
    resources: Table,
    unlisted: Rule,
    max_body_size: usize,
    always_read_body: bool,
}

impl Default for McpPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl McpPolicy {
    /// A policy where `initialize`, `ping`, `notifications/*`, `tools/list` and
    /// `server/discover` need any valid token, and nothing else is allowed until listed.
    pub fn new() -> Self {
        let mut methods = Table::default();
        for method in OPEN_METHODS {
            methods.insert(method, Rule::of::<()>());
        }
        Self {
            methods,
            tools: Table::default(),
            prompts: Table::default(),
            resources: Table::default(),
            unlisted: Rule::Refuse,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            always_read_body: false,
        }
    }

    /// Calling the tool `name` (`tools/call`) needs the scopes `S`. A `name` that ends with
    /// `*` covers every tool whose name starts with what comes before it.
    pub fn tool<S: ScopeSet>(mut self, name: &str) -> Self {
        self.tools.insert(name, Rule::of::<S>());
        self
    }

    /// Getting the prompt `name` (`prompts/get`) needs the scopes `S`; `name*` as for
    /// [`tool`](Self::tool).
    pub fn prompt<S: ScopeSet>(mut self, name: &str) -> Self {
        self.prompts.insert(name, Rule::of::<S>());
        self
    }

    /// Reading, subscribing to and unsubscribing from the resources whose URI starts with
    /// `uri_prefix` need the scopes `S`; the longest listed prefix wins. The match is on the
    /// URI as sent: end a prefix with `/` (`file:///projects/app/`, not
    /// `file:///projects/app`, which `file:///projects/app-secrets` starts with too). A
    /// URI with a `.` or `..` segment, a `\`, or a percent-encoded `.`, `/` or `\` after
    /// the prefix matches no prefix (a server could resolve it out of the prefix).
    pub fn resource<S: ScopeSet>(mut self, uri_prefix: &str) -> Self {
        self.resources.insert_prefix(uri_prefix, Rule::of::<S>());
        self
    }

    /// The JSON-RPC method `method` (`logging/setLevel`, `resources/list`…) needs the scopes
    /// `S`; `prefix/*` covers every method that starts with `prefix/`. For `tools/call`,
    /// `prompts/get` and `resources/*`, it covers the tools, prompts and resources not listed
    /// on their own. Replaces a default (`tools/list`, `notifications/*`…).
    pub fn method<S: ScopeSet>(mut self, method: &str) -> Self {
        self.methods.insert(method, Rule::of::<S>());
        self
    }

    /// Refuses the method `method` (or `prefix/*`) whatever the token: to take away a
    /// default (`ping`, `tools/list`, `notifications/*`…).
    pub fn refuse_method(mut self, method: &str) -> Self {
        self.methods.insert(method, Rule::Refuse);
        self
    }

    /// What an operation the policy does not list needs: the scopes `S` (`()`: any valid
    /// token). Default: it is refused, whatever the token.
    pub fn unlisted<S: ScopeSet>(mut self) -> Self {
        self.unlisted = Rule::of::<S>();
        self
    }

    /// The largest JSON-RPC body the layer reads, in bytes; a larger one is refused with 413.
    /// Default: 1 MiB (rmcp's own limit is 4 MiB: raise this for tools that take large
    /// arguments).
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// Reads the operation from the body for every revision, 2026-07-28 included (and
    /// checks `Mcp-Method` and `Mcp-Name` against it), instead of trusting those headers
    /// where the revision requires the server to check them: for a server that does not
    /// implement that check. Costs the body read on every request. Default: off.
    pub fn always_read_body(mut self) -> Self {
        self.always_read_body = true;
        self
    }

    /// Every scope the policy names, each once, sorted: for the protected-resource
    /// metadata's `scopes_supported`
    /// ([`ResourceMetadata::scopes_supported`](crate::ResourceMetadata::scopes_supported)).
    pub fn scopes(&self) -> Vec<&'static str> {
        let tables = [&self.methods, &self.tools, &self.prompts, &self.resources];
        let listed = tables.into_iter().flat_map(Table::scopes);
        scopes_supported(listed.chain(self.unlisted.scopes().iter().copied()))
    }

    /// What `method` needs (of the target `name`, for a method that has one): its target's
    /// entry, else its method's, else the default.
    fn rule(&self, method: &str, name: Option<&str>) -> Rule {
        let target = match (Target::of(method), name) {
            (Some(Target::Tool), Some(name)) => self.tools.get(name),
            (Some(Target::Prompt), Some(name)) => self.prompts.get(name),
            (Some(Target::Resource), Some(uri)) => self
                .resources
                .prefix_match(uri)
                .filter(|(_, rest)| !may_escape_prefix(rest))
                .map(|(rule, _)| rule),
            _ => None,
        };
        target
            .or_else(|| self.methods.get(method))
            .unwrap_or(self.unlisted)
    }
}

/// For the fuzz target `mcp` (through `src/fuzz.rs`): the operations (method, name) of a
/// body, `None` for a JSON-RPC response; `None` for a body the layer refuses.
#[cfg(fuzzing)]
pub(crate) fn body_operations(body: &[u8]) -> Option<Vec<Option<(String, Option<String>)>>> {
    let messages = body::messages(body).ok()?;
    let operations = messages.into_iter().map(|message| {
        message.operation.map(|operation| {
            let name = operation.name.map(std::borrow::Cow::into_owned);
            (operation.method.into_owned(), name)
        })
    });
    Some(operations.collect())
}

/// For the fuzz target `mcp`: the operation the headers name where they are trusted
/// (`Some(None)` when the body has to be read), `None` for headers the layer refuses.
#[cfg(fuzzing)]
pub(crate) fn header_operation(
    headers: &http::HeaderMap,
) -> Option<Option<(String, Option<String>)>> {
    let named = headers::Named::read(headers).ok()?;
    let operation = named.operation();
    Some(operation.map(|(method, name)| (method.to_owned(), name.map(str::to_owned))))
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::scopes! {
        Read = "read";
        Write = "write";
        Admin = "admin";
    }

    fn rule(policy: &McpPolicy, method: &str, name: Option<&str>) -> Rule {
        policy.rule(method, name)
    }

    #[test]
    fn defaults() {
        let policy = McpPolicy::new();
        for method in [
            "initialize",
            "ping",
            "notifications/initialized",
            "notifications/cancelled",
            "tools/list",
            "server/discover",
        ] {
            assert_eq!(rule(&policy, method, None), Rule::of::<()>(), "{method}");
        }
        for method in [
            "resources/list",
            "prompts/list",
            "completion/complete",
            "notifications",
        ] {
            assert_eq!(rule(&policy, method, None), Rule::Refuse, "{method}");
        }
        assert_eq!(rule(&policy, "tools/call", Some("any")), Rule::Refuse);
        assert!(policy.scopes().is_empty());
    }

    #[test]
    fn targets_then_methods_then_the_default() {
        let policy = McpPolicy::new()
            .tool::<Read>("list_notes")
            .tool::<Write>("add_note")
            .tool::<Admin>("admin_*")
            .prompt::<Read>("summarize")
            .resource::<Read>("notes://")
            .resource::<Admin>("notes://admin/")
            .method::<Admin>("logging/setLevel")
            .method::<Read>("tools/list")
            .refuse_method("ping");
        assert_eq!(
            rule(&policy, "tools/call", Some("add_note")),
            Rule::of::<Write>()
        );
        assert_eq!(
            rule(&policy, "tools/call", Some("admin_reset")),
            Rule::of::<Admin>()
        );
        assert_eq!(rule(&policy, "tools/call", Some("other")), Rule::Refuse);
        assert_eq!(
            rule(&policy, "prompts/get", Some("summarize")),
            Rule::of::<Read>()
        );
        assert_eq!(
            rule(&policy, "prompts/get", Some("list_notes")),
            Rule::Refuse
        );
        assert_eq!(
            rule(&policy, "resources/read", Some("notes://u1/n1")),
            Rule::of::<Read>()
        );
        assert_eq!(
            rule(&policy, "resources/subscribe", Some("notes://admin/x")),
            Rule::of::<Admin>()
        );
        assert_eq!(
            rule(&policy, "resources/read", Some("notes://u1/../admin/x")),
            Rule::Refuse
        );
        assert_eq!(
            rule(&policy, "resources/read", Some("file:///etc/passwd")),
            Rule::Refuse
        );
        assert_eq!(rule(&policy, "logging/setLevel", None), Rule::of::<Admin>());
        assert_eq!(rule(&policy, "tools/list", None), Rule::of::<Read>());
        assert_eq!(rule(&policy, "ping", None), Rule::Refuse);
        assert_eq!(rule(&policy, "initialize", None), Rule::of::<()>());
        assert_eq!(policy.scopes(), ["admin", "read", "write"]);

        // A method entry covers the tools not listed by name; `unlisted` everything else.
        let open = policy.clone().method::<()>("tools/call").unlisted::<Read>();
        assert_eq!(rule(&open, "tools/call", Some("other")), Rule::of::<()>());
        assert_eq!(
            rule(&open, "tools/call", Some("add_note")),
            Rule::of::<Write>()
        );
        assert_eq!(rule(&open, "resources/list", None), Rule::of::<Read>());
        assert_eq!(
            rule(&open, "prompts/get", Some("other")),
            Rule::of::<Read>()
        );
    }
}
