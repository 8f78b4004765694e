//! What `McpLayer` reads out of an MCP request: the `Mcp-Method`/`Mcp-Name` headers and the
//! JSON-RPC body. Never panics; an operation it reads from a body is the one a plain JSON
//! reader (`serde_json::Value`) reads there too, when that reader reads the body at all (the
//! method, and the tool, prompt or resource name), so that the layer and the server cannot
//! decide on two different operations; an operation it takes from the headers is what they
//! say, at the revision 2026-07-28 only.
//!
//! Input: header lines `name:value` up to the first empty line, then the body.
#![no_main]

use axum_logto::fuzz::{mcp_body_operations, mcp_header_operation};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let at = data
        .windows(2)
        .position(|w| w == b"\n\n")
        .unwrap_or(data.len());
    let (head, body) = (&data[..at], data.get(at + 2..).unwrap_or_default());
    let mut headers = HeaderMap::new();
    for line in head.split(|b| *b == b'\n') {
        let colon = line.iter().position(|b| *b == b':').unwrap_or(line.len());
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(line.get(colon + 1..).unwrap_or_default()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }

    if let Some(Some((method, name))) = mcp_header_operation(&headers) {
        assert_eq!(headers["mcp-protocol-version"], "2026-07-28");
        assert_eq!(headers.get_all("mcp-method").iter().count(), 1);
        assert_eq!(headers["mcp-method"].as_bytes(), method.as_bytes());
        let names = ["tools/call", "prompts/get", "resources/read", "resources/subscribe", "resources/unsubscribe"];
        assert_eq!(name.is_some(), names.contains(&method.as_str()), "{method} {name:?}");
    }

    let Some(operations) = mcp_body_operations(body) else {
        return;
    };
    // A reader that refuses the body (a lone surrogate in a member the layer skips, say)
    // decides on no operation at all.
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let messages = match &value {
        Value::Array(messages) => messages.iter().collect::<Vec<_>>(),
        message => vec![message],
    };
    assert_eq!(messages.len(), operations.len());
    assert!(!operations.is_empty());
    for (message, operation) in messages.into_iter().zip(operations) {
        match operation {
            None => {
                assert!(message.get("method").is_none());
                assert!(message.get("result").is_some() || message.get("error").is_some());
            }
            Some((method, name)) => {
                assert_eq!(message["method"].as_str(), Some(method.as_str()));
                let member = match method.as_str() {
                    "tools/call" | "prompts/get" => Some("name"),
                    "resources/read" | "resources/subscribe" | "resources/unsubscribe" => Some("uri"),
                    _ => None,
                };
                let read = member.map(|member| message["params"][member].as_str().expect("a string name"));
                assert_eq!(read, name.as_deref(), "{message}");
            }
        }
    }
});
