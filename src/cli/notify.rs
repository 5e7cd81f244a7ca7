//! `promoter notify-test`: send sample notifications through the SMTP relay and the webhook
//! that `promoter.yaml` configures, and report each delivery, so an operator can check the
//! settings (host, TLS mode, password, webhook secret) before the daemon relies on them.

use super::{print_json, Output};
use crate::model::{
    parse_document, Document, ErrorCode, Notifications, Problem, PromotionStatus, Target,
};
use crate::notify_out::{Event, EventKind, Lists, SecretFence, SmtpNotifier, WebhookNotifier};
use crate::store::record::{DeploymentResult, DeploymentStatus, PromotionRecord};
use crate::store::{ProblemSource, StoredProblem};
use anyhow::{anyhow, Context, Result};
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

/// Send sample notifications to check the `notifications` settings.
#[derive(Debug, Args)]
pub struct NotifyTestArgs {
    /// The settings file
    #[arg(long, default_value = "promoter.yaml")]
    pub settings: PathBuf,
    /// Which event to send (repeatable); `all` sends one of each (the seven promotion events
    /// and document-refused)
    #[arg(long = "event", value_enum, default_values_t = [EventChoice::TestDeployed])]
    pub events: Vec<EventChoice>,
    /// The sample's submitter (receives most e-mails); default: the SMTP sender address
    #[arg(long)]
    pub submitter: Option<String>,
    /// The sample's peer reviewer; default: the submitter
    #[arg(long)]
    pub reviewer: Option<String>,
    /// Directory of the secret files the settings name (as the daemon's `--secrets-dir`)
    #[arg(long, env = "PROMOTER_SECRETS_DIR")]
    pub secrets_dir: Option<PathBuf>,
    /// Output format
    #[arg(short, long, value_enum, default_value_t = Output::Human)]
    pub output: Output,
}

/// An event to send, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventChoice {
    All,
    PeerReviewNeeded,
    HotfixSubmitted,
    PeerApproved,
    PeerRejected,
    AdminApprovedDeployed,
    AdminDenied,
    TestDeployed,
    DocumentRefused,
}

impl EventChoice {
    fn kinds(self) -> &'static [EventKind] {
        match self {
            EventChoice::All => EventKind::ALL,
            EventChoice::PeerReviewNeeded => &[EventKind::PeerReviewNeeded],
            EventChoice::HotfixSubmitted => &[EventKind::HotfixSubmitted],
            EventChoice::PeerApproved => &[EventKind::PeerApproved],
            EventChoice::PeerRejected => &[EventKind::PeerRejected],
            EventChoice::AdminApprovedDeployed => &[EventKind::AdminApprovedDeployed],
            EventChoice::AdminDenied => &[EventKind::AdminDenied],
            EventChoice::TestDeployed => &[EventKind::TestDeployed],
            EventChoice::DocumentRefused => &[EventKind::DocumentRefused],
        }
    }
}

/// The outcome of one delivery.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Delivery {
    target: &'static str,
    event: EventKind,
    /// E-mail recipients (SMTP only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    recipients: Vec<String>,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub fn notify_test(a: NotifyTestArgs) -> Result<ExitCode> {
    let bytes =
        std::fs::read(&a.settings).with_context(|| format!("reading {}", a.settings.display()))?;
    let name = a.settings.display().to_string();
    let settings = match parse_document(&name, &bytes) {
        Ok(Document::Settings(s)) => s,
        Ok(_) => return Err(anyhow!("{name} is not a Settings document")),
        Err(problems) => {
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(anyhow!("{name} is not valid:\n{}", list.join("\n")));
        }
    };
    let Some(n) = settings.notifications else {
        return Err(anyhow!("{name} has no `notifications` section"));
    };
    if n.smtp.is_none() && n.webhook.is_none() {
        return Err(anyhow!(
            "{name}: `notifications` configures neither `smtp` nor `webhook`"
        ));
    }
    let submitter = a
        .submitter
        .clone()
        .or_else(|| n.smtp.as_ref().map(|s| sender_address(&s.from)))
        .unwrap_or_else(|| "submitter@example.invalid".into());
    let reviewer = a.reviewer.clone().unwrap_or_else(|| submitter.clone());
    let mut kinds: Vec<EventKind> = Vec::new();
    for c in &a.events {
        for k in c.kinds() {
            if !kinds.contains(k) {
                kinds.push(*k);
            }
        }
    }
    let events: Vec<Event> = kinds
        .iter()
        .map(|k| sample(*k, &submitter, &reviewer))
        .collect();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let fence = SecretFence {
        dir: a.secrets_dir.clone(),
        deny: Vec::new(),
    };
    let deliveries = rt.block_on(deliver(&n, &fence, &events));

    let failed = deliveries.iter().filter(|d| !d.ok).count();
    match a.output {
        Output::Json => print_json(&deliveries),
        Output::Human => {
            for d in &deliveries {
                let to = if d.recipients.is_empty() {
                    String::new()
                } else {
                    format!("  to {}", d.recipients.join(", "))
                };
                match &d.error {
                    None => println!("{:<8} {:<24} ok{to}", d.target, d.event.as_str()),
                    Some(e) => println!("{:<8} {:<24} FAILED: {e}", d.target, d.event.as_str()),
                }
            }
            println!(
                "{} of {} deliveries succeeded",
                deliveries.len() - failed,
                deliveries.len()
            );
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn deliver(n: &Notifications, fence: &SecretFence, events: &[Event]) -> Vec<Delivery> {
    let mut out = Vec::new();
    let smtp = SmtpNotifier::from_settings(n).map(|s| s.with_secrets(fence.clone()));
    let webhook = n
        .webhook
        .as_ref()
        .map(|w| WebhookNotifier::new(w).with_secrets(fence.clone()));
    for e in events {
        if let Some(s) = &smtp {
            let r = s.try_send(e).await;
            out.push(Delivery {
                target: "smtp",
                event: e.kind(),
                recipients: e
                    .recipients(Lists::of(n))
                    .all()
                    .map(str::to_owned)
                    .collect(),
                ok: r.is_ok(),
                error: r.err().map(|e| e.to_string()),
            });
        }
        if let Some(w) = &webhook {
            let r = w.try_send(e).await;
            out.push(Delivery {
                target: "webhook",
                event: e.kind(),
                recipients: Vec::new(),
                ok: r.is_ok(),
                error: r.err().map(|e| e.to_string()),
            });
        }
    }
    out
}

/// `promoter@example.com` from `Promoter <promoter@example.com>`.
fn sender_address(from: &str) -> String {
    match (from.rfind('<'), from.rfind('>')) {
        (Some(i), Some(j)) if i < j => from[i + 1..j].trim().to_owned(),
        _ => from.trim().to_owned(),
    }
}

/// A sample event of `kind`, clearly marked as a test.
fn sample(kind: EventKind, submitter: &str, reviewer: &str) -> Event {
    let now = chrono::Utc::now();
    let (target, status) = match kind {
        EventKind::TestDeployed => (Target::Test, PromotionStatus::TestDeployed),
        EventKind::PeerReviewNeeded | EventKind::HotfixSubmitted => {
            (Target::Production, PromotionStatus::PendingPeerReview)
        }
        EventKind::PeerApproved => (Target::Production, PromotionStatus::PendingAdminReview),
        EventKind::PeerRejected => (Target::Production, PromotionStatus::PeerRejected),
        EventKind::AdminApprovedDeployed => (Target::Production, PromotionStatus::Deployed),
        EventKind::AdminDenied => (Target::Production, PromotionStatus::AdminRejected),
        EventKind::DocumentRefused => return refused_sample(submitter, now),
    };
    let mut r = PromotionRecord::new(
        "notification-test",
        "dev-account-sample",
        submitter,
        "Notification test (sample, nothing was promoted)",
        target,
        status,
        now,
    );
    r.package_version = Some("0.0.0".into());
    r.deployment_notes =
        Some("Sent by `promoter notify-test` to check the notification settings.".into());
    r.peer_reviewed_by = Some(reviewer.to_owned());
    match kind {
        EventKind::HotfixSubmitted | EventKind::PeerApproved => {
            r.is_hotfix = kind == EventKind::HotfixSubmitted;
            r.hotfix_justification = r
                .is_hotfix
                .then(|| "Sample justification of an emergency hotfix.".to_owned());
        }
        EventKind::PeerReviewNeeded => {
            r.test_promotion_id = Some("notification-test-sample".into());
            r.test_integration_pack_name = Some("Sample - TEST".into());
        }
        EventKind::TestDeployed => {
            r.integration_pack_name = Some("Sample - TEST".into());
            r.test_deployed_at = Some(now);
        }
        EventKind::AdminApprovedDeployed => {
            r.prod_package_id = Some("sample-package".into());
            r.deployed_at = Some(now);
            r.deployments.push(DeploymentResult {
                environment_id: "sample-environment".into(),
                deployment_id: Some("sample-deployment".into()),
                status: DeploymentStatus::Deployed,
                error: None,
            });
        }
        EventKind::PeerRejected | EventKind::AdminDenied | EventKind::DocumentRefused => {}
    }
    let event = match kind {
        EventKind::PeerReviewNeeded => Some(Event::peer_review_needed(&r)),
        EventKind::HotfixSubmitted => Some(Event::hotfix_submitted(&r)),
        EventKind::PeerApproved => Some(Event::peer_approved(&r, reviewer, None)),
        EventKind::PeerRejected => Some(Event::peer_rejected(
            &r,
            reviewer,
            Some("Sample rejection reason."),
        )),
        EventKind::AdminApprovedDeployed => Some(Event::admin_approved_deployed(
            &r,
            "admin@example.invalid",
            Some("Sample admin comment."),
        )),
        EventKind::AdminDenied => Some(Event::admin_denied(
            &r,
            "admin@example.invalid",
            Some("Sample denial reason."),
        )),
        EventKind::TestDeployed => Event::test_deployed(&r),
        EventKind::DocumentRefused => None,
    };
    event.expect("the sample record has the event's status")
}

/// A sample refused document, signed by `submitter` (who receives it).
fn refused_sample(submitter: &str, now: chrono::DateTime<chrono::Utc>) -> Event {
    let problem = Problem::new(
        "promotions/notification-test/request.yaml",
        ErrorCode::SignatureInvalid,
        "Sample refusal sent by `promoter notify-test`: no document was refused.",
    )
    .at(Some(1), Some(1))
    .by(
        None,
        Some(match submitter.trim() {
            "" => "submitter@example.invalid",
            s => s,
        }),
    );
    Event::document_refused(&StoredProblem {
        id: 0,
        promotion_id: Some("notification-test".into()),
        problem,
        source: ProblemSource::Document,
        commit: "0000000000000000000000000000000000000000".into(),
        first_seen: now,
        cleared_at: None,
        cleared_commit: None,
    })
    .expect("the sample names its signer")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_cover_every_kind() {
        for k in EventKind::ALL {
            let e = sample(*k, "me@example.com", "you@example.com");
            assert_eq!(e.kind(), *k);
            assert!(e.text_body().contains("notification-test"));
        }
    }

    #[test]
    fn sender_address_strips_the_display_name() {
        assert_eq!(sender_address("Promoter <p@example.com>"), "p@example.com");
        assert_eq!(sender_address(" p@example.com "), "p@example.com");
    }
}
