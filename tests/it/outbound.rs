//! Calling other APIs: `LogtoClient` against the test issuer's token endpoint over real HTTP —
//! client credentials cached and renewed ahead, one request for many callers, retries of what
//! may pass and clear errors for what does not, token exchange on behalf of a verified caller.

use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::routing::get;
use axum_logto::testing::TestIssuer;
use axum_logto::{
    AuthError, CallerToken, InvalidTokenReason as R, LogtoClient, LogtoState, TokenRequest,
    TokenRequestErrorKind,
};

use crate::common::{API, bearer, call};

const OTHER_API: &str = "https://reports.example.com";

async fn setup() -> (TestIssuer, LogtoState, LogtoClient) {
    let issuer = TestIssuer::start().await;
    issuer.register_client("app-1", "s3cr3t-of-app-1");
    let state = issuer.state_builder(API).build().unwrap();
    let client = LogtoClient::builder(issuer.endpoint(), "app-1", "s3cr3t-of-app-1")
        .build()
        .unwrap();
    (issuer, state, client)
}

#[tokio::test]
async fn a_token_as_the_application_for_another_api() {
    let (issuer, state, client) = setup().await;
    let other = issuer.state_builder(OTHER_API).build().unwrap();
    let token = client
        .token(&TokenRequest::resource(OTHER_API).scopes(["read:reports"]))
        .await
        .unwrap();
    // Accepted by the API it is for, refused by the first.
    let info = other.validate(token.secret()).await.unwrap();
    assert_eq!((info.sub(), info.client_id()), ("app-1", Some("app-1")));
    assert!(info.is_machine_to_machine());
    assert!(info.scopes().contains("read:reports"));
    assert_eq!(
        state.validate(token.secret()).await.unwrap_err(),
        AuthError::InvalidToken(R::WrongAudience)
    );
    // Cached: no second request, the same token.
    let again = client
        .token(&TokenRequest::resource(OTHER_API).scopes(["read:reports"]))
        .await
        .unwrap();
    assert_eq!(again.secret(), token.secret());
    assert_eq!(issuer.token_requests(), 1);
    // Another request is another token.
    client.token(&TokenRequest::resource(API)).await.unwrap();
    assert_eq!(issuer.token_requests(), 2);
    // The header value, marked sensitive; nothing secret in `Debug`.
    let header = token.authorization();
    assert!(header.is_sensitive());
    assert_eq!(
        header.to_str().unwrap(),
        format!("Bearer {}", token.secret())
    );
    for shown in [format!("{token:?}"), format!("{client:?}")] {
        assert!(
            !shown.contains(token.secret()) && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }
}

#[tokio::test]
async fn a_client_for_the_tenant_of_a_state() {
    let (issuer, state, _) = setup().await;
    let client = LogtoClient::builder_for(&state, "app-1", "s3cr3t-of-app-1")
        .build()
        .unwrap();
    assert_eq!(
        client.token_endpoint(),
        format!("{}/token", issuer.issuer())
    );
    let token = client.token(&TokenRequest::resource(API)).await.unwrap();
    assert_eq!(state.validate(token.secret()).await.unwrap().sub(), "app-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_callers_on_an_empty_cache_make_one_request() {
    let (issuer, _state, client) = setup().await;
    issuer.set_delay(Duration::from_millis(200));
    let request = TokenRequest::resource(OTHER_API).scopes(["a", "b"]);
    let calls = (0..1000).map(|i| {
        let (client, request) = (client.clone(), request.clone());
        // The scopes in any order are one request.
        let request = if i % 2 == 0 {
            request
        } else {
            TokenRequest::resource(OTHER_API).scopes(["b", "a"])
        };
        tokio::spawn(async move { client.token(&request).await.unwrap().secret().to_owned() })
    });
    let tokens: Vec<String> = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(issuer.token_requests(), 1);
    assert!(tokens.iter().all(|token| *token == tokens[0]));
}

#[tokio::test]
async fn renewed_ahead_of_expiry_without_making_callers_wait() {
    let issuer = TestIssuer::start().await;
    issuer.register_client("app-1", "secret");
    // A token that lives less than the default skew (30 s) and renewal window (5 min): still
    // cached (until a quarter of its lifetime before it expires), renewed from half of it.
    issuer.set_token_lifetime(Duration::from_secs(4));
    let client = LogtoClient::builder(issuer.endpoint(), "app-1", "secret")
        .build()
        .unwrap();
    let request = TokenRequest::resource(API);
    let first = client.token(&request).await.unwrap();
    assert_eq!(
        client.token(&request).await.unwrap().secret(),
        first.secret()
    );
    assert_eq!(issuer.token_requests(), 1);
    // Inside the renewal window: the current token at once, a new one fetched behind it.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let served = client.token(&request).await.unwrap();
    assert_eq!(served.secret(), first.secret());
    let started = std::time::Instant::now();
    while issuer.token_requests() < 2 {
        assert!(started.elapsed() < Duration::from_secs(5), "never renewed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let renewed = client.token(&request).await.unwrap();
    assert_ne!(renewed.secret(), first.secret());
    assert!(renewed.expires_at() > first.expires_at());
    assert_eq!(issuer.token_requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_waiting_on_a_failed_request_share_its_error() {
    let issuer = TestIssuer::start().await;
    issuer.register_client("app-1", "secret");
    issuer.set_delay(Duration::from_millis(200));
    let client = LogtoClient::builder(issuer.endpoint(), "app-1", "not the secret")
        .build()
        .unwrap();
    let calls = (0..100).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.token(&TokenRequest::resource(API)).await })
    });
    for result in futures_util::future::join_all(calls).await {
        let error = result.unwrap().unwrap_err();
        assert_eq!(error.error(), Some("invalid_client"));
    }
    // One request for the hundred; a later call asks again.
    assert_eq!(issuer.token_requests(), 1);
    client
        .token(&TokenRequest::resource(API))
        .await
        .unwrap_err();
    assert_eq!(issuer.token_requests(), 2);
}

#[tokio::test]
async fn transient_failures_are_retried_and_refusals_are_clear() {
    let (issuer, _state, client) = setup().await;
    // A 503 is retried (once here), then the token comes.
    issuer.fail_next_token_requests(1);
    client.token(&TokenRequest::resource(API)).await.unwrap();
    assert_eq!(issuer.token_requests(), 2);
    // Three 503s in a row: given up after two retries, naming the endpoint.
    issuer.fail_next_token_requests(3);
    let error = client
        .token(&TokenRequest::resource(OTHER_API))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), &TokenRequestErrorKind::Status(503));
    // What Logto said is kept with the status.
    assert_eq!(
        (error.error(), error.error_description()),
        (Some("server_error"), Some("injected failure"))
    );
    assert!(
        error
            .to_string()
            .contains("503 with server_error (injected failure)")
    );
    assert_eq!(issuer.token_requests(), 5);
    assert_eq!(error.endpoint(), format!("{}/token", issuer.issuer()));
    // A wrong secret: Logto's error and description, never the secret, and no retry.
    let wrong = LogtoClient::builder(issuer.endpoint(), "app-1", "not-the-s3cr3t")
        .build()
        .unwrap();
    let error = wrong.token(&TokenRequest::resource(API)).await.unwrap_err();
    assert_eq!(error.kind(), &TokenRequestErrorKind::Refused);
    assert_eq!(error.error(), Some("invalid_client"));
    assert!(!error.is_transient());
    let shown = format!("{error} {error:?}");
    assert!(
        shown.contains("invalid_client") && shown.contains("/oidc/token"),
        "{shown}"
    );
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert_eq!(issuer.token_requests(), 6);
    // Neither a resource nor an organization.
    let error = client
        .token(&TokenRequest::resource("").scopes(["x"]))
        .await
        .unwrap_err();
    assert_eq!(error.error(), Some("invalid_target"));
    // Nothing listens: a transport error, retried, then reported.
    let nowhere = LogtoClient::builder("http://127.0.0.1:9", "app-1", "secret")
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let error = nowhere
        .token(&TokenRequest::resource(API))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), &TokenRequestErrorKind::Transport);
    assert!(std::error::Error::source(&error).is_some());
}

#[derive(Clone, FromRef)]
struct AppState {
    logto: LogtoState,
    client: LogtoClient,
}

/// Calls for a token for `OTHER_API` on the caller's behalf and answers who it names.
async fn on_behalf(caller: CallerToken, State(client): State<LogtoClient>) -> String {
    let token = client
        .exchange(
            caller.subject_token(),
            &TokenRequest::resource(OTHER_API).scopes(["read:reports"]),
        )
        .await
        .unwrap();
    token.secret().to_owned()
}

#[tokio::test]
async fn a_token_on_behalf_of_the_caller() {
    let (issuer, state, client) = setup().await;
    let other = issuer.state_builder(OTHER_API).build().unwrap();
    let app = Router::new()
        .route("/upstream", get(on_behalf))
        .with_state(AppState {
            logto: state,
            client,
        });
    let caller = issuer.token().sub("alice").client_id("web-app").sign();
    let answer = call(&app, "/upstream", &[("authorization", &bearer(&caller))]).await;
    assert_eq!(answer.status, 200);
    let exchanged = other.validate(&answer.body).await.unwrap();
    // The caller stays the subject; the exchanging application is the client.
    assert_eq!(exchanged.sub(), "alice");
    assert_eq!(exchanged.client_id(), Some("app-1"));
    assert!(!exchanged.is_machine_to_machine());
    // Cached per caller: the same caller's next request asks nothing.
    let requests = issuer.token_requests();
    call(&app, "/upstream", &[("authorization", &bearer(&caller))]).await;
    assert_eq!(issuer.token_requests(), requests);
    // A caller without a valid token never reaches the exchange.
    let a = call(&app, "/upstream", &[]).await;
    assert_eq!(a.status, 401);
    assert_eq!(issuer.token_requests(), requests);
}

#[tokio::test]
async fn an_exchanged_token_is_cached_no_longer_than_the_callers_token_lives() {
    let (issuer, state, _) = setup().await;
    let client = LogtoClient::builder(issuer.endpoint(), "app-1", "s3cr3t-of-app-1")
        .expiry_skew(Duration::from_secs(4))
        .build()
        .unwrap();
    // The caller's token lives 5–6 s (`exp` in whole seconds); the exchanged one an hour (as
    // Logto's: the resource's lifetime). Cached until the caller's less the skew: 1–2 s.
    let caller = issuer.token().sub("alice").expires_in(6).sign();
    let info = state.validate(&caller).await.unwrap();
    let subject = axum_logto::SubjectToken::new(caller, &info);
    let request = TokenRequest::resource(OTHER_API);
    let first = client.exchange(&subject, &request).await.unwrap();
    let requests = issuer.token_requests();
    assert_eq!(
        client.exchange(&subject, &request).await.unwrap().secret(),
        first.secret()
    );
    assert_eq!(issuer.token_requests(), requests);
    // Less than the skew before the caller's token expires: asked again, though the exchanged
    // token itself has most of its hour left.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let second = client.exchange(&subject, &request).await.unwrap();
    assert_eq!(issuer.token_requests(), requests + 1);
    assert_ne!(second.secret(), first.secret());
    assert!(
        first
            .expires_at()
            .duration_since(std::time::SystemTime::now())
            .unwrap()
            > Duration::from_secs(3000)
    );
}
