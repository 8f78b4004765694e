//! `LogtoLayer` over real loopback connections: whole routers (`layer`, `route_layer`), a
//! plain tower service under `nest_service`, the optional mode, scopes, the hook, and the
//! opt-in token sources (a cookie, and a query parameter for a real WebSocket client).

use std::convert::Infallible;

use crate::common::{API, bearer, call, fetch, serve};
use axum::body::Body;
use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::http::{Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use axum_logto::testing::{TestIssuer, send};
use axum_logto::{AuthInfo, AuthRejection, LogtoLayer, LogtoState, RequireScopes, scopes};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::json;

scopes! {
    ReadDocs = "read:docs";
    Admin = "admin";
}

async fn whoami(Extension(auth): Extension<AuthInfo>) -> String {
    auth.sub().to_owned()
}

/// A nested router behind the layer, an admin router behind `route_layer` with a scope, and
/// a plain tower service (not an Axum handler) under `nest_service`.
fn app(logto: LogtoState) -> Router {
    let v1 = Router::new()
        .route("/status", get(whoami))
        .route(
            "/docs",
            get(|docs: RequireScopes<ReadDocs>| async move { docs.sub().to_owned() }),
        )
        .layer(LogtoLayer::new(logto.clone()));
    let admin = Router::new()
        .route("/stats", get(whoami))
        .route_layer(LogtoLayer::new(logto.clone()).require_scopes::<Admin>());
    let service = tower::service_fn(|request: axum::extract::Request| async move {
        let sub = request
            .extensions()
            .get::<AuthInfo>()
            .map_or("anonymous".to_owned(), |auth| auth.sub().to_owned());
        Ok::<_, Infallible>(format!("service sees {sub}").into_response())
    });
    let optional = Router::new()
        .route(
            "/hello",
            get(|auth: Option<Extension<AuthInfo>>| async move {
                auth.map_or("hello stranger".to_owned(), |Extension(a)| {
                    format!("hello {}", a.sub())
                })
            }),
        )
        .layer(LogtoLayer::new(logto.clone()).optional());
    Router::new()
        .route("/public", get(|| async { "public" }))
        .nest("/v1", v1)
        .nest("/admin", admin)
        .nest("/optional", optional)
        .nest_service(
            "/svc",
            tower::ServiceBuilder::new()
                .layer(LogtoLayer::new(logto.clone()))
                .service(service),
        )
        .with_state(logto)
}

#[tokio::test]
async fn the_layer_answers_exactly_as_the_extractors() {
    let issuer = TestIssuer::start().await;
    let logto = issuer.state_builder(API).build().unwrap();
    let base = serve(app(logto)).await;
    let user = issuer.token().sub("u1").audience(API).sign();
    let a = fetch(&base, Method::GET, "/v1/status", Some(&user)).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "u1"));
    // No token.
    let a = fetch(&base, Method::GET, "/v1/status", None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.challenge.as_deref(),
        Some(r#"Bearer realm="https://api.example.com""#)
    );
    assert_eq!(
        a.json(),
        json!({"error": "unauthorized", "error_description": "the request carries no bearer token"})
    );
    // A bad token, an organization-level token, a token for another API.
    let expired = issuer.token().audience(API).expires_in(-3600).sign();
    let a = fetch(&base, Method::GET, "/v1/status", Some(&expired)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.challenge.as_deref(),
        Some(
            r#"Bearer realm="https://api.example.com", error="invalid_token", error_description="the access token has expired""#
        )
    );
    let org_level = issuer.token().audience(API).org_id("o").sign();
    let a = fetch(&base, Method::GET, "/v1/status", Some(&org_level)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let other = issuer.token().audience("https://other.example.com").sign();
    let a = fetch(&base, Method::GET, "/v1/status", Some(&other)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    // `layer` on a router covers its fallback too: an unknown path is 401 without a token.
    // (Nested with `nest`, unknown paths fall to the outer router's fallback instead.)
    let whole = Router::new()
        .route("/x", get(|| async { "x" }))
        .layer(LogtoLayer::new(issuer.state_builder(API).build().unwrap()));
    let a = call(&whole, "/nothing-here", &[]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = call(
        &whole,
        "/nothing-here",
        &[("authorization", &bearer(&user))],
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = fetch(&base, Method::GET, "/v1/nothing-here", None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    // Outside the layer, nothing is asked.
    let a = fetch(&base, Method::GET, "/public", None).await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn scopes_route_layer_and_a_tower_service() {
    let issuer = TestIssuer::start().await;
    let base = serve(app(issuer.state_builder(API).build().unwrap())).await;
    let reader = issuer
        .token()
        .sub("r")
        .audience(API)
        .scopes(["read:docs"])
        .sign();
    let admin = issuer
        .token()
        .sub("a")
        .audience(API)
        .scopes(["admin"])
        .sign();
    // Scope refusal through the layer: 403 naming the scope.
    let a = fetch(&base, Method::GET, "/admin/stats", Some(&reader)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.challenge.as_deref(),
        Some(
            r#"Bearer realm="https://api.example.com", error="insufficient_scope", error_description="the access token lacks a scope this resource requires", scope="admin""#
        )
    );
    let a = fetch(&base, Method::GET, "/admin/stats", Some(&admin)).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "a"));
    // A 401 of a layer that requires scopes names them too.
    let a = fetch(&base, Method::GET, "/admin/stats", None).await;
    assert_eq!(
        a.challenge.as_deref(),
        Some(r#"Bearer realm="https://api.example.com", scope="admin""#)
    );
    // `route_layer` covers matched routes only: an unknown path stays 404.
    let a = fetch(&base, Method::GET, "/admin/unknown", None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    // The layer and an extractor in one request.
    let a = fetch(&base, Method::GET, "/v1/docs", Some(&reader)).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "r"));
    let a = fetch(&base, Method::GET, "/v1/docs", Some(&admin)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // Around a plain tower service, which reads the caller from the extensions.
    let a = fetch(&base, Method::GET, "/svc/anything", Some(&reader)).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::OK, "service sees r")
    );
    let a = fetch(&base, Method::GET, "/svc/anything", None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_optional_mode() {
    let issuer = TestIssuer::start().await;
    let base = serve(app(issuer.state_builder(API).build().unwrap())).await;
    let a = fetch(&base, Method::GET, "/optional/hello", None).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::OK, "hello stranger")
    );
    let user = issuer.token().sub("u2").audience(API).sign();
    let a = fetch(&base, Method::GET, "/optional/hello", Some(&user)).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "hello u2"));
    // A bad token is still refused.
    let expired = issuer.token().audience(API).expires_in(-3600).sign();
    let a = fetch(&base, Method::GET, "/optional/hello", Some(&expired)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_hook_and_the_503_through_the_layer() {
    let issuer = TestIssuer::start().await;
    let token = issuer.token().audience(API).sign();
    issuer.go_down().await;
    let logto = issuer
        .state_builder(API)
        .on_rejection(|r: &AuthRejection| -> Response {
            (
                StatusCode::IM_A_TEAPOT,
                format!("hook {}", r.status().as_u16()),
            )
                .into_response()
        })
        .build()
        .unwrap();
    let app = Router::new()
        .route("/x", get(|| async { "x" }))
        .layer(LogtoLayer::new(logto));
    let a = call(&app, "/x", &[("authorization", &bearer(&token))]).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::IM_A_TEAPOT, "hook 503")
    );
    let a = call(&app, "/x", &[]).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::IM_A_TEAPOT, "hook 401")
    );
}

// ---- token sources ---------------------------------------------------------------------------

#[tokio::test]
async fn a_cookie_when_enabled() {
    let issuer = TestIssuer::start().await;
    let token = issuer.token().sub("c1").audience(API).sign();
    let cookie = format!("theme=dark; session={token}");
    for (cookie_source, expected) in [(false, StatusCode::UNAUTHORIZED), (true, StatusCode::OK)] {
        let mut builder = issuer.state_builder(API);
        if cookie_source {
            builder = builder.token_from_cookie("session");
        }
        let app = app(builder.build().unwrap());
        let a = call(&app, "/v1/status", &[("cookie", &cookie)]).await;
        assert_eq!(a.status, expected, "cookie source {cookie_source}");
        // With a header as well: two places, 400.
        let a = call(
            &app,
            "/v1/status",
            &[("cookie", &cookie), ("authorization", &bearer(&token))],
        )
        .await;
        let two_places = if cookie_source {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        assert_eq!(a.status, two_places, "cookie source {cookie_source}");
    }
}

#[tokio::test]
async fn answers_to_cookie_and_query_tokens_are_private() {
    let issuer = TestIssuer::start().await;
    let token = issuer.token().sub("c1").audience(API).sign();
    let state = issuer
        .state_builder(API)
        .token_from_cookie("__Host-session")
        .token_from_query("access_token")
        .build()
        .unwrap();
    let app = app(state);
    let cache_control = |request: axum::http::request::Builder| {
        let app = app.clone();
        async move {
            let answer = send(&app, request.body(Body::empty()).unwrap()).await;
            assert_eq!(answer.status, StatusCode::OK);
            answer
                .headers
                .get("cache-control")
                .map(|v| v.to_str().unwrap().to_owned())
        }
    };
    // Shared caches keep answers to `Authorization` requests private by themselves (RFC 9111
    // §3.5), not those to cookies or to URLs that hold a token.
    let cookie = Request::get("/v1/status").header("cookie", format!("__Host-session={token}"));
    assert_eq!(cache_control(cookie).await.as_deref(), Some("private"));
    let query = Request::get(format!("/v1/status?access_token={token}"));
    assert_eq!(cache_control(query).await.as_deref(), Some("private"));
    let header = Request::get("/v1/status").header("authorization", bearer(&token));
    assert_eq!(cache_control(header).await, None);
}

#[tokio::test]
async fn a_websocket_client_with_the_token_in_the_query() {
    let issuer = TestIssuer::start().await;
    let logto = issuer
        .state_builder(API)
        .token_from_query("access_token")
        .build()
        .unwrap();
    let app = Router::new()
        .route(
            "/live",
            get(
                |ws: WebSocketUpgrade, auth: RequireScopes<ReadDocs>| async move {
                    let sub = auth.sub().to_owned();
                    ws.on_upgrade(move |mut socket| async move {
                        let _ = socket.send(Message::text(format!("hello {sub}"))).await;
                        if let Some(Ok(Message::Text(text))) = socket.recv().await {
                            let _ = socket.send(Message::text(format!("echo {text}"))).await;
                        }
                    })
                },
            ),
        )
        .with_state(logto);
    let base = serve(app).await.replace("http://", "ws://");
    let token = issuer
        .token()
        .sub("w1")
        .audience(API)
        .scopes(["read:docs"])
        .sign();
    let (mut socket, response) =
        tokio_tungstenite::connect_async(format!("{base}/live?access_token={token}"))
            .await
            .unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    let hello = socket.next().await.unwrap().unwrap();
    assert_eq!(hello.into_text().unwrap().as_str(), "hello w1");
    socket.send("ping".into()).await.unwrap();
    let echo = socket.next().await.unwrap().unwrap();
    assert_eq!(echo.into_text().unwrap().as_str(), "echo ping");
    // Without a token, or with a token without the scope, the upgrade is refused.
    let error = tokio_tungstenite::connect_async(format!("{base}/live"))
        .await
        .unwrap_err();
    let tokio_tungstenite::tungstenite::Error::Http(response) = error else {
        panic!("expected an HTTP refusal, got {error}");
    };
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let no_scope = issuer.token().audience(API).sign();
    let error = tokio_tungstenite::connect_async(format!("{base}/live?access_token={no_scope}"))
        .await
        .unwrap_err();
    let tokio_tungstenite::tungstenite::Error::Http(response) = error else {
        panic!("expected an HTTP refusal, got {error}");
    };
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_event_stream_with_the_token_in_the_query_gets_a_private_answer() {
    let issuer = TestIssuer::start().await;
    let logto = issuer
        .state_builder(API)
        .token_from_query("access_token")
        .build()
        .unwrap();
    // An EventSource endpoint (browsers cannot set its headers) behind the layer.
    let app = Router::new()
        .route(
            "/events",
            get(|Extension(auth): Extension<AuthInfo>| async move {
                (
                    [("content-type", "text/event-stream")],
                    format!("data: hello {}\n\n", auth.sub()),
                )
            }),
        )
        .layer(LogtoLayer::new(logto));
    let base = serve(app).await;
    let token = issuer.token().sub("e1").audience(API).sign();
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{base}/events?access_token={token}"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // RFC 6750 §2.3: the URL holds a token, so the answer must not be cached by others.
    assert_eq!(response.headers()["cache-control"], "private");
    assert_eq!(response.text().await.unwrap(), "data: hello e1\n\n");
    // The same request with the header instead: no such need.
    let response = client
        .get(format!("{base}/events"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("cache-control").is_none());
    // In the query and in the header: 400.
    let response = client
        .get(format!("{base}/events?access_token={token}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
