//! Logto's webhooks (`/api/hooks`) delivered to a plain-HTTP endpoint on loopback, signed with
//! HMAC-SHA256 of the body in `logto-signature-sha-256`: what a revocation suite will consume.
//! This checks the delivery and records its shape, with a user and an organization of its own.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lc_rs::hmac;
use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::{Value, json};

use crate::api;
use crate::management::text;
use crate::world::{password, world};

/// One delivery: its headers and raw body.
#[derive(Debug, Clone)]
struct Delivery {
    headers: HeaderMap,
    body: Bytes,
}

impl Delivery {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A receiver on a free loopback port: `(url, deliveries)`.
async fn receiver() -> (String, Arc<Mutex<Vec<Delivery>>>) {
    let deliveries = Arc::new(Mutex::new(Vec::new()));
    let sink = deliveries.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(Delivery { headers, body });
                "ok"
            }
        }),
    );
    let base = api::serve_router(app).await;
    (format!("{base}/hook"), deliveries)
}

/// Waits up to 15 s for a delivery of `event` matching `pick`.
async fn delivery(
    deliveries: &Mutex<Vec<Delivery>>,
    event: &str,
    pick: impl Fn(&Value) -> bool,
) -> Delivery {
    let started = Instant::now();
    loop {
        let found = deliveries
            .lock()
            .unwrap()
            .iter()
            .find(|d| d.json()["event"] == event && pick(&d.json()))
            .cloned();
        if let Some(found) = found {
            return found;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no {event} delivery within 15 s; got {:?}",
            deliveries
                .lock()
                .unwrap()
                .iter()
                .map(|d| d.json()["event"].clone())
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn assert_signed(delivery: &Delivery, signing_key: &str) {
    let signature = delivery
        .headers
        .get("logto-signature-sha-256")
        .expect("the signature header")
        .to_str()
        .unwrap();
    let key = hmac::Key::new(hmac::HMAC_SHA256, signing_key.as_bytes());
    let expected: String = hmac::sign(&key, &delivery.body)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(signature, expected, "hex HMAC-SHA256 of the raw body");
}

#[tokio::test]
async fn webhooks_reach_loopback_signed_for_suspension_and_membership() {
    let Some(w) = world() else { return };
    let m = &w.logto.management;
    let (url, deliveries) = receiver().await;
    let hook = m
        .post(
            "/hooks",
            json!({
                "name": "e2e revocation",
                "events": ["User.SuspensionStatus.Updated", "Organization.Membership.Updated"],
                "config": { "url": url },
            }),
        )
        .await;
    let hook_id = text(&hook, "id");
    let signing_key = text(&hook, "signingKey");
    assert_eq!(hook["enabled"], true);

    let dave = m.create_user("dave", &password(), &[]).await;
    let org = m.create_organization("webhooks").await;
    m.patch(
        &format!("/users/{dave}/is-suspended"),
        json!({ "isSuspended": true }),
    )
    .await;
    let suspended = delivery(&deliveries, "User.SuspensionStatus.Updated", |body| {
        body["data"]["id"] == dave.as_str()
    })
    .await;
    assert_signed(&suspended, &signing_key);
    let body = suspended.json();
    assert_eq!(body["data"]["isSuspended"], true, "{body}");
    assert_eq!(body["hookId"], hook_id.as_str());
    assert_eq!(body["params"]["userId"], dave.as_str());
    assert_eq!(body["matchedRoute"], "/users/:userId/is-suspended");
    assert_eq!(body["method"], "PATCH");
    assert!(body["createdAt"].as_str().is_some(), "{body}");
    assert_eq!(
        suspended.headers["content-type"], "application/json",
        "{:?}",
        suspended.headers
    );
    assert!(
        suspended.headers["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("Logto"),
        "{:?}",
        suspended.headers
    );

    m.post(
        &format!("/organizations/{org}/users"),
        json!({ "userIds": [dave] }),
    )
    .await;
    let added = delivery(&deliveries, "Organization.Membership.Updated", |body| {
        body["method"] == "POST"
    })
    .await;
    assert_signed(&added, &signing_key);
    let body = added.json();
    assert_eq!(body["organizationId"], org.as_str(), "{body}");
    // The delivery says which organization, not which user: a consumer asks Logto again.
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(body["params"]["id"], org.as_str());

    m.delete(&format!("/organizations/{org}/users/{dave}"))
        .await;
    let removed = delivery(&deliveries, "Organization.Membership.Updated", |body| {
        body["method"] == "DELETE"
    })
    .await;
    assert_signed(&removed, &signing_key);
    let body = removed.json();
    assert_eq!(body["organizationId"], org.as_str(), "{body}");
    assert_eq!(body["params"]["userId"], dave.as_str(), "{body}");

    let report: Vec<Value> = [&suspended, &added, &removed]
        .iter()
        .map(|d| {
            let mut headers: Vec<String> = d.headers.keys().map(ToString::to_string).collect();
            headers.sort();
            json!({ "headers": headers, "body": d.json() })
        })
        .collect();
    let _ = std::fs::write(
        crate::harness::cache_dir().join("webhook-deliveries.json"),
        serde_json::to_string_pretty(&report).unwrap(),
    );
    m.delete(&format!("/hooks/{hook_id}")).await;
}
