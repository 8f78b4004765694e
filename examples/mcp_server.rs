//! An MCP server protected by Logto access tokens: rmcp's streamable HTTP transport (stateless,
//! JSON answers) behind `LogtoLayer`, with the protected-resource metadata (RFC 9728) an MCP
//! client reads to find the authorization server. Three tools read the caller's `AuthInfo`:
//! `whoami` (any valid token), `list_notes` (`read:notes`) and `add_note` (`write:notes`),
//! each scope checked by the layer's `McpPolicy` before rmcp runs: a tool called without its
//! scope is refused with 403 `insufficient_scope` and `scope="…"`, from which an MCP client
//! asks for a token with that scope (step-up), and a tool the policy does not list is refused.
//!
//! With no environment it starts an embedded `TestIssuer` (no Logto account needed) and prints
//! two ready tokens (with and without `write:notes`) and how to connect: MCP Inspector, or
//! `curl` lines. With `LOGTO_ENDPOINT` and `LOGTO_AUDIENCE` it protects the server with that
//! Logto tenant instead (the audience is the API resource registered for the MCP server).
//!
//! ```text
//! cargo run --example mcp_server --all-features
//! LOGTO_ENDPOINT=https://my-tenant.logto.app LOGTO_AUDIENCE=https://mcp.example.com/ \
//!     PUBLIC_URL=https://mcp.example.com cargo run --example mcp_server --all-features
//! ```
//!
//! `BIND` sets the address (default `127.0.0.1:3001`). `PUBLIC_URL` is the URL clients reach
//! the server at (default: the address it listens on): the metadata document's URL, named in
//! every 401 challenge, starts with it, and its host is accepted in `Host` headers (rmcp accepts
//! only loopback hosts otherwise). MCP clients check that the metadata's `resource` (the
//! audience) is the server's URL or a prefix of it, so register the resource in Logto as the
//! public URL (`https://mcp.example.com/` for `https://mcp.example.com/mcp`).

// The router lives beside this file, shared with the tests that drive it.
#[path = "mcp_server/app.rs"]
mod app;

use std::error::Error;

use axum_logto::testing::TestIssuer;
use axum_logto::{LogtoState, ResourceMetadata};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,axum_logto=debug".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let var = |name| std::env::var(name).ok().filter(|s: &String| !s.is_empty());
    let bind = var("BIND").unwrap_or_else(|| "127.0.0.1:3001".to_owned());

    // Bound first: the protected-resource metadata names the address clients reach.
    let listener = TcpListener::bind(&bind).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let public_url = var("PUBLIC_URL").unwrap_or_else(|| base.clone());
    let public_host = url::Url::parse(&public_url)
        .map_err(|error| format!("PUBLIC_URL {public_url:?}: {error}"))?
        .host_str()
        .map(str::to_owned);

    // The embedded issuer lives as long as `main`.
    let mut embedded = None;
    let builder = match (var("LOGTO_ENDPOINT"), var("LOGTO_AUDIENCE")) {
        (Some(endpoint), Some(audience)) => LogtoState::builder(endpoint).audience(audience),
        (None, None) => {
            // The resource is the server's own URL, which MCP clients check the metadata's
            // `resource` against.
            let audience = format!("{}/", public_url.trim_end_matches('/'));
            let issuer = TestIssuer::start().await;
            let builder = issuer.state_builder(&audience);
            embedded = Some(issuer);
            builder
        }
        _ => return Err("set both LOGTO_ENDPOINT and LOGTO_AUDIENCE, or neither".into()),
    };
    let logto = builder
        .resource_metadata(
            ResourceMetadata::new(&public_url)
                .scopes_supported(app::policy().scopes())
                .resource_name("axum-logto notes MCP server"),
        )
        .build()?;
    if let Err(error) = logto.preload().await {
        // Not fatal: requests answer 503 until the keys load.
        tracing::warn!(%error, "could not load the signing keys yet");
    }

    if let Some(issuer) = &embedded {
        print_how_to_connect(issuer, &logto, &base);
    } else {
        println!(
            "# protecting {base}{} with {} for {:?}",
            app::MCP_PATH,
            logto.issuer(),
            logto.audiences()
        );
    }
    println!("listening on {base}");
    axum::serve(listener, app::router(logto, public_host.as_deref())).await?;
    Ok(())
}

/// Prints two tokens as shell assignments, an MCP Inspector line, and `curl` lines that use
/// the tokens, each after a comment that says the expected status.
fn print_how_to_connect(issuer: &TestIssuer, logto: &LogtoState, base: &str) {
    let audience = logto.audiences().first().map_or("", String::as_str);
    let token = |scopes: &[&str]| {
        issuer
            .token()
            .sub("mcp-user")
            .audience(audience)
            .scopes(scopes.iter().copied())
            .sign()
    };
    let endpoint = format!("{base}{}", app::MCP_PATH);
    println!(
        "# axum-logto MCP server: an embedded test issuer at {}",
        issuer.issuer()
    );
    println!(
        "# resource {audience}, metadata at {}",
        logto.resource_metadata_url().unwrap_or_default()
    );
    println!("# two tokens (valid for one hour): read:notes, and read:notes write:notes");
    println!("READ_TOKEN={}", token(&["read:notes"]));
    println!("WRITE_TOKEN={}", token(&["read:notes", "write:notes"]));
    println!();
    println!(
        "# MCP Inspector (npx @modelcontextprotocol/inspector): transport Streamable HTTP, URL \
         {endpoint}, header Authorization: Bearer <a token above>; or its CLI:"
    );
    println!(
        "# npx @modelcontextprotocol/inspector --cli {endpoint} --transport http \
         --header \"Authorization: Bearer $WRITE_TOKEN\" --method tools/list"
    );
    println!();
    println!("# or curl, after pasting the two tokens (every POST stands alone):");
    let post = |token: Option<&str>, body: &str| {
        let auth = token
            .map(|name| format!(" -H \"Authorization: Bearer ${name}\""))
            .unwrap_or_default();
        format!(
            "curl -s{auth} -H 'Content-Type: application/json' \
             -H 'Accept: application/json, text/event-stream' -d '{body}' {endpoint}"
        )
    };
    let call = |id: u32, tool: &str, arguments: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{arguments}}}}}"#
        )
    };
    // The revision 2026-07-28: no initialize, the version in each request's `_meta`, and the
    // method and tool in headers, which the layer reads without reading the body.
    let modern = |token: &str, id: u32, tool: &str, arguments: &str| {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{arguments},"_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{{}}}}}}}}"#
        );
        post(Some(token), &body).replacen(
            " -H 'Content-Type",
            &format!(
                " -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' \
                 -H 'Mcp-Name: {tool}' -H 'Content-Type"
            ),
            1,
        )
    };
    let initialize = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}"#;
    let cases = [
        (
            "no token: 401, the challenge names the metadata",
            post(None, initialize).replacen("curl -s", "curl -si", 1),
            "401",
        ),
        (
            "the protected-resource metadata (RFC 9728)",
            format!(
                "curl -s {}",
                logto.resource_metadata_url().unwrap_or_default()
            ),
            "200",
        ),
        ("initialize", post(Some("READ_TOKEN"), initialize), "200"),
        (
            "tools/list",
            post(
                Some("READ_TOKEN"),
                r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
            ),
            "200",
        ),
        (
            "whoami",
            post(Some("READ_TOKEN"), &call(3, "whoami", "{}")),
            "200",
        ),
        (
            "add_note without write:notes: 403, the challenge names the scope to ask for",
            post(
                Some("READ_TOKEN"),
                &call(4, "add_note", r#"{"text":"hello"}"#),
            )
            .replacen("curl -s", "curl -si", 1),
            "403",
        ),
        (
            "add_note with write:notes",
            post(
                Some("WRITE_TOKEN"),
                &call(5, "add_note", r#"{"text":"hello"}"#),
            ),
            "200",
        ),
        (
            "list_notes",
            post(Some("READ_TOKEN"), &call(6, "list_notes", "{}")),
            "200",
        ),
        (
            "add_note at the revision 2026-07-28, without write:notes",
            modern("READ_TOKEN", 7, "add_note", r#"{"text":"modern"}"#)
                .replacen("curl -s", "curl -si", 1),
            "403",
        ),
        (
            "add_note at the revision 2026-07-28, with write:notes",
            modern("WRITE_TOKEN", 8, "add_note", r#"{"text":"modern"}"#),
            "200",
        ),
    ];
    for (what, line, expected) in cases {
        println!();
        println!("# {what} -> {expected}");
        println!("{line}");
    }
    println!();
}
