//! The MCP server example (`examples/mcp_server.rs`): its router through a real listener with the
//! test issuer (the layer, the metadata, rmcp's `Host` check), and the binary itself, whose
//! printed tokens and `curl` lines are run as printed. The walk from the 401 to a token of a
//! real provider is in `tests/e2e_mcp.rs`.

use crate::mcp_app as app;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{KillOnDrop, MCP_AUDIENCE, example_binary, serve};
use axum_logto::ResourceMetadata;
use axum_logto::testing::TestIssuer;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HOST, WWW_AUTHENTICATE};
use serde_json::{Value, json};

/// `tools/call` of `tool` to `base` with `token` (and `host` as the `Host` header, if any).
async fn call(
    base: &str,
    host: Option<&str>,
    token: Option<&str>,
    tool: &str,
    arguments: Value,
) -> reqwest::Response {
    let message = json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": arguments},
    });
    let mut request = reqwest::Client::new()
        .post(format!("{base}{}", app::MCP_PATH))
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .body(message.to_string())
        .timeout(Duration::from_secs(10));
    if let Some(host) = host {
        request = request.header(HOST, host);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// The tool's answer: whether it is an error result, and its text.
async fn tool_answer(response: reqwest::Response) -> (bool, String) {
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    let result = &answer["result"];
    (
        result["isError"] == true,
        result["content"][0]["text"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn the_router() {
    let issuer = TestIssuer::start().await;
    let logto = issuer
        .state_builder(MCP_AUDIENCE)
        .resource_metadata(
            ResourceMetadata::new("https://mcp.example.com")
                .scopes_supported(app::policy().scopes()),
        )
        .build()
        .unwrap();
    let base = serve(app::router(logto, Some("mcp.example.com"))).await;
    let token = |scopes: &[&str]| {
        issuer
            .token()
            .sub("u1")
            .audience(MCP_AUDIENCE)
            .scopes(scopes.iter().copied())
            .sign()
    };
    let (reader, writer) = (
        token(&["read:notes"]),
        token(&["read:notes", "write:notes"]),
    );

    // The layer: no token, or a token for another API, is 401 naming the metadata.
    let other = issuer.token().audience("https://api.example.com").sign();
    for token in [None, Some(other.as_str())] {
        let response = call(&base, None, token, "whoami", json!({})).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(
            response.headers()[WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .ends_with(r#"resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource""#)
        );
    }
    // The metadata is outside the layer; other paths are 404, not 401 (`route_layer`).
    let metadata: Value = reqwest::get(format!("{base}/.well-known/oauth-protected-resource"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["resource"], MCP_AUDIENCE);
    assert_eq!(metadata["authorization_servers"], json!([issuer.issuer()]));
    assert_eq!(
        metadata["scopes_supported"],
        json!(["read:notes", "write:notes"])
    );
    assert_eq!(
        reqwest::get(format!("{base}/other"))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    // The tools read the caller; the layer checks their scopes.
    let (is_error, text) =
        tool_answer(call(&base, None, Some(&reader), "whoami", json!({})).await).await;
    assert!(!is_error);
    let whoami: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (&whoami["sub"], &whoami["scopes"]),
        (&json!("u1"), &json!(["read:notes"]))
    );
    let note = json!({"text": "n1"});
    let metadata_url = "https://mcp.example.com/.well-known/oauth-protected-resource";
    let refused = call(&base, None, Some(&reader), "add_note", note.clone()).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        refused.headers()[WWW_AUTHENTICATE].to_str().unwrap(),
        format!(
            "Bearer realm=\"{MCP_AUDIENCE}\", error=\"insufficient_scope\", \
             error_description=\"the access token lacks a scope this resource requires\", \
             scope=\"write:notes\", resource_metadata=\"{metadata_url}\""
        )
    );
    let (is_error, _) = tool_answer(call(&base, None, Some(&writer), "add_note", note).await).await;
    assert!(!is_error);
    // Without read:notes, list_notes is refused too.
    let refused = call(&base, None, Some(&token(&[])), "list_notes", json!({})).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let challenge = refused.headers()[WWW_AUTHENTICATE].to_str().unwrap();
    assert!(challenge.contains(r#"scope="read:notes""#), "{challenge}");
    // A tool the policy does not list is refused, whatever the token: no scope would help.
    let unlisted = call(&base, None, Some(&writer), "delete_all", json!({})).await;
    assert_eq!(unlisted.status(), StatusCode::FORBIDDEN);
    let challenge = unlisted.headers()[WWW_AUTHENTICATE].to_str().unwrap();
    assert!(!challenge.contains("scope=\""), "{challenge}");
    assert!(
        challenge
            .contains(r#"error_description="this operation is not allowed for any access token""#),
        "{challenge}"
    );
    let (_, text) =
        tool_answer(call(&base, None, Some(&reader), "list_notes", json!({})).await).await;
    assert_eq!(text, r#"{"notes":["n1"]}"#);

    // rmcp's Host check (against DNS rebinding): loopback and the public host pass, others
    // are 403 (after the layer: without a token it is still 401).
    let public = call(
        &base,
        Some("mcp.example.com"),
        Some(&reader),
        "whoami",
        json!({}),
    )
    .await;
    assert_eq!(public.status(), StatusCode::OK);
    let rebound = call(
        &base,
        Some("evil.example"),
        Some(&reader),
        "whoami",
        json!({}),
    )
    .await;
    assert_eq!(rebound.status(), StatusCode::FORBIDDEN);
    let anonymous = call(&base, Some("evil.example"), None, "whoami", json!({})).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[test]
fn the_binary_prints_tokens_and_curl_lines_that_work_as_printed() {
    let mut child = Command::new(example_binary("mcp_server"))
        .env("BIND", "127.0.0.1:0")
        .env_remove("LOGTO_ENDPOINT")
        .env_remove("LOGTO_AUDIENCE")
        .env_remove("PUBLIC_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the MCP server example");
    let stdout = child.stdout.take().unwrap();
    let _guard = KillOnDrop(child);

    let started = Instant::now();
    let mut tokens: Vec<String> = Vec::new();
    let mut cases: Vec<(String, String)> = Vec::new();
    let mut expected: Option<String> = None;
    let mut inspector = false;
    let mut listening = None;
    let mut published = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the example took too long to start"
        );
        if let Some(addr) = line.strip_prefix("listening on ") {
            listening = Some(addr.to_owned());
            break;
        }
        if let Some(rest) = line.strip_prefix("# resource ") {
            published = rest
                .split_once(", metadata at ")
                .map(|(resource, url)| (resource.to_owned(), url.to_owned()));
        } else if line.starts_with("READ_TOKEN=") || line.starts_with("WRITE_TOKEN=") {
            tokens.push(line);
        } else if line.starts_with("# npx @modelcontextprotocol/inspector --cli ") {
            inspector = true;
        } else if line.starts_with("# ") {
            expected = line.rsplit_once("-> ").map(|(_, s)| s.to_owned());
        } else if line.starts_with("curl ") {
            let expected = expected.take().expect("a curl line follows its comment");
            cases.push((expected, line));
        }
    }
    let base = listening.expect("the example prints `listening on http://<addr>`");
    assert!(base.starts_with("http://127.0.0.1:"));
    assert_eq!(tokens.len(), 2, "READ_TOKEN and WRITE_TOKEN");
    assert!(inspector, "an MCP Inspector line");
    assert!(cases.len() >= 6, "{} curl lines", cases.len());
    assert!(cases.iter().any(|(e, _)| e == "403"));
    // The resource is the server's own URL, so that an MCP client's check (the resource is
    // the server's URL or a prefix of it) passes; its metadata says so too.
    let (resource, metadata_url) = published.expect("a `# resource …, metadata at …` line");
    assert_eq!(resource, format!("{base}/"));
    assert_eq!(
        metadata_url,
        format!("{base}/.well-known/oauth-protected-resource")
    );
    let metadata = Command::new("curl")
        .args(["-s", "--max-time", "10", &metadata_url])
        .output()
        .expect("run curl (is curl installed?)");
    let metadata: Value = serde_json::from_slice(&metadata.stdout).unwrap();
    assert_eq!(metadata["resource"], resource.as_str());

    let assignments = tokens.join("; ");
    for (expected, line) in &cases {
        let output = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{assignments}; {line} --max-time 10 -w '\\n%{{http_code}}'"
            ))
            .output()
            .expect("run curl (is curl installed?)");
        let output = String::from_utf8_lossy(&output.stdout);
        let (body, status) = output.rsplit_once('\n').unwrap_or(("", &output));
        assert_eq!(status, expected, "{line}\n{body}");
        if status == "401" || status == "403" {
            assert!(body.contains("resource_metadata=\""), "{body}");
        }
        if status == "403" {
            assert!(body.contains(r#"scope="write:notes""#), "{body}");
        }
        if body.contains("\"jsonrpc\"") {
            let answer: Value = serde_json::from_str(body).unwrap();
            assert!(answer.get("error").is_none(), "{line}\n{body}");
            assert!(answer["result"]["isError"] != true, "{line}\n{body}");
        }
    }
}
