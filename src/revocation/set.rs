//! The live rules, indexed so that a token's check is a handful of hash lookups whatever
//! their number: by subject, by application, by organization, by subject within an
//! organization, and one epoch.

use std::collections::HashMap;

use super::rule::{Revocation, Subject, issued_before};

/// Every live rule, each kept as the latest moment named for its key (rules only ever widen:
/// a rule for "before T" makes one for an earlier moment moot).
#[derive(Debug, Default)]
pub(crate) struct RuleSet {
    subjects: HashMap<String, f64>,
    clients: HashMap<String, f64>,
    orgs: HashMap<String, f64>,
    /// Organization, then subject.
    subjects_in_orgs: HashMap<String, HashMap<String, f64>>,
    all: Option<f64>,
}

/// Keeps the later of `at` and what `slot` holds; whether it moved.
fn widen(slot: &mut f64, at: f64) -> bool {
    if at > *slot {
        *slot = at;
        true
    } else {
        false
    }
}

fn widen_in(map: &mut HashMap<String, f64>, key: &str, at: f64) -> bool {
    match map.get_mut(key) {
        Some(slot) => widen(slot, at),
        None => {
            map.insert(key.to_owned(), at);
            true
        }
    }
}

impl RuleSet {
    /// Adds `rule`; whether it revokes anything the set did not already.
    pub(crate) fn apply(&mut self, rule: &Revocation) -> bool {
        match rule {
            Revocation::Subject { sub, before } => widen_in(&mut self.subjects, sub, *before),
            Revocation::Client { client_id, before } => {
                widen_in(&mut self.clients, client_id, *before)
            }
            Revocation::Org { org_id, before } => widen_in(&mut self.orgs, org_id, *before),
            Revocation::SubjectInOrg {
                sub,
                org_id,
                before,
            } => {
                let subjects = self.subjects_in_orgs.entry(org_id.clone()).or_default();
                widen_in(subjects, sub, *before)
            }
            Revocation::All { before } => match &mut self.all {
                Some(all) => widen(all, *before),
                None => {
                    self.all = Some(*before);
                    true
                }
            },
        }
    }

    /// Whether a rule revokes the token of `who`.
    pub(crate) fn revokes(&self, who: &Subject<'_>) -> bool {
        let hit = |at: Option<&f64>| at.is_some_and(|at| issued_before(who.iat, *at));
        hit(self.all.as_ref())
            || hit(self.subjects.get(who.sub))
            || who.client_id.is_some_and(|id| hit(self.clients.get(id)))
            || who.org_id.is_some_and(|org| {
                hit(self.orgs.get(org))
                    || self
                        .subjects_in_orgs
                        .get(org)
                        .is_some_and(|subjects| hit(subjects.get(who.sub)))
            })
    }

    /// Drops the rules whose moment is before `horizon`: no token they could match is still
    /// valid.
    pub(crate) fn purge(&mut self, horizon: f64) {
        let live = |at: &mut f64| *at >= horizon;
        self.subjects.retain(|_, at| live(at));
        self.clients.retain(|_, at| live(at));
        self.orgs.retain(|_, at| live(at));
        self.subjects_in_orgs.retain(|_, subjects| {
            subjects.retain(|_, at| live(at));
            !subjects.is_empty()
        });
        if self.all.is_some_and(|at| at < horizon) {
            self.all = None;
        }
    }

    /// How many rules are held.
    pub(crate) fn len(&self) -> usize {
        self.subjects.len()
            + self.clients.len()
            + self.orgs.len()
            + self
                .subjects_in_orgs
                .values()
                .map(HashMap::len)
                .sum::<usize>()
            + usize::from(self.all.is_some())
    }

    /// Every rule held.
    pub(crate) fn rules(&self) -> Vec<Revocation> {
        let mut rules = Vec::with_capacity(self.len());
        rules.extend(
            self.subjects
                .iter()
                .map(|(sub, before)| Revocation::Subject {
                    sub: sub.clone(),
                    before: *before,
                }),
        );
        rules.extend(
            self.clients
                .iter()
                .map(|(client_id, before)| Revocation::Client {
                    client_id: client_id.clone(),
                    before: *before,
                }),
        );
        rules.extend(self.orgs.iter().map(|(org_id, before)| Revocation::Org {
            org_id: org_id.clone(),
            before: *before,
        }));
        for (org_id, subjects) in &self.subjects_in_orgs {
            rules.extend(
                subjects
                    .iter()
                    .map(|(sub, before)| Revocation::SubjectInOrg {
                        sub: sub.clone(),
                        org_id: org_id.clone(),
                        before: *before,
                    }),
            );
        }
        rules.extend(self.all.map(|before| Revocation::All { before }));
        rules
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who<'a>(
        sub: &'a str,
        client_id: Option<&'a str>,
        org_id: Option<&'a str>,
        iat: f64,
    ) -> Subject<'a> {
        Subject {
            sub,
            client_id,
            org_id,
            iat: Some(iat),
        }
    }

    #[test]
    fn each_kind_of_rule() {
        let mut set = RuleSet::default();
        assert!(set.apply(&Revocation::Subject {
            sub: "u1".into(),
            before: 100.5
        }));
        // An earlier moment for the same subject changes nothing.
        assert!(!set.apply(&Revocation::Subject {
            sub: "u1".into(),
            before: 50.0
        }));
        assert!(set.revokes(&who("u1", None, None, 100.0)));
        // The same second as the moment: issued before it, for all anyone can tell.
        assert!(set.revokes(&who("u1", None, None, 100.0)));
        assert!(!set.revokes(&who("u1", None, None, 101.0)));
        assert!(!set.revokes(&who("u2", None, None, 1.0)));

        set.apply(&Revocation::SubjectInOrg {
            sub: "u2".into(),
            org_id: "o1".into(),
            before: 200.0,
        });
        assert!(set.revokes(&who("u2", None, Some("o1"), 150.0)));
        assert!(!set.revokes(&who("u2", None, Some("o2"), 150.0)));
        assert!(!set.revokes(&who("u2", None, None, 150.0)));

        set.apply(&Revocation::Client {
            client_id: "app".into(),
            before: 300.0,
        });
        assert!(set.revokes(&who("u9", Some("app"), None, 299.0)));
        set.apply(&Revocation::Org {
            org_id: "o3".into(),
            before: 300.0,
        });
        assert!(set.revokes(&who("u9", None, Some("o3"), 299.0)));
        assert_eq!(set.len(), 4);
        set.apply(&Revocation::All { before: 10.0 });
        assert!(set.revokes(&who("anyone", None, None, 9.0)));
        assert!(!set.revokes(&who("anyone", None, None, 11.0)));
        // A token without `iat` counts as issued before any moment.
        assert!(set.revokes(&Subject {
            sub: "anyone",
            client_id: None,
            org_id: None,
            iat: None
        }));
        assert_eq!(set.rules().len(), 5);
        set.purge(250.0);
        assert_eq!(set.len(), 2);
        assert!(!set.revokes(&who("u1", None, None, 1.0)));
    }
}
