//! Why the MCP layer could not tell what a request asks for, and the fixed answer to it: the
//! HTTP status and a JSON-RPC error, in the shapes of the MCP revision 2026-07-28 ("Server
//! Validation": 400 with `-32020` when headers and body disagree).
//!
//! These are no refusals of the token (which passed when they are answered): no
//! `WWW-Authenticate` challenge, and the rejection hook is not called. A JSON-RPC error is
//! what an MCP client reports as the failure of its request, with the message below.

use axum::body::Body;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Response, StatusCode};
use serde_json::{Value, json};

/// What is wrong with an MCP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum McpError {
    /// `Mcp-Method`, `Mcp-Name` or `MCP-Protocol-Version` is repeated, is not visible ASCII,
    /// or is not valid `=?base64?…?=`.
    BadHeader,
    /// `Mcp-Method` or `Mcp-Name` disagrees with the body.
    HeaderMismatch,
    /// The body is not JSON (or not UTF-8).
    NotJson,
    /// JSON, but not a JSON-RPC request, notification or response (or a batch of them):
    /// not an object, a member twice, a `method` that is not a string, an empty batch.
    NotJsonRpc,
    /// A method that names a tool, a prompt or a resource without a string `params.name`
    /// or `params.uri`.
    NoTarget,
    /// Longer than the policy's `max_body_size`.
    TooLarge,
    /// Sent with a `Content-Encoding`: the layer reads plain JSON only.
    Encoded,
    /// The body could not be read (the connection failed mid-body).
    Unreadable,
}

impl McpError {
    /// The HTTP status: 413 for a body over the cap, 415 for a compressed one, else 400.
    pub(super) fn status(self) -> StatusCode {
        match self {
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Encoded => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The JSON-RPC error code: `-32020` (MCP's HeaderMismatch) for the headers, `-32700`
    /// (parse error) for a body that is not JSON, `-32602` (invalid params) for a missing
    /// name, else `-32600` (invalid request).
    pub(super) fn code(self) -> i64 {
        match self {
            Self::BadHeader | Self::HeaderMismatch => -32020,
            Self::NotJson => -32700,
            Self::NoTarget => -32602,
            Self::NotJsonRpc | Self::TooLarge | Self::Encoded | Self::Unreadable => -32600,
        }
    }

    /// The fixed message.
    pub(super) fn message(self) -> &'static str {
        match self {
            Self::BadHeader => {
                "an Mcp-Method, Mcp-Name or MCP-Protocol-Version header is repeated or malformed"
            }
            Self::HeaderMismatch => "the Mcp-Method or Mcp-Name header does not match the body",
            Self::NotJson => "the request body is not JSON",
            Self::NotJsonRpc => {
                "the request body is not a JSON-RPC request, notification or response"
            }
            Self::NoTarget => "the request does not name its tool, prompt or resource",
            Self::TooLarge => "the request body is larger than the server reads",
            Self::Encoded => "the request body is compressed; send it as plain JSON",
            Self::Unreadable => "the request body could not be read",
        }
    }

    /// The answer: the status, and a JSON-RPC error for the request `id` (`null` when the
    /// body was not read or held no single request).
    pub(super) fn response(self, id: Option<&Value>) -> Response<Body> {
        let body = json!({
            "jsonrpc": "2.0",
            "id": id.unwrap_or(&Value::Null),
            "error": {"code": self.code(), "message": self.message()},
        });
        let mut response = Response::new(Body::from(body.to_string()));
        *response.status_mut() = self.status();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}
