//! (5) The key lifecycle against Logto, with the API's `LogtoState` never rebuilt: key rotation
//! EC → RSA → EC through the Management API with a Logto restart each time, two rotations
//! within the unknown-key cooldown (measured), Logto stopped and back, and a scope removed from
//! a role.
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

/// Two rotations in a row: the second key's first token arrives within the cooldown of the
/// refetch that the first key's token caused. New tokens are refused (unknown `kid`) until that
/// cooldown ends; this measures for how long, with `COOLDOWN`, 10 s and the crate's default
/// (30 s), three states fed the same tokens.
#[tokio::test]
async fn two_rotations_within_the_cooldown_refuse_new_tokens_until_it_ends() {
    let Some(lc) = lifecycle() else { return };
    let _turn = TURN.lock().await;
    lc.ensure_running().await;
    let default = Duration::from_secs(30);
    let cooldowns = [COOLDOWN, Duration::from_secs(10), default];
    let states: Vec<LogtoState> = cooldowns
        .iter()
        .map(|&cooldown| {
            if cooldown == default {
                state_builder(&lc.logto.endpoint, API).build().unwrap()
            } else {
                lc.state(cooldown)
            }
        })
        .collect();
    let t = lc.token().await;
    for state in &states {
        state.validate(&t).await.unwrap();
    }

    let first_restart = lc.rotate("RSA").await;
    let t1 = lc.token().await;
    // The unknown kid: each state refetches now, and its cooldown starts.
    for state in &states {
        state.validate(&t1).await.unwrap();
    }
    let fetched = Instant::now();

    let second_restart = lc.rotate("EC").await;
    let signing = Instant::now();
    let since_fetch = signing.duration_since(fetched);
    let mut accepted: Vec<Option<Duration>> = vec![None; states.len()];
    let mut refusals = vec![0u32; states.len()];
    let mut errors = Vec::new();
    let deadline = Duration::from_secs(45);
    while accepted.iter().any(Option::is_none) && signing.elapsed() < deadline {
        let token = lc.token().await;
        for (i, state) in states.iter().enumerate() {
            if accepted[i].is_none() {
                match state.validate(&token).await {
                    Ok(_) => accepted[i] = Some(signing.elapsed()),
                    Err(error) => {
                        refusals[i] += 1;
                        errors.push(error);
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let windows: Vec<String> = cooldowns
        .iter()
        .zip(&accepted)
        .zip(&refusals)
        .map(|((cooldown, window), refused)| {
            let window = window.map_or_else(|| "never".to_owned(), |w| format!("{w:.1?}"));
            format!("cooldown {cooldown:?}: first accepted after {window} ({refused} refused)")
        })
        .collect();
    let report = format!(
        "two rotations within the cooldown: Logto's restarts took {first_restart:.1?} and \
         {second_restart:.1?}; the second key signed {since_fetch:.1?} after the refetch for \
         the first; new tokens: {}; refused with {:?}",
        windows.join(", "),
        errors.first(),
    );
    let _ = std::fs::write(harness::cache_dir().join("rotation-window.txt"), &report);
    eprintln!("{report}");
    assert!(
        errors
            .iter()
            .all(|e| *e == AuthError::InvalidToken(InvalidTokenReason::UnknownKey)),
        "{report}"
    );
    // Each state refuses until its cooldown since the refetch ends, then accepts at once.
    let slack = Duration::from_millis(1500);
    for (cooldown, window) in cooldowns.iter().zip(&accepted) {
        let window = window.unwrap_or_else(|| panic!("never accepted: {report}"));
        let ends = cooldown.saturating_sub(since_fetch);
        assert!(window + slack >= ends, "{report}");
        assert!(window <= ends + slack, "{report}");
    }
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
