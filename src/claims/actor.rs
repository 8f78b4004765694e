//! [`Actor`]: who acts for the subject of a delegated token (RFC 8693 `act`).

use serde::Serialize;
use serde_json::Value;

/// The party acting on behalf of the token's subject: Logto's token exchange (impersonation,
/// delegation) adds `act: {"sub": "<actor>"}` (RFC 8693 §4.1). A chain of delegations nests:
/// the actor's own [`actor`](Self::actor) acted before it.
///
/// ```
/// # fn show(info: &axum_logto::AuthInfo) {
/// if let Some(actor) = info.actor() {
///     println!("{} acts for {}", actor.sub(), info.sub());
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    sub: String,
    #[serde(rename = "clientId", skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(rename = "act", skip_serializing_if = "Option::is_none")]
    actor: Option<Box<Actor>>,
}

impl Actor {
    /// Reads an `act` claim: an object with a string `sub`, an optional string `client_id`,
    /// and an optional nested `act`. `None` when it has another shape.
    pub(crate) fn from_claim(value: &Value) -> Option<Self> {
        let object = value.as_object()?;
        let sub = object.get("sub")?.as_str()?.to_owned();
        let client_id = match object.get("client_id") {
            None => None,
            Some(id) => Some(id.as_str()?.to_owned()),
        };
        let actor = match object.get("act") {
            None => None,
            Some(inner) => Some(Box::new(Self::from_claim(inner)?)),
        };
        Some(Self {
            sub,
            client_id,
            actor,
        })
    }

    /// What it holds on the heap, in allocator chunks (its strings, and the actors before it).
    pub(crate) fn heap_bytes(&self) -> usize {
        use super::heap::chunk;
        chunk(self.sub.capacity())
            + self.client_id.as_ref().map_or(0, |id| chunk(id.capacity()))
            + self
                .actor
                .as_ref()
                .map_or(0, |inner| chunk(size_of::<Actor>()) + inner.heap_bytes())
    }

    /// The acting party's subject (`act.sub`).
    pub fn sub(&self) -> &str {
        &self.sub
    }

    /// The acting party's application, when the claim names one (`act.client_id`).
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// Who acted before this actor, in a chain of delegations (`act.act`).
    pub fn actor(&self) -> Option<&Actor> {
        self.actor.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_act_and_its_chain() {
        let actor = Actor::from_claim(&json!({"sub": "admin", "act": {"sub": "support"}})).unwrap();
        assert_eq!(actor.sub(), "admin");
        assert_eq!(actor.actor().unwrap().sub(), "support");
        assert_eq!(actor.client_id(), None);
        for bad in [
            json!("admin"),
            json!({}),
            json!({"sub": 1}),
            json!({"sub": "a", "act": 2}),
            json!({"sub": "a", "client_id": []}),
        ] {
            assert_eq!(Actor::from_claim(&bad), None, "{bad}");
        }
    }
}
