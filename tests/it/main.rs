//! The integration tests, in one binary with a module per subject. The tests that need
//! process-wide state of their own stay apart: a global allocator (`tests/cache_memory.rs`),
//! a global metrics recorder (`tests/metrics.rs`), a global `tracing` subscriber
//! (`tests/logs.rs`), `tracing`'s process-wide callsite interest (`tests/verify_once.rs`
//! counts events), and the compiler itself (`tests/compile_fail.rs`).

#[macro_use]
mod common;
#[cfg(feature = "redis")]
#[path = "../support/redis_server.rs"]
mod redis_server;

/// The demo example's router (`examples/demo`), for the route table and the end-to-end tests.
#[path = "../../examples/demo/app.rs"]
#[allow(dead_code, unreachable_pub)]
mod demo_app;

/// The MCP server example's router (`examples/mcp_server`).
#[path = "../../examples/mcp_server/app.rs"]
#[allow(dead_code, unreachable_pub)]
mod mcp_app;

mod cache;
mod credentials;
mod demo;
mod deployments;
mod e2e_mcp;
mod e2e_provider;
mod extractors;
// tonic's gRPC client and server against the layer (the crate's `tonic` feature).
#[cfg(feature = "tonic")]
mod grpc;
mod hierarchy;
mod key_fetch;
mod key_store;
mod layer;
mod mcp_clients;
mod mcp_policy;
mod mcp_server;
mod metadata;
mod openapi;
mod organizations;
mod outbound;
mod policy;
#[cfg(feature = "redis")]
mod replicas;
mod revocation;
mod scopes;
mod validation;
