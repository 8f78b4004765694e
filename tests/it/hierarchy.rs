//! Scope hierarchies (`LogtoStateBuilder::scope_implies`): a broad scope passes every check
//! of the narrower ones it implies — extractors, `authorize`, the layer, its per-operation
//! policy — while challenges keep naming the scope a route needs; the expansion is made once
//! per verified token and the verified-token cache keeps it.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::{Extension, Json};
use axum_logto::testing::{TestIssuer, send};
use axum_logto::{
    AnyOf, AuthInfo, LogtoLayer, LogtoState, McpPolicy, Policy, RequireScopes, scopes,
};
use serde_json::json;

use crate::common::{API, bearer};

scopes! {
    ReadNotes = "read:notes";
    WriteNotes = "write:notes";
    NotesAdmin = "notes:admin";
    Other = "other";
}

/// A state where `notes:admin` implies `write:notes`, which implies `read:notes`.
async fn setup() -> (TestIssuer, LogtoState) {
    let issuer = TestIssuer::start().await;
    let logto = issuer
        .state_builder(API)
        .scope_implies::<NotesAdmin, WriteNotes>()
        .scope_implies::<WriteNotes, ReadNotes>()
        .build()
        .unwrap();
    (issuer, logto)
}

fn get_with(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header("authorization", bearer(token))
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn a_broad_scope_passes_the_extractors_of_the_narrower_ones() {
    let (issuer, logto) = setup().await;
    let app = Router::new()
        .route("/read", get(|_: RequireScopes<ReadNotes>| async { "read" }))
        .route(
            "/write",
            get(|_: RequireScopes<(ReadNotes, WriteNotes)>| async { "write" }),
        )
        .route(
            "/either",
            get(|_: RequireScopes<AnyOf<(Other, ReadNotes)>>| async { "either" }),
        )
        .route(
            "/admin",
            get(|_: RequireScopes<NotesAdmin>| async { "admin" }),
        )
        .route(
            "/me",
            get(|auth: RequireScopes<()>| async move { Json(auth.into_info()) }),
        )
        .with_state(logto);
    let admin = issuer.token().audience(API).scopes(["notes:admin"]).sign();
    for path in ["/read", "/write", "/either", "/admin"] {
        let answer = send(&app, get_with(path, &admin)).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
    }
    // The token's own scopes first, then what they imply (transitively).
    let me = send(&app, get_with("/me", &admin)).await;
    assert_eq!(
        me.json()["scopes"],
        json!(["notes:admin", "write:notes", "read:notes"])
    );

    // Implication goes one way: write:notes does not give notes:admin.
    let writer = issuer.token().audience(API).scopes(["write:notes"]).sign();
    assert_eq!(
        send(&app, get_with("/read", &writer)).await.status,
        StatusCode::OK
    );
    let refused = send(&app, get_with("/admin", &writer)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Challenges still name the scope the route needs, not the broader one.
    let other = issuer.token().audience(API).scopes(["other"]).sign();
    let refused = send(&app, get_with("/write", &other)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let challenge = refused.www_authenticate().unwrap();
    assert!(
        challenge.contains(r#"scope="read:notes write:notes""#),
        "{challenge}"
    );
}

#[tokio::test]
async fn authorize_the_layer_and_per_operation_policies_see_the_implied_scopes() {
    let (issuer, logto) = setup().await;
    let admin = issuer.token().audience(API).scopes(["notes:admin"]).sign();
    let info = logto
        .authorize(&admin, &Policy::global().scopes::<ReadNotes>())
        .await
        .unwrap();
    assert!(info.scopes().contains("read:notes"));

    let whoami = |Extension(auth): Extension<AuthInfo>| async move { auth.sub().to_owned() };
    let layered: Router = Router::new()
        .route("/read", get(whoami))
        .route_layer(LogtoLayer::new(logto.clone()).require_scopes::<ReadNotes>());
    assert_eq!(
        send(&layered, get_with("/read", &admin)).await.status,
        StatusCode::OK
    );

    let mcp = tower::service_fn(|_: axum::extract::Request| async {
        Ok::<_, std::convert::Infallible>(axum::response::Response::new(Body::empty()))
    });
    let policy = McpPolicy::new().tool::<WriteNotes>("add_note");
    let mcp: Router = Router::new()
        .nest_service("/mcp", mcp)
        .route_layer(LogtoLayer::new(logto).mcp(policy));
    let call = |token: &str, modern: bool| {
        let mut request = Request::post("/mcp")
            .header("authorization", bearer(token))
            .header("content-type", "application/json");
        request = match modern {
            true => request
                .header("mcp-protocol-version", "2026-07-28")
                .header("mcp-method", "tools/call")
                .header("mcp-name", "add_note"),
            false => request.header("mcp-protocol-version", "2025-11-25"),
        };
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "add_note"}});
        request.body(Body::from(body.to_string())).unwrap()
    };
    let reader = issuer.token().audience(API).scopes(["read:notes"]).sign();
    for modern in [true, false] {
        assert_eq!(
            send(&mcp, call(&admin, modern)).await.status,
            StatusCode::OK
        );
        let refused = send(&mcp, call(&reader, modern)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(
            refused
                .www_authenticate()
                .unwrap()
                .contains(r#"scope="write:notes""#)
        );
    }
}

#[tokio::test]
async fn the_expansion_is_cached_with_the_token_and_belongs_to_its_state() {
    let (issuer, logto) = setup().await;
    let admin = issuer.token().audience(API).scopes(["notes:admin"]).sign();
    let first = logto.validate(&admin).await.unwrap();
    let again = logto.validate(&admin).await.unwrap();
    assert_eq!(logto.verified_token_cache_stats().unwrap().hits, 1);
    let expanded = ["notes:admin", "write:notes", "read:notes"];
    assert_eq!(first.scopes().iter().collect::<Vec<_>>(), expanded);
    assert_eq!(again.scopes().iter().collect::<Vec<_>>(), expanded);
    // The claim itself is as the token says.
    assert_eq!(
        first.claim::<String>("scope").unwrap().as_deref(),
        Some("notes:admin")
    );
    // Another state of the same issuer, without the hierarchy, does not expand.
    let plain = issuer.state_builder(API).build().unwrap();
    let info = plain.validate(&admin).await.unwrap();
    assert_eq!(info.scopes().iter().collect::<Vec<_>>(), ["notes:admin"]);
    assert!(
        plain
            .authorize(&admin, &Policy::global().scopes::<ReadNotes>())
            .await
            .is_err()
    );
}
