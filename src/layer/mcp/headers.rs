//! The `Mcp-Method` and `Mcp-Name` headers (MCP revision 2026-07-28, "Request Metadata"):
//! read once each (a repeated one is refused), `Mcp-Name` decoded from `=?base64?…?=`, and
//! either trusted, at a revision whose servers must refuse headers that disagree with the
//! body, or checked against the body.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderValue};

use super::error::McpError;
use super::operation::{Operation, Target};

/// The revisions that carry `Mcp-Method` and `Mcp-Name` and whose servers "MUST reject
/// requests where the values specified in the headers do not match the corresponding values
/// in the request body" (2026-07-28, "Server Validation"). Exactly these: a revision
/// unknown here, older, or absent, has its body read instead.
const CHECKED_REVISIONS: &[&str] = &["2026-07-28"];

/// The `=?base64?…?=` form of a value that is not plain visible ASCII (case-sensitive).
const BASE64_PREFIX: &str = "=?base64?";
const BASE64_SUFFIX: &str = "?=";

/// What a request's headers say.
#[derive(Debug)]
pub(super) struct Named<'a> {
    /// `Mcp-Method`.
    pub(super) method: Option<&'a str>,
    /// `Mcp-Name`, decoded.
    pub(super) name: Option<Cow<'a, str>>,
    /// Whether `MCP-Protocol-Version` is a revision whose server checks them (its value is
    /// not checked otherwise: the server refuses one it does not know).
    checked: bool,
}

impl<'a> Named<'a> {
    /// Reads the headers; a repeated or malformed one is an error, whatever the revision.
    pub(super) fn read(headers: &'a HeaderMap) -> Result<Self, McpError> {
        // One walk over the headers (names are lowercase), cheaper than three lookups.
        let (mut version, mut method, mut name) = (None, None, None);
        for (header, value) in headers {
            let slot = match header.as_str().strip_prefix("mcp-") {
                Some("method") => &mut method,
                Some("name") => &mut name,
                Some("protocol-version") => &mut version,
                _ => continue,
            };
            // A repeated header, which another reader might take the other value of.
            if slot.replace(value).is_some() {
                return Err(McpError::BadHeader);
            }
        }
        let method = method.map(text).transpose()?;
        let name = name.map(text).transpose()?.map(decode).transpose()?;
        // Compared as bytes: any other value, readable or not, is not one of these.
        let checked = version.is_some_and(|version| {
            CHECKED_REVISIONS
                .iter()
                .any(|revision| version.as_bytes() == revision.as_bytes())
        });
        Ok(Self {
            method,
            name,
            checked,
        })
    }

    /// The method the headers name, and the name of its target (for a method that targets a
    /// tool, a prompt or a resource), when the server checks them against the body and they
    /// name both; `None` when the body has to be read.
    pub(super) fn operation(&self) -> Option<(&str, Option<&str>)> {
        let method = self.method.filter(|_| self.checked)?;
        let name = match Target::of(method) {
            Some(_) => Some(self.name.as_deref()?),
            None => None,
        };
        Some((method, name))
    }

    /// Checks the headers against the body's operations (`None` for a JSON-RPC response, which
    /// has none): `Mcp-Method` must be the method of the one message, and `Mcp-Name`, for a
    /// method that targets something, its name.
    pub(super) fn check<'o>(
        &self,
        mut operations: impl ExactSizeIterator<Item = Option<&'o Operation<'o>>>,
    ) -> Result<(), McpError> {
        if self.method.is_none() && self.name.is_none() {
            return Ok(());
        }
        let (1, Some(Some(operation))) = (operations.len(), operations.next()) else {
            return Err(McpError::HeaderMismatch);
        };
        if self.method.is_some_and(|method| method != operation.method) {
            return Err(McpError::HeaderMismatch);
        }
        match (&self.name, &operation.name) {
            (Some(header), Some(body)) if header != body => Err(McpError::HeaderMismatch),
            _ => Ok(()),
        }
    }
}

/// A header value, which must be visible ASCII (and tabs).
fn text(value: &HeaderValue) -> Result<&str, McpError> {
    value.to_str().map_err(|_| McpError::BadHeader)
}

/// A header value as sent: plain, or `=?base64?<standard base64 of UTF-8>?=`.
fn decode(value: &str) -> Result<Cow<'_, str>, McpError> {
    let Some(encoded) = value
        .strip_prefix(BASE64_PREFIX)
        .and_then(|rest| rest.strip_suffix(BASE64_SUFFIX))
    else {
        return Ok(Cow::Borrowed(value));
    };
    let bytes = STANDARD.decode(encoded).map_err(|_| McpError::BadHeader)?;
    String::from_utf8(bytes)
        .map(Cow::Owned)
        .map_err(|_| McpError::BadHeader)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn operation(method: &str, name: Option<&str>) -> Operation<'static> {
        Operation {
            method: method.to_owned().into(),
            name: name.map(|name| name.to_owned().into()),
        }
    }

    #[test]
    fn the_spec_examples_decode() {
        assert_eq!(
            decode("=?base64?SGVsbG8sIOS4lueVjA==?=").unwrap(),
            "Hello, 世界"
        );
        assert_eq!(decode("=?base64?IHBhZGRlZCA=?=").unwrap(), " padded ");
        assert_eq!(
            decode("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=").unwrap(),
            "=?base64?literal?="
        );
        assert_eq!(decode("add_note").unwrap(), "add_note");
        // Case-sensitive sentinel: another case is a plain value.
        assert_eq!(decode("=?BASE64?YQ==?=").unwrap(), "=?BASE64?YQ==?=");
        for bad in ["=?base64?not base64?=", "=?base64?YQ?=", "=?base64?/w==?="] {
            assert_eq!(decode(bad), Err(McpError::BadHeader), "{bad}");
        }
    }

    #[test]
    fn headers_name_the_operation_only_where_the_server_checks_them() {
        let modern = headers(&[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "=?base64?YWRkX25vdGU=?="),
        ]);
        let named = Named::read(&modern).unwrap();
        assert_eq!(named.operation(), Some(("tools/call", Some("add_note"))));
        for older in ["2025-11-25", "2025-06-18", "2027-01-01", "2026-07-28 "] {
            let mut legacy = modern.clone();
            legacy.insert(
                "mcp-protocol-version",
                HeaderValue::from_str(older).unwrap(),
            );
            assert_eq!(Named::read(&legacy).unwrap().operation(), None, "{older}");
        }
        let mut unversioned = modern.clone();
        unversioned.remove("mcp-protocol-version");
        assert_eq!(Named::read(&unversioned).unwrap().operation(), None);
        // A method that names a tool, without Mcp-Name: the body says which.
        let nameless = headers(&[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
        ]);
        assert_eq!(Named::read(&nameless).unwrap().operation(), None);
        let list = headers(&[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/list"),
            ("mcp-name", "ignored"),
        ]);
        assert_eq!(
            Named::read(&list).unwrap().operation(),
            Some(("tools/list", None))
        );
    }

    #[test]
    fn repeated_or_malformed_headers_are_refused() {
        for pairs in [
            &[("mcp-method", "tools/call"), ("mcp-method", "tools/call")][..],
            &[("mcp-name", "a"), ("mcp-name", "b")],
            &[
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-protocol-version", "2025-06-18"),
            ],
            &[("mcp-name", "=?base64?%%%?=")],
        ] {
            assert_eq!(
                Named::read(&headers(pairs)).unwrap_err(),
                McpError::BadHeader,
                "{pairs:?}"
            );
        }
        let mut non_ascii = HeaderMap::new();
        non_ascii.insert(
            "mcp-method",
            HeaderValue::from_bytes(b"tools/\xffcall").unwrap(),
        );
        assert_eq!(Named::read(&non_ascii).unwrap_err(), McpError::BadHeader);
    }

    #[test]
    fn headers_are_checked_against_the_body() {
        let call = [Some(operation("tools/call", Some("add_note")))];
        let check = |pairs: &[(&'static str, &str)], body: &[Option<Operation<'_>>]| {
            Named::read(&headers(pairs))
                .unwrap()
                .check(body.iter().map(Option::as_ref))
        };
        assert_eq!(check(&[], &call), Ok(()));
        assert_eq!(check(&[("mcp-method", "tools/call")], &call), Ok(()));
        assert_eq!(
            check(
                &[
                    ("mcp-method", "tools/call"),
                    ("mcp-name", "=?base64?YWRkX25vdGU=?=")
                ],
                &call
            ),
            Ok(())
        );
        for pairs in [
            &[("mcp-method", "tools/list")][..],
            &[("mcp-method", "tools/call"), ("mcp-name", "list_notes")],
            &[("mcp-name", "list_notes")],
        ] {
            assert_eq!(
                check(pairs, &call),
                Err(McpError::HeaderMismatch),
                "{pairs:?}"
            );
        }
        // A batch, or a response, has no one method for a header to name.
        let batch = [call[0].clone(), Some(operation("ping", None))];
        assert_eq!(
            check(&[("mcp-method", "tools/call")], &batch),
            Err(McpError::HeaderMismatch)
        );
        assert_eq!(
            check(&[("mcp-method", "ping")], &[None]),
            Err(McpError::HeaderMismatch)
        );
        // Mcp-Name beside a method that names nothing is not compared.
        let ping = [Some(operation("ping", None))];
        assert_eq!(
            check(&[("mcp-method", "ping"), ("mcp-name", "x")], &ping),
            Ok(())
        );
    }
}
