//! (5) The key lifecycle against Logto, with the API's `LogtoState` never rebuilt: key rotation
//! EC → RSA → EC through the Management API with a Logto restart each time, two rotations in a
//! row, a rotation during a probe of forged `kid`s (measured), Logto stopped and back, and a
//! scope removed from a role.
//!
//! Rotations and outages restart Logto, so these tests have a Logto of their own (its own
//! database and ports) and take turns on it; the scope test runs on the shared one.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum_logto::{AuthError, InvalidTokenReason, KeyFetchErrorKind, LogtoState};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{self, get_with, send};
use crate::harness::{self, Logto};
use crate::management::App;
use crate::oidc::{self, decode};
use crate::state_builder;
use crate::world::{API, world};

/// The cooldown the rotation tests configure (the crate's default is 30 s).
const COOLDOWN: Duration = Duration::from_secs(3);

/// The lifecycle's own Logto, an application with `read:docs write:docs` for `API` on it.
struct Lifecycle {
    logto: &'static Logto,
    app: App,
}

/// One lifecycle test at a time: they restart the same Logto.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn lifecycle() -> Option<&'static Lifecycle> {
    static LIFECYCLE: OnceLock<Result<Lifecycle, String>> = OnceLock::new();
    if !harness::available() {
        return None;
    }
    let lifecycle = LIFECYCLE.get_or_init(|| {
        // Never dropped, as the shared one: it stops when the test process ends.
        let logto: &'static Logto = Box::leak(Box::new(Logto::start("lifecycle")?));
        let app = harness::block_on_own_runtime(async move {
            let m = &logto.management;
            let api = m.create_resource(API, &["read:docs", "write:docs"]).await;
            let role = m
                .create_role(
                    "docs",
                    "MachineToMachine",
                    &api.scope_ids(&["read:docs", "write:docs"]),
                )
                .await;
            m.create_m2m_app("rotating", &[role], json!({})).await
        })?;
        Ok(Lifecycle { logto, app })
    });
    match lifecycle {
        Ok(lifecycle) => Some(lifecycle),
        Err(error) => panic!("the lifecycle's Logto did not start: {error}"),
    }
}

impl Lifecycle {
    async fn token(&self) -> String {
        oidc::client_credentials(self.logto, &self.app, Some(API), "read:docs", None)
            .await
            .access_token()
    }

    async fn jwks(&self) -> Vec<Value> {
        let jwks: Value = reqwest::get(format!("{}/oidc/jwks", self.logto.endpoint))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        jwks["keys"].as_array().unwrap().clone()
    }

    /// Rotates to a new key of `algorithm` and restarts Logto so that it signs with it; how
    /// long the restart took.
    async fn rotate(&'static self, algorithm: &str) -> Duration {
        let keys = self.logto.management.rotate_signing_key(algorithm).await;
        let keys = keys.as_array().unwrap();
        assert_eq!(
            keys.len(),
            2,
            "Logto keeps the new key and the previous one: {keys:?}"
        );
        assert_eq!(keys[0]["signingKeyAlgorithm"], algorithm);
        self.restart().await
    }

    async fn restart(&'static self) -> Duration {
        let started = Instant::now();
        tokio::task::spawn_blocking(|| self.logto.restart())
            .await
            .unwrap();
        started.elapsed()
    }

    /// Logto running, whatever an earlier failed test left behind.
    async fn ensure_running(&'static self) {
        let up = reqwest::get(format!(
            "{}/oidc/.well-known/openid-configuration",
            self.logto.endpoint
        ))
        .await
        .is_ok_and(|r| r.status().is_success());
        if !up {
            tokio::task::spawn_blocking(|| self.logto.start_core())
                .await
                .unwrap();
        }
    }

    fn state(&self, cooldown: Duration) -> LogtoState {
        state_builder(&self.logto.endpoint, API)
            .unknown_kid_cooldown(cooldown)
            .build()
            .unwrap()
    }
}

fn kid(token: &str) -> String {
    decode(token, 0)["kid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn rotation_ec_rsa_ec_new_keys_accepted_previous_key_until_logto_drops_it() {
    let Some(lc) = lifecycle() else { return };
    let _turn = TURN.lock().await;
    lc.ensure_running().await;
    let logto = lc.state(COOLDOWN);
    let base = api::serve(logto.clone()).await;

    let t0 = lc.token().await;
    let t0_unseen = lc.token().await;
    let k0 = kid(&t0);
    get_with(&base, "/docs", &t0).await.ok();

    // EC → RSA.
    lc.rotate("RSA").await;
    let t1 = lc.token().await;
    let header = decode(&t1, 0);
    assert_eq!(header["alg"], "RS256", "{header}");
    let k1 = kid(&t1);
    assert_ne!(k1, k0);
    let jwks = lc.jwks().await;
    let kids: Vec<&str> = jwks.iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(
        kids,
        [k1.as_str(), k0.as_str()],
        "the new key first, the previous kept"
    );
    let rsa = &jwks[0];
    assert_eq!(rsa["kty"], "RSA");
    assert!(
        rsa.get("alg").is_none(),
        "Logto's RSA JWK has no alg: {rsa}"
    );
    // The new kid: one refetch, accepted. The previous key's tokens still pass, seen or not.
    get_with(&base, "/docs", &t1).await.ok();
    get_with(&base, "/docs", &t0).await.ok();
    get_with(&base, "/docs", &t0_unseen).await.ok();
    let t1_unseen = lc.token().await;
    let last_fetch = Instant::now();

    // RSA → EC, after the cooldown of the previous refetch has passed.
    lc.rotate("EC").await;
    tokio::time::sleep(
        (COOLDOWN + Duration::from_millis(500)).saturating_sub(last_fetch.elapsed()),
    )
    .await;
    let t2 = lc.token().await;
    assert_eq!(decode(&t2, 0)["alg"], "ES384");
    let k2 = kid(&t2);
    let kids: Vec<String> = lc
        .jwks()
        .await
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kids, [k2.clone(), k1.clone()], "k0 is gone from the JWKS");
    let me = get_with(&base, "/me", &t2).await.ok();
    assert_eq!(me["sub"], lc.app.id.as_str());
    get_with(&base, "/docs", &t1).await.ok();
    get_with(&base, "/docs", &t1_unseen).await.ok();
    // k0 left the key set: its tokens are refused, also the one the cache had verified.
    get_with(&base, "/docs", &t0)
        .await
        .refused(401, "invalid_token");
    assert_eq!(
        logto.validate(&t0_unseen).await.unwrap_err(),
        AuthError::InvalidToken(InvalidTokenReason::UnknownKey)
    );
}

/// Two rotations in a row: the second key's first token arrives right after the refetch the
/// first key's token caused. The unknown-`kid` budget lets three fetches run back to back, so
/// each state, with `COOLDOWN` and with the crate's default (30 s), accepts it at once.
#[tokio::test]
async fn two_rotations_in_a_row_are_both_found_at_once() {
    let Some(lc) = lifecycle() else { return };
    let _turn = TURN.lock().await;
    lc.ensure_running().await;
    let states = [
        lc.state(COOLDOWN),
        state_builder(&lc.logto.endpoint, API).build().unwrap(),
    ];
    let t = lc.token().await;
    for state in &states {
        state.validate(&t).await.unwrap();
    }
    let first_restart = lc.rotate("RSA").await;
    let t1 = lc.token().await;
    for state in &states {
        state.validate(&t1).await.unwrap();
    }
    let fetched = Instant::now();
    let second_restart = lc.rotate("EC").await;
    let t2 = lc.token().await;
    let since_fetch = fetched.elapsed();
    for state in &states {
        let started = Instant::now();
        state.validate(&t2).await.unwrap();
        eprintln!(
            "two rotations in a row (restarts {first_restart:.1?}, {second_restart:.1?}): the \
             second key's first token, {since_fetch:.1?} after the refetch for the first, \
             accepted in {:.1?}",
            started.elapsed()
        );
    }
}

/// A token whose header names a `kid` no issuer has: what anyone can forge without a key.
fn with_unknown_kid(token: &str, n: usize) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut header = decode(token, 0);
    header["kid"] = json!(format!("forged-{n}"));
    let header = URL_SAFE_NO_PAD.encode(header.to_string());
    let rest = token.split_once('.').unwrap().1;
    format!("{header}.{rest}")
}

/// A probe of forged `kid`s spends the unknown-`kid` budget (three fetches), then Logto rotates
/// its key: the new key's tokens are refused (unknown `kid`) until the budget refills, when the
/// store fetches by itself, without a request, and from then they pass — within one cooldown of
/// the probe, measured.
#[tokio::test]
async fn a_rotation_during_a_probe_of_forged_kids_is_found_within_one_cooldown() {
    let Some(lc) = lifecycle() else { return };
    let _turn = TURN.lock().await;
    lc.ensure_running().await;
    // Longer than a restart of Logto, so that the rotation lands inside the probe's cooldown.
    let cooldown = Duration::from_secs(20);
    let state = lc.state(cooldown);
    let t = lc.token().await;
    state.validate(&t).await.unwrap();

    let probe = Instant::now();
    for n in 0..5 {
        assert_eq!(
            state.validate(&with_unknown_kid(&t, n)).await.unwrap_err(),
            AuthError::InvalidToken(InvalidTokenReason::UnknownKey)
        );
    }
    let restart = lc.rotate("RSA").await;
    let rotated = lc.token().await;
    assert_ne!(kid(&rotated), kid(&t));
    let mut refused = 0u32;
    let accepted = loop {
        match state.validate(&rotated).await {
            Ok(_) => break probe.elapsed(),
            Err(error) => {
                assert_eq!(
                    error,
                    AuthError::InvalidToken(InvalidTokenReason::UnknownKey)
                );
                refused += 1;
            }
        }
        assert!(
            probe.elapsed() < cooldown + Duration::from_secs(10),
            "the rotated key was not found {:.1?} after the probe ({refused} refused)",
            probe.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let report = format!(
        "a rotation during a probe of forged kids (cooldown {cooldown:?}, Logto's restart \
         {restart:.1?}): the new key's tokens were refused {refused} times, then accepted \
         {accepted:.1?} after the probe began"
    );
    let _ = std::fs::write(harness::cache_dir().join("rotation-window.txt"), &report);
    eprintln!("{report}");
    // Refused while the budget was spent (the rotation came before it refilled), then found by
    // the store's own fetch when it refilled: one cooldown after the state's bucket was full.
    assert!(refused > 0, "{report}");
    assert!(accepted <= cooldown + Duration::from_secs(2), "{report}");
    // The previous key is still in Logto's set: its tokens pass throughout.
    state.validate(&t).await.unwrap();
}

#[tokio::test]
async fn logto_stopped_cached_keys_keep_serving_and_everything_recovers_when_it_is_back() {
    let Some(lc) = lifecycle() else { return };
    let _turn = TURN.lock().await;
    lc.ensure_running().await;
    let logto = lc.state(COOLDOWN);
    let base = api::serve(logto.clone()).await;
    let seen = lc.token().await;
    let unseen = lc.token().await;
    get_with(&base, "/docs", &seen).await.ok();

    tokio::task::spawn_blocking(|| lc.logto.stop())
        .await
        .unwrap();
    // The loaded keys keep serving: a token verified before, and one never seen.
    get_with(&base, "/docs", &seen).await.ok();
    get_with(&base, "/docs", &unseen).await.ok();
    // A token with a kid the state does not know is refused without a 5xx.
    let forged = forge_with_kid(&seen, "not-a-logto-kid");
    assert_eq!(
        logto.validate(&forged).await.unwrap_err(),
        AuthError::InvalidToken(InvalidTokenReason::UnknownKey)
    );
    // A new state cannot load the keys: preload names the URL and the cause.
    let fresh = lc.state(COOLDOWN);
    let error = fresh.preload().await.unwrap_err();
    assert_eq!(error.kind(), &KeyFetchErrorKind::Transport, "{error}");
    let discovery = format!(
        "{}/oidc/.well-known/openid-configuration",
        lc.logto.endpoint
    );
    assert_eq!(error.url(), Some(discovery.as_str()));
    let text = error.to_string();
    assert!(text.contains(&discovery), "{text}");
    assert!(std::error::Error::source(&error).is_some(), "{text}");
    // Its requests: 503 with Retry-After, no challenge.
    let fresh_base = api::serve(fresh.clone()).await;
    let unavailable = get_with(&fresh_base, "/docs", &seen).await;
    assert_eq!(unavailable.status, 503, "{unavailable:?}");
    assert!(unavailable.retry_after.is_some(), "{unavailable:?}");
    assert!(unavailable.challenge.is_none(), "{unavailable:?}");
    assert_eq!(unavailable.body["error"], "temporarily_unavailable");

    tokio::task::spawn_blocking(|| lc.logto.start_core())
        .await
        .unwrap();
    let back = Instant::now();
    // Both states recover without a restart: the old one serves new tokens, the fresh one
    // loads its keys on a later request.
    let token = lc.token().await;
    get_with(&base, "/docs", &token).await.ok();
    let mut recovered = None;
    while back.elapsed() < Duration::from_secs(60) {
        if get_with(&fresh_base, "/docs", &token).await.status == 200 {
            recovered = Some(back.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let recovered = recovered.expect("the fresh state loads its keys once Logto is back");
    eprintln!("the state that never loaded keys served {recovered:.1?} after Logto was back");
    let _ = std::fs::write(
        harness::cache_dir().join("outage-recovery.txt"),
        format!("{recovered:?}"),
    );
    fresh.preload().await.unwrap();
}

/// `token` with its header's `kid` replaced (the signature no longer matches, which the
/// state never gets to check: it knows no such key).
fn forge_with_kid(token: &str, kid: &str) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut header = decode(token, 0);
    header["kid"] = json!(kid);
    let rest = token.split_once('.').unwrap().1;
    format!(
        "{}.{rest}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap())
    )
}

#[tokio::test]
async fn a_scope_removed_from_a_role_is_missing_from_new_tokens_only() {
    let Some(w) = world() else { return };
    // Not while the revocation suite listens for role changes.
    let _turn = crate::revocation::ROLE_CHANGES.lock().await;
    let m = &w.logto.management;
    let role = m
        .create_role(
            "lifecycle-writer",
            "MachineToMachine",
            &w.api.scope_ids(&["read:docs", "write:docs"]),
        )
        .await;
    let app = m
        .create_m2m_app("lifecycle-writer", std::slice::from_ref(&role), json!({}))
        .await;
    let logto = state_builder(&w.logto.endpoint, API).build().unwrap();
    let base = api::serve(logto).await;
    let before = w.m2m_token(&app, "read:docs write:docs").await;
    assert_eq!(decode(&before, 1)["scope"], "read:docs write:docs");
    send(&base, Method::POST, "/docs", Some(&before), &[])
        .await
        .ok();

    m.delete(&format!(
        "/roles/{role}/scopes/{}",
        w.api.scope("write:docs")
    ))
    .await;
    let after = w.m2m_token(&app, "read:docs write:docs").await;
    assert_eq!(decode(&after, 1)["scope"], "read:docs");
    get_with(&base, "/docs", &after).await.ok();
    send(&base, Method::POST, "/docs", Some(&after), &[])
        .await
        .refused(403, "insufficient_scope");
    // The token issued before keeps its scopes until it expires: revocation is the API's job.
    send(&base, Method::POST, "/docs", Some(&before), &[])
        .await
        .ok();
}
