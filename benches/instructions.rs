//! Instructions per operation, for `benches/instructions.sh`, which runs each scenario under
//! valgrind's callgrind and counts only what runs inside [`measure`]: unlike wall time on a
//! shared machine, the count does not move between runs, so "flat from 1 to 20 keys" or "a
//! cache hit is N times cheaper" can be read from one run.
//!
//! `instructions NAME N` runs scenario NAME N times; `instructions list` prints the names. Run
//! by `cargo bench` (no arguments), it runs every scenario once, so a broken one fails there.

mod common;

use std::future::{Future, ready};
use std::hint::black_box;
use std::time::SystemTime;

use axum_logto::testing::{KeyAlgorithm, TestIssuer};
use axum_logto::{LogtoClient, Revocation, SubjectToken, TokenRequest};
use common::{
    mcp_request, mcp_router, raw_key, request, router, signed_parts, state, token, twenty_keys,
};
use tokio::runtime::Runtime;
use tower::ServiceExt as _;

/// Every scenario, in the order of the script's table.
const SCENARIOS: &[&str] = &[
    "es384 signature",
    "es384 signature, key parsed each time",
    "es384 first validate",
    "es384 cache hit",
    "rs256 signature",
    "rs256 signature, key parsed each time",
    "rs256 first validate",
    "rs256 cache hit",
    "20 keys first validate",
    "20 keys cache hit",
    "50 scopes first validate",
    "50 scopes cache hit",
    "10000 rules first validate",
    "10000 rules cache hit",
    "router no auth",
    "router cache hit",
    "router first validate",
    "router fresh token",
    "mcp no policy",
    "mcp policy headers",
    "mcp policy body",
    "outbound cached token",
    "outbound cached exchange",
];

/// What the script counts: `n` runs of `op` in one `block_on`.
#[inline(never)]
fn measure<F: Future>(rt: &Runtime, n: usize, mut op: impl FnMut() -> F) {
    rt.block_on(async {
        for _ in 0..n {
            black_box(op().await);
        }
    });
}

fn run(name: &str, n: usize) {
    let rt = common::runtime();
    let (family, what) = match name.split_once(' ') {
        Some(("20", rest)) => ("20 keys", rest.trim_start_matches("keys ")),
        Some(("50", rest)) => ("50 scopes", rest.trim_start_matches("scopes ")),
        Some(("10000", rest)) => ("10000 rules", rest.trim_start_matches("rules ")),
        Some(split) => split,
        None => panic!("unknown scenario {name:?}"),
    };
    let issuer = match family {
        "rs256" => rt.block_on(TestIssuer::start_with(KeyAlgorithm::Rs256)),
        "20 keys" => twenty_keys(&rt),
        _ => rt.block_on(TestIssuer::start()),
    };
    let scopes = if family == "50 scopes" { 50 } else { 1 };
    let token = token(&issuer, scopes);
    // The cost of an ECDSA verification depends on the signature's values: the scenarios
    // that verify a signature take a new token on every run, so that N runs average N
    // signatures.
    let fresh: Vec<String> = (0..n).map(|_| common::token(&issuer, scopes)).collect();
    let mut fresh = fresh.iter().map(String::as_str);
    let mut next = move || fresh.next().expect("one token per run");
    let cached = state(&rt, &issuer, true);
    let uncached = state(&rt, &issuer, false);
    if family == "10000 rules" {
        // Live revocation rules for 10,000 other subjects: each token is checked against
        // them once (its first use after they changed), then found clean by a version number.
        for state in [&cached, &uncached] {
            rt.block_on(async {
                for i in 0..10_000 {
                    let rule = Revocation::subject(format!("user-{i:05}"), SystemTime::now());
                    state.revoke(rule).await.expect("no store");
                }
            });
        }
    }
    rt.block_on(cached.validate(&token)).expect("a valid token");
    if family == "outbound" {
        return outbound(&rt, &issuer, &cached, &token, what, n);
    }
    match (family, what) {
        ("router", "no auth") => {
            let app = router(cached);
            measure(&rt, n, || app.clone().oneshot(request("/open", &token)));
        }
        ("router", "cache hit") => {
            let app = router(cached);
            measure(&rt, n, || app.clone().oneshot(request("/docs", &token)));
        }
        ("mcp", _) => {
            // "no policy" is the baseline of the two others: the same request, with the
            // headers of the revision 2026-07-28. The requests are made before counting.
            let headers = what != "policy body";
            let app = mcp_router(cached, what != "no policy");
            let requests: Vec<_> = (0..n).map(|_| mcp_request(&token, headers)).collect();
            let mut requests = requests.into_iter();
            measure(&rt, n, || {
                let request = requests.next().expect("one request per run");
                app.clone().oneshot(request)
            });
        }
        ("router", "first validate" | "fresh token") => {
            let state = if what == "fresh token" {
                cached
            } else {
                uncached
            };
            let app = router(state);
            measure(&rt, n, || app.clone().oneshot(request("/docs", next())));
        }
        (_, "signature" | "signature, key parsed each time") => {
            let raw = raw_key(&issuer);
            let key = raw.parse();
            let signed: Vec<_> = (0..n).map(|_| signed_parts(next())).collect();
            let mut signed = signed.iter();
            let parse_each_time = what != "signature";
            measure(&rt, n, || {
                let (input, signature) = signed.next().expect("one token per run");
                ready(if parse_each_time {
                    raw.verify_parsing_the_key(input.as_bytes(), signature)
                } else {
                    key.verify_sig(input.as_bytes(), signature).is_ok()
                })
            });
        }
        (_, "first validate") => measure(&rt, n, || uncached.validate(next())),
        (_, "cache hit") => measure(&rt, n, || cached.validate(&token)),
        _ => panic!("unknown scenario {name:?}"),
    }
}

/// `LogtoClient` serving a token it holds, as the application or for a caller.
fn outbound(
    rt: &Runtime,
    issuer: &TestIssuer,
    state: &axum_logto::LogtoState,
    caller: &str,
    what: &str,
    n: usize,
) {
    issuer.register_client("bench-app", "bench-secret");
    let client = LogtoClient::builder(issuer.endpoint(), "bench-app", "bench-secret")
        .build()
        .expect("a client");
    let request = TokenRequest::resource(common::API).scopes(["read:docs"]);
    let info = rt.block_on(state.validate(caller)).expect("a valid token");
    let subject = SubjectToken::new(caller.to_owned(), &info);
    rt.block_on(client.token(&request)).expect("a token");
    rt.block_on(client.exchange(&subject, &request))
        .expect("an exchanged token");
    match what {
        "cached token" => measure(rt, n, || client.token(&request)),
        "cached exchange" => measure(rt, n, || client.exchange(&subject, &request)),
        _ => panic!("unknown scenario outbound {what:?}"),
    }
    assert_eq!(
        issuer.token_requests(),
        2,
        "every call after the first is cached"
    );
}

fn main() {
    // `cargo bench` passes `--bench`.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args.as_slice() {
        [] => {
            for name in SCENARIOS {
                run(name, 1);
            }
            println!(
                "every scenario ran; `bash benches/instructions.sh` counts their instructions"
            );
        }
        [list] if list == "list" => SCENARIOS.iter().for_each(|name| println!("{name}")),
        [name, n] => run(name, n.parse().expect("N, a number of runs")),
        _ => panic!("usage: instructions [list | NAME N]"),
    }
}
