//! The security review's findings, each pinned by a test, and the classes of input nothing
//! tested before: organization permissions on global routes, scope separators, the refresher
//! and stale keys, organization ids in paths, time claims, duplicate JSON members, odd
//! `Authorization` headers, hostile key servers (redirects, foreign origins, endless or slow
//! bodies) and an attacker's random `kid`s during a key rotation.

#[macro_use]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_logto::testing::{KeyAlgorithm, TestIssuer, now};
use axum_logto::{
    AnyOrg, Auth, AuthError, InvalidTokenReason as R, KeyFetchErrorKind, LogtoState, OrgApiToken,
    OrgFromPath, OrgToken, RequireScopes, Scopes, scopes,
};
use common::{API, bearer, call, preload_in_a_runtime_that_ends, serve, setup};
use serde_json::{Value, json};

scopes! {
    ReadDocs = "read:docs";
    Admin = "admin";
}

fn router(logto: LogtoState) -> Router {
    Router::new()
        .route(
            "/me",
            get(|auth: Auth| async move { auth.sub().to_owned() }),
        )
        .route("/docs", get(|_: RequireScopes<ReadDocs>| async { "docs" }))
        .route("/admin", get(|_: RequireScopes<Admin>| async { "admin" }))
        .route(
            "/orgs/{org_id}/members",
            get(|org: OrgToken<OrgFromPath>| async move { org.org_id().to_owned() }),
        )
        .route(
            "/orgs/{org_id}/reports",
            get(|t: OrgApiToken<OrgFromPath, ReadDocs>| async move { t.org_id().to_owned() }),
        )
        .route(
            "/any-org",
            get(|org: OrgToken<AnyOrg>| async move { org.org_id().to_owned() }),
        )
        .route(
            "/any-org-api",
            get(|t: OrgApiToken<AnyOrg>| async move { t.org_id().to_owned() }),
        )
        .route(
            "/no-param",
            get(|org: OrgToken<OrgFromPath>| async move { org.org_id().to_owned() }),
        )
        .with_state(logto)
}

async fn app() -> (TestIssuer, Router) {
    let (issuer, state) = setup().await;
    (issuer, router(state))
}

// ---- 1. organization permissions on global routes ----------------------------------------

#[tokio::test]
async fn organization_level_tokens_are_refused_on_global_routes() {
    let (issuer, app) = app().await;
    // The user is admin only in an organization they created.
    let org_admin = issuer
        .token()
        .audience(API)
        .organization_id("own-org")
        .scopes(["admin", "read:docs"])
        .sign();
    let auth = bearer(&org_admin);
    let description = "the access token carries permissions granted within an organization";
    let a = call(&app, "/admin", &[("authorization", &auth)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.challenge.as_deref(),
        Some(
            format!(
                r#"Bearer realm="https://api.example.com", error="insufficient_scope", error_description="{description}", scope="admin""#
            )
            .as_str()
        )
    );
    assert_eq!(
        a.json(),
        json!({"error": "insufficient_scope", "error_description": description})
    );
    for path in ["/me", "/docs"] {
        let a = call(&app, path, &[("authorization", &auth)]).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(a.json()["error_description"], description, "{path}");
    }
    // The organization route still takes it.
    let a = call(&app, "/orgs/own-org/reports", &[("authorization", &auth)]).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "own-org"));
    // And `validate()` refuses it too.
    let state = issuer.state_builder(API).build().unwrap();
    assert_eq!(
        state.validate(&org_admin).await.unwrap_err(),
        AuthError::OrganizationScoped {
            required: "".into()
        }
    );
    // An API that really wants both opts in.
    let opted_in = issuer
        .state_builder(API)
        .allow_organization_level_tokens()
        .build()
        .unwrap();
    assert!(opted_in.validate(&org_admin).await.is_ok());
    let a = call(&router(opted_in), "/admin", &[("authorization", &auth)]).await;
    assert_eq!(a.status, StatusCode::OK);
}

// ---- 2. scope separators -------------------------------------------------------------------

#[tokio::test]
async fn scope_is_split_on_spaces_only() {
    let (issuer, app) = app().await;
    for separator in ['\t', '\n', '\u{a0}', '\u{2028}', '\u{3000}'] {
        let scope = format!("read:docs{separator}admin");
        let token = issuer
            .token()
            .audience(API)
            .claim("scope", json!(scope))
            .sign();
        for path in ["/docs", "/admin"] {
            let a = call(&app, path, &[("authorization", &bearer(&token))]).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{separator:?} {path}");
        }
        assert_eq!(Scopes::parse(&scope).len(), 1, "{separator:?}");
    }
    // Several spaces still separate.
    let token = issuer
        .token()
        .audience(API)
        .claim("scope", json!("  read:docs   admin "))
        .sign();
    for path in ["/docs", "/admin"] {
        let a = call(&app, path, &[("authorization", &bearer(&token))]).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
    }
}

// ---- 3. the refresher, and stale keys --------------------------------------------------------

/// Polls `check` every 20 ms until it holds, for at most `limit`.
async fn eventually(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn the_refresher_runs_although_every_request_hits_the_snapshot() {
    let issuer_runtime = tokio::runtime::Runtime::new().unwrap();
    let issuer = issuer_runtime.block_on(TestIssuer::start());
    let state = issuer
        .state_builder(API)
        .refresh_interval(Duration::from_millis(200))
        .unknown_kid_cooldown(Duration::from_secs(3600))
        .build()
        .unwrap();
    // Keys load in a runtime that then goes away, taking the refresh task with it.
    preload_in_a_runtime_that_ends(&state);
    let old = issuer.token().audience(API).sign();
    let old_kid = issuer.signing_kid();
    let second = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    second.block_on(async {
        // Every request finds its key in the snapshot: no fetch on demand.
        state.validate(&old).await.unwrap();
        // The operator removes the key.
        issuer.rotate(KeyAlgorithm::Es384);
        issuer.drop_key(&old_kid);
        eventually(
            Duration::from_secs(10),
            "the removed key is refused",
            async || {
                state.validate(&old).await.err() == Some(AuthError::InvalidToken(R::UnknownKey))
            },
        )
        .await;
    });
}

#[tokio::test]
async fn stale_keys_serve_until_the_maximum_age_then_503_until_a_fetch_succeeds() {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .refresh_interval(Duration::from_millis(100))
        .max_key_set_age(Duration::from_millis(800))
        .retry_interval(Duration::from_millis(100))
        .build()
        .unwrap();
    let token = issuer.token().audience(API).sign();
    state.preload().await.unwrap();
    issuer.fail_next(usize::MAX);
    let failing_since = Instant::now();
    // Within the maximum age, the last good key set still serves.
    assert!(state.validate(&token).await.is_ok());
    eventually(Duration::from_secs(10), "stale keys give 503", async || {
        state.validate(&token).await.err() == Some(AuthError::KeysUnavailable)
    })
    .await;
    assert!(failing_since.elapsed() >= Duration::from_millis(700));
    // Fetching went on meanwhile; one success brings the keys back.
    let before = issuer.jwks_requests();
    issuer.clear_faults();
    eventually(
        Duration::from_secs(10),
        "fresh keys serve again",
        async || state.validate(&token).await.is_ok(),
    )
    .await;
    assert!(issuer.jwks_requests() > before);
}

#[tokio::test]
async fn a_maximum_age_shorter_than_the_refresh_interval_works_alone() {
    let issuer = TestIssuer::start().await;
    // The refresh interval keeps its default (10 minutes).
    let state = issuer
        .state_builder(API)
        .max_key_set_age(Duration::from_millis(600))
        .build()
        .unwrap();
    let token = issuer.token().audience(API).sign();
    state.preload().await.unwrap();
    // A reachable issuer: the timer refreshes every half of the age, so the set never ages out.
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        assert!(state.validate(&token).await.is_ok());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(issuer.jwks_requests() >= 3, "{}", issuer.jwks_requests());
    // An unreachable one: 503 once the last good set is older than the maximum age.
    issuer.fail_next(usize::MAX);
    eventually(Duration::from_secs(10), "stale keys give 503", async || {
        state.validate(&token).await.err() == Some(AuthError::KeysUnavailable)
    })
    .await;
}

// ---- 4 and 5. organization ids -------------------------------------------------------------

#[tokio::test]
async fn organization_ids_in_paths() {
    let (issuer, app) = app().await;
    let org = issuer.token().organization_audience("org-a").sign();
    let auth = bearer(&org);
    // Percent-encoded: decoded, then compared.
    let a = call(&app, "/orgs/org%2Da/members", &[("authorization", &auth)]).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "org-a"));
    // Another case is another organization.
    let a = call(&app, "/orgs/ORG-A/members", &[("authorization", &auth)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // Undecodable: the client's fault.
    let a = call(&app, "/orgs/%FF/members", &[("authorization", &auth)]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.json(),
        json!({"error": "invalid_request", "error_description": "the request does not name an organization"})
    );
    // A route without the parameter: the server's fault.
    let a = call(&app, "/no-param", &[("authorization", &auth)]).await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(a.challenge, None);
    assert_eq!(
        a.json(),
        json!({"error": "server_error", "error_description": "the server cannot tell which organization this route is for"})
    );
}

#[tokio::test]
async fn an_empty_organization_id_never_matches() {
    let (issuer, state) = setup().await;
    let app = router(state.clone());
    let empty = issuer.token().organization_audience("").sign();
    assert_eq!(
        state
            .validate_organization_token(&empty, "")
            .await
            .unwrap_err(),
        AuthError::InvalidToken(R::WrongAudience)
    );
    let a = call(&app, "/any-org", &[("authorization", &bearer(&empty))]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    // A real organization token is not for the organization "".
    let real = issuer.token().organization_audience("org-a").sign();
    assert_eq!(
        state
            .validate_organization_token(&real, "")
            .await
            .unwrap_err(),
        AuthError::WrongOrganization {
            required: "".into()
        }
    );
    // Beside a real organization audience, an empty one matches nothing either.
    let both = issuer
        .token()
        .audiences(["urn:logto:organization:org-a", "urn:logto:organization:"])
        .sign();
    let info = state
        .validate_organization_token(&both, "org-a")
        .await
        .unwrap();
    assert!(!info.has_organization_audience(""));
    assert!(info.has_organization_audience("org-a"));
    assert_eq!(
        state
            .validate_organization_token(&both, "")
            .await
            .unwrap_err(),
        AuthError::WrongOrganization {
            required: "".into()
        }
    );
    // An organization-level token with an empty organization_id names no organization.
    let api = issuer.token().audience(API).organization_id("").sign();
    let a = call(&app, "/any-org-api", &[("authorization", &bearer(&api))]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}

// ---- 6. time claims ---------------------------------------------------------------------------

#[tokio::test]
async fn time_claims_are_exact_and_any_number_is_handled() {
    let issuer = TestIssuer::start().await;
    let exact = issuer
        .state_builder(API)
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    let now = now() as f64;
    let with = |name: &str, value: Value| issuer.token().audience(API).claim(name, value).sign();
    // A fraction of a second in the future is in the future (no rounding in the sender's
    // favour).
    assert_refused!(exact, with("nbf", json!(now + 1.5)), R::NotYetValid);
    assert_refused!(exact, with("iat", json!(now + 1.5)), R::IssuedInFuture);
    assert_refused!(exact, with("exp", json!(now - 0.5)), R::Expired);
    assert!(
        exact
            .validate(&with("exp", json!(now + 60.5)))
            .await
            .is_ok()
    );
    // Any JSON number: far future, beyond i64, negative, fractional.
    for exp in [json!(1e300), json!(1e19), json!(u64::MAX), json!(9.3e18)] {
        let info = exact.validate(&with("exp", exp.clone())).await.unwrap();
        assert_eq!(info.expires_at(), i64::MAX, "{exp}");
    }
    for exp in [json!(-1), json!(-1e300), json!(0.5), json!(i64::MIN)] {
        assert_refused!(exact, with("exp", exp.clone()), R::Expired, "{exp}");
    }
    assert_refused!(exact, with("nbf", json!(1e300)), R::NotYetValid);
    assert!(exact.validate(&with("nbf", json!(-1e300))).await.is_ok());
    // A number too large for a double is no valid JSON for this crate.
    let payload = format!(
        r#"{{"iss":"{}","sub":"s","aud":"{API}","exp":1e400}}"#,
        issuer.issuer()
    );
    let header = format!(
        r#"{{"typ":"at+jwt","alg":"ES384","kid":"{}"}}"#,
        issuer.signing_kid()
    );
    let raw = issuer.sign_raw(header.as_bytes(), payload.as_bytes());
    assert_refused!(exact, raw, R::Malformed);
}

// ---- duplicate JSON members ---------------------------------------------------------------------

#[tokio::test]
async fn members_named_twice_are_malformed() {
    let (issuer, state) = setup().await;
    let kid = issuer.signing_kid();
    let iss = issuer.issuer();
    let exp = now() + 600;
    let header = format!(r#"{{"typ":"at+jwt","alg":"ES384","kid":"{kid}"}}"#);
    let payload = format!(r#"{{"iss":"{iss}","sub":"s","aud":"{API}","exp":{exp}}}"#);
    let good = issuer.sign_raw(header.as_bytes(), payload.as_bytes());
    assert!(state.validate(&good).await.is_ok());
    let twice_in_header = format!(r#"{{"typ":"at+jwt","alg":"none","alg":"ES384","kid":"{kid}"}}"#);
    let token = issuer.sign_raw(twice_in_header.as_bytes(), payload.as_bytes());
    assert_refused!(state, token, R::Malformed);
    let twice_in_payload = format!(
        r#"{{"iss":"{iss}","sub":"s","aud":"https://other.example.com","aud":"{API}","exp":{exp}}}"#
    );
    let token = issuer.sign_raw(header.as_bytes(), twice_in_payload.as_bytes());
    assert_refused!(state, token, R::Malformed);
}

// ---- Authorization headers ---------------------------------------------------------------------

#[tokio::test]
async fn authorization_headers_with_a_tab_or_joined_values() {
    let (issuer, app) = app().await;
    let token = issuer.token().audience(API).sign();
    let other = issuer.token().audience(API).sign();
    let realm = r#"Bearer realm="https://api.example.com""#;
    // RFC 7235: one space (SP) after the scheme; a tab makes it another scheme.
    let a = call(
        &app,
        "/me",
        &[("authorization", &format!("Bearer\t{token}"))],
    )
    .await;
    assert_eq!(
        (a.status, a.challenge.as_deref()),
        (StatusCode::UNAUTHORIZED, Some(realm))
    );
    let malformed = format!(
        r#"{realm}, error="invalid_token", error_description="the access token is malformed""#
    );
    for joined in [
        format!("Bearer {token}, Bearer {other}"),
        format!("Bearer {token},{other}"),
        format!("Bearer {token} {other}"),
        format!("Bearer {token}\t"),
    ] {
        let a = call(&app, "/me", &[("authorization", &joined)]).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{joined}");
        assert_eq!(a.challenge.as_deref(), Some(malformed.as_str()), "{joined}");
    }
    let a = call(&app, "/me", &[("authorization", &bearer(&token))]).await;
    assert_eq!(a.status, StatusCode::OK);
}

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

    let cert = CertificateDer::from_pem_slice(include_bytes!("tls/localhost.crt")).unwrap();
    let key = PrivateKeyDer::from_pem_slice(include_bytes!("tls/localhost.key")).unwrap();
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
        .tls_certs_only([reqwest::Certificate::from_pem(include_bytes!("tls/ca.crt")).unwrap()])
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

// ---- an attacker during a key rotation --------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_kids_during_a_rotation_do_not_hide_the_new_key() {
    let issuer = Arc::new(TestIssuer::start().await);
    let refresh = Duration::from_millis(500);
    let cooldown = Duration::from_millis(1500);
    let state = issuer
        .state_builder(API)
        .refresh_interval(refresh)
        .unknown_kid_cooldown(cooldown)
        .build()
        .unwrap();
    state.preload().await.unwrap();
    // The attacker: a token with a random kid every 100 ms (each one unknown).
    let stop = Arc::new(AtomicBool::new(false));
    let attacker = {
        let (state, issuer, stop) = (state.clone(), issuer.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let forged = issuer
                    .token()
                    .audience(API)
                    .kid(&format!("random-{n}"))
                    .sign();
                let _ = state.validate(&forged).await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rotated_at = Instant::now();
    let requests_before = issuer.jwks_requests();
    let new_kid = issuer.rotate(KeyAlgorithm::Es384);
    let token = issuer.token().audience(API).signed_by(&new_kid).sign();
    eventually(
        refresh + cooldown + Duration::from_secs(2),
        "the new key is used",
        async || state.validate(&token).await.is_ok(),
    )
    .await;
    let took = rotated_at.elapsed();
    stop.store(true, Ordering::Relaxed);
    attacker.await.unwrap();
    assert!(
        took <= refresh + cooldown + Duration::from_millis(500),
        "{took:?}"
    );
    // The attacker's kids cost at most one fetch per cooldown, plus the timer's.
    let fetches = issuer.jwks_requests() - requests_before;
    let bound = 2
        + (took.as_millis() / cooldown.as_millis() + took.as_millis() / refresh.as_millis())
            as usize;
    assert!(fetches <= bound, "{fetches} fetches in {took:?}");
}
