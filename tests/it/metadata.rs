//! RFC 9728 protected-resource metadata: the document, both well-known paths, and
//! `resource_metadata` in every kind of 401, over real HTTP.

use crate::common::{API, bearer, call, fetch};
use axum::Router;
use axum::http::{Method, StatusCode};
use axum::routing::get;
use axum_logto::testing::TestIssuer;
use axum_logto::{
    Auth, ConfigError, InvalidTokenReason as R, LogtoLayer, LogtoState, RequireScopes,
    ResourceMetadata, scopes,
};
use serde_json::json;
use tokio::net::TcpListener;

scopes! {
    pub const ALL_SCOPES;
    pub ReadNotes = "read:notes";
    pub WriteNotes = "write:notes";
}

/// An app on a loopback listener whose public URL is its own address; returns the base URL.
async fn serve_with_metadata(issuer: &TestIssuer, resource: &str) -> (String, LogtoState) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let logto = issuer
        .state_builder(resource)
        .additional_issuer("https://auth.example.com/oidc")
        .token_from_query("access_token")
        .resource_metadata(
            ResourceMetadata::new(&base)
                .scopes_supported(ALL_SCOPES)
                .resource_name("Notes")
                .resource_documentation("https://docs.example.com/notes"),
        )
        .build()
        .unwrap();
    let app = Router::new()
        .route("/me", get(|a: Auth| async move { a.sub().to_owned() }))
        .route(
            "/notes",
            get(|_: RequireScopes<ReadNotes>| async { "notes" }),
        )
        .nest(
            "/mcp",
            Router::new()
                .route("/", get(|| async { "mcp" }))
                .layer(LogtoLayer::new(logto.clone()).require_scopes::<WriteNotes>()),
        )
        .merge(logto.resource_metadata_router())
        .with_state(logto.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, logto)
}

#[tokio::test]
async fn the_document_and_its_paths() {
    let issuer = TestIssuer::start().await;
    let resource = "https://notes.example.com/mcp";
    let (base, logto) = serve_with_metadata(&issuer, resource).await;
    let expected = json!({
        "resource": resource,
        "authorization_servers": [issuer.issuer(), "https://auth.example.com/oidc"],
        "scopes_supported": ["read:notes", "write:notes"],
        "bearer_methods_supported": ["header", "query"],
        "resource_name": "Notes",
        "resource_documentation": "https://docs.example.com/notes",
    });
    let url = format!("{base}/.well-known/oauth-protected-resource/mcp");
    assert_eq!(logto.resource_metadata_url(), Some(url.as_str()));
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let response = reqwest::get(format!("{base}{path}")).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json");
        let document: serde_json::Value = response.json().await.unwrap();
        assert_eq!(document, expected, "{path}");
    }
    // Without a path in the resource, one path; the optional members stay out.
    let plain = issuer
        .state_builder(API)
        .resource_metadata(ResourceMetadata::new("https://api.example.com"))
        .build()
        .unwrap();
    assert_eq!(
        plain.resource_metadata_url(),
        Some("https://api.example.com/.well-known/oauth-protected-resource")
    );
    let app: Router = plain.resource_metadata_router();
    let a = call(&app, "/.well-known/oauth-protected-resource", &[]).await;
    assert_eq!(
        a.json(),
        json!({"resource": API, "authorization_servers": [issuer.issuer()], "bearer_methods_supported": ["header"]})
    );
    assert_eq!(
        call(&app, "/.well-known/oauth-protected-resource/x", &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A resource path with a trailing slash keeps it in the URL named (RFC 9728 §3.1); the
    // form without it, which some clients build, answers too.
    let slash = issuer
        .state_builder("https://mcp.example.com/mcp/")
        .resource_metadata(ResourceMetadata::new("https://mcp.example.com"))
        .build()
        .unwrap();
    assert_eq!(
        slash.resource_metadata_url(),
        Some("https://mcp.example.com/.well-known/oauth-protected-resource/mcp/")
    );
    let app: Router = slash.resource_metadata_router();
    for path in ["", "/mcp/", "/mcp"] {
        let a = call(
            &app,
            &format!("/.well-known/oauth-protected-resource{path}"),
            &[],
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(a.json()["resource"], "https://mcp.example.com/mcp/");
    }
}

#[tokio::test]
async fn every_401_names_the_document_and_its_url_answers() {
    let issuer = TestIssuer::start().await;
    let (base, logto) = serve_with_metadata(&issuer, API).await;
    let url = logto.resource_metadata_url().unwrap().to_owned();
    let metadata = format!(r#"resource_metadata="{url}""#);
    let expired = issuer.token().audience(API).expires_in(-60).sign();
    let other = issuer.token().audience("https://other.example.com").sign();
    let reader = issuer.token().audience(API).scopes(["read:notes"]).sign();
    for (path, token) in [
        ("/me", None),
        ("/me", Some(expired.as_str())),
        ("/me", Some(other.as_str())),
        ("/notes", None),
        ("/mcp", None),
        ("/mcp", Some(expired.as_str())),
    ] {
        let a = fetch(&base, Method::GET, path, token).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{path}");
        let challenge = a.challenge.unwrap();
        assert!(challenge.ends_with(&metadata), "{path}: {challenge}");
    }
    // A 401 of a scope-requiring route names the scopes too; a 403 names both, so that an
    // MCP client can step up.
    let a = fetch(&base, Method::GET, "/notes", None).await;
    assert_eq!(
        a.challenge.as_deref(),
        Some(format!(r#"Bearer realm="{API}", scope="read:notes", {metadata}"#).as_str())
    );
    let a = fetch(&base, Method::GET, "/mcp", Some(&reader)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let challenge = a.challenge.unwrap();
    assert!(
        challenge.starts_with(&format!(
            r#"Bearer realm="{API}", error="insufficient_scope""#
        )) && challenge.ends_with(&format!(r#", scope="write:notes", {metadata}"#)),
        "{challenge}"
    );
    // The URL named answers the document.
    let document: serde_json::Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
    assert_eq!(document["resource"], API);
    // The URL comes from the configuration, never from the request's Host.
    let a = reqwest::Client::new()
        .get(format!("{base}/me"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    let challenge = a.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(
        challenge.contains(&url) && !challenge.contains("evil"),
        "{challenge}"
    );
}

#[tokio::test]
async fn audiences_are_exact_also_with_a_trailing_slash() {
    // Logto's MCP guide uses resource indicators with a trailing slash: the comparison stays
    // exact, so the API must be configured with exactly what the tokens carry.
    let issuer = TestIssuer::start().await;
    let with_slash = "https://mcp.example.com/";
    let state = issuer.state_builder(with_slash).build().unwrap();
    let token = issuer.token().audience(with_slash).sign();
    assert!(state.validate(&token).await.is_ok());
    let without = issuer.token().audience("https://mcp.example.com").sign();
    assert_refused!(state, without, R::WrongAudience);
    let other_state = issuer
        .state_builder("https://mcp.example.com")
        .build()
        .unwrap();
    assert_refused!(other_state, token, R::WrongAudience);
    let _ = bearer;
}

#[test]
fn metadata_needs_a_resource_and_a_safe_public_url() {
    assert_eq!(
        LogtoState::builder("https://t.logto.app")
            .org_tokens_only()
            .resource_metadata(ResourceMetadata::new("https://api.example.com"))
            .build()
            .unwrap_err(),
        ConfigError::MissingResource
    );
    assert_eq!(
        LogtoState::builder("https://t.logto.app")
            .audience(API)
            .resource_metadata(ResourceMetadata::new("http://api.example.com"))
            .build()
            .unwrap_err(),
        ConfigError::InsecureUrl {
            what: "resource_metadata public_url",
            value: "http://api.example.com".to_owned()
        }
    );
}

#[test]
fn scopes_supported_come_from_a_policy_and_never_list_offline_access() {
    let build = |scopes: &[&str]| {
        LogtoState::builder("https://t.logto.app")
            .audience("https://mcp.example.com/")
            .resource_metadata(
                ResourceMetadata::new("https://mcp.example.com").scopes_supported(scopes),
            )
            .build()
    };
    // MCP servers should not list offline_access (it asks for a refresh token, no
    // permission on the resource); a malformed scope-token cannot be asked for.
    for bad in ["offline_access", "read notes", "", "say\"hi"] {
        let error = build(&["read:notes", bad]).unwrap_err();
        assert_eq!(
            error,
            ConfigError::ScopeNotSupported {
                value: bad.to_owned()
            }
        );
        assert!(error.to_string().contains("scopes_supported"), "{error}");
    }
    assert!(
        build(&["offline_access"])
            .unwrap_err()
            .to_string()
            .contains("refresh token")
    );
    // From a per-operation policy: every scope it names, once.
    let policy = axum_logto::McpPolicy::new()
        .tool::<WriteNotes>("add_note")
        .tool::<ReadNotes>("list_notes")
        .resource::<ReadNotes>("notes://");
    assert_eq!(policy.scopes(), ALL_SCOPES);
    assert!(build(&policy.scopes()).is_ok());
}
