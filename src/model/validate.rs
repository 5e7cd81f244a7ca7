//! Field rules that serde cannot express: id pattern, e-mail shape, lengths, exclusive fields,
//! required comments. Each rule yields an [`Issue`] with a catalogue code and the key it
//! concerns, so the parser can point at the line.

use super::docs::*;
use super::ErrorCode;

/// A broken field rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub code: ErrorCode,
    /// The YAML key the rule concerns (used to find the line).
    pub key: Option<&'static str>,
    pub message: String,
}

fn issue(code: ErrorCode, key: &'static str, message: impl Into<String>) -> Issue {
    Issue {
        code,
        key: Some(key),
        message: message.into(),
    }
}

/// Limits from `seed-behaviors.md` §7.
pub const MAX_COMMENTS: usize = 500;
pub const MAX_JUSTIFICATION: usize = 1000;
pub const MAX_PACKAGE_VERSION: usize = 20;
pub const MAX_PACK_NAME: usize = 100;
pub const MAX_PACK_DESCRIPTION: usize = 250;
pub const MAX_GUID: usize = 40;
pub const MAX_COMPONENT_NAME: usize = 200;
/// Suffix of TEST integration packs.
pub const TEST_PACK_SUFFIX: &str = " - TEST";

/// `[a-z0-9][a-z0-9-]{2,63}`.
pub fn is_valid_promotion_id(id: &str) -> bool {
    let b = id.as_bytes();
    (3..=64).contains(&b.len())
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// A pragmatic e-mail shape check: `local@domain.tld`, no spaces, ≤ 254 characters.
pub fn is_valid_email(s: &str) -> bool {
    if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
}

/// The prefix every secret environment variable must have.
pub const SECRET_ENV_PREFIX: &str = "PROMOTER_SECRET_";

/// Why a secret reference is outside the fence, decided from the reference alone: an
/// environment variable not named `PROMOTER_SECRET_*` (the Boomi token must never be reachable),
/// or a file that is not a plain path relative to the operator's `--secrets-dir`. `None` when it
/// may be resolved.
pub fn secret_reference_problem(r: &SecretRef) -> Option<String> {
    if let Some(var) = r.env.as_deref() {
        if !var.starts_with(SECRET_ENV_PREFIX) || var.len() == SECRET_ENV_PREFIX.len() {
            return Some(format!(
                "environment variable {var:?}: only variables named {SECRET_ENV_PREFIX}* may hold a secret"
            ));
        }
    }
    if let Some(file) = r.file.as_deref() {
        let p = std::path::Path::new(file);
        if p.is_absolute()
            || p.components().any(|c| {
                !matches!(
                    c,
                    std::path::Component::Normal(_) | std::path::Component::CurDir
                )
            })
        {
            return Some(format!(
                "file {file:?}: a secret file is a path relative to the operator's --secrets-dir, without `..`"
            ));
        }
    }
    None
}

/// Whether `host` is a loopback address (`127.0.0.0/8`, `::1`, `localhost`).
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The UTS #39 skeleton of an e-mail, case folded: two e-mails with the same skeleton look
/// alike (`caroI` and `carol`, a Cyrillic `а` and a Latin `a`). E-mails compare without case,
/// so the skeleton is taken, lower-cased, and taken again.
pub fn email_skeleton(email: &str) -> String {
    use unicode_security::confusable_detection::skeleton;
    let first: String = skeleton(email.trim()).collect();
    skeleton(&first.to_lowercase()).collect()
}

/// Identities that someone could pass off as another: a non-ASCII e-mail without
/// `allowUnicodeEmail: true`, two people whose e-mails look alike (UTS #39 skeletons: a Cyrillic
/// `а` for a Latin `a`), and one key listed for two people (its holder could act as both — a
/// review of their own work under the second identity).
pub fn identity_issues(p: &AccessPolicy) -> Vec<Issue> {
    let mut out = Vec::new();
    let mut skeletons: std::collections::HashMap<String, &str> = Default::default();
    let mut keys: std::collections::HashMap<String, &str> = Default::default();
    for person in &p.people {
        if !person.email.is_ascii() && !person.allow_unicode_email {
            out.push(issue(
                ErrorCode::ConfusableIdentity,
                "email",
                format!(
                    "{:?} is not plain ASCII: such an address can look like someone else's; set `allowUnicodeEmail: true` on this person if it is real",
                    person.email
                ),
            ));
        }
        let sk = email_skeleton(&person.email);
        match skeletons.get(&sk) {
            Some(other) if other.to_lowercase() != person.email.to_lowercase() => {
                out.push(issue(
                    ErrorCode::ConfusableIdentity,
                    "email",
                    format!(
                        "{:?} and {:?} look alike (same Unicode skeleton): one could pass for the other",
                        other, person.email
                    ),
                ))
            }
            _ => {
                skeletons.insert(sk, &person.email);
            }
        }
        for k in &person.keys {
            let Ok(key) = ssh_key::PublicKey::from_openssh(k.trim()) else {
                continue;
            };
            let raw = key.fingerprint(ssh_key::HashAlg::Sha256).to_string();
            match keys.get(&raw) {
                Some(other) if other.to_lowercase() != person.email.to_lowercase() => {
                    out.push(issue(
                        ErrorCode::ConfusableIdentity,
                        "keys",
                        format!(
                            "the same key is listed for {other} and {}: its holder could act as both (and review their own work)",
                            person.email
                        ),
                    ))
                }
                _ => {
                    keys.insert(raw, &person.email);
                }
            }
        }
    }
    out
}

/// Compare two package versions: dot-separated parts, numbers as numbers (`1.10.0` after
/// `1.9.0`), other parts as text.
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let part = |p: &str| -> (u64, String) {
        match p.parse::<u64>() {
            Ok(n) => (n, String::new()),
            Err(_) => (u64::MAX, p.to_string()),
        }
    };
    let (mut x, mut y) = (a.trim().split('.'), b.trim().split('.'));
    loop {
        match (x.next(), y.next()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(p), Some(q)) => match part(p).cmp(&part(q)) {
                std::cmp::Ordering::Equal => {}
                other => return other,
            },
        }
    }
}

/// `sha256:` followed by 64 lower-case hex digits.
pub fn is_valid_digest(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    })
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn email(out: &mut Vec<Issue>, key: &'static str, value: &str) {
    if !is_valid_email(value) {
        out.push(issue(
            ErrorCode::InvalidDocument,
            key,
            format!("`{key}` is not a well-formed e-mail address: {value:?}"),
        ));
    }
}

fn max_len(out: &mut Vec<Issue>, key: &'static str, value: Option<&str>, max: usize) {
    if let Some(v) = value {
        let n = chars(v);
        if n > max {
            out.push(issue(
                ErrorCode::InvalidDocument,
                key,
                format!("`{key}` has {n} characters; at most {max} are allowed"),
            ));
        }
    }
}

fn digest(out: &mut Vec<Issue>, key: &'static str, value: &str) {
    if !is_valid_digest(value) {
        out.push(issue(
            ErrorCode::InvalidDocument,
            key,
            format!("`{key}` must be `sha256:` followed by 64 lower-case hex digits"),
        ));
    }
}

fn promotion_ref(out: &mut Vec<Issue>, value: &str) {
    if !is_valid_promotion_id(value) {
        out.push(issue(
            ErrorCode::InvalidDocument,
            "promotion",
            format!(
                "`promotion` {value:?} is not a valid promotion id ([a-z0-9][a-z0-9-]{{2,63}})"
            ),
        ));
    }
}

/// Rules of a pack choice; `test_pack` tells whether it is for a TEST deploy.
fn pack_choice(out: &mut Vec<Issue>, p: &PackChoice, test_pack: Option<bool>) {
    match (&p.id, &p.new_name) {
        (Some(_), Some(_)) | (None, None) => out.push(issue(
            ErrorCode::InvalidDocument,
            "integrationPack",
            "`integrationPack` needs exactly one of `id` (an existing pack) or `newName`",
        )),
        (Some(id), None) => {
            if id.trim().is_empty() {
                out.push(issue(
                    ErrorCode::InvalidDocument,
                    "integrationPack",
                    "`integrationPack.id` is empty",
                ));
            }
            if p.description.is_some() {
                out.push(issue(
                    ErrorCode::InvalidDocument,
                    "description",
                    "`description` only goes with `newName`",
                ));
            }
        }
        (None, Some(name)) => {
            if name.trim().is_empty() {
                out.push(issue(
                    ErrorCode::InvalidDocument,
                    "newName",
                    "`integrationPack.newName` is empty",
                ));
            }
            max_len(out, "newName", Some(name), MAX_PACK_NAME);
            max_len(
                out,
                "description",
                p.description.as_deref(),
                MAX_PACK_DESCRIPTION,
            );
            match test_pack {
                Some(true) if !name.ends_with(TEST_PACK_SUFFIX) => out.push(issue(
                    ErrorCode::InvalidDocument,
                    "newName",
                    format!("a TEST integration pack's name must end with {TEST_PACK_SUFFIX:?}"),
                )),
                Some(false) if name.ends_with(TEST_PACK_SUFFIX) => out.push(issue(
                    ErrorCode::InvalidDocument,
                    "newName",
                    format!("a production integration pack's name must not end with {TEST_PACK_SUFFIX:?}"),
                )),
                _ => {}
            }
        }
    }
}

fn kind_matches(out: &mut Vec<Issue>, kind: Kind, expected: Kind) {
    if kind != expected {
        out.push(issue(
            ErrorCode::InvalidDocument,
            "kind",
            format!("`kind` is {kind} but this type expects {expected}"),
        ));
    }
}

/// Check the field rules of a document.
pub fn validate(doc: &Document) -> Vec<Issue> {
    let mut out = Vec::new();
    let o = &mut out;
    match doc {
        Document::Settings(s) => {
            kind_matches(o, s.kind, Kind::Settings);
            if s.primary_account_id.trim().is_empty() {
                o.push(issue(
                    ErrorCode::InvalidDocument,
                    "primaryAccountId",
                    "`primaryAccountId` is empty",
                ));
            }
            if !(1..=20).contains(&s.branch_soft_limit) {
                o.push(issue(
                    ErrorCode::InvalidDocument,
                    "branchSoftLimit",
                    "`branchSoftLimit` must be between 1 and 20 (Boomi's hard limit)",
                ));
            }
            if !(1..=10).contains(&s.api_rate_limit) {
                o.push(issue(
                    ErrorCode::InvalidDocument,
                    "apiRateLimit",
                    "`apiRateLimit` must be between 1 and 10 requests per second",
                ));
            }
            let mut seen = std::collections::HashSet::new();
            for e in &s.environments {
                if !seen.insert(e.id.as_str()) {
                    o.push(issue(
                        ErrorCode::InvalidDocument,
                        "environments",
                        format!("environment id {:?} is listed twice", e.id),
                    ));
                }
            }
            for w in &s.deploy_windows {
                if let Err(e) = w.cron.parse::<croner::Cron>() {
                    o.push(issue(
                        ErrorCode::InvalidDocument,
                        "cron",
                        format!("deploy window cron {:?} does not parse: {e}", w.cron),
                    ));
                }
                if let Some(tz) = &w.timezone {
                    if tz.parse::<chrono_tz::Tz>().is_err() {
                        o.push(issue(
                            ErrorCode::InvalidDocument,
                            "timezone",
                            format!(
                                "unknown time zone {tz:?} (use an IANA name such as Europe/Berlin)"
                            ),
                        ));
                    }
                }
                if w.duration_minutes == 0 {
                    o.push(issue(
                        ErrorCode::InvalidDocument,
                        "durationMinutes",
                        "`durationMinutes` must be positive",
                    ));
                }
            }
            if let Some(sweep) = &s.orphan_sweep {
                if let Err(e) = sweep.parse::<croner::Cron>() {
                    o.push(issue(
                        ErrorCode::InvalidDocument,
                        "orphanSweep",
                        format!("`orphanSweep` cron {sweep:?} does not parse: {e}"),
                    ));
                }
            }
            if let Some(n) = &s.notifications {
                for (key, list) in [
                    ("developersList", &n.developers_list),
                    ("adminsList", &n.admins_list),
                ] {
                    if let Some(l) = list {
                        for addr in l.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                            email(o, key, addr);
                        }
                    }
                }
                if let Some(smtp) = &n.smtp {
                    email(o, "from", &smtp.from);
                    if smtp
                        .tls
                        .as_deref()
                        .is_some_and(|t| t.trim().eq_ignore_ascii_case("none"))
                        && !smtp.allow_insecure
                        && !is_loopback_host(&smtp.host)
                    {
                        o.push(issue(
                            ErrorCode::SecretReferenceRefused,
                            "tls",
                            format!(
                                "`tls: none` sends the password and the mail in clear text: only to a loopback relay, not to {:?} (or set `allowInsecure: true`)",
                                smtp.host
                            ),
                        ));
                    }
                    if let Some(why) = smtp
                        .password_from
                        .as_ref()
                        .and_then(secret_reference_problem)
                    {
                        o.push(issue(
                            ErrorCode::SecretReferenceRefused,
                            "passwordFrom",
                            format!("smtp.passwordFrom: {why}"),
                        ));
                    }
                    if let Some(tls) = &smtp.tls {
                        if !matches!(tls.as_str(), "none" | "starttls" | "tls") {
                            o.push(issue(
                                ErrorCode::InvalidDocument,
                                "tls",
                                "`tls` must be none, starttls or tls",
                            ));
                        }
                    }
                }
                if let Some(w) = &n.webhook {
                    if let Some(why) = w.secret_from.as_ref().and_then(secret_reference_problem) {
                        o.push(issue(
                            ErrorCode::SecretReferenceRefused,
                            "secretFrom",
                            format!("webhook.secretFrom: {why}"),
                        ));
                    }
                    if url::Url::parse(&w.url).is_err() {
                        o.push(issue(
                            ErrorCode::InvalidDocument,
                            "url",
                            format!("webhook url {:?} is not a URL", w.url),
                        ));
                    }
                }
            }
        }
        Document::AccessPolicy(p) => {
            kind_matches(o, p.kind, Kind::AccessPolicy);
            let mut seen = std::collections::HashSet::new();
            let teams: std::collections::HashSet<&str> =
                p.teams.iter().map(|t| t.name.as_str()).collect();
            for person in &p.people {
                email(o, "email", &person.email);
                if !seen.insert(person.email.to_lowercase()) {
                    o.push(issue(
                        ErrorCode::InvalidDocument,
                        "email",
                        format!(
                            "{} is listed twice (e-mails compare case-insensitively)",
                            person.email
                        ),
                    ));
                }
                for t in &person.teams {
                    if !teams.contains(t.as_str()) {
                        o.push(issue(
                            ErrorCode::InvalidDocument,
                            "teams",
                            format!(
                                "{} is in team {t:?}, which the policy does not define",
                                person.email
                            ),
                        ));
                    }
                }
                for k in &person.keys {
                    if let Err(e) = ssh_key::PublicKey::from_openssh(k.trim()) {
                        o.push(issue(
                            ErrorCode::InvalidDocument,
                            "keys",
                            format!(
                                "a key of {} is not an OpenSSH public key: {e}",
                                person.email
                            ),
                        ));
                    }
                }
            }
            o.extend(identity_issues(p));
        }
        Document::ConnectionMappings(m) => {
            kind_matches(o, m.kind, Kind::ConnectionMappings);
            let mut seen = std::collections::HashSet::new();
            for c in &m.mappings {
                for (key, v) in [
                    ("devComponentId", &c.dev_component_id),
                    ("prodComponentId", &c.prod_component_id),
                ] {
                    if v.trim().is_empty() || chars(v) > MAX_GUID {
                        o.push(issue(
                            ErrorCode::InvalidDocument,
                            key,
                            format!("`{key}` must be a component id of 1 to {MAX_GUID} characters"),
                        ));
                    }
                }
                max_len(o, "name", Some(&c.name), MAX_COMPONENT_NAME);
                if !seen.insert(c.dev_component_id.as_str()) {
                    o.push(issue(
                        ErrorCode::InvalidDocument,
                        "devComponentId",
                        format!("dev component {} is mapped twice", c.dev_component_id),
                    ));
                }
            }
        }
        Document::PromotionRequest(r) => {
            kind_matches(o, r.kind, Kind::PromotionRequest);
            if !is_valid_promotion_id(&r.id) {
                o.push(issue(
                    ErrorCode::InvalidDocument,
                    "id",
                    format!("`id` {:?} does not match [a-z0-9][a-z0-9-]{{2,63}}", r.id),
                ));
            }
            email(o, "initiatedBy", &r.initiated_by);
            if r.dev_account_id.trim().is_empty() {
                o.push(issue(
                    ErrorCode::InvalidDocument,
                    "devAccountId",
                    "`devAccountId` is empty",
                ));
            }
            if r.process_name.trim().is_empty() {
                o.push(issue(
                    ErrorCode::InvalidDocument,
                    "processName",
                    "`processName` is empty",
                ));
            }
            let pinned = r.components.as_ref().is_some_and(|c| !c.is_empty());
            if r.root_component_id.is_none()
                && r.dev_package_id.is_none()
                && !pinned
                && r.from_test.is_none()
            {
                o.push(issue(
                    ErrorCode::InvalidDocument,
                    "rootComponentId",
                    "give `rootComponentId`, `devPackageId` or `components`",
                ));
            }
            if r.package_version.trim().is_empty() {
                o.push(issue(
                    ErrorCode::InvalidDocument,
                    "packageVersion",
                    "`packageVersion` is empty",
                ));
            }
            max_len(
                o,
                "packageVersion",
                Some(&r.package_version),
                MAX_PACKAGE_VERSION,
            );
            max_len(o, "notes", r.notes.as_deref(), MAX_COMMENTS);
            match (r.target, &r.from_test, &r.hotfix) {
                (Target::Test, Some(_), _) => o.push(issue(
                    ErrorCode::InvalidDeploymentTarget,
                    "fromTest",
                    "`fromTest` only goes with `target: PRODUCTION`",
                )),
                (Target::Test, None, Some(_)) => o.push(issue(
                    ErrorCode::InvalidDeploymentTarget,
                    "hotfix",
                    "`hotfix` only goes with `target: PRODUCTION`",
                )),
                (Target::Production, Some(_), Some(_)) => o.push(issue(
                    ErrorCode::InvalidDeploymentTarget,
                    "hotfix",
                    "`fromTest` and `hotfix` are exclusive: promote a tested change, or declare a hotfix",
                )),
                (Target::Production, None, None) => o.push(issue(
                    ErrorCode::InvalidDeploymentTarget,
                    "target",
                    "a PRODUCTION request needs `fromTest` (a TEST_DEPLOYED promotion) or `hotfix`",
                )),
                (Target::Production, Some(t), None) => {
                    if !is_valid_promotion_id(t) {
                        o.push(issue(ErrorCode::InvalidDocument, "fromTest", format!("`fromTest` {t:?} is not a promotion id")));
                    } else if *t == r.id {
                        o.push(issue(ErrorCode::InvalidDocument, "fromTest", "`fromTest` names this promotion itself"));
                    }
                }
                (Target::Test, None, None) | (Target::Production, None, Some(_)) => {}
            }
            if let Some(h) = &r.hotfix {
                if h.justification.trim().is_empty() {
                    o.push(issue(
                        ErrorCode::HotfixJustificationRequired,
                        "justification",
                        "a hotfix needs `hotfix.justification`",
                    ));
                }
                max_len(
                    o,
                    "justification",
                    Some(&h.justification),
                    MAX_JUSTIFICATION,
                );
            }
            if let Some(p) = &r.integration_pack {
                pack_choice(o, p, Some(r.target == Target::Test));
            }
            if let Some(envs) = &r.environments {
                if envs.is_empty() {
                    o.push(issue(
                        ErrorCode::InvalidDocument,
                        "environments",
                        "`environments` is empty; leave it out for all",
                    ));
                }
            }
        }
        Document::PeerReview(r) => {
            kind_matches(o, r.kind, Kind::PeerReview);
            promotion_ref(o, &r.promotion);
            digest(o, "requestDigest", &r.request_digest);
            email(o, "reviewer", &r.reviewer);
            max_len(o, "comments", r.comments.as_deref(), MAX_COMMENTS);
            if r.decision == PeerDecision::Rejected && blank(&r.comments) {
                o.push(issue(
                    ErrorCode::InvalidDocument,
                    "comments",
                    "a REJECTED peer review needs `comments` (the reason)",
                ));
            }
        }
        Document::AdminReview(r) => {
            kind_matches(o, r.kind, Kind::AdminReview);
            promotion_ref(o, &r.promotion);
            digest(o, "requestDigest", &r.request_digest);
            digest(o, "peerReviewDigest", &r.peer_review_digest);
            email(o, "admin", &r.admin);
            max_len(o, "comments", r.comments.as_deref(), MAX_COMMENTS);
            if r.decision == AdminDecision::Denied && blank(&r.comments) {
                o.push(issue(
                    ErrorCode::InvalidDocument,
                    "comments",
                    "a DENIED admin review needs `comments` (the reason)",
                ));
            }
            if let Some(p) = &r.integration_pack {
                pack_choice(o, p, Some(false));
            }
        }
        Document::PackAssignment(a) => {
            kind_matches(o, a.kind, Kind::PackAssignment);
            promotion_ref(o, &a.promotion);
            digest(o, "requestDigest", &a.request_digest);
            email(o, "admin", &a.admin);
            pack_choice(o, &a.integration_pack, Some(true));
        }
        Document::Withdrawal(w) => {
            kind_matches(o, w.kind, Kind::Withdrawal);
            promotion_ref(o, &w.promotion);
            digest(o, "requestDigest", &w.request_digest);
            email(o, "by", &w.by);
            max_len(o, "reason", w.reason.as_deref(), MAX_COMMENTS);
        }
        Document::CancelTest(c) => {
            kind_matches(o, c.kind, Kind::CancelTest);
            promotion_ref(o, &c.promotion);
            digest(o, "requestDigest", &c.request_digest);
            email(o, "by", &c.by);
            max_len(o, "reason", c.reason.as_deref(), MAX_COMMENTS);
        }
    }
    out
}

fn blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(|c| c.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF4u80HAxJI4OU+Qi1pDLKM6JBE7BxwP07bmxyViVgDl";
    const KEY_B: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOPBx5MTBQOZjobshioZQGLTg3NtNm4p3VFM+lEZ5Yr2";

    fn person(email: &str, key: &str, allow: bool) -> Person {
        Person {
            email: email.into(),
            name: email.into(),
            tier: Tier::Contributor,
            teams: vec![],
            keys: vec![format!("{key} comment")],
            allow_unicode_email: allow,
        }
    }

    fn policy(people: Vec<Person>) -> AccessPolicy {
        AccessPolicy {
            api_version: ApiVersion::V1,
            kind: Kind::AccessPolicy,
            serial: 1,
            people,
            teams: vec![],
        }
    }

    #[test]
    fn look_alike_identities() {
        // Cyrillic а (U+0430), Greek ο (U+03BF), digit-for-letter, full-width.
        let cases: Vec<(Vec<Person>, usize, &str)> = vec![
            (
                vec![
                    person("alice@example.com", KEY_A, false),
                    person("bob@example.com", KEY_B, false),
                ],
                0,
                "distinct people",
            ),
            (
                vec![
                    person("alice@example.com", KEY_A, false),
                    person("\u{430}lice@example.com", KEY_B, true),
                ],
                1,
                "Cyrillic a, even allowed as Unicode",
            ),
            (
                vec![
                    person("alice@example.com", KEY_A, false),
                    person("\u{430}lice@example.com", KEY_B, false),
                ],
                2,
                "Cyrillic a, not allowed: non-ASCII and confusable",
            ),
            (
                vec![
                    person("bob@example.com", KEY_A, false),
                    person("b\u{3bf}b@example.com", KEY_B, true),
                ],
                1,
                "Greek omicron",
            ),
            (
                vec![
                    person("carol@example.com", KEY_A, false),
                    person("caroI@example.com", KEY_B, false),
                ],
                1,
                "capital I for l",
            ),
            (
                vec![
                    person("alice@example.com", KEY_A, false),
                    person("alice2@example.com", KEY_A, false),
                ],
                1,
                "one key, two people",
            ),
            (
                vec![person("j\u{fc}rgen@example.com", KEY_A, false)],
                1,
                "non-ASCII without allowUnicodeEmail",
            ),
            (
                vec![person("j\u{fc}rgen@example.com", KEY_A, true)],
                0,
                "non-ASCII allowed",
            ),
        ];
        for (people, n, name) in cases {
            let got = identity_issues(&policy(people));
            assert_eq!(got.len(), n, "{name}: {got:?}");
            assert!(
                got.iter().all(|i| i.code == ErrorCode::ConfusableIdentity),
                "{name}"
            );
        }
    }

    #[test]
    fn secret_references_stay_inside_the_fence() {
        let r = |env: Option<&str>, file: Option<&str>| SecretRef {
            env: env.map(str::to_string),
            file: file.map(str::to_string),
        };
        for ok in [
            r(Some("PROMOTER_SECRET_SMTP"), None),
            r(None, Some("smtp-password")),
            r(None, Some("./smtp/password")),
        ] {
            assert_eq!(secret_reference_problem(&ok), None, "{ok:?}");
        }
        for bad in [
            r(Some("BOOMI_TOKEN"), None),
            r(Some("PROMOTER_SECRET_"), None),
            r(Some("HOME"), None),
            r(None, Some("/etc/passwd")),
            r(None, Some("../state.db")),
            r(None, Some("a/../../b")),
        ] {
            assert!(secret_reference_problem(&bad).is_some(), "{bad:?}");
        }
        for (host, lo) in [
            ("127.0.0.1", true),
            ("localhost", true),
            ("::1", true),
            ("mail.example.com", false),
            ("127.0.0.1.example.com", false),
        ] {
            assert_eq!(is_loopback_host(host), lo, "{host}");
        }
    }

    #[test]
    fn versions_compare_by_number() {
        use std::cmp::Ordering::*;
        for (a, b, o) in [
            ("1.3.0", "1.4.0", Less),
            ("1.10.0", "1.9.0", Greater),
            ("2.0", "2.0.0", Less),
            ("1.0.1", "1.0.1", Equal),
            ("1.0.0-rc1", "1.0.0-rc2", Less),
        ] {
            assert_eq!(compare_versions(a, b), o, "{a} vs {b}");
        }
    }

    #[test]
    fn promotion_ids() {
        for ok in ["abc", "orders-2026-11-21", "0ab", &"a".repeat(64)] {
            assert!(is_valid_promotion_id(ok), "{ok}");
        }
        for bad in [
            "ab",
            "-abc",
            "Abc",
            "a_b",
            "a b",
            "",
            &"a".repeat(65),
            "abc/..",
        ] {
            assert!(!is_valid_promotion_id(bad), "{bad}");
        }
    }

    #[test]
    fn emails() {
        for ok in [
            "alice@example.com",
            "ALICE@Example.com",
            "a.b+c@x-y.example.org",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "alice",
            "alice@",
            "@x.com",
            "a@b",
            "a b@x.com",
            "a@x..com",
            "a@@x.com",
            "a@.x.com",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn digests() {
        assert!(is_valid_digest(&format!("sha256:{}", "a".repeat(64))));
        assert!(!is_valid_digest(&format!("sha256:{}", "A".repeat(64))));
        assert!(!is_valid_digest(&format!("sha512:{}", "a".repeat(64))));
        assert!(!is_valid_digest("sha256:abc"));
    }
}
