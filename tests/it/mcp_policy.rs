//! `McpPolicy` against forged requests, over real loopback HTTP with real tokens: headers that
//! disagree with the body (at both generations: refused by the layer where it reads the body,
//! by rmcp where the revision has the server check them), batches that mix allowed and
//! refused calls, bodies over the cap (declared, and chunked), `=?base64?…?=` names, bodies
//! that are not JSON-RPC, the defaults, the optional layer and the layer's own scopes. The
//! MCP server is the example's (rmcp), or an echo service where the layer's own answer is
//! the point (it shows the body handed on unchanged).

use crate::mcp_app as app;
use std::convert::Infallible;
use std::time::Duration;

use crate::common::{MCP_AUDIENCE, serve};
use axum::Router;
use axum::extract::Request;
use axum::response::IntoResponse;
use axum_logto::testing::TestIssuer;
use axum_logto::{AuthInfo, LogtoLayer, LogtoState, McpPolicy, ResourceMetadata, scopes};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

scopes! {
    ReadNotes = "read:notes";
    WriteNotes = "write:notes";
    UseMcp = "mcp:use";
}

const METADATA: &str = "https://mcp.example.com/.well-known/oauth-protected-resource";

/// An issuer, a state for the MCP audience with metadata, and tokens with these scopes.
struct Setup {
    issuer: TestIssuer,
    logto: LogtoState,
}

impl Setup {
    async fn new() -> Self {
        let issuer = TestIssuer::start().await;
        let logto = issuer
            .state_builder(MCP_AUDIENCE)
            .resource_metadata(ResourceMetadata::new("https://mcp.example.com"))
            .build()
            .unwrap();
        Self { issuer, logto }
    }

    fn token(&self, scopes: &[&str]) -> String {
        self.issuer
            .token()
            .sub("u1")
            .audience(MCP_AUDIENCE)
            .scopes(scopes.iter().copied())
            .sign()
    }

    /// The example's server (rmcp) behind its own policy.
    async fn example(&self) -> String {
        serve(app::router(self.logto.clone(), None)).await
    }

    /// An echo service behind `layer`: 200 with the body it received, and the caller's
    /// `sub` in `x-sub`.
    async fn echo(&self, layer: impl FnOnce(LogtoLayer) -> axum_logto::McpLayer) -> String {
        let echo = tower::service_fn(|request: Request| async move {
            let sub = request
                .extensions()
                .get::<AuthInfo>()
                .map_or("anonymous".to_owned(), |auth| auth.sub().to_owned());
            let body = axum::body::to_bytes(request.into_body(), 1 << 24)
                .await
                .unwrap();
            Ok::<_, Infallible>(([("x-sub", sub)], body).into_response())
        });
        let router: Router = Router::new()
            .nest_service("/mcp", echo)
            .route_layer(layer(LogtoLayer::new(self.logto.clone())));
        serve(router).await
    }
}

/// A JSON-RPC `tools/call` of `tool`, with `meta` as its `_meta` (for 2026-07-28).
fn tools_call(id: u64, tool: &str, modern: bool) -> Value {
    let mut message = json!({
        "jsonrpc": "2.0",
        "id": id,
        "method": "tools/call",
        "params": {"name": tool, "arguments": {"text": "forged"}},
    });
    if modern {
        message["params"]["_meta"] = json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
        });
    }
    message
}

/// `POST /mcp` with `token`, the `headers` and `body` as given.
async fn post(
    base: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("{base}{}", app::MCP_PATH))
        .header(CONTENT_TYPE, "application/json")
        .header("accept", "application/json, text/event-stream")
        .timeout(Duration::from_secs(10))
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// The status, and the JSON-RPC error's code and the request id (`Value::Null` when absent).
async fn jsonrpc_error(response: reqwest::Response) -> (StatusCode, Value, Value) {
    let status = response.status();
    assert!(response.headers().get(WWW_AUTHENTICATE).is_none());
    let body: Value = response.json().await.unwrap();
    (status, body["error"]["code"].clone(), body["id"].clone())
}

/// The `WWW-Authenticate` of a refusal with `status`.
fn challenge(response: &reqwest::Response, status: StatusCode) -> String {
    assert_eq!(response.status(), status);
    response.headers()[WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .to_owned()
}

const LEGACY: (&str, &str) = ("mcp-protocol-version", "2025-11-25");
const MODERN: (&str, &str) = ("mcp-protocol-version", "2026-07-28");

#[tokio::test]
async fn headers_that_disagree_with_the_body_are_refused() {
    let setup = Setup::new().await;
    let base = setup.example().await;
    let (reader, writer) = (
        setup.token(&["read:notes"]),
        setup.token(&["read:notes", "write:notes"]),
    );
    let add = tools_call(7, "add_note", false).to_string();

    // Where the layer reads the body (2025-11-25), it compares the headers with it.
    for headers in [
        vec![LEGACY, ("mcp-method", "tools/list")],
        vec![
            LEGACY,
            ("mcp-method", "tools/call"),
            ("mcp-name", "list_notes"),
        ],
        vec![LEGACY, ("mcp-name", "=?base64?bGlzdF9ub3Rlcw==?=")], // list_notes
        vec![("mcp-method", "tools/call"), ("mcp-name", "whoami")], // no revision at all
    ] {
        let response = post(&base, Some(&writer), &headers, add.clone()).await;
        assert_eq!(
            jsonrpc_error(response).await,
            (StatusCode::BAD_REQUEST, json!(-32020), json!(7)),
            "{headers:?}"
        );
    }

    // At 2026-07-28 the layer decides on the headers, and the server refuses a body that
    // disagrees with them (rmcp: 400, -32020): a reader cannot smuggle add_note in under
    // the name of list_notes, in plain or in base64.
    let modern_add = tools_call(8, "add_note", true).to_string();
    for name in ["list_notes", "=?base64?bGlzdF9ub3Rlcw==?="] {
        let headers = [MODERN, ("mcp-method", "tools/call"), ("mcp-name", name)];
        let response = post(&base, Some(&reader), &headers, modern_add.clone()).await;
        let (status, code, _) = jsonrpc_error(response).await;
        assert_eq!((status, code), (StatusCode::BAD_REQUEST, json!(-32020)));
    }
    let list = tools_call(9, "list_notes", false).to_string();
    let response = post(&base, Some(&reader), &[LEGACY], list).await;
    let answer: Value = response.json().await.unwrap();
    assert_eq!(
        answer["result"]["content"][0]["text"], r#"{"notes":[]}"#,
        "no forged note was added: {answer}"
    );

    // Headers the layer cannot read are refused whatever the revision: repeated, or a
    // broken =?base64?…?=.
    for headers in [
        vec![
            MODERN,
            ("mcp-method", "tools/call"),
            ("mcp-method", "tools/call"),
        ],
        vec![LEGACY, ("mcp-name", "add_note"), ("mcp-name", "add_note")],
        vec![
            MODERN,
            ("mcp-method", "tools/call"),
            ("mcp-name", "=?base64?***?="),
        ],
        vec![MODERN, LEGACY],
    ] {
        let response = post(&base, Some(&writer), &headers, add.clone()).await;
        assert_eq!(
            jsonrpc_error(response).await,
            (StatusCode::BAD_REQUEST, json!(-32020), Value::Null),
            "{headers:?}"
        );
    }
    // …after the token: without one, it is 401.
    let headers = [MODERN, ("mcp-method", "a"), ("mcp-method", "b")];
    let response = post(&base, None, &headers, add.clone()).await;
    challenge(&response, StatusCode::UNAUTHORIZED);

    // With `always_read_body`, the layer compares them at 2026-07-28 too.
    let strict = setup
        .echo(|layer| layer.mcp(app::policy().always_read_body()))
        .await;
    let headers = [
        MODERN,
        ("mcp-method", "tools/call"),
        ("mcp-name", "list_notes"),
    ];
    let response = post(&strict, Some(&reader), &headers, modern_add.clone()).await;
    assert_eq!(
        jsonrpc_error(response).await,
        (StatusCode::BAD_REQUEST, json!(-32020), json!(8))
    );
}

#[tokio::test]
async fn base64_names_are_decoded_before_the_policy_reads_them() {
    let setup = Setup::new().await;
    let (reader, writer) = (
        setup.token(&["read:notes"]),
        setup.token(&["read:notes", "write:notes"]),
    );
    // The example's add_note, its name in base64 (a client may encode any name).
    let base = setup.example().await;
    let modern_add = tools_call(1, "add_note", true).to_string();
    let headers = [
        MODERN,
        ("mcp-method", "tools/call"),
        ("mcp-name", "=?base64?YWRkX25vdGU=?="),
    ];
    let response = post(&base, Some(&reader), &headers, modern_add.clone()).await;
    let refused = challenge(&response, StatusCode::FORBIDDEN);
    assert!(refused.contains(r#"scope="write:notes""#), "{refused}");
    let response = post(&base, Some(&writer), &headers, modern_add).await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    assert_ne!(answer["result"]["isError"], true, "{answer}");

    // A name that cannot travel plain (the spec's "Hello, 世界"), in base64, and its body.
    let echo = setup
        .echo(|layer| {
            layer.mcp(
                McpPolicy::new()
                    .tool::<WriteNotes>("Hello, 世界")
                    .tool::<ReadNotes>(" padded "),
            )
        })
        .await;
    for (name, encoded, scope) in [
        (
            "Hello, 世界",
            "=?base64?SGVsbG8sIOS4lueVjA==?=",
            "write:notes",
        ),
        (" padded ", "=?base64?IHBhZGRlZCA=?=", "read:notes"),
    ] {
        let body = tools_call(2, name, true).to_string();
        let headers = [MODERN, ("mcp-method", "tools/call"), ("mcp-name", encoded)];
        let token = setup.token(&[]);
        let response = post(&echo, Some(&token), &headers, body.clone()).await;
        let refused = challenge(&response, StatusCode::FORBIDDEN);
        assert!(
            refused.contains(&format!(r#"scope="{scope}""#)),
            "{refused}"
        );
        let token = setup.token(&[scope]);
        let response = post(&echo, Some(&token), &headers, body.clone()).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.text().await.unwrap(), body, "handed on unchanged");
        // The same name from the body, at 2025-11-25.
        let response = post(&echo, Some(&token), &[LEGACY], body.clone()).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn a_batch_passes_only_when_every_message_does() {
    let setup = Setup::new().await;
    let (reader, writer) = (
        setup.token(&["read:notes"]),
        setup.token(&["read:notes", "write:notes"]),
    );
    let echo = setup.echo(|layer| layer.mcp(app::policy())).await;
    // The revision 2025-03-26 allowed batches: each message is decided.
    let batch = |tools: &[&str]| {
        let messages: Vec<Value> = tools
            .iter()
            .enumerate()
            .map(|(id, tool)| tools_call(id as u64, tool, false))
            .collect();
        Value::from(messages).to_string()
    };
    let old = [("mcp-protocol-version", "2025-03-26")];
    let response = post(&echo, Some(&reader), &old, batch(&["whoami", "add_note"])).await;
    let refused = challenge(&response, StatusCode::FORBIDDEN);
    assert!(refused.contains(r#"scope="write:notes""#), "{refused}");
    // An unlisted tool refuses the whole batch, with no scope to ask for.
    let response = post(&echo, Some(&writer), &old, batch(&["add_note", "drop_all"])).await;
    let refused = challenge(&response, StatusCode::FORBIDDEN);
    assert!(!refused.contains("scope=\""), "{refused}");
    // Every message allowed: the batch goes on, unchanged.
    let allowed = batch(&["whoami", "list_notes", "add_note"]);
    let response = post(&echo, Some(&writer), &old, allowed.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), allowed);
    // A JSON-RPC response in a batch asks for nothing; an empty batch is not JSON-RPC.
    let mixed = json!([{"jsonrpc": "2.0", "id": 5, "result": {}}, tools_call(6, "whoami", false)]);
    let response = post(&echo, Some(&reader), &old, mixed.to_string()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = post(&echo, Some(&reader), &old, "[]").await;
    assert_eq!(
        jsonrpc_error(response).await,
        (StatusCode::BAD_REQUEST, json!(-32600), Value::Null)
    );
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_unread() {
    let setup = Setup::new().await;
    let token = setup.token(&["read:notes", "write:notes"]);
    let echo = setup
        .echo(|layer| layer.mcp(app::policy().max_body_size(1024)))
        .await;
    let mut big = tools_call(1, "add_note", false);
    big["params"]["arguments"]["text"] = Value::from("x".repeat(1024));
    let big = big.to_string();
    let response = post(&echo, Some(&token), &[LEGACY], big.clone()).await;
    assert_eq!(
        jsonrpc_error(response).await,
        (StatusCode::PAYLOAD_TOO_LARGE, json!(-32600), Value::Null)
    );
    // Without a token, 401: the body is not read for a request without a valid one.
    let response = post(&echo, None, &[LEGACY], big.clone()).await;
    challenge(&response, StatusCode::UNAUTHORIZED);
    // Just under the cap it passes.
    let mut fits = tools_call(1, "add_note", false);
    let room = 1024 - fits.to_string().len() + "forged".len();
    fits["params"]["arguments"]["text"] = Value::from("x".repeat(room));
    let fits = fits.to_string();
    assert_eq!(fits.len(), 1024);
    let response = post(&echo, Some(&token), &[LEGACY], fits).await;
    assert_eq!(response.status(), StatusCode::OK);

    // Chunked, without Content-Length: refused once the cap is passed, from a raw client.
    let address = echo.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nMCP-Protocol-Version: 2025-11-25\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in big.as_bytes().chunks(300) {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        // The server may answer and stop reading before the last chunk.
        if stream.write_all(&frame).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");

    // The example's default cap: 1 MiB.
    let base = setup.example().await;
    let mut huge = tools_call(1, "add_note", false);
    huge["params"]["arguments"]["text"] = Value::from("x".repeat(1024 * 1024));
    let response = post(&base, Some(&token), &[LEGACY], huge.to_string()).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn what_the_layer_cannot_read_is_refused_with_a_jsonrpc_error_after_the_token() {
    let setup = Setup::new().await;
    let token = setup.token(&["read:notes", "write:notes"]);
    let base = setup.example().await;
    for (body, status, code, id) in [
        ("not json", StatusCode::BAD_REQUEST, -32700, Value::Null),
        ("", StatusCode::BAD_REQUEST, -32700, Value::Null),
        (
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/call"}"#,
            StatusCode::BAD_REQUEST,
            -32602,
            json!(3),
        ),
        (
            r#"{"jsonrpc":"2.0","id":"s","method":"tools/call","params":{"name":7}}"#,
            StatusCode::BAD_REQUEST,
            -32602,
            json!("s"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":4,"method":"tools/list","method":"tools/call"}"#,
            StatusCode::BAD_REQUEST,
            -32600,
            Value::Null,
        ),
        (
            r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"whoami","name":"add_note"}}"#,
            StatusCode::BAD_REQUEST,
            -32600,
            Value::Null,
        ),
        (
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":["add_note"]}"#,
            StatusCode::BAD_REQUEST,
            -32600,
            Value::Null,
        ),
        (
            r#"{"jsonrpc":"2.0","id":7}"#,
            StatusCode::BAD_REQUEST,
            -32600,
            json!(7),
        ),
    ] {
        let response = post(&base, Some(&token), &[LEGACY], body).await;
        assert_eq!(
            jsonrpc_error(response).await,
            (status, json!(code), id),
            "{body}"
        );
        // Without a token the answer is the 401 an MCP client starts its discovery from.
        let response = post(&base, None, &[LEGACY], body).await;
        let challenge = challenge(&response, StatusCode::UNAUTHORIZED);
        assert!(challenge.contains(METADATA), "{challenge}");
    }
    let gzip = reqwest::Client::new()
        .post(format!("{base}{}", app::MCP_PATH))
        .bearer_auth(&token)
        .header("content-encoding", "gzip")
        .body(vec![0x1f, 0x8b, 0, 0])
        .send()
        .await
        .unwrap();
    assert_eq!(
        jsonrpc_error(gzip).await,
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            json!(-32600),
            Value::Null
        )
    );
}

#[tokio::test]
async fn defaults_let_a_client_connect_and_refuse_the_rest() {
    let setup = Setup::new().await;
    let base = setup.example().await;
    let none = setup.token(&[]);
    let message = |method: &str| json!({"jsonrpc": "2.0", "id": 1, "method": method}).to_string();
    for method in ["ping", "tools/list"] {
        let response = post(&base, Some(&none), &[LEGACY], message(method)).await;
        assert_eq!(response.status(), StatusCode::OK, "{method}");
    }
    let initialize = json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    });
    let response = post(&base, Some(&none), &[], initialize.to_string()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let notification = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let response = post(&base, Some(&none), &[LEGACY], notification.to_string()).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    for method in ["resources/list", "prompts/list", "logging/setLevel"] {
        let response = post(&base, Some(&none), &[LEGACY], message(method)).await;
        let refused = challenge(&response, StatusCode::FORBIDDEN);
        assert!(
            refused.contains("this operation is not allowed for any access token"),
            "{method}: {refused}"
        );
    }
    // Not a POST: no JSON-RPC message, the layer's own check (rmcp then answers 405 to a GET
    // in stateless mode).
    let get = |token: Option<&str>| {
        let mut request = reqwest::Client::new()
            .get(format!("{base}{}", app::MCP_PATH))
            .header("accept", "text/event-stream");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(get(None).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(Some(&none)).await.unwrap().status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[tokio::test]
async fn the_optional_layer_and_the_layers_own_scopes() {
    let setup = Setup::new().await;
    let policy = || {
        McpPolicy::new()
            .tool::<()>("whoami")
            .tool::<WriteNotes>("add_note")
    };
    let optional = setup.echo(|layer| layer.optional().mcp(policy())).await;
    // Anonymous callers reach what needs no scope, from the headers or the body…
    let whoami = tools_call(1, "whoami", true).to_string();
    let headers = [MODERN, ("mcp-method", "tools/call"), ("mcp-name", "whoami")];
    for headers in [&headers[..], &[LEGACY]] {
        let response = post(&optional, None, headers, whoami.clone()).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["x-sub"], "anonymous");
    }
    // …and get 401 naming the scope for the rest (and a bad token is 401 everywhere).
    let add = tools_call(2, "add_note", false).to_string();
    let response = post(&optional, None, &[LEGACY], add.clone()).await;
    let refused = challenge(&response, StatusCode::UNAUTHORIZED);
    assert!(refused.contains(r#"scope="write:notes""#), "{refused}");
    let response = post(
        &optional,
        None,
        &[LEGACY],
        tools_call(3, "other", false).to_string(),
    )
    .await;
    challenge(&response, StatusCode::UNAUTHORIZED);
    let response = post(&optional, Some("not.a.token"), &[LEGACY], whoami.clone()).await;
    challenge(&response, StatusCode::UNAUTHORIZED);
    let writer = setup.token(&["write:notes"]);
    let response = post(&optional, Some(&writer), &[LEGACY], add.clone()).await;
    assert_eq!(response.headers()["x-sub"], "u1");

    // The layer's own scopes come first, for every operation.
    let scoped = setup
        .echo(|layer| layer.require_scopes::<UseMcp>().mcp(policy()))
        .await;
    for headers in [&headers[..], &[LEGACY]] {
        let response = post(&scoped, Some(&writer), headers, whoami.clone()).await;
        let refused = challenge(&response, StatusCode::FORBIDDEN);
        assert!(refused.contains(r#"scope="mcp:use""#), "{refused}");
    }
    let user = setup.token(&["mcp:use"]);
    let response = post(&scoped, Some(&user), &[LEGACY], add.clone()).await;
    let refused = challenge(&response, StatusCode::FORBIDDEN);
    assert!(refused.contains(r#"scope="write:notes""#), "{refused}");
    let both = setup.token(&["mcp:use", "write:notes"]);
    let response = post(&scoped, Some(&both), &[LEGACY], add).await;
    assert_eq!(response.status(), StatusCode::OK);
}
