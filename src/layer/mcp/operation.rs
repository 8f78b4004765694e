//! What one JSON-RPC message asks an MCP server to do: its method, and for the methods that
//! name a tool, a prompt or a resource, that name.

use std::borrow::Cow;

/// What a method names besides itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// A tool, in `params.name` (`tools/call`).
    Tool,
    /// A prompt, in `params.name` (`prompts/get`).
    Prompt,
    /// A resource, in `params.uri` (`resources/read`, `resources/subscribe`,
    /// `resources/unsubscribe`).
    Resource,
}

impl Target {
    /// What `method` names, if anything: the methods whose `Mcp-Name` header the MCP
    /// revision 2026-07-28 defines (and rmcp sends for `resources/subscribe` and
    /// `resources/unsubscribe` too).
    pub(super) fn of(method: &str) -> Option<Self> {
        match method {
            "tools/call" => Some(Self::Tool),
            "prompts/get" => Some(Self::Prompt),
            "resources/read" | "resources/subscribe" | "resources/unsubscribe" => {
                Some(Self::Resource)
            }
            _ => None,
        }
    }

    /// The member of `params` that holds the name.
    pub(super) fn member(self) -> &'static str {
        match self {
            Self::Tool | Self::Prompt => "name",
            Self::Resource => "uri",
        }
    }
}

/// One operation: a method, and the name of what it targets when [`Target::of`] says it has
/// one (then always `Some`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Operation<'a> {
    pub(super) method: Cow<'a, str>,
    pub(super) name: Option<Cow<'a, str>>,
}

/// Whether the part of a resource URI after a listed prefix could lead a server out of the
/// prefix: a `.` or `..` path segment, or a percent-encoded `.`, `/` or `\` (which a server
/// may decode before it resolves the path), or a `\`. Such a URI matches no prefix.
pub(super) fn may_escape_prefix(rest: &str) -> bool {
    let segment = rest
        .split(['/', '?', '#'])
        .any(|segment| segment == "." || segment == "..");
    let encoded = rest.as_bytes().windows(3).any(|w| {
        w[0] == b'%'
            && matches!(
                &w[1..],
                [b'2', b'e' | b'E' | b'f' | b'F'] | [b'5', b'c' | b'C']
            )
    });
    segment || encoded || rest.contains('\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(Target::of("tools/call"), Some(Target::Tool));
        assert_eq!(Target::of("prompts/get").map(Target::member), Some("name"));
        assert_eq!(
            Target::of("resources/subscribe").map(Target::member),
            Some("uri")
        );
        assert_eq!(Target::of("tools/list"), None);
        assert_eq!(Target::of("Tools/call"), None);
    }

    #[test]
    fn escapes_out_of_a_prefix() {
        for rest in [
            "../secret",
            "a/../b",
            "a/..",
            "./a",
            "a/.",
            "%2e%2e/x",
            "%2E",
            "a%2fb",
            "a%5Cb",
            "a\\b",
            "..",
        ] {
            assert!(may_escape_prefix(rest), "{rest}");
        }
        for rest in ["", "a", "a/b.txt", "..a/b", "a..b", "a/...", "%20", "a?b=1"] {
            assert!(!may_escape_prefix(rest), "{rest}");
        }
    }
}
