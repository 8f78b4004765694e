//! The JSON-RPC body of an MCP request: read up to a cap (and handed on unchanged), then
//! each message's operation, read strictly so that the layer and the server cannot read two
//! different operations out of one body: a member twice, `params` that is not an object, a
//! `method` beside a `result`, are refused rather than guessed at.

use std::borrow::Cow;
use std::fmt;
use std::future::poll_fn;
use std::pin::pin;

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use http_body::Body as HttpBody;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::error::McpError;
use super::operation::{Operation, Target};

/// The body, at most `max` bytes: a `Content-Length` over it is refused before any read, a
/// body that grows past it as soon as it does; a compressed one is refused unread.
pub(super) async fn read<B>(headers: &HeaderMap, body: B, max: usize) -> Result<Bytes, McpError>
where
    B: HttpBody<Data = Bytes>,
{
    if headers
        .get_all(CONTENT_ENCODING)
        .iter()
        .any(|value| !value.as_bytes().eq_ignore_ascii_case(b"identity"))
    {
        return Err(McpError::Encoded);
    }
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        return Err(McpError::TooLarge);
    }
    let mut body = pin!(body);
    // One frame (the usual case) is kept as it came, without a copy.
    let mut first: Option<Bytes> = None;
    let mut more: Option<BytesMut> = None;
    let mut length = 0usize;
    while let Some(frame) = poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        let frame = frame.map_err(|_| McpError::Unreadable)?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        length = length.saturating_add(data.len());
        if length > max {
            return Err(McpError::TooLarge);
        }
        match (&mut first, &mut more) {
            (None, _) => first = Some(data),
            (Some(first), None) => {
                let mut joined = BytesMut::with_capacity(first.len() + data.len());
                joined.extend_from_slice(first);
                joined.extend_from_slice(&data);
                more = Some(joined);
            }
            (Some(_), Some(joined)) => joined.extend_from_slice(&data),
        }
    }
    Ok(match (first, more) {
        (_, Some(joined)) => joined.freeze(),
        (Some(first), None) => first,
        (None, None) => Bytes::new(),
    })
}

/// One message of a body.
#[derive(Debug)]
pub(super) struct Message<'a> {
    /// `None` for a JSON-RPC response (a `result` or an `error`, no `method`): the answer to
    /// one of the server's own requests, which asks for no operation.
    pub(super) operation: Option<Operation<'a>>,
    /// The request's `id`, for the answer to a refused request.
    pub(super) id: Option<Value>,
}

/// The messages of `body`: one JSON-RPC message, or a batch (an array of them, as the MCP
/// revision 2025-03-26 allowed), never empty. For a message that could not be read, the
/// error, and the `id` of the request when it holds one message and that was readable.
pub(super) fn messages(body: &[u8]) -> Result<Vec<Message<'_>>, (McpError, Option<Value>)> {
    // JSON is UTF-8 (RFC 8259 §8.1), also in the members skipped unread.
    let body = std::str::from_utf8(body).map_err(|_| (McpError::NotJson, None))?;
    let batch = body
        .bytes()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| b == b'[');
    if !batch {
        let raw: Raw<'_> = serde_json::from_str(body).map_err(|error| (classify(&error), None))?;
        let id = raw.id.clone();
        return Ok(vec![raw.into_message().map_err(|error| (error, id))?]);
    }
    let raw: Vec<Raw<'_>> = serde_json::from_str(body).map_err(|error| (classify(&error), None))?;
    if raw.is_empty() {
        return Err((McpError::NotJsonRpc, None));
    }
    let single = raw.len() == 1;
    raw.into_iter()
        .map(|raw| {
            let id = raw.id.clone();
            raw.into_message()
                .map_err(|error| (error, id.filter(|_| single)))
        })
        .collect()
}

/// Not JSON at all (syntax, end of input) or JSON of the wrong shape.
fn classify(error: &serde_json::Error) -> McpError {
    match error.classify() {
        serde_json::error::Category::Data => McpError::NotJsonRpc,
        _ => McpError::NotJson,
    }
}

/// A message's members that the operation depends on, each read at most once.
#[derive(Default)]
struct Raw<'a> {
    method: Option<Text<'a>>,
    id: Option<Value>,
    params: Option<Params<'a>>,
    /// A `result` or an `error` member (of any value, `null` included).
    answer: bool,
}

impl<'a> Raw<'a> {
    fn into_message(self) -> Result<Message<'a>, McpError> {
        let Some(Text(method)) = self.method else {
            return match self.answer {
                true => Ok(Message {
                    operation: None,
                    id: self.id,
                }),
                false => Err(McpError::NotJsonRpc),
            };
        };
        if self.answer {
            return Err(McpError::NotJsonRpc);
        }
        let name = match Target::of(&method) {
            None => None,
            Some(target) => {
                let params = self.params.unwrap_or_default();
                let name = match target.member() {
                    "uri" => params.uri,
                    _ => params.name,
                };
                match name {
                    Some(Member::Text(name)) => Some(name),
                    _ => return Err(McpError::NoTarget),
                }
            }
        };
        Ok(Message {
            operation: Some(Operation { method, name }),
            id: self.id,
        })
    }
}

impl<'de> Deserialize<'de> for Raw<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-RPC message")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut raw = Raw::default();
        let mut seen = Seen::default();
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            match &*key {
                "method" => {
                    seen.once(0)?;
                    raw.method = Some(map.next_value()?);
                }
                "id" => {
                    seen.once(1)?;
                    raw.id = Some(map.next_value()?);
                }
                "params" => {
                    seen.once(2)?;
                    raw.params = map.next_value::<Option<Params<'de>>>()?;
                }
                "result" | "error" => {
                    seen.once(if &*key == "result" { 3 } else { 4 })?;
                    map.next_value::<IgnoredAny>()?;
                    raw.answer = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(raw)
    }
}

/// The members of `params` that name what a method targets.
#[derive(Default)]
struct Params<'a> {
    name: Option<Member<'a>>,
    uri: Option<Member<'a>>,
}

impl<'de> Deserialize<'de> for Params<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ParamsVisitor)
    }
}

struct ParamsVisitor;

impl<'de> Visitor<'de> for ParamsVisitor {
    type Value = Params<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the params object of a JSON-RPC message")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut params = Params::default();
        let mut seen = Seen::default();
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            match &*key {
                "name" => {
                    seen.once(0)?;
                    params.name = Some(map.next_value()?);
                }
                "uri" => {
                    seen.once(1)?;
                    params.uri = Some(map.next_value()?);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(params)
    }
}

/// The members an operation depends on that an object held, by number, to refuse one sent
/// twice (which one reader would take the first of, another the last). Other members are
/// skipped, repeated or not: they name no operation.
#[derive(Default)]
struct Seen(u8);

impl Seen {
    fn once<E: de::Error>(&mut self, member: u8) -> Result<(), E> {
        let bit = 1 << member;
        if self.0 & bit != 0 {
            return Err(E::custom("a member is repeated"));
        }
        self.0 |= bit;
        Ok(())
    }
}

/// A JSON string, borrowed from the body unless it holds escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Borrowed(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(value.to_owned())))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(value)))
    }
}

/// A member that should be a string: the string, or that it was something else.
enum Member<'a> {
    Text(Cow<'a, str>),
    Other,
}

impl<'de> Deserialize<'de> for Member<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MemberVisitor)
    }
}

struct MemberVisitor;

impl<'de> Visitor<'de> for MemberVisitor {
    type Value = Member<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Borrowed(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Owned(value.to_owned())))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Owned(value)))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Member::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Member::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operations(body: &str) -> Result<Vec<Option<(String, Option<String>)>>, McpError> {
        messages(body.as_bytes())
            .map(|messages| {
                messages
                    .into_iter()
                    .map(|message| {
                        message.operation.map(|operation| {
                            (
                                operation.method.into_owned(),
                                operation.name.map(Cow::into_owned),
                            )
                        })
                    })
                    .collect()
            })
            .map_err(|(error, _)| error)
    }

    fn call(method: &str, name: Option<&str>) -> Option<(String, Option<String>)> {
        Some((method.to_owned(), name.map(str::to_owned)))
    }

    #[test]
    fn messages_and_their_operations() {
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add_note","arguments":{"name":"not this one","text":"x"}}}"#;
        assert_eq!(
            operations(body),
            Ok(vec![call("tools/call", Some("add_note"))])
        );
        let escaped =
            r#" {"params":{"name":"add\u005fnote"},"m\u0065thod":"tools\/call","id":"a"} "#;
        assert_eq!(
            operations(escaped),
            Ok(vec![call("tools/call", Some("add_note"))])
        );
        let resource =
            r#"{"method":"resources/read","id":2,"params":{"uri":"notes://u1/1","name":7}}"#;
        assert_eq!(
            operations(resource),
            Ok(vec![call("resources/read", Some("notes://u1/1"))])
        );
        assert_eq!(
            operations(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Ok(vec![call("notifications/initialized", None)])
        );
        assert_eq!(
            operations(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":null}"#),
            Ok(vec![call("tools/list", None)])
        );
        assert_eq!(
            operations(r#"{"jsonrpc":"2.0","id":1,"result":null}"#),
            Ok(vec![None])
        );
        assert_eq!(
            operations(r#"{"jsonrpc":"2.0","id":1,"error":{"code":1}}"#),
            Ok(vec![None])
        );
        let batch = r#"[{"method":"ping","id":1},{"method":"tools/call","id":2,"params":{"name":"add_note"}},{"id":3,"result":{}}]"#;
        assert_eq!(
            operations(batch),
            Ok(vec![
                call("ping", None),
                call("tools/call", Some("add_note")),
                None
            ])
        );
    }

    #[test]
    fn what_could_be_read_two_ways_is_refused() {
        for (body, error) in [
            ("", McpError::NotJson),
            ("not json", McpError::NotJson),
            ("{\"method\":\"ping\"", McpError::NotJson),
            ("{\"method\":\"ping\"} {}", McpError::NotJson),
            ("\u{feff}{\"method\":\"ping\"}", McpError::NotJson),
            ("[]", McpError::NotJsonRpc),
            ("[[{\"method\":\"ping\"}]]", McpError::NotJsonRpc),
            ("7", McpError::NotJsonRpc),
            ("\"ping\"", McpError::NotJsonRpc),
            ("{}", McpError::NotJsonRpc),
            ("{\"id\":1}", McpError::NotJsonRpc),
            (r#"{"method":7}"#, McpError::NotJsonRpc),
            (r#"{"method":null}"#, McpError::NotJsonRpc),
            (r#"{"method":"ping","method":"ping"}"#, McpError::NotJsonRpc),
            (
                r#"{"method":"tools/list","m\u0065thod":"tools/call"}"#,
                McpError::NotJsonRpc,
            ),
            (r#"{"method":"ping","result":{}}"#, McpError::NotJsonRpc),
            (
                r#"{"method":"tools/call","params":{"name":"a","name":"b"}}"#,
                McpError::NotJsonRpc,
            ),
            (
                r#"{"method":"tools/call","params":["add_note"]}"#,
                McpError::NotJsonRpc,
            ),
            (
                r#"{"method":"tools/call","params":"add_note"}"#,
                McpError::NotJsonRpc,
            ),
            (r#"{"method":"tools/call"}"#, McpError::NoTarget),
            (
                r#"{"method":"tools/call","params":{"name":1}}"#,
                McpError::NoTarget,
            ),
            (
                r#"{"method":"tools/call","params":{"uri":"x"}}"#,
                McpError::NoTarget,
            ),
            (
                r#"{"method":"resources/read","params":{"name":"x"}}"#,
                McpError::NoTarget,
            ),
            (
                r#"[{"method":"ping"},{"method":"tools/call"}]"#,
                McpError::NoTarget,
            ),
        ] {
            assert_eq!(operations(body), Err(error), "{body}");
        }
        // Invalid UTF-8, in a string read or in one skipped (found by the fuzz target).
        for body in [
            &b"{\"method\":\"tools/\xffcall\"}"[..],
            b"{\"method\":\"ping\",\"params\":{\"_meta\":{\"\x88\":1}}}",
        ] {
            let error = messages(body).map(|_| ()).map_err(|(e, _)| e);
            assert_eq!(error, Err(McpError::NotJson));
        }
    }

    #[test]
    fn a_refused_single_request_keeps_its_id() {
        let (error, id) =
            messages(br#"{"jsonrpc":"2.0","id":"r7","method":"tools/call"}"#).unwrap_err();
        assert_eq!((error, id), (McpError::NoTarget, Some(Value::from("r7"))));
        let (_, id) = messages(br#"[{"id":1,"method":"tools/call"}]"#).unwrap_err();
        assert_eq!(id, Some(Value::from(1)));
        let (_, id) =
            messages(br#"[{"id":1,"method":"ping"},{"id":2,"method":"tools/call"}]"#).unwrap_err();
        assert_eq!(id, None);
    }

    #[tokio::test]
    async fn bodies_are_read_up_to_the_cap() {
        use axum::body::Body;
        let headers = HeaderMap::new();
        let body = Body::from("0123456789");
        assert_eq!(read(&headers, body, 10).await.unwrap(), "0123456789");
        let body = Body::from("0123456789");
        assert_eq!(read(&headers, body, 9).await, Err(McpError::TooLarge));
        // In frames, past the cap after the first: refused as soon as it is.
        let three = frames(["01234", "56789", "x"]);
        assert_eq!(read(&headers, three, 10).await, Err(McpError::TooLarge));
        let two = frames(["01234", "56789"]);
        assert_eq!(read(&headers, two, 10).await.unwrap(), "0123456789");
        let mut declared = HeaderMap::new();
        declared.insert(CONTENT_LENGTH, "11".parse().unwrap());
        assert_eq!(
            read(&declared, Body::empty(), 10).await,
            Err(McpError::TooLarge)
        );
        let mut gzip = HeaderMap::new();
        gzip.insert(CONTENT_ENCODING, "gzip".parse().unwrap());
        assert_eq!(read(&gzip, Body::empty(), 10).await, Err(McpError::Encoded));
        gzip.insert(CONTENT_ENCODING, "identity".parse().unwrap());
        assert_eq!(read(&gzip, Body::empty(), 10).await.unwrap(), "");
    }

    /// A body of several frames.
    struct Frames(std::collections::VecDeque<Bytes>);

    impl HttpBody for Frames {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
            std::task::Poll::Ready(
                self.0
                    .pop_front()
                    .map(|data| Ok(http_body::Frame::data(data))),
            )
        }
    }

    fn frames<const N: usize>(frames: [&'static str; N]) -> Frames {
        Frames(
            frames
                .into_iter()
                .map(|frame| Bytes::from_static(frame.as_bytes()))
                .collect(),
        )
    }
}
