//! Typed custom claims: Logto's "custom JWT" script merges extra claims (roles, a plan,
//! tenant data) into the top level of the access token; a type `C: DeserializeOwned` reads
//! them, once per token and type.

use std::any::{Any, TypeId};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::{ClaimTypeError, heap};

/// No custom claims: the default `C` of the extractors ([`Auth<C>`](crate::Auth),
/// [`RequireScopes<S, C>`](crate::RequireScopes)…). Reads nothing and never fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct NoClaims;

impl<'de> Deserialize<'de> for NoClaims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| NoClaims)
    }
}

/// Told how many more heap bytes a token's claims hold after they were read as a new type.
pub(crate) type Growth = Box<dyn Fn(usize) + Send + Sync>;

/// The custom-claims types a token was read as, each read once: with the token's
/// [`AuthInfo`](crate::AuthInfo), so shared by every extractor of a request and, through the
/// verified-token cache, by every request that sends the same token.
#[derive(Default)]
pub(crate) struct CustomClaims {
    /// `None` for a type the claims did not fit (remembered: the answer will not change).
    read: Mutex<Vec<(TypeId, Option<Arc<dyn Any + Send + Sync>>)>>,
    /// Set by the verified-token cache for the tokens it holds, so that their weight grows
    /// with what they hold ([`growth`](Self::growth)).
    growth: OnceLock<Growth>,
}

impl CustomClaims {
    /// The claims read as `C`.
    pub(crate) fn get<C>(&self, claims: &Map<String, Value>) -> Result<Arc<C>, ClaimTypeError>
    where
        C: DeserializeOwned + Send + Sync + 'static,
    {
        static NONE: LazyLock<Arc<NoClaims>> = LazyLock::new(|| Arc::new(NoClaims));
        let wanted = TypeId::of::<C>();
        if wanted == TypeId::of::<NoClaims>() {
            // The default of every extractor: no lock, no walk over the claims.
            let none: Arc<dyn Any + Send + Sync> = NONE.clone();
            return none.downcast().map_err(|_| ClaimTypeError);
        }
        let mut read = self.read.lock().unwrap_or_else(PoisonError::into_inner);
        let (value, grown) = match read.iter().find(|(id, _)| *id == wanted) {
            Some((_, value)) => (value.clone(), 0),
            None => {
                let parsed = deserialize::<C>(claims)
                    .ok()
                    .map(|c| Arc::new(c) as Arc<dyn Any + Send + Sync>);
                let before = read.capacity();
                read.push((wanted, parsed.clone()));
                (parsed, growth::<C>(claims, before, read.capacity()))
            }
        };
        drop(read);
        if grown > 0
            && let Some(growth) = self.growth.get()
        {
            growth(grown);
        }
        value
            .and_then(|value| value.downcast().ok())
            .ok_or(ClaimTypeError)
    }
}

impl CustomClaims {
    /// Asks to be told of what later reads add (once; a second hook is ignored).
    pub(crate) fn on_growth(&self, growth: Growth) {
        let _ = self.growth.set(growth);
    }
}

/// What reading the claims as `C` added to the heap, estimated: the value's allocation, the
/// heap it holds (at most what its JSON held: its strings and lists come from there), and the
/// list of types read when it grew.
fn growth<C>(claims: &Map<String, Value>, capacity_before: usize, capacity_after: usize) -> usize {
    let slot = size_of::<(TypeId, Option<Arc<dyn Any + Send + Sync>>)>();
    let list = if capacity_after > capacity_before {
        heap::chunk(capacity_after * slot).saturating_sub(heap::chunk(capacity_before * slot))
    } else {
        0
    };
    // An `Arc`'s allocation: two counters, then the value.
    heap::chunk(2 * size_of::<usize>() + size_of::<C>()) + heap::map(claims) + list
}

/// Reads a map of claims as `C`, without copying it.
fn deserialize<C: DeserializeOwned>(claims: &Map<String, Value>) -> Result<C, serde_json::Error> {
    C::deserialize(serde::de::value::MapDeserializer::new(
        claims.iter().map(|(name, value)| (name.as_str(), value)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Roles {
        #[serde(default)]
        roles: Vec<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Plan {
        plan: String,
    }

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test input is an object"),
        }
    }

    #[test]
    fn read_once_per_type() {
        let custom = CustomClaims::default();
        let claims = map(json!({"sub": "u", "roles": ["admin"], "plan": "pro"}));
        let first = custom.get::<Roles>(&claims).unwrap();
        let again = custom.get::<Roles>(&claims).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(first.roles, ["admin"]);
        assert_eq!(custom.get::<Plan>(&claims).unwrap().plan, "pro");
        assert_eq!(*custom.get::<NoClaims>(&claims).unwrap(), NoClaims);
    }

    #[test]
    fn serde_decides_missing_and_wrong_types() {
        let custom = CustomClaims::default();
        let claims = map(json!({"sub": "u"}));
        assert!(custom.get::<Roles>(&claims).unwrap().roles.is_empty());
        assert_eq!(custom.get::<Plan>(&claims).unwrap_err(), ClaimTypeError);
        let wrong = CustomClaims::default();
        let claims = map(json!({"roles": "admin"}));
        assert_eq!(wrong.get::<Roles>(&claims).unwrap_err(), ClaimTypeError);
        assert_eq!(wrong.get::<Roles>(&claims).unwrap_err(), ClaimTypeError);
    }
}
