//! Desired state → store: verify the snapshot against the trust chain (bootstrap signers and
//! the policy accepted earlier), accept a new policy version, replace the admin-seeded
//! connection mappings, create records for new promotions, and report documents that vanished.

use super::Scope;
use super::{cause, Context, StepError};
use crate::model::{digest, parse_document, Document, ErrorCode, PromotionStatus, Target};
use crate::policy::verify::{
    verify_incremental, AcceptedMappings, AcceptedPolicy as TrustedPolicy, AcceptedSettings,
    PolicyOutcome, Trust, POLICY_PATH, SETTINGS_PATH,
};
use crate::policy::{AllowedSigners, Dirty, PromotionDocs, Verified, VerifyMemo};
use crate::source::Snapshot;
use crate::store::{
    mappings_key, AcceptedDocument, AcceptedPolicy, ComponentMapping, MappingSource,
    PromotionRecord, Store, StoreError, SETTINGS_KEY,
};
use std::collections::BTreeSet;

/// The trust chain as the store holds it: the bootstrap signers, and the policy, settings and
/// mappings accepted earlier. A stored version that no longer parses is left out (the chain
/// then starts again from the bootstrap signers for that document).
pub fn trust_from_store(
    store: &Store,
    bootstrap: Option<AllowedSigners>,
) -> Result<Trust, StoreError> {
    let accepted = match store.accepted_policy()? {
        Some(p) => match parse_document(POLICY_PATH, &p.bytes) {
            Ok(Document::AccessPolicy(policy)) => Some(TrustedPolicy {
                policy,
                digest: p.digest,
            }),
            _ => None,
        },
        None => None,
    };
    let mut trust = Trust {
        bootstrap,
        accepted,
        ..Default::default()
    };
    for d in store.accepted_documents()? {
        match parse_document(&d.path, &d.bytes) {
            Ok(Document::Settings(settings)) if d.key == SETTINGS_KEY => {
                trust.settings = Some(AcceptedSettings {
                    settings,
                    digest: d.digest,
                });
            }
            Ok(Document::ConnectionMappings(m)) if d.key == mappings_key(&m.dev_account_id) => {
                trust.mappings.insert(
                    m.dev_account_id.clone(),
                    AcceptedMappings {
                        mappings: m,
                        digest: d.digest,
                    },
                );
            }
            _ => {
                tracing::warn!(key = %d.key, "an accepted document in the store no longer parses; it is ignored")
            }
        }
    }
    Ok(trust)
}

/// Verify a snapshot against the bootstrap signers and the versions accepted earlier, re-using
/// `memo`'s results for every document `dirty` does not name (see
/// [`verify_incremental`]).
pub fn desired(
    ctx: &Context,
    snapshot: &Snapshot,
    memo: Option<VerifyMemo>,
    dirty: Option<Dirty<'_>>,
) -> Result<(Verified, VerifyMemo), StepError> {
    let trust = trust_from_store(&ctx.store, ctx.bootstrap.clone())?;
    Ok(verify_incremental(&snapshot.files, &trust, memo, dirty))
}

/// What [`apply`] did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Records created for new promotions.
    pub created: Vec<PromotionRecord>,
    /// Requests not accepted yet: their TEST promotion is still under way.
    pub deferred: BTreeSet<String>,
}

/// Write the desired state into the store: the policy when a new one was accepted, the admin
/// mappings (on a full scope), and the promotions in `scope`.
pub fn apply(
    ctx: &Context,
    desired: &Verified,
    snapshot: &Snapshot,
    scope: &Scope,
) -> Result<Applied, StepError> {
    let mut out = Applied::default();
    let store = &ctx.store;
    let commit = snapshot.commit.as_str();
    if desired.policy_outcome.is_new() {
        if let (Some(bytes), Some(d)) = (snapshot.get(POLICY_PATH), &desired.policy_digest) {
            store.accept_policy(&AcceptedPolicy {
                bytes: bytes.to_vec(),
                digest: d.clone(),
                commit: commit.to_string(),
                accepted_at: ctx.clock.now(),
            })?;
            tracing::info!(signer = ?desired.policy_signer, %commit, "access policy accepted");
        }
    }
    if desired.settings_outcome.is_new() {
        if let (Some(bytes), Some(d), Some(s)) = (
            snapshot.get(SETTINGS_PATH),
            &desired.settings_digest,
            &desired.settings,
        ) {
            store.accept_document(&AcceptedDocument {
                key: SETTINGS_KEY.into(),
                path: SETTINGS_PATH.into(),
                bytes: bytes.to_vec(),
                digest: d.clone(),
                serial: s.serial,
                commit: commit.to_string(),
                accepted_at: ctx.clock.now(),
            })?;
            tracing::info!(signer = ?desired.settings_signer, serial = s.serial, %commit, "settings accepted");
        }
    }
    let primary = desired
        .settings
        .as_ref()
        .map(|s| s.primary_account_id.clone())
        .unwrap_or_default();
    for (dev, m) in desired.mappings.iter().filter(|(dev, _)| {
        scope.is_all() || desired.mapping_outcomes.get(*dev) == Some(&PolicyOutcome::Accepted)
    }) {
        let ms: Vec<ComponentMapping> = m
            .doc
            .mappings
            .iter()
            .map(|c| ComponentMapping {
                dev_account_id: dev.clone(),
                dev_component_id: c.dev_component_id.clone(),
                prod_component_id: c.prod_component_id.clone(),
                component_name: c.name.clone(),
                component_type: "connection".into(),
                prod_account_id: primary.clone(),
                prod_latest_version: None,
                last_promoted_at: None,
                last_promoted_by: Some(m.signer.to_lowercase()),
                last_promotion_id: None,
                source: MappingSource::Admin,
            })
            .collect();
        let accepted =
            (desired.mapping_outcomes.get(dev) == Some(&PolicyOutcome::Accepted)).then(|| {
                AcceptedDocument {
                    key: mappings_key(dev),
                    path: m.path.clone(),
                    bytes: snapshot.get(&m.path).unwrap_or_default().to_vec(),
                    digest: m.digest.clone(),
                    serial: m.doc.serial,
                    commit: commit.to_string(),
                    accepted_at: ctx.clock.now(),
                }
            });
        store.write(|tx| {
            if let Some(a) = &accepted {
                tx.accept_document(a)?;
            }
            tx.replace_admin_mappings(dev, &ms)
        })?;
    }
    // Requests that build on a TEST promotion come after every other, so a TEST request and
    // its production request committed together are accepted in that order whatever their ids.
    let mut in_scope: Vec<(&String, &PromotionDocs)> = desired
        .promotions
        .iter()
        .filter(|(id, _)| scope.contains(id))
        .collect();
    in_scope.sort_by_key(|(_, d)| d.request.doc.from_test.is_some());
    for (id, docs) in in_scope {
        match store.get(id)? {
            None => {
                if store.is_accepted(id)? {
                    tracing::warn!(promotion = %id, "{}: the id was used before", ErrorCode::PromotionIdReused);
                    continue;
                }
                let Some(rec) = new_record(ctx, docs, &primary, commit)? else {
                    out.deferred.insert(id.clone());
                    continue;
                };
                {
                    out.created.push(
                        store.insert_promotion(
                            &rec,
                            &cause("request accepted")
                                .document(docs.request.path.clone())
                                .commit(commit)
                                .at(ctx.clock.now()),
                        )?,
                    );
                }
            }
            Some(rec) => {
                if rec.request_digest.as_deref() != Some(docs.request.digest.as_str())
                    && !rec.status.is_terminal()
                {
                    store.update(id, |r| {
                        r.waiting_reason = Some(
                            "request.yaml changed after it was accepted; the change is ignored (withdraw or cancel, then open a new promotion)".into(),
                        );
                    })?;
                }
            }
        }
    }
    Ok(out)
}

/// The record of a newly accepted promotion, or `None` when it must wait (a production
/// request whose TEST promotion is still on its way).
fn new_record(
    ctx: &Context,
    docs: &PromotionDocs,
    primary: &str,
    commit: &str,
) -> Result<Option<PromotionRecord>, StepError> {
    let r = &docs.request.doc;
    let now = ctx.clock.now();
    let mut status = PromotionStatus::Queued;
    let mut error = None;
    let mut tested = None;
    if let Some(test_id) = &r.from_test {
        match ctx.store.get(test_id)? {
            Some(t) if t.status == PromotionStatus::TestDeployed => {
                let successor = ctx.store.production_successor(test_id)?;
                if t.dev_account_id != r.dev_account_id || t.process_name != r.process_name {
                    error = Some(format!(
                        "TEST promotion {test_id} is for dev account {} and process {:?}",
                        t.dev_account_id, t.process_name
                    ));
                } else if let Some(s) = successor {
                    error = Some(format!(
                        "TEST promotion {test_id} already has a production successor: {}",
                        s.promotion_id
                    ));
                } else {
                    status = PromotionStatus::PendingPeerReview;
                    tested = Some(t);
                }
            }
            Some(t) if !t.status.is_terminal() => return Ok(None),
            Some(t) => {
                error = Some(format!(
                    "TEST promotion {test_id} is {}, not TEST_DEPLOYED",
                    t.status
                ));
            }
            None => error = Some(format!("no TEST promotion {test_id} is known")),
        }
        if error.is_some() {
            status = PromotionStatus::Failed;
        }
    }
    let mut rec = PromotionRecord::new(
        r.id.clone(),
        r.dev_account_id.clone(),
        &r.initiated_by,
        r.process_name.clone(),
        r.target,
        status,
        now,
    );
    rec.prod_account_id = primary.to_string();
    rec.dev_package_id = r.dev_package_id.clone();
    rec.package_version = Some(r.package_version.clone());
    rec.deployment_notes = r.notes.clone();
    rec.is_hotfix = r.is_hotfix();
    rec.hotfix_justification = r.hotfix.as_ref().map(|h| h.justification.clone());
    rec.request_digest = Some(docs.request.digest.clone());
    rec.document_commits.request = Some(commit.to_string());
    if r.target == Target::Production {
        if let Some(t) = &r.from_test {
            rec.test_promotion_id = Some(t.clone());
            rec.promoted_from_test_by = Some(r.initiated_by.to_lowercase());
        }
    }
    if status == PromotionStatus::PendingPeerReview {
        rec.peer_review_status = Some(crate::model::PeerReviewStatus::PendingPeerReview);
    }
    if let Some(t) = tested {
        // Production from test ships what was tested: the same components, at the versions
        // the test merged (shown by `show`, the dashboard and the e-mails).
        rec.result_detail = t.result_detail;
        rec.tested_versions = t.tested_versions;
        rec.components_total = t.components_total;
        rec.components_created = t.components_created;
        rec.components_updated = t.components_updated;
        rec.components_failed = t.components_failed;
    }
    if let Some(msg) = error {
        rec.error_code = Some(ErrorCode::TestPromotionNotFound);
        rec.error_message = Some(msg);
    }
    Ok(Some(rec))
}

/// A record whose request is not in the verified desired state: it vanished from git
/// (`DESIRED_STATE_MISSING`) or is no longer valid. Reported; nothing destructive is done.
pub fn note_missing(ctx: &Context, rec: &PromotionRecord) -> Result<(), StepError> {
    let reason = format!(
        "{}: promotions/{}/request.yaml is missing from git or no longer valid; nothing is done until it is restored or a signed withdrawal arrives",
        ErrorCode::DesiredStateMissing,
        rec.promotion_id
    );
    if rec.waiting_reason.as_deref() != Some(reason.as_str()) {
        ctx.store.update(&rec.promotion_id, |r| {
            r.waiting_reason = Some(reason.clone());
            r.error_code = Some(ErrorCode::DesiredStateMissing);
        })?;
    }
    Ok(())
}

/// `sha256:` of a snapshot file (for documents the store keeps digests of).
pub fn file_digest(snapshot: &Snapshot, path: &str) -> Option<String> {
    snapshot.get(path).map(digest)
}
