//! Synthetic workloads for the benchmarks (`benches/`) and `promoter bench`: a large process
//! component with the reference and secret shapes the XML engine works on, the id cache that
//! maps its references, and a signed promotions repository of any size.
//!
//! Keys are derived from fixed seeds, so the workloads are the same on every machine and need
//! no files. They are for measuring only; never use these keys for anything else.

use crate::deps::IdCache;
use crate::policy::{sign, AllowedSigners, Files, Trust};
use ssh_key::private::{Ed25519Keypair, PrivateKey};

/// A GUID-shaped id, distinct for every `n`.
pub fn guid(n: usize) -> String {
    format!("{:08x}-1b2c-4d3e-8f40-{:012x}", n as u32 ^ 0x5a5a_5a5a, n)
}

/// A process component of about `target` bytes: shapes with connector, map, sub-process and
/// script references, set-properties with a secret, comments and CDATA. `variant` 1 changes a
/// label in every 50th shape (a second version to diff against).
pub fn component(target: usize, variant: usize) -> String {
    let mut s = String::with_capacity(target + 4096);
    s.push_str(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<bns:Component xmlns:bns="http://api.platform.boomi.com/" componentId="a1e0c5d2-3f4b-4c6d-8e9f-0a1b2c3d4e51" version="12" name="Big Process" type="process" createdDate="2026-03-02T08:14:55Z" createdBy="alice@example.com" modifiedDate="2026-11-18T16:41:07Z" modifiedBy="alice@example.com" deleted="false" currentVersion="true" folderName="Orders" folderFullPath="DevTeamA/Orders" folderId="RjozMDk2OQ" branchName="main" branchId="Qjox">
    <bns:encryptedValues/>
    <bns:description>Benchmark process</bns:description>
    <bns:object>
        <process xmlns="" allowSimultaneous="false" enableUserLog="false" workload="general">
            <shapes>
"#);
    let mut i = 0;
    while s.len() < target {
        let label = if variant == 1 && i % 50 == 7 {
            "Changed label"
        } else {
            "Get Order"
        };
        s.push_str(&format!(
            r#"                <!-- shape {i} -->
                <shape image="connectoraction_icon" name="shape{i}" shapetype="connectoraction" userlabel="{label}" x="{x}.0" y="112.0">
                    <configuration>
                        <connectoraction actionType="Get" connectorType="http" connectionId="{c}" operationId="{o}">
                            <parameters/>
                        </connectoraction>
                        <map mapId="{m}"/>
                        <processcall abort="true" processId="{p}" wait="true"/>
                        <setproperties><properties><property name="DDP_TOKEN" type="static"><apiToken>tok-{i}-secret</apiToken></property></properties></setproperties>
                        <message><![CDATA[Order {i} &amp; co from {c}]]></message>
                    </configuration>
                    <dragpoints>
                        <dragpoint name="shape{i}.dragpoint1" toShape="shape{n}" x="{x}.0" y="120.0"/>
                    </dragpoints>
                </shape>
"#,
            x = i * 16,
            n = i + 1,
            c = guid(i % 40),
            o = guid(1000 + i % 40),
            m = guid(2000 + i % 200),
            p = guid(3000 + i % 100),
        ));
        i += 1;
    }
    s.push_str("            </shapes>\n        </process>\n    </bns:object>\n    <bns:processOverrides/>\n</bns:Component>\n");
    s
}

/// The mappings of every id [`component`] references.
pub fn id_cache() -> IdCache {
    let mut c = IdCache::default();
    for n in (0..40)
        .chain(1000..1040)
        .chain(2000..2200)
        .chain(3000..3100)
    {
        c.insert(guid(n), guid(900_000 + n));
    }
    c
}

/// A signed promotions repository with `promotions` TEST requests.
pub struct SignedRepo {
    pub files: Files,
    pub trust: Trust,
    alice: PrivateKey,
}

fn key(seed: u8, comment: &str) -> PrivateKey {
    let mut k = PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]));
    k.set_comment(comment);
    k
}

fn openssh(k: &PrivateKey) -> String {
    k.public_key().to_openssh().unwrap_or_default()
}

/// The id of the `i`-th promotion of a [`SignedRepo`].
pub fn promotion_id(i: usize) -> String {
    format!("bench-{i:05}")
}

impl SignedRepo {
    /// A policy (an ADMIN and a CONTRIBUTOR), `promoter.yaml`, and `promotions` signed TEST
    /// requests by the contributor.
    pub fn new(promotions: usize) -> SignedRepo {
        let admin = key(7, "admin");
        let alice = key(11, "alice");
        let policy = format!(
            "apiVersion: promoter/v1\nkind: AccessPolicy\nserial: 1\npeople:\n  - email: admin@example.com\n    name: Admin\n    tier: ADMIN\n    keys: [\"{}\"]\n  - email: alice@example.com\n    name: Alice\n    tier: CONTRIBUTOR\n    teams: [team-a]\n    keys: [\"{}\"]\nteams:\n  - {{name: team-a, devAccounts: [dev-team-a]}}\n",
            openssh(&admin),
            openssh(&alice)
        );
        let mut files = Files::new();
        let signed = |files: &mut Files, path: &str, text: String, k: &PrivateKey| {
            let sig = sign(k, text.as_bytes()).expect("an ed25519 key signs");
            files.insert(format!("{path}.sig"), sig.into_bytes());
            files.insert(path.to_string(), text.into_bytes());
        };
        signed(&mut files, "access/policy.yaml", policy, &admin);
        signed(
            &mut files,
            "promoter.yaml",
            "apiVersion: promoter/v1\nkind: Settings\nserial: 1\nprimaryAccountId: primary-bench\nenvironments:\n  - {id: env-test-1, name: Test, classification: TEST}\n".into(),
            &admin,
        );
        let mut repo = SignedRepo {
            files,
            trust: Trust {
                bootstrap: AllowedSigners::parse(&format!(
                    "admin@example.com namespaces=\"boomi-promoter\" {}\n",
                    openssh(&admin)
                ))
                .ok(),
                ..Default::default()
            },
            alice,
        };
        for i in 0..promotions {
            repo.write_request(i, "first cut");
        }
        repo
    }

    /// (Re)write and sign the request of the `i`-th promotion with these notes.
    pub fn write_request(&mut self, i: usize, notes: &str) {
        let id = promotion_id(i);
        let text = format!(
            "apiVersion: promoter/v1\nkind: PromotionRequest\nid: {id}\ninitiatedBy: alice@example.com\ndevAccountId: dev-team-a\nprocessName: Process {i}\nrootComponentId: {root}\ntarget: TEST\npackageVersion: \"1.0.{i}\"\nintegrationPack:\n  newName: Bench - TEST\nnotes: {notes}\n",
            root = guid(500_000 + i)
        );
        let path = format!("promotions/{id}/request.yaml");
        let sig = sign(&self.alice, text.as_bytes()).expect("an ed25519 key signs");
        self.files.insert(format!("{path}.sig"), sig.into_bytes());
        self.files.insert(path, text.into_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::verify_repository;

    #[test]
    fn the_signed_repository_verifies_without_problems() {
        let repo = SignedRepo::new(3);
        let v = verify_repository(&repo.files, &repo.trust);
        assert!(v.problems.is_empty(), "{:?}", v.problems);
        assert_eq!(v.promotions.len(), 3);
    }

    #[test]
    fn the_component_has_the_size_asked_for_and_every_reference_mapped() {
        let doc = component(64 * 1024, 0);
        assert!(doc.len() >= 64 * 1024 && doc.len() < 70 * 1024);
        let out = crate::deps::build_production_xml(&doc, None, &id_cache(), None, "QjoyMDI1OTk")
            .unwrap();
        assert!(out.references_rewritten > 0);
        assert!(!out.xml.contains("tok-0-secret"));
    }
}
