//! The access policy as a lookup structure: people by e-mail (case-insensitive), their tier,
//! the dev accounts their teams may use (ADMIN sees all), and their keys as an OpenSSH
//! allowed-signers set.

use super::signers::{AllowedSigners, SignerEntry};
use super::sshsig::NAMESPACE;
use crate::model::{AccessPolicy, Person, Tier};
use std::collections::{BTreeSet, HashMap};

/// An indexed access policy.
#[derive(Debug, Clone)]
pub struct Access {
    policy: AccessPolicy,
    by_email: HashMap<String, usize>,
}

/// Lower-case an e-mail for comparison (every comparison is case-insensitive).
pub fn norm(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Access {
    pub fn new(policy: AccessPolicy) -> Access {
        let by_email = policy
            .people
            .iter()
            .enumerate()
            .map(|(i, p)| (norm(&p.email), i))
            .collect();
        Access { policy, by_email }
    }

    pub fn policy(&self) -> &AccessPolicy {
        &self.policy
    }

    pub fn person(&self, email: &str) -> Option<&Person> {
        self.by_email
            .get(&norm(email))
            .map(|i| &self.policy.people[*i])
    }

    pub fn tier(&self, email: &str) -> Option<Tier> {
        self.person(email).map(|p| p.tier)
    }

    pub fn is_admin(&self, email: &str) -> bool {
        self.tier(email) == Some(Tier::Admin)
    }

    /// Every dev account named by any team.
    pub fn all_accounts(&self) -> BTreeSet<String> {
        self.policy
            .teams
            .iter()
            .flat_map(|t| t.dev_accounts.iter().cloned())
            .collect()
    }

    /// The dev accounts a person may use: the union of their teams' accounts; every account for
    /// an ADMIN; none for READONLY/OPERATOR or unknown people.
    pub fn accounts_of(&self, email: &str) -> BTreeSet<String> {
        let Some(p) = self.person(email) else {
            return BTreeSet::new();
        };
        match p.tier {
            Tier::Admin => self.all_accounts(),
            Tier::Contributor => self
                .policy
                .teams
                .iter()
                .filter(|t| p.teams.iter().any(|pt| pt == &t.name))
                .flat_map(|t| t.dev_accounts.iter().cloned())
                .collect(),
            Tier::Readonly | Tier::Operator => BTreeSet::new(),
        }
    }

    /// Whether the person may work with the dev account (ADMIN: every account of the policy and
    /// any other; CONTRIBUTOR: their teams' accounts).
    pub fn can_access(&self, email: &str, dev_account: &str) -> bool {
        match self.tier(email) {
            Some(Tier::Admin) => true,
            Some(Tier::Contributor) => self.accounts_of(email).contains(dev_account),
            Some(Tier::Readonly) | Some(Tier::Operator) | None => false,
        }
    }

    /// Every key of every person, as allowed signers (principal = e-mail, namespace restricted).
    pub fn allowed_signers(&self) -> AllowedSigners {
        self.signers_where(|_| true)
    }

    /// The keys of the ADMINs only (who may change the policy and the mappings).
    pub fn admin_signers(&self) -> AllowedSigners {
        self.signers_where(|p| p.tier == Tier::Admin)
    }

    fn signers_where(&self, keep: impl Fn(&Person) -> bool) -> AllowedSigners {
        let entries = self
            .policy
            .people
            .iter()
            .filter(|p| keep(p))
            .flat_map(|p| {
                p.keys.iter().filter_map(move |k| {
                    ssh_key::PublicKey::from_openssh(k.trim())
                        .ok()
                        .map(|key| SignerEntry {
                            principals: vec![p.email.clone()],
                            namespaces: Some(vec![NAMESPACE.to_string()]),
                            valid_after: None,
                            valid_before: None,
                            cert_authority: false,
                            key,
                        })
                })
            })
            .collect();
        AllowedSigners { entries }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ApiVersion, Kind, Team};

    fn person(email: &str, tier: Tier, teams: &[&str]) -> Person {
        Person {
            email: email.into(),
            name: email.into(),
            tier,
            teams: teams.iter().map(|s| s.to_string()).collect(),
            keys: vec![],
            allow_unicode_email: false,
        }
    }

    fn access() -> Access {
        Access::new(AccessPolicy {
            api_version: ApiVersion::V1,
            kind: Kind::AccessPolicy,
            serial: 1,
            people: vec![
                person("Alice@Example.com", Tier::Contributor, &["team-a"]),
                person("bob@example.com", Tier::Contributor, &["team-b"]),
                person("carol@example.com", Tier::Admin, &[]),
                person("dave@example.com", Tier::Readonly, &["team-a"]),
            ],
            teams: vec![
                Team {
                    name: "team-a".into(),
                    dev_accounts: vec!["dev-team-a".into()],
                },
                Team {
                    name: "team-b".into(),
                    dev_accounts: vec!["dev-team-b".into()],
                },
            ],
        })
    }

    #[test]
    fn accounts_by_tier_and_team() {
        let a = access();
        assert!(a.can_access("alice@example.COM", "dev-team-a"));
        assert!(!a.can_access("alice@example.com", "dev-team-b"));
        assert!(a.can_access("carol@example.com", "dev-team-b"));
        assert!(
            !a.can_access("dave@example.com", "dev-team-a"),
            "READONLY uses no account"
        );
        assert!(!a.can_access("eve@example.com", "dev-team-a"));
        assert_eq!(a.accounts_of("carol@example.com").len(), 2);
        assert_eq!(a.tier("ALICE@EXAMPLE.COM"), Some(Tier::Contributor));
    }
}
