//! End to end, the way an MCP client finds its way to a token: the MCP server example
//! (`examples/mcp_server`) behind a real listener, protected with a real `oidc-provider`
//! (`tests/provider/server.mjs`, configured like Logto), and every step over loopback HTTP:
//! the 401 challenge names the protected-resource metadata, the metadata names the
//! authorization server, its discovery document names the token endpoint, and the token from
//! there opens the MCP endpoint, where the layer's policy checks each tool's scope: a tool
//! called without it is 403 with the scope to ask for, and a new token with it succeeds.
//!
//! Needs Node.js (see `tests/common/provider.rs`). Run only these tests with
//! `cargo test --all-features --test it e2e_mcp`.

use crate::mcp_app as app;
use std::time::Duration;

use crate::common::MCP_AUDIENCE;
use crate::common::provider::{Provider, node_available};
use axum_logto::{LogtoState, ResourceMetadata};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, WWW_AUTHENTICATE};
use serde_json::{Value, json};

/// Every request of these tests is bounded by this.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The MCP revision the client speaks.
const PROTOCOL_VERSION: &str = "2025-11-25";

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(TIMEOUT).build().unwrap()
}

/// A JSON-RPC `POST` to the MCP endpoint as a streamable HTTP client sends it (JSON body,
/// accepting JSON and an event stream; after `initialize`, the negotiated protocol version).
async fn post(endpoint: &str, token: Option<&str>, message: &Value) -> reqwest::Response {
    let mut request = http()
        .post(endpoint)
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/json, text/event-stream")
        .body(message.to_string());
    if message["method"] != "initialize" {
        request = request.header("mcp-protocol-version", PROTOCOL_VERSION);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("MCP request")
}

/// An MCP client with one access token.
struct Client {
    endpoint: String,
    token: String,
    next_id: u64,
}

impl Client {
    /// The `result` of the JSON-RPC request `method` (a plain JSON answer: the server is
    /// stateless and answers in JSON).
    async fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let response = post(&self.endpoint, Some(&self.token), &message).await;
        assert_eq!(response.status(), StatusCode::OK, "{method}");
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "application/json",
            "{method}"
        );
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["id"], id, "{answer}");
        assert!(answer.get("error").is_none(), "{method}: {answer}");
        answer["result"].clone()
    }

    /// `tools/call`: whether the tool answered an error (`isError`), and its text.
    async fn call_tool(&mut self, name: &str, arguments: Value) -> (bool, String) {
        let result = self
            .request("tools/call", json!({"name": name, "arguments": arguments}))
            .await;
        let text = result["content"][0]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no text content: {result}"))
            .to_owned();
        (result["isError"] == true, text)
    }
}

/// The value of the parameter `name` in a `WWW-Authenticate` challenge.
fn challenge_param<'a>(challenge: &'a str, name: &str) -> Option<&'a str> {
    let start = challenge.find(&format!("{name}=\""))? + name.len() + 2;
    let len = challenge[start..].find('"')?;
    Some(&challenge[start..start + len])
}

/// A `client_credentials` token from `token_endpoint` for the MCP server's resource.
async fn client_credentials(token_endpoint: &str, scope: &str) -> String {
    let response = http()
        .post(token_endpoint)
        .basic_auth("test-client", Some("test-secret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("resource", MCP_AUDIENCE),
            ("scope", scope),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer", "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// The example's MCP server protected by `provider`, behind a loopback listener; its base URL.
async fn serve_mcp_server(provider: &Provider) -> String {
    // The server's own URL goes into its metadata: bind before building the state.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let logto = LogtoState::builder(&provider.base)
        .audience(MCP_AUDIENCE)
        .resource_metadata(ResourceMetadata::new(&base).scopes_supported(app::policy().scopes()))
        .build()
        .unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app::router(logto, None))
            .await
            .unwrap();
    });
    base
}

#[tokio::test]
async fn an_mcp_client_finds_the_issuer_gets_a_token_and_calls_the_tools() {
    if !node_available() {
        return;
    }
    let provider = Provider::start();
    let base = serve_mcp_server(&provider).await;
    let endpoint = format!("{base}{}", app::MCP_PATH);
    let initialize = json!({
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "e2e", "version": "1"},
        },
    });

    // (a) No token: 401, and the challenge names the protected-resource metadata.
    let response = post(&endpoint, None, &initialize).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()[WWW_AUTHENTICATE].to_str().unwrap();
    let metadata_url = challenge_param(challenge, "resource_metadata")
        .unwrap_or_else(|| panic!("no resource_metadata in {challenge}"))
        .to_owned();
    assert_eq!(
        metadata_url,
        format!("{base}/.well-known/oauth-protected-resource")
    );

    // (b) The metadata (RFC 9728): this resource, and who issues its tokens.
    let response = http().get(&metadata_url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    let metadata: Value = response.json().await.unwrap();
    assert_eq!(metadata["resource"], MCP_AUDIENCE);
    assert_eq!(
        metadata["scopes_supported"],
        json!(["read:notes", "write:notes"])
    );
    assert_eq!(metadata["bearer_methods_supported"], json!(["header"]));
    let issuer = metadata["authorization_servers"][0]
        .as_str()
        .expect("an authorization server")
        .to_owned();
    assert_eq!(issuer, provider.issuer());

    // (c) The authorization server's discovery document: the token endpoint.
    let discovery: Value = http()
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], issuer.as_str());
    let token_endpoint = discovery["token_endpoint"].as_str().unwrap().to_owned();

    // (d) A token for this resource with read:notes only.
    let read_token = client_credentials(&token_endpoint, "read:notes").await;

    // (e) The MCP session: initialize, the tools, and a tool that checks its scope.
    let mut client = Client {
        endpoint: endpoint.clone(),
        token: read_token,
        next_id: 0,
    };
    let initialized = client
        .request("initialize", initialize["params"].clone())
        .await;
    assert_eq!(initialized["protocolVersion"], PROTOCOL_VERSION);
    assert_eq!(initialized["serverInfo"]["name"], "axum-logto-notes");
    assert!(initialized["capabilities"]["tools"].is_object());
    let notification = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(
        post(&endpoint, Some(&client.token), &notification)
            .await
            .status(),
        StatusCode::ACCEPTED
    );
    let tools = client.request("tools/list", json!({})).await;
    let mut names: Vec<&str> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["add_note", "list_notes", "whoami"]);

    let (is_error, text) = client.call_tool("whoami", json!({})).await;
    assert!(!is_error, "{text}");
    let whoami: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        whoami,
        json!({
            "sub": "test-client",
            "client_id": "test-client",
            "scopes": ["read:notes"],
            "machine_to_machine": true,
        })
    );
    // add_note without write:notes: 403, and the challenge says which scope to ask for and
    // where the metadata is (the step-up signal of MCP's authorization spec).
    let add = json!({
        "jsonrpc": "2.0",
        "id": 99,
        "method": "tools/call",
        "params": {"name": "add_note", "arguments": {"text": "from the e2e test"}},
    });
    let response = post(&endpoint, Some(&client.token), &add).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let challenge = response.headers()[WWW_AUTHENTICATE].to_str().unwrap();
    assert_eq!(
        challenge_param(challenge, "error"),
        Some("insufficient_scope")
    );
    assert_eq!(challenge_param(challenge, "scope"), Some("write:notes"));
    assert_eq!(
        challenge_param(challenge, "resource_metadata"),
        Some(metadata_url.as_str())
    );
    let (is_error, text) = client.call_tool("list_notes", json!({})).await;
    assert!(!is_error, "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({"notes": []})
    );

    // (f) A second token with the challenge's scope too: add_note succeeds.
    let scope = format!(
        "read:notes {}",
        challenge_param(challenge, "scope").unwrap()
    );
    client.token = client_credentials(&token_endpoint, &scope).await;
    let (is_error, text) = client
        .call_tool("add_note", json!({"text": "from the e2e test"}))
        .await;
    assert!(!is_error, "{text}");
    let (_, text) = client.call_tool("list_notes", json!({})).await;
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({"notes": ["from the e2e test"]})
    );
}

#[tokio::test]
async fn a_token_for_another_resource_is_refused_with_the_metadata() {
    if !node_available() {
        return;
    }
    let provider = Provider::start();
    let base = serve_mcp_server(&provider).await;
    // A real token, but for the other API: the MCP server answers 401 invalid_token, and the
    // challenge still tells the client where to start again.
    let other = provider.api_token("read:docs").await;
    let message = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    let response = post(&format!("{base}{}", app::MCP_PATH), Some(&other), &message).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()[WWW_AUTHENTICATE].to_str().unwrap();
    assert_eq!(
        challenge_param(challenge, "error"),
        Some("invalid_token"),
        "{challenge}"
    );
    assert_eq!(
        challenge_param(challenge, "resource_metadata"),
        Some(format!("{base}/.well-known/oauth-protected-resource").as_str())
    );
}
