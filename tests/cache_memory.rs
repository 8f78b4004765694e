//! What a verified-token cache entry really costs, measured with a counting allocator that
//! counts what malloc really hands out (each allocation's usable size and its header, not the
//! bytes asked for), against the weight the cache counts for it (its slot, the token, the
//! `AuthInfo` record, its parsed claims, and typed custom claims read later). The weight must
//! not be smaller than the cost, or the cache's bound would not bound memory. One test in its
//! own binary: the allocator counts the whole process.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use axum_logto::testing::TestIssuer;
/// The audience of the tests' states.
const API: &str = "https://api.example.com";

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

#[allow(unsafe_code)]
unsafe extern "C" {
    /// glibc: the bytes usable in the block `ptr` points at (its chunk, less the 8-byte
    /// header that precedes it).
    fn malloc_usable_size(ptr: *mut std::ffi::c_void) -> usize;
}

/// What the allocation at `ptr` takes from the heap: its usable size and its header.
#[allow(unsafe_code)]
fn taken(ptr: *mut u8) -> isize {
    if ptr.is_null() {
        return 0;
    }
    // SAFETY: `ptr` is a live block of the system allocator (malloc), as glibc asks.
    let usable = unsafe { malloc_usable_size(ptr.cast()) };
    (usable + 8).cast_signed()
}

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter moves.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on as is.
        let ptr = unsafe { System.alloc(layout) };
        LIVE.fetch_add(taken(ptr), Ordering::Relaxed);
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(taken(ptr), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let before = taken(ptr);
        // SAFETY: the caller's contract is passed on as is.
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            LIVE.fetch_add(taken(moved) - before, Ordering::Relaxed);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[tokio::test(flavor = "current_thread")]
async fn an_entry_costs_no_more_than_its_weight() {
    let issuer = TestIssuer::start().await;
    let state = issuer
        .state_builder(API)
        .verified_token_cache_size(256 << 20)
        .build()
        .unwrap();
    state.preload().await.unwrap();
    for rich in [false, true] {
        measure(&issuer, &state, rich).await;
    }
    revocation_rules(&state).await;
}

/// What a revocation rule costs: 10,000 subjects revoked (Logto user ids are 12 characters).
async fn revocation_rules(state: &axum_logto::LogtoState) {
    let count = 10_000;
    let subjects: Vec<String> = (0..count).map(|i| format!("u{i:011}")).collect();
    let now = std::time::SystemTime::now();
    // Warm up: the first rule allocates the maps.
    state
        .revoke(axum_logto::Revocation::subject("warm-up", now))
        .await
        .unwrap();
    let before = LIVE.load(Ordering::SeqCst);
    for sub in &subjects {
        state
            .revoke(axum_logto::Revocation::subject(sub.clone(), now))
            .await
            .unwrap();
    }
    let after = LIVE.load(Ordering::SeqCst);
    let per_rule = (after - before) as f64 / f64::from(count);
    println!("a revocation rule for a 12-character subject costs {per_rule:.0} bytes");
    // A hash map entry, the subject's string, and the map's slack.
    assert!(per_rule < 128.0, "{per_rule}");
}

/// The claims a "custom JWT" script adds, read as a type (as `Auth<Custom>` reads them).
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Custom {
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    plan: Option<Plan>,
    #[serde(default)]
    email: Option<String>,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Plan {
    tier: String,
    seats: u32,
}

/// Caches 4,000 tokens, plain Logto-shaped ones (a user, a client, scopes, a jti, one
/// audience) or rich ones (custom claims from a "custom JWT" script as well, then read as a
/// type), and compares.
async fn measure(issuer: &TestIssuer, state: &axum_logto::LogtoState, rich: bool) {
    let count: u32 = 4000;
    let tokens: Vec<String> = (0..count)
        .map(|i| {
            let token = issuer
                .token()
                .sub(&format!("user-{i:08}-{rich}"))
                .audience(API)
                .scopes(["read:docs", "write:docs", "delete:docs", "admin"]);
            if rich {
                token
                    .claim("roles", serde_json::json!(["admin", "editor", "viewer"]))
                    .claim("plan", serde_json::json!({"tier": "pro", "seats": 25}))
                    .claim("email", serde_json::json!("someone@example.com"))
                    .claim("act", serde_json::json!({"sub": "support-agent-7"}))
                    .sign()
            } else {
                token.sign()
            }
        })
        .collect();
    let entries_before = state.verified_token_cache_stats().unwrap().entries;
    let weight_before = state.verified_token_cache_stats().unwrap().weight_bytes;
    // Warm up whatever is allocated once (the first verification, tracing, the runtime).
    let info = state.validate(&tokens[0]).await.unwrap();
    if rich {
        info.custom_claims::<Custom>().unwrap();
    }
    drop(info);
    let weight_before =
        weight_before + (state.verified_token_cache_stats().unwrap().weight_bytes - weight_before);
    let before = LIVE.load(Ordering::SeqCst);
    for token in &tokens[1..] {
        let info = state.validate(token).await.unwrap();
        if rich {
            // Kept with the cached token, and weighed with it.
            info.custom_claims::<Custom>().unwrap();
        }
    }
    let after = LIVE.load(Ordering::SeqCst);
    let stats = state.verified_token_cache_stats().unwrap();
    assert_eq!(stats.entries - entries_before, u64::from(count));
    let measured = (after - before) as f64 / f64::from(count - 1);
    let weight = (stats.weight_bytes - weight_before) as f64 / f64::from(count - 1);
    let token_len = tokens[0].len();
    println!(
        "token {token_len} bytes: an entry costs {measured:.0} bytes, weighs {weight:.0} (ratio {:.2})",
        weight / measured
    );
    assert!(measured <= weight, "{measured} > {weight}");
    // And not wildly more either, or the capacity would hold far fewer tokens than it could.
    assert!(weight <= 2.0 * measured, "{weight} > 2 x {measured}");
}
