//! The key store policy over real HTTP: discovery, mixed key types, rotation, single-flight
//! refetch, cooldown, timer refresh, and every way a fetch can fail.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common::{API, preload_in_a_runtime_that_ends, setup};
use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use axum_logto::testing::{KeyAlgorithm, TestIssuer};
use axum_logto::{AuthError, InvalidTokenReason as R, KeyFetchErrorKind, LogtoState};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[tokio::test]
async fn discovery_then_jwks_once() {
    let (issuer, state) = setup().await;
    for _ in 0..20 {
        let token = issuer.token().audience(API).sign();
        state.validate(&token).await.unwrap();
    }
    assert_eq!(issuer.discovery_requests(), 1);
    assert_eq!(issuer.jwks_requests(), 1);
}

#[tokio::test]
async fn explicit_jwks_uri_skips_discovery() {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .jwks_uri(issuer.jwks_uri())
        .build()
        .unwrap();
    state
        .validate(&issuer.token().audience(API).sign())
        .await
        .unwrap();
    assert_eq!(issuer.discovery_requests(), 0);
    assert_eq!(issuer.jwks_requests(), 1);
}

#[tokio::test]
async fn discovery_issuer_must_match() {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .issuer(format!("{}/", issuer.issuer()))
        .build()
        .unwrap();
    assert_eq!(
        state.preload().await.unwrap_err().kind(),
        &KeyFetchErrorKind::IssuerMismatch
    );
    assert_eq!(issuer.jwks_requests(), 0);
    let token = issuer.token().audience(API).sign();
    assert_eq!(
        state.validate(&token).await.unwrap_err(),
        AuthError::KeysUnavailable
    );
}

#[tokio::test]
async fn a_mixed_ec_and_rsa_set() {
    let (issuer, state) = setup().await;
    let ec_kid = issuer.signing_kid();
    let rsa_kid = issuer.publish_key(KeyAlgorithm::Rs256);
    let p256_kid = issuer.publish_key(KeyAlgorithm::Es256);
    for kid in [&ec_kid, &rsa_kid, &p256_kid] {
        let token = issuer.token().audience(API).signed_by(kid).sign();
        assert!(state.validate(&token).await.is_ok(), "{kid}");
    }
    assert_eq!(issuer.jwks_requests(), 1);
}

#[tokio::test]
async fn rotation_is_picked_up_after_one_refetch() {
    let (issuer, state) = setup().await;
    let old = issuer.token().audience(API).sign();
    state.validate(&old).await.unwrap();
    assert_eq!(issuer.jwks_requests(), 1);

    issuer.rotate(KeyAlgorithm::Es384);
    let new = issuer.token().audience(API).sign();
    state.validate(&new).await.unwrap();
    assert_eq!(issuer.jwks_requests(), 2);
    // The previous key is still published, so old tokens keep working, without fetching.
    state.validate(&old).await.unwrap();
    state.validate(&new).await.unwrap();
    assert_eq!(issuer.jwks_requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_unknown_kid_make_one_fetch() {
    let (issuer, state) = setup().await;
    state.preload().await.unwrap();
    assert_eq!(issuer.jwks_requests(), 1);
    issuer.rotate(KeyAlgorithm::Es384);
    let token = Arc::new(issuer.token().audience(API).sign());
    let barrier = Arc::new(tokio::sync::Barrier::new(200));
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let (state, token, barrier) = (state.clone(), token.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                state.validate(&token).await
            })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap().is_ok());
    }
    assert_eq!(issuer.jwks_requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_cold_requests_make_one_fetch() {
    let (issuer, state) = setup().await;
    let token = Arc::new(issuer.token().audience(API).sign());
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let (state, token) = (state.clone(), token.clone());
            tokio::spawn(async move { state.validate(&token).await })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap().is_ok());
    }
    assert_eq!(issuer.discovery_requests(), 1);
    assert_eq!(issuer.jwks_requests(), 1);
}

#[tokio::test]
async fn random_kids_beyond_the_budget_cause_no_fetch() {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .unknown_kid_cooldown(Duration::from_secs(2))
        .build()
        .unwrap();
    state.preload().await.unwrap();
    assert_eq!(issuer.jwks_requests(), 1);
    // Minted first, so that the flood fits well inside the cooldown on a slow machine.
    let flood: Vec<String> = (0..200)
        .map(|i| {
            issuer
                .token()
                .audience(API)
                .kid(&format!("random-{i}"))
                .sign()
        })
        .collect();
    let again: Vec<String> = (0..50)
        .map(|i| {
            issuer
                .token()
                .audience(API)
                .kid(&format!("again-{i}"))
                .sign()
        })
        .collect();
    // The first three unknown kids refetch; the flood after them, never.
    for token in &flood {
        assert_refused!(state, *token, R::UnknownKey);
    }
    assert_eq!(issuer.jwks_requests(), 4);
    // Known kids keep validating meanwhile.
    assert!(
        state
            .validate(&issuer.token().audience(API).sign())
            .await
            .is_ok()
    );
    // The refusals scheduled one fetch for when the budget refills (one cooldown after the
    // first), and the budget then has no fetch left for the next unknown kids until the
    // cooldown after it.
    tokio::time::sleep(Duration::from_millis(2300)).await;
    assert_eq!(issuer.jwks_requests(), 5);
    for token in &again {
        assert_refused!(state, *token, R::UnknownKey);
    }
    assert!(issuer.jwks_requests() <= 6, "{}", issuer.jwks_requests());
}

#[tokio::test]
async fn two_rotations_in_a_row_are_found_at_once() {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .unknown_kid_cooldown(Duration::from_secs(3600))
        .build()
        .unwrap();
    state.preload().await.unwrap();
    // Before the budget, the second rotation's tokens waited for the whole cooldown.
    for kind in [KeyAlgorithm::Rs256, KeyAlgorithm::Es384] {
        issuer.rotate(kind);
        let token = issuer.token().audience(API).sign();
        assert!(state.validate(&token).await.is_ok(), "{kind:?}");
    }
    assert_eq!(issuer.jwks_requests(), 3);
}

#[tokio::test]
async fn a_key_rotated_in_during_a_keyless_probe_is_fetched_without_a_request() {
    let issuer = TestIssuer::start().await;
    let cooldown = Duration::from_secs(2);
    let state = issuer
        .state_builder(API)
        .unknown_kid_cooldown(cooldown)
        .build()
        .unwrap();
    state.preload().await.unwrap();
    // The probe: random kids and signatures of the right length, no key needed to forge.
    let payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"x"}"#);
    let forged = |i: usize| {
        let header = format!(r#"{{"alg":"ES384","typ":"at+jwt","kid":"probe-{i}"}}"#);
        let header = URL_SAFE_NO_PAD.encode(header);
        format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode([7u8; 96]))
    };
    let probed_at = Instant::now();
    for i in 0..10 {
        assert_refused!(state, forged(i), R::UnknownKey);
    }
    assert_eq!(issuer.jwks_requests(), 4);
    // The issuer rotates right after; the new key's first token is refused, the budget spent.
    issuer.rotate(KeyAlgorithm::Es384);
    let token = issuer.token().audience(API).sign();
    assert_refused!(state, token, R::UnknownKey);
    // No request for a cooldown: the store fetches by itself when the budget refills…
    tokio::time::sleep(cooldown + Duration::from_millis(500)).await;
    assert_eq!(issuer.jwks_requests(), 5);
    // …so the next token of the new key passes at once, at most one cooldown after the probe.
    assert!(state.validate(&token).await.is_ok());
    assert_eq!(issuer.jwks_requests(), 5);
    assert!(probed_at.elapsed() < cooldown * 2);
}

#[tokio::test]
async fn endpoint_down_at_start_then_back() {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .retry_interval(Duration::from_millis(200))
        .build()
        .unwrap();
    let token = issuer.token().audience(API).sign();
    issuer.go_down().await;
    assert!(matches!(
        state.preload().await.unwrap_err().kind(),
        KeyFetchErrorKind::Transport
    ));
    assert_eq!(
        state.validate(&token).await.unwrap_err(),
        AuthError::KeysUnavailable
    );
    // Requests inside the retry interval do not hammer the (down) endpoint.
    for _ in 0..20 {
        assert_eq!(
            state.validate(&token).await.unwrap_err(),
            AuthError::KeysUnavailable
        );
    }
    issuer.come_back().await;
    assert_eq!(issuer.discovery_requests(), 0);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(state.validate(&token).await.is_ok());
    assert_eq!(issuer.discovery_requests(), 1);
    assert_eq!(issuer.jwks_requests(), 1);
}

#[tokio::test]
async fn retry_interval_spaces_attempts_while_no_keys() {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .jwks_uri(issuer.jwks_uri())
        .retry_interval(Duration::from_secs(60))
        .build()
        .unwrap();
    issuer.fail_next(100);
    let token = issuer.token().audience(API).sign();
    for _ in 0..30 {
        assert_eq!(
            state.validate(&token).await.unwrap_err(),
            AuthError::KeysUnavailable
        );
    }
    assert_eq!(issuer.jwks_requests(), 1);
    assert_eq!(state.retry_interval(), Duration::from_secs(60));
}

/// Loads keys, breaks the issuer with `break_it`, forces a refetch with an unknown kid, and
/// checks that tokens signed with the known key still validate.
async fn refresh_failure_keeps_old_keys(
    break_it: impl FnOnce(&TestIssuer),
    expected: KeyFetchErrorKind,
) {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .unknown_kid_cooldown(Duration::from_millis(100))
        .fetch_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let old = issuer.token().audience(API).sign();
    state.validate(&old).await.unwrap();
    break_it(&issuer);
    assert_eq!(state.preload().await.unwrap_err().kind(), &expected);
    let unknown = issuer.token().audience(API).kid("not-there").sign();
    assert_refused!(state, unknown, R::UnknownKey);
    assert!(issuer.jwks_requests() >= 3);
    assert!(state.validate(&old).await.is_ok());
    issuer.clear_faults();
    state.preload().await.unwrap();
    assert!(state.validate(&old).await.is_ok());
}

#[tokio::test]
async fn failed_refresh_keeps_old_keys() {
    refresh_failure_keeps_old_keys(|i| i.fail_next(2), KeyFetchErrorKind::Status(500)).await;
}

#[tokio::test]
async fn slow_refresh_times_out_and_keeps_old_keys() {
    refresh_failure_keeps_old_keys(
        |i| i.set_delay(Duration::from_secs(2)),
        KeyFetchErrorKind::Timeout,
    )
    .await;
}

#[tokio::test]
async fn garbage_refresh_keeps_old_keys() {
    refresh_failure_keeps_old_keys(
        |i| i.serve_garbage(true),
        KeyFetchErrorKind::InvalidDocument,
    )
    .await;
}

#[tokio::test]
async fn oversized_refresh_keeps_old_keys() {
    refresh_failure_keeps_old_keys(|i| i.serve_oversized(true), KeyFetchErrorKind::TooLarge).await;
}

#[tokio::test]
async fn refresh_with_no_usable_key_keeps_old_keys() {
    let (issuer, state) = setup().await;
    let old = issuer.token().audience(API).sign();
    state.validate(&old).await.unwrap();
    // The issuer now publishes nothing usable.
    issuer.drop_key(&issuer.signing_kid());
    assert_eq!(
        state.preload().await.unwrap_err().kind(),
        &KeyFetchErrorKind::NoUsableKeys
    );
    assert!(state.validate(&old).await.is_ok());
}

#[tokio::test]
async fn ec_to_rsa_switch_without_restart() {
    let (issuer, state) = setup().await;
    let ec_token = issuer.token().audience(API).sign();
    state.validate(&ec_token).await.unwrap();
    let old_kid = issuer.signing_kid();
    issuer.rotate(KeyAlgorithm::Rs256);
    issuer.drop_key(&old_kid);
    let rsa_token = issuer.token().audience(API).sign();
    let info = state.validate(&rsa_token).await.unwrap();
    assert_eq!(info.sub(), "test-user");
    assert_eq!(issuer.jwks_requests(), 2);
    // The dropped EC key is gone from the new set.
    assert_refused!(state, ec_token, R::UnknownKey);
}

/// Waits (polling, at most 10 s) until the issuer has served `n` JWKS requests.
async fn wait_for_jwks_requests(issuer: &TestIssuer, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while issuer.jwks_requests() < n {
        assert!(
            std::time::Instant::now() < deadline,
            "{} of {n} JWKS requests",
            issuer.jwks_requests()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_timer_refreshes_without_requests() {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .refresh_interval(Duration::from_millis(200))
        .unknown_kid_cooldown(Duration::from_secs(3600))
        .build()
        .unwrap();
    state.preload().await.unwrap();
    let kid = issuer.rotate(KeyAlgorithm::Rs256);
    wait_for_jwks_requests(&issuer, 2).await;
    // The cooldown forbids on-demand fetches; the new key is known from the timer alone.
    let token = issuer.token().audience(API).signed_by(&kid).sign();
    assert!(state.validate(&token).await.is_ok());
    // A failing refresh on the timer keeps the keys.
    issuer.fail_next(1000);
    let before = issuer.jwks_requests();
    wait_for_jwks_requests(&issuer, before + 2).await;
    assert!(state.validate(&token).await.is_ok());
}

#[tokio::test]
async fn the_timer_stops_when_the_state_is_dropped() {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .refresh_interval(Duration::from_millis(100))
        .build()
        .unwrap();
    state.preload().await.unwrap();
    drop(state);
    tokio::time::sleep(Duration::from_millis(250)).await;
    let after_drop = issuer.jwks_requests();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(issuer.jwks_requests(), after_drop);
    assert!(after_drop <= 2);
}

/// A server on 127.0.0.1 that redirects `/jwks` to `target`.
async fn redirector(target: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route(
        "/jwks",
        get(move || async move { Redirect::temporary(&target) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/jwks")
}

#[tokio::test]
async fn redirects_to_another_host_are_not_followed() {
    let issuer = TestIssuer::start().await;
    // Same port, other host name: `localhost` is not `127.0.0.1`.
    let elsewhere = issuer.jwks_uri().replace("127.0.0.1", "localhost");
    let uri = redirector(elsewhere).await;
    let state = issuer.state_builder(API).jwks_uri(uri).build().unwrap();
    assert_eq!(
        state.preload().await.unwrap_err().kind(),
        &KeyFetchErrorKind::Transport
    );
    assert_eq!(issuer.jwks_requests(), 0);
}

#[tokio::test]
async fn plain_http_elsewhere_is_refused_at_build() {
    let err = LogtoState::builder("http://logto.example.com")
        .audience(API)
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"the endpoint "http://logto.example.com" uses plain http to a host that is not loopback; use https"#
    );
}

#[tokio::test]
async fn a_users_client_that_follows_redirects_elsewhere_is_still_refused() {
    let issuer = TestIssuer::start().await;
    let elsewhere = issuer.jwks_uri().replace("127.0.0.1", "localhost");
    let uri = redirector(elsewhere).await;
    // reqwest's default policy follows redirects to any host.
    let state = issuer
        .state_builder(API)
        .jwks_uri(uri)
        .http_client(reqwest::Client::new())
        .build()
        .unwrap();
    assert_eq!(
        state.preload().await.unwrap_err().kind(),
        &KeyFetchErrorKind::Transport
    );
    // The issuer was reached (through the redirect), but its answer was not used.
    assert_eq!(issuer.jwks_requests(), 1);
    let token = issuer.token().audience(API).sign();
    assert_eq!(
        state.validate(&token).await.unwrap_err(),
        AuthError::KeysUnavailable
    );
}

#[tokio::test]
async fn a_cancelled_request_does_not_cancel_its_fetch() {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .retry_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    issuer.set_delay(Duration::from_millis(300));
    let token = issuer.token().audience(API).sign();
    // The first request gives up (as under a timeout layer) while the fetch is in flight.
    let gave_up = tokio::time::timeout(Duration::from_millis(50), state.validate(&token)).await;
    assert!(gave_up.is_err());
    // The fetch goes on in its own task; this request waits for it and gets the keys. Had the
    // fetch been cancelled with the first request, the one-hour retry interval would leave
    // the state without keys for an hour.
    assert!(state.validate(&token).await.is_ok());
    assert_eq!(issuer.jwks_requests(), 1);
}

#[test]
fn the_timer_restarts_in_a_new_runtime() {
    let issuer_runtime = tokio::runtime::Runtime::new().unwrap();
    let issuer = issuer_runtime.block_on(TestIssuer::start());
    let state = issuer
        .state_builder(API)
        .refresh_interval(Duration::from_millis(100))
        .build()
        .unwrap();
    // A first runtime loads the keys (and starts the refresh task), then shuts down.
    preload_in_a_runtime_that_ends(&state);
    let after_first = issuer.jwks_requests();
    // The state is used from a second runtime: its refresh task runs there.
    let second = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    second.block_on(async {
        state
            .validate(&issuer.token().audience(API).sign())
            .await
            .unwrap();
        // A cached key needs no fetch, so the timer is started explicitly by a preload.
        state.preload().await.unwrap();
        // The preload, then at least two ticks of the timer in this runtime.
        wait_for_jwks_requests(&issuer, after_first + 3).await;
    });
}

#[tokio::test]
async fn a_garbage_signature_with_a_random_kid_causes_no_fetch() {
    let (issuer, state) = setup().await;
    state.preload().await.unwrap();
    let token = issuer.token().audience(API).kid("random").sign();
    let (input, _) = token.rsplit_once('.').unwrap();
    for signature in ["AAAA", "AAAAAAAAAAAAAAAAAAAAAA", &"A".repeat(200)] {
        let forged = format!("{input}.{signature}");
        assert_refused!(state, forged, R::BadSignature);
    }
    assert_eq!(issuer.jwks_requests(), 1);
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

#[tokio::test]
async fn a_runtime_without_timers_is_named_instead_of_a_panic_in_a_task() {
    let issuer = TestIssuer::start().await;
    let state = issuer.state_builder(API).build().unwrap();
    let token = issuer.token().audience(API).sign();
    let outcome = tokio::task::spawn_blocking(move || {
        // IO, but no time driver: `enable_all()` forgotten.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        runtime.block_on(async {
            let preload = state.preload().await;
            let validate = state.validate(&token).await;
            (preload, validate)
        })
    })
    .await
    .unwrap();
    let error = outcome.0.unwrap_err();
    assert_eq!(error.kind(), &KeyFetchErrorKind::NoTimeDriver);
    assert!(error.to_string().contains("enable_all()"), "{error}");
    assert_eq!(outcome.1.unwrap_err(), AuthError::KeysUnavailable);
    assert_eq!(issuer.jwks_requests(), 0);
}
