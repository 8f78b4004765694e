//! Real MCP clients that no one here wrote, against the MCP server example
//! (`examples/mcp_server`) behind `LogtoLayer` with its `McpPolicy`, over loopback, with real
//! tokens of the test issuer: rmcp's own client (the Rust SDK, streamable HTTP over reqwest)
//! at both protocol generations, and the official TypeScript clients driven by Node: the SDK's
//! v2 `@modelcontextprotocol/client` (`tests/mcp_client/client.mjs`) at both generations, and
//! its 1.x `@modelcontextprotocol/sdk` (`client-v1.mjs`), which steps up by itself. Each sees
//! `add_note` refused with 403 `insufficient_scope` naming `write:notes` (the step-up signal)
//! with a `read:notes` token, and succeed with a new token that has it. A recording layer in
//! front of the server keeps what each client sent (the revision, `Mcp-Method`, `Mcp-Name`,
//! the body's method) and what it got, so the tests also say which path the layer took.
//!
//! The TypeScript client needs Node.js (like the end-to-end tests): without it that test is
//! skipped with one line on stderr, unless `CI` is set.

use crate::mcp_app as app;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::common::MCP_AUDIENCE;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum_logto::ResourceMetadata;
use axum_logto::testing::TestIssuer;
use rmcp::model::{CallToolRequestParams, ClientConfig, ProtocolVersion};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::{
    InsufficientScopeError, StreamableHttpClientTransportConfig,
};
use rmcp::{ClientLifecycleMode, ClientServiceExt as _, RoleClient, ServiceError, ServiceExt as _};
use serde_json::{Value, json};

/// What one request carried, and the status it got.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sent {
    /// The request's path.
    path: String,
    /// The JSON-RPC method of its body (`None` for a GET, or a body without one).
    body_method: Option<String>,
    /// `MCP-Protocol-Version`.
    version: Option<String>,
    /// `Mcp-Method`.
    method: Option<String>,
    /// `Mcp-Name`.
    name: Option<String>,
    status: u16,
}

type Log = Arc<Mutex<Vec<Sent>>>;

/// Keeps what each request sent, then hands it on unchanged.
async fn record(State(log): State<Log>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    let (version, method, name) = (
        header("mcp-protocol-version"),
        header("mcp-method"),
        header("mcp-name"),
    );
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let body_method = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|message| message["method"].as_str().map(str::to_owned));
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    log.lock().unwrap().push(Sent {
        path,
        body_method,
        version,
        method,
        name,
        status: response.status().as_u16(),
    });
    response
}

/// The example's server on loopback, every request recorded; its MCP endpoint, the
/// metadata URL, two tokens (`read:notes`; `read:notes write:notes`) and the log.
async fn server() -> (String, String, String, String, Log, TestIssuer) {
    let issuer = TestIssuer::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let logto = issuer
        .state_builder(MCP_AUDIENCE)
        .resource_metadata(ResourceMetadata::new(&base).scopes_supported(app::policy().scopes()))
        .build()
        .unwrap();
    let metadata = logto.resource_metadata_url().unwrap().to_owned();
    let log = Log::default();
    let router: Router =
        app::router(logto, None).layer(middleware::from_fn_with_state(log.clone(), record));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let token = |scopes: &[&str]| {
        issuer
            .token()
            .sub("client-user")
            .audience(MCP_AUDIENCE)
            .scopes(scopes.iter().copied())
            .sign()
    };
    let (reader, writer) = (
        token(&["read:notes"]),
        token(&["read:notes", "write:notes"]),
    );
    (
        format!("{base}{}", app::MCP_PATH),
        metadata,
        reader,
        writer,
        log,
        issuer,
    )
}

/// rmcp's client with `token`: at 2026-07-28 (`server/discover`, no `initialize`), or with
/// the `initialize` handshake at 2025-06-18.
async fn rmcp_client(
    endpoint: &str,
    token: &str,
    modern: bool,
) -> RunningService<RoleClient, ClientConfig> {
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(endpoint.to_owned()).auth_header(token),
    );
    let started = if modern {
        let lifecycle = ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        };
        tokio::time::timeout(
            Duration::from_secs(10),
            ClientConfig::default().serve_with_lifecycle(transport, lifecycle),
        )
        .await
    } else {
        let config = ClientConfig::default().with_protocol_version(ProtocolVersion::V_2025_06_18);
        tokio::time::timeout(Duration::from_secs(10), config.serve(transport)).await
    };
    started.expect("the client starts in time").unwrap()
}

fn add_note(text: &str) -> CallToolRequestParams {
    let arguments = json!({ "text": text });
    CallToolRequestParams::new("add_note").with_arguments(arguments.as_object().unwrap().clone())
}

/// The `InsufficientScopeError` behind a failed call, if that is why it failed.
fn insufficient_scope(error: &ServiceError) -> Option<&InsufficientScopeError> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(found) = current.downcast_ref::<InsufficientScopeError>() {
            return Some(found);
        }
        source = current.source();
    }
    None
}

/// One generation of rmcp's client: the tools, `whoami`, `add_note` refused with the scope to
/// ask for, then allowed with a token that has it. Returns what the clients sent.
async fn rmcp_walk(modern: bool) -> (Vec<Sent>, String) {
    let (endpoint, metadata, reader, writer, log, _issuer) = server().await;
    let client = rmcp_client(&endpoint, &reader, modern).await;
    let mut names: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|tool| tool.name.into_owned())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["add_note", "list_notes", "whoami"]);
    let whoami = client
        .call_tool(CallToolRequestParams::new("whoami"))
        .await
        .unwrap();
    assert_ne!(whoami.is_error, Some(true));

    let refused = client.call_tool(add_note("rmcp")).await.unwrap_err();
    let scope = insufficient_scope(&refused)
        .unwrap_or_else(|| panic!("not an insufficient scope: {refused:?}"));
    assert_eq!(scope.get_required_scope(), Some("write:notes"));
    let challenge = refused.auth_challenge().unwrap();
    assert!(
        challenge.contains(r#"error="insufficient_scope""#),
        "{challenge}"
    );
    assert!(
        challenge.contains(&format!(r#"resource_metadata="{metadata}""#)),
        "{challenge}"
    );
    let _ = client.cancel().await;

    // The step-up: a new token with the challenge's scope.
    let client = rmcp_client(&endpoint, &writer, modern).await;
    let added = client.call_tool(add_note("rmcp")).await.unwrap();
    assert_ne!(added.is_error, Some(true), "{added:?}");
    let _ = client.cancel().await;
    let sent = log.lock().unwrap().clone();
    (sent, challenge.to_owned())
}

/// The record of the first request whose body method is `method` and that got `status`.
fn sent<'a>(log: &'a [Sent], method: &str, status: u16) -> &'a Sent {
    log.iter()
        .find(|sent| sent.body_method.as_deref() == Some(method) && sent.status == status)
        .unwrap_or_else(|| panic!("no {method} answered {status} in {log:#?}"))
}

#[tokio::test]
async fn rmcp_at_2026_07_28_sends_the_headers_and_the_layer_decides_on_them() {
    let (log, _) = rmcp_walk(true).await;
    // No initialize: server/discover, then each request names itself in its headers.
    assert!(
        log.iter()
            .all(|sent| sent.body_method.as_deref() != Some("initialize"))
    );
    let discover = sent(&log, "server/discover", 200);
    assert_eq!(discover.version.as_deref(), Some("2026-07-28"));
    let refused = sent(&log, "tools/call", 403);
    assert_eq!(
        (
            refused.version.as_deref(),
            refused.method.as_deref(),
            refused.name.as_deref()
        ),
        (Some("2026-07-28"), Some("tools/call"), Some("add_note"))
    );
    assert!(
        log.iter()
            .any(|sent| sent.name.as_deref() == Some("add_note") && sent.status == 200)
    );
    let list = sent(&log, "tools/list", 200);
    assert_eq!(list.method.as_deref(), Some("tools/list"));
}

#[tokio::test]
async fn rmcp_at_2025_06_18_sends_no_headers_and_the_layer_reads_the_body() {
    let (log, _) = rmcp_walk(false).await;
    let initialize = sent(&log, "initialize", 200);
    assert_eq!(initialize.method, None);
    body_read_for_the_refused_call(&log, "2025-06-18");
    sent(&log, "tools/call", 200);
    sent(&log, "notifications/initialized", 202);
}

/// At a revision without `Mcp-Method`/`Mcp-Name` (`version`): the refused `tools/call` sent
/// neither header, so the layer read the operation from the body.
fn body_read_for_the_refused_call(log: &[Sent], version: &str) {
    let refused = sent(log, "tools/call", 403);
    assert_eq!(
        (
            refused.version.as_deref(),
            refused.method.as_deref(),
            refused.name.as_deref()
        ),
        (Some(version), None, None)
    );
}

/// `tests/mcp_client`, installed (`npm ci`) on first use; `None` when Node.js is missing and
/// `CI` is not set (then one line on stderr says so).
fn typescript_client() -> Option<PathBuf> {
    static READY: OnceLock<Option<PathBuf>> = OnceLock::new();
    READY
        .get_or_init(|| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests")
                .join("mcp_client");
            let node = Command::new("node")
                .arg("--version")
                .output()
                .is_ok_and(|output| output.status.success());
            if !node {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI is set, and the TypeScript MCP client test needs Node.js 20+ on PATH"
                );
                let _ = writeln!(
                    std::io::stderr(),
                    "note: skipping the TypeScript MCP client test: Node.js is not on PATH \
                     (install Node.js 20+ to run it; with CI set it is required)"
                );
                return None;
            }
            let installed = ["client", "sdk"].iter().all(|package| {
                dir.join("node_modules/@modelcontextprotocol")
                    .join(package)
                    .exists()
            });
            if !installed {
                let status = Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund"])
                    .current_dir(&dir)
                    .stdout(Stdio::null())
                    .status()
                    .expect("run `npm ci` in tests/mcp_client (is npm installed?)");
                assert!(status.success(), "`npm ci` in tests/mcp_client failed");
            }
            Some(dir)
        })
        .clone()
}

/// Runs `client.mjs` in `mode` against a fresh server: its printed steps, and what it sent.
async fn typescript_walk(dir: &Path, mode: &str) -> (Vec<Value>, Vec<Sent>, String) {
    let (steps, sent, metadata, _) = node_walk(dir, "client.mjs", mode).await;
    (steps, sent, metadata)
}

/// Runs `script` in `mode` against a fresh server: its printed steps, what it sent, the
/// metadata URL and the issuer.
async fn node_walk(
    dir: &Path,
    script: &str,
    mode: &str,
) -> (Vec<Value>, Vec<Sent>, String, String) {
    let (endpoint, metadata, reader, writer, log, issuer) = server().await;
    let mut child = tokio::process::Command::new("node");
    child
        .arg(script)
        .current_dir(dir)
        .env("MCP_URL", &endpoint)
        .env("READ_TOKEN", &reader)
        .env("WRITE_TOKEN", &writer)
        .env("MODE", mode)
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(60), child.output())
        .await
        .expect("the TypeScript client finishes within 60 s")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{script} {mode} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let steps = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let sent = log.lock().unwrap().clone();
    (steps, sent, metadata, issuer.issuer().to_owned())
}

/// The steps every run prints, whatever the revision.
fn assert_the_walk(steps: &[Value], metadata: &str) {
    let step = |name: &str| {
        steps
            .iter()
            .find(|step| step["step"] == name)
            .unwrap_or_else(|| panic!("no step {name} in {steps:?}"))
    };
    assert_eq!(
        step("tools")["names"],
        json!(["add_note", "list_notes", "whoami"])
    );
    let whoami: Value = serde_json::from_str(step("whoami")["text"].as_str().unwrap()).unwrap();
    assert_eq!(whoami["scopes"], json!(["read:notes"]));
    let refused = step("add_note");
    assert_eq!(refused["refused"], true, "{refused}");
    assert_eq!(refused["insufficientScope"], true, "{refused}");
    assert_eq!(refused["requiredScope"], "write:notes", "{refused}");
    assert_eq!(refused["resourceMetadataUrl"], metadata, "{refused}");
    let added = step("add_note with write:notes");
    assert_eq!(added["isError"], false, "{added}");
}

#[tokio::test]
async fn the_typescript_client_pinned_to_2026_07_28_steps_up_on_the_challenge() {
    let Some(dir) = typescript_client() else {
        return;
    };
    let (steps, log, metadata) = typescript_walk(&dir, "pin").await;
    assert_eq!(steps[0]["protocolVersion"], "2026-07-28", "{steps:?}");
    assert_the_walk(&steps, &metadata);
    let refused = sent(&log, "tools/call", 403);
    assert_eq!(
        (
            refused.version.as_deref(),
            refused.method.as_deref(),
            refused.name.as_deref()
        ),
        (Some("2026-07-28"), Some("tools/call"), Some("add_note"))
    );
    assert!(
        log.iter()
            .all(|sent| sent.body_method.as_deref() != Some("initialize"))
    );
}

#[tokio::test]
async fn the_typescript_client_in_legacy_mode_sends_no_headers() {
    let Some(dir) = typescript_client() else {
        return;
    };
    let (steps, log, metadata) = typescript_walk(&dir, "legacy").await;
    assert_eq!(steps[0]["protocolVersion"], "2025-11-25", "{steps:?}");
    assert_the_walk(&steps, &metadata);
    body_read_for_the_refused_call(&log, "2025-11-25");
    sent(&log, "initialize", 200);
}

#[tokio::test]
async fn the_typescript_sdk_1x_client_steps_up_by_itself_on_the_challenge() {
    let Some(dir) = typescript_client() else {
        return;
    };
    let (steps, log, metadata, issuer) = node_walk(&dir, "client-v1.mjs", "").await;
    let step = |name: &str| {
        steps
            .iter()
            .find(|step| step["step"] == name)
            .unwrap_or_else(|| panic!("no step {name} in {steps:?}"))
    };
    assert_eq!(
        step("connected")["protocolVersion"],
        "2025-11-25",
        "{steps:?}"
    );
    assert_eq!(
        step("tools")["names"],
        json!(["add_note", "list_notes", "whoami"])
    );
    // The 403's challenge sent the client to the tenant's authorization endpoint (found
    // through the protected-resource metadata) for the scope it named, for this resource.
    let refused = step("add_note");
    assert_eq!(refused["refused"], true, "{refused}");
    assert_eq!(refused["unauthorized"], true, "{refused}");
    assert_eq!(
        refused["authorizationEndpoint"],
        format!("{issuer}/auth"),
        "{refused}"
    );
    assert_eq!(refused["scope"], "write:notes", "{refused}");
    assert_eq!(refused["resource"], MCP_AUDIENCE, "{refused}");
    assert_eq!(step("add_note with write:notes")["isError"], false);
    // The header-less generation: the layer read the operation from the body.
    body_read_for_the_refused_call(&log, "2025-11-25");
    sent(&log, "initialize", 200);
    // It read the metadata the challenge named.
    assert!(
        log.iter().any(|sent| metadata.ends_with(&sent.path)),
        "{log:?}"
    );
}
