//! Revocation against a real Logto: webhooks registered through the Management API, delivered
//! by Logto to the API on loopback (`LogtoState::webhook`), stop the tokens their events take
//! something from — a user suspended or deleted, a user or an application removed from an
//! organization, a scope removed from a role — and nothing more; and two demo processes sharing
//! a real `redis-server`, Logto's webhook reaching one of them.
//!
//! Each test measures the time from the Management API call to the first refusal and writes
//! it to `target/logto/revocation-times.txt`.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::api::{self, get_with, send};
use crate::demo::start_demo_with;
use crate::management::text;
use crate::oidc::decode;
use crate::redis_server::{RedisServer, free_port, redis_available};
use crate::state;
use crate::world::{API, User, World, password, world};

/// What may take something from one user's or one organization member's tokens. The role and
/// scope events (which revoke every token) go to the role test's hook only, so that what other
/// tests do to roles revokes nothing here.
const MEMBER_EVENTS: [&str; 4] = [
    "User.SuspensionStatus.Updated",
    "User.Deleted",
    "Organization.Membership.Updated",
    "Organization.Deleted",
];

/// Role changes on the shared Logto, one test at a time: a hook for `Role.Scopes.Updated`
/// would otherwise hear another test's change (and revoke every token of its API).
pub(crate) static ROLE_CHANGES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// An API on a free loopback port: the suite's router and Logto's webhook at
/// `/webhooks/logto`, registered in Logto for `events`.
struct HookedApi {
    base: String,
    hook_id: String,
}

impl HookedApi {
    async fn start(w: &World, name: &str, events: &[&str]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hook = w
            .logto
            .management
            .post(
                "/hooks",
                json!({
                    "name": name,
                    "events": events,
                    "config": { "url": format!("{base}/webhooks/logto") },
                }),
            )
            .await;
        let logto = state(&w.logto.endpoint, API);
        let app = api::router(logto.clone()).merge(
            logto
                .webhook(text(&hook, "signingKey"))
                .router("/webhooks/logto"),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            base,
            hook_id: text(&hook, "id"),
        }
    }

    async fn remove(self, w: &World) {
        w.logto
            .management
            .delete(&format!("/hooks/{}", self.hook_id))
            .await;
    }
}

/// A new user (no roles) with a random password.
async fn new_user(w: &World, username: &str) -> User {
    let password = password();
    let id = w
        .logto
        .management
        .create_user(username, &password, &[])
        .await;
    User {
        id,
        username: username.to_owned(),
        password,
    }
}

/// Polls `GET path` with `token` every 10 ms until it is refused (401 `invalid_token`, the
/// token revoked); how long after `since` that was. Fails after 1 s: the bound.
async fn refused_within_a_second(base: &str, path: &str, token: &str, since: Instant) -> Duration {
    loop {
        let answer = get_with(base, path, token).await;
        if answer.status == 401 {
            answer.refused(401, "invalid_token");
            assert_eq!(
                answer.body["error_description"], "the access token was revoked",
                "{answer:?}"
            );
            return since.elapsed();
        }
        assert_eq!(answer.status, 200, "{answer:?}");
        assert!(
            since.elapsed() < Duration::from_secs(1),
            "{path} still accepted the token {:?} after the Management API call",
            since.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Appends `line` to `target/logto/revocation-times.txt` and prints it.
fn report(line: &str) {
    use std::io::Write as _;
    eprintln!("{line}");
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(crate::harness::cache_dir().join("revocation-times.txt"))
    {
        let _ = writeln!(file, "{line}");
    }
}

/// "Issued before" reads `iat`, in whole seconds: a token fetched in the event's second counts
/// as issued before it. Tests wait this long before they take fresh tokens.
const NEXT_SECOND: Duration = Duration::from_millis(1100);

#[tokio::test]
async fn a_suspended_users_tokens_are_refused_within_a_second_and_no_one_elses() {
    let Some(w) = world() else { return };
    let m = &w.logto.management;
    let api = HookedApi::start(w, "revocation: suspension", &MEMBER_EVENTS).await;
    let (frank, grace) = (new_user(w, "rv_frank").await, new_user(w, "rv_grace").await);
    let (f, g) = (w.sign_in(&frank).await, w.sign_in(&grace).await);
    get_with(&api.base, "/me", &f.access_token).await.ok();
    get_with(&api.base, "/me", &g.access_token).await.ok();

    let called = Instant::now();
    m.patch(
        &format!("/users/{}/is-suspended", frank.id),
        json!({ "isSuspended": true }),
    )
    .await;
    let took = refused_within_a_second(&api.base, "/me", &f.access_token, called).await;
    report(&format!(
        "user suspended: refused {took:.1?} after the Management API call"
    ));
    // The layer and the scoped routes refuse it too; another user's token still passes.
    get_with(&api.base, "/v1/status", &f.access_token)
        .await
        .refused(401, "invalid_token");
    get_with(&api.base, "/me", &g.access_token).await.ok();

    // Unsuspended: the tokens issued before stay refused, a fresh sign-in passes.
    m.patch(
        &format!("/users/{}/is-suspended", frank.id),
        json!({ "isSuspended": false }),
    )
    .await;
    tokio::time::sleep(NEXT_SECOND).await;
    let fresh = w.sign_in(&frank).await;
    get_with(&api.base, "/me", &fresh.access_token).await.ok();
    get_with(&api.base, "/me", &f.access_token)
        .await
        .refused(401, "invalid_token");
    api.remove(w).await;
}

#[tokio::test]
async fn a_deleted_users_tokens_are_refused_within_a_second() {
    let Some(w) = world() else { return };
    let api = HookedApi::start(w, "revocation: deletion", &MEMBER_EVENTS).await;
    let (jack, kim) = (new_user(w, "rv_jack").await, new_user(w, "rv_kim").await);
    let (j, k) = (w.sign_in(&jack).await, w.sign_in(&kim).await);
    get_with(&api.base, "/me", &j.access_token).await.ok();

    let called = Instant::now();
    w.logto
        .management
        .delete(&format!("/users/{}", jack.id))
        .await;
    let took = refused_within_a_second(&api.base, "/me", &j.access_token, called).await;
    report(&format!(
        "user deleted: refused {took:.1?} after the Management API call"
    ));
    get_with(&api.base, "/me", &k.access_token).await.ok();
    api.remove(w).await;
}

#[tokio::test]
async fn removing_a_member_from_an_organization_refuses_the_organizations_tokens_issued_before() {
    let Some(w) = world() else { return };
    let m = &w.logto.management;
    let api = HookedApi::start(w, "revocation: membership", &MEMBER_EVENTS).await;
    let read = m.create_organization_scope("rv:read").await;
    let member = m
        .create_organization_role("rv-member", "User", std::slice::from_ref(&read), &[])
        .await;
    let robot = m
        .create_organization_role("rv-robot", "MachineToMachine", &[read], &[])
        .await;
    let org = m.create_organization("revocation").await;
    let (henry, ida) = (new_user(w, "rv_henry").await, new_user(w, "rv_ida").await);
    m.add_organization_user(&org, &henry.id, std::slice::from_ref(&member))
        .await;
    m.add_organization_user(&org, &ida.id, std::slice::from_ref(&member))
        .await;
    let app = m.create_m2m_app("rv-robot", &[], json!({})).await;
    m.add_organization_app(&org, &app.id, &[robot]).await;

    let (h, i) = (w.sign_in(&henry).await, w.sign_in(&ida).await);
    let org_token = |tokens: &crate::oidc::UserTokens| {
        let refresh = tokens.refresh_token.clone();
        let org = org.clone();
        async move { w.refresh(&refresh, None, Some(&org)).await.access_token() }
    };
    let (h_org, i_org) = (org_token(&h).await, org_token(&i).await);
    let app_org = w
        .client_credentials(&app, None, "rv:read", Some(&org))
        .await
        .access_token();
    let app_global = w
        .client_credentials(&app, Some(API), "", None)
        .await
        .access_token();
    // (The users' sign-in asked for no `rv:read`: their organization tokens have no scope.)
    assert_eq!(decode(&app_org, 1)["scope"], "rv:read");
    for token in [&h_org, &i_org, &app_org] {
        assert_eq!(
            decode(token, 1)["aud"],
            format!("urn:logto:organization:{org}")
        );
        get_with(&api.base, "/any-org", token).await.ok();
    }

    // A user removed: every token for the organization issued before goes (the other
    // member's and the application's too: the delivery says nothing of what the remaining
    // members may do); the removed user's global token stays.
    let called = Instant::now();
    m.delete(&format!("/organizations/{org}/users/{}", henry.id))
        .await;
    let took = refused_within_a_second(&api.base, "/any-org", &h_org, called).await;
    report(&format!(
        "user removed from an organization: its organization token refused {took:.1?} after \
         the Management API call"
    ));
    for token in [&i_org, &app_org] {
        get_with(&api.base, "/any-org", token)
            .await
            .refused(401, "invalid_token");
    }
    get_with(&api.base, "/me", &h.access_token).await.ok();

    // Fresh tokens of the remaining members pass; the removed member gets none.
    tokio::time::sleep(NEXT_SECOND).await;
    let i_fresh = org_token(&i).await;
    let app_fresh = w
        .client_credentials(&app, None, "rv:read", Some(&org))
        .await
        .access_token();
    for token in [&i_fresh, &app_fresh] {
        get_with(&api.base, "/any-org", token).await.ok();
    }
    let refused = w.refresh(&h.refresh_token, None, Some(&org)).await;
    assert_ne!(refused.status, 200, "{:?}", refused.body);

    // An application removed: likewise; its global token stays.
    let called = Instant::now();
    m.delete(&format!("/organizations/{org}/applications/{}", app.id))
        .await;
    let took = refused_within_a_second(&api.base, "/any-org", &app_fresh, called).await;
    report(&format!(
        "application removed from an organization: its organization token refused {took:.1?} \
         after the Management API call"
    ));
    get_with(&api.base, "/any-org", &i_fresh)
        .await
        .refused(401, "invalid_token");
    get_with(&api.base, "/me", &app_global).await.ok();
    tokio::time::sleep(NEXT_SECOND).await;
    get_with(&api.base, "/any-org", &org_token(&i).await)
        .await
        .ok();
    api.remove(w).await;
}

#[tokio::test]
async fn a_scope_removed_from_a_role_refuses_the_tokens_issued_before_and_not_after() {
    let Some(w) = world() else { return };
    let _turn = ROLE_CHANGES.lock().await;
    let m = &w.logto.management;
    let api = HookedApi::start(w, "revocation: role scopes", &["Role.Scopes.Updated"]).await;
    let role = m
        .create_role(
            "rv-writer",
            "MachineToMachine",
            &w.api.scope_ids(&["read:docs", "write:docs"]),
        )
        .await;
    let app = m
        .create_m2m_app("rv-writer", std::slice::from_ref(&role), json!({}))
        .await;
    let before = w.m2m_token(&app, "read:docs write:docs").await;
    let other_before = w.m2m_token(&w.reader, "read:docs").await;
    send(
        &api.base,
        reqwest::Method::POST,
        "/docs",
        Some(&before),
        &[],
    )
    .await
    .ok();

    let called = Instant::now();
    m.delete(&format!(
        "/roles/{role}/scopes/{}",
        w.api.scope("write:docs")
    ))
    .await;
    let took = refused_within_a_second(&api.base, "/docs", &before, called).await;
    report(&format!(
        "scope removed from a role: refused {took:.1?} after the Management API call"
    ));
    // The delivery names neither the role's holders nor the scope: every token issued before
    // goes, another application's too (documented).
    get_with(&api.base, "/docs", &other_before)
        .await
        .refused(401, "invalid_token");

    // Tokens issued after pass, with what the role gives now.
    tokio::time::sleep(NEXT_SECOND).await;
    let after = w.m2m_token(&app, "read:docs write:docs").await;
    assert_eq!(decode(&after, 1)["scope"], "read:docs");
    get_with(&api.base, "/docs", &after).await.ok();
    send(&api.base, reqwest::Method::POST, "/docs", Some(&after), &[])
        .await
        .refused(403, "insufficient_scope");
    let other_after = w.m2m_token(&w.reader, "read:docs").await;
    get_with(&api.base, "/docs", &other_after).await.ok();
    api.remove(w).await;
}

/// `GET base/me` with `token`: its status.
async fn me_status(base: &str, token: &str) -> u16 {
    send(base, reqwest::Method::GET, "/me", Some(token), &[])
        .await
        .status
        .as_u16()
}

/// Polls `GET base/me` until it answers `status`; how long after `since`. Fails after `limit`.
async fn until_status(
    base: &str,
    token: &str,
    status: u16,
    since: Instant,
    limit: Duration,
) -> Duration {
    loop {
        if me_status(base, token).await == status {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < limit,
            "{base} did not answer {status} within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logtos_webhook_to_one_replica_revokes_on_both_through_redis() {
    let Some(w) = world() else { return };
    if !redis_available() {
        return;
    }
    let m = &w.logto.management;
    let redis_port = free_port();
    let redis = RedisServer::start(redis_port);
    // Logto delivers to replica A only.
    let a_port = free_port();
    let hook = m
        .post(
            "/hooks",
            json!({
                "name": "revocation: replicas",
                "events": MEMBER_EVENTS,
                "config": { "url": format!("http://127.0.0.1:{a_port}/webhooks/logto") },
            }),
        )
        .await;
    let env = |bind: String| {
        vec![
            ("BIND", bind),
            ("REDIS_URL", format!("redis://127.0.0.1:{redis_port}")),
            ("LOGTO_WEBHOOK_SIGNING_KEY", text(&hook, "signingKey")),
        ]
    };
    let (a_env, b_env) = (
        env(format!("127.0.0.1:{a_port}")),
        env("127.0.0.1:0".to_owned()),
    );
    let a = tokio::task::spawn_blocking(move || start_demo_with(w, &a_env));
    let b = tokio::task::spawn_blocking(move || start_demo_with(w, &b_env));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let (lena, mia, noah) = (
        new_user(w, "rv_lena").await,
        new_user(w, "rv_mia").await,
        new_user(w, "rv_noah").await,
    );
    let (l, mi, n) = (
        w.sign_in(&lena).await.access_token,
        w.sign_in(&mia).await.access_token,
        w.sign_in(&noah).await.access_token,
    );
    for base in [&a.base, &b.base] {
        for token in [&l, &mi, &n] {
            assert_eq!(me_status(base, token).await, 200);
        }
    }

    let called = Instant::now();
    m.patch(
        &format!("/users/{}/is-suspended", lena.id),
        json!({ "isSuspended": true }),
    )
    .await;
    let limit = Duration::from_secs(1);
    let on_a = until_status(&a.base, &l, 401, called, limit).await;
    let on_b = until_status(&b.base, &l, 401, called, limit).await;
    report(&format!(
        "two demo replicas sharing Redis, Logto's webhook to one: refused {on_a:.1?} (the one \
         it reached) and {on_b:.1?} (the other) after the Management API call"
    ));
    assert_eq!(me_status(&b.base, &mi).await, 200);

    // Redis stops: what each replica knows holds; a new revocation holds where it arrived,
    // and reaches the other once Redis is back.
    drop(redis);
    let called = Instant::now();
    m.patch(
        &format!("/users/{}/is-suspended", mia.id),
        json!({ "isSuspended": true }),
    )
    .await;
    until_status(&a.base, &mi, 401, called, limit).await;
    assert_eq!(me_status(&b.base, &l).await, 401);
    assert_eq!(me_status(&b.base, &n).await, 200);
    let _redis = RedisServer::start(redis_port);
    let back = Instant::now();
    let healed = until_status(&b.base, &mi, 401, back, Duration::from_secs(15)).await;
    report(&format!(
        "Redis stopped during a revocation and restarted: the other replica refused \
         {healed:.1?} after Redis was back"
    ));
    assert_eq!(me_status(&b.base, &n).await, 200);
    m.delete(&format!("/hooks/{}", text(&hook, "id"))).await;
}
