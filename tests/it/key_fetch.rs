//! Hostile key servers: redirects, foreign origins, endless or slow bodies.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{API, serve, setup};
use axum::Router;
use axum::body::Body;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_logto::testing::TestIssuer;
use axum_logto::{KeyFetchErrorKind, LogtoState};
use serde_json::json;

// ---- hostile key servers ---------------------------------------------------------------------

/// The JWKS of `issuer` behind `n` redirects on one origin: `/r/<n>` → … → `/r/0`.
async fn redirect_chain(issuer: &TestIssuer) -> String {
    let jwks = issuer.jwks().to_string();
    let app = Router::new().route(
        "/r/{n}",
        get(move |axum::extract::Path(n): axum::extract::Path<u32>| {
            let jwks = jwks.clone();
            async move {
                if n == 0 {
                    jwks.into_response()
                } else {
                    Redirect::temporary(&format!("/r/{}", n - 1)).into_response()
                }
            }
        }),
    );
    serve(app).await
}

#[tokio::test]
async fn at_most_three_redirects_on_one_origin() {
    let issuer = TestIssuer::start().await;
    let base = redirect_chain(&issuer).await;
    for (n, ok) in [(0, true), (3, true), (4, false), (20, false)] {
        let state = issuer
            .state_builder(API)
            .jwks_uri(format!("{base}/r/{n}"))
            .build()
            .unwrap();
        let result = state.preload().await;
        assert_eq!(result.is_ok(), ok, "{n} redirects: {result:?}");
        if let Err(error) = result {
            assert_eq!(error.kind(), &KeyFetchErrorKind::Transport);
        }
    }
}

/// An https server on `localhost` (the certificate in tests/tls) that answers every request
/// with a redirect to `location`.
async fn tls_redirector(location: String) -> String {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let cert = CertificateDer::from_pem_slice(include_bytes!("../tls/localhost.crt")).unwrap();
    let key = PrivateKeyDer::from_pem_slice(include_bytes!("../tls/localhost.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let location = location.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = vec![0u8; 4096];
                let _ = tls.read(&mut request).await;
                let answer = format!(
                    "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    format!("https://localhost:{port}/jwks")
}

#[tokio::test]
async fn an_https_to_http_redirect_on_the_same_host_is_refused() {
    let issuer = TestIssuer::start().await;
    // Same host name, plain http.
    let plain = issuer.jwks_uri().replace("127.0.0.1", "localhost");
    let https = tls_redirector(plain).await;
    let trusting = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(include_bytes!("../tls/ca.crt")).unwrap()])
        .redirect(reqwest::redirect::Policy::limited(10))
        .build()
        .unwrap();
    // The user's client follows the downgrade; the answer is still refused.
    let state = issuer
        .state_builder(API)
        .jwks_uri(https)
        .http_client(trusting)
        .build()
        .unwrap();
    let error = state.preload().await.unwrap_err();
    assert_eq!(error.kind(), &KeyFetchErrorKind::Transport);
    assert!(
        error
            .to_string()
            .contains("the answer came from http://localhost:"),
        "{error}"
    );
    assert_eq!(
        issuer.jwks_requests(),
        1,
        "reached through the redirect, not used"
    );
}

#[tokio::test]
async fn a_discovered_jwks_uri_on_another_origin_is_refused() {
    let issuer = TestIssuer::start().await;
    // A discovery document that names the right issuer but a JWKS elsewhere.
    let jwks_elsewhere = issuer.jwks_uri();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let doc = json!({"issuer": format!("{base}/oidc"), "jwks_uri": jwks_elsewhere});
    let app = Router::new().route(
        "/oidc/.well-known/openid-configuration",
        get(move || async move { axum::Json(doc) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let state = LogtoState::builder(&base).audience(API).build().unwrap();
    assert_eq!(
        state.preload().await.unwrap_err().kind(),
        &KeyFetchErrorKind::ForeignJwksUri
    );
    assert_eq!(issuer.jwks_requests(), 0);
    // Configured explicitly, another origin is the user's choice.
    let explicit = issuer
        .state_builder(API)
        .jwks_uri(issuer.jwks_uri())
        .build()
        .unwrap();
    assert!(explicit.preload().await.is_ok());
}

/// Serves, at `/jwks`, `chunks` chunks of 1 KiB with `pause` between them, without
/// `Content-Length` (chunked).
async fn streaming(chunks: usize, pause: Duration) -> String {
    let app = Router::new().route(
        "/jwks",
        get(move || async move {
            let stream = futures_util::stream::unfold(0, move |sent| async move {
                if sent == chunks {
                    return None;
                }
                if sent > 0 {
                    tokio::time::sleep(pause).await;
                }
                Some((Ok::<_, std::io::Error>(vec![b' '; 1024]), sent + 1))
            });
            Response::new(Body::from_stream(stream))
        }),
    );
    format!("{}/jwks", serve(app).await)
}

#[tokio::test]
async fn a_chunked_body_over_the_cap_is_cut_off() {
    // 1 MiB in 1 KiB chunks, no Content-Length: the cap (256 KiB by default) stops it.
    let uri = streaming(1024, Duration::ZERO).await;
    let state = LogtoState::builder("http://127.0.0.1:9")
        .audience(API)
        .jwks_uri(uri)
        .build()
        .unwrap();
    let started = Instant::now();
    assert_eq!(
        state.preload().await.unwrap_err().kind(),
        &KeyFetchErrorKind::TooLarge
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_body_that_trickles_after_prompt_headers_times_out() {
    // Headers at once, then one byte-kilo every 200 ms: the timeout covers the whole exchange.
    let uri = streaming(100, Duration::from_millis(200)).await;
    let state = LogtoState::builder("http://127.0.0.1:9")
        .audience(API)
        .jwks_uri(uri)
        .fetch_timeout(Duration::from_millis(600))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = state.preload().await.unwrap_err();
    assert_eq!(error.kind(), &KeyFetchErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn an_emptied_key_set_keeps_the_previous_keys() {
    let (issuer, state) = setup().await;
    let token = issuer.token().audience(API).sign();
    state.preload().await.unwrap();
    issuer.drop_key(&issuer.signing_kid());
    assert_eq!(issuer.jwks()["keys"], json!([]));
    assert_eq!(
        state.preload().await.unwrap_err().kind(),
        &KeyFetchErrorKind::NoUsableKeys
    );
    assert!(state.validate(&token).await.is_ok());
}
