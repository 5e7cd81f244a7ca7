//! End-to-end delivery of notifications: an in-process SMTP sink (a tokio TCP server speaking
//! EHLO, AUTH, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and an in-process webhook receiver (axum on
//! `127.0.0.1:0`). Each of the seven promotion events, and a refused document (to its author
//! only), arrives with the right recipients, subject and body; the webhook signature verifies; receivers that are down, failing or silent make
//! `send` return normally with a warning logged; secrets never reach the log; withdrawal and
//! the other exits send nothing.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine as _;
use boomi_promoter::model::{
    ErrorCode, Notifications, Problem, PromotionStatus, SecretRef, SmtpSettings, Target,
    WebhookSettings,
};
use boomi_promoter::notify_out::{
    self, Event, EventKind, Notifier, SecretFence, SmtpNotifier, WebhookNotifier,
};
use boomi_promoter::store::record::{
    parse_ts, DeploymentResult, DeploymentStatus, PromotionRecord,
};
use boomi_promoter::store::{ProblemSource, StoredProblem};
use hmac::{Hmac, Mac};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const JUSTIFICATION: &str = "Orders are rejected since 07:00; the mapping fix cannot wait.";

// ---------------------------------------------------------------------------------------------
// records and events

fn base(id: &str, target: Target, status: PromotionStatus) -> PromotionRecord {
    let mut r = PromotionRecord::new(
        id,
        "dev-team-a",
        "Alice@Example.com",
        "Order Processing Main",
        target,
        status,
        parse_ts("2026-11-21T08:00:00Z").unwrap(),
    );
    r.package_version = Some("1.2.0".into());
    r.components_total = 4;
    r.components_created = 1;
    r.components_updated = 3;
    r.deployment_notes = Some("Adds the retry subprocess.".into());
    r
}

fn from_test(status: PromotionStatus) -> PromotionRecord {
    let mut r = base("orders-prod-1", Target::Production, status);
    r.test_promotion_id = Some("orders-test-1".into());
    r.test_integration_pack_name = Some("Orders - TEST".into());
    r.peer_reviewed_by = Some("bob@example.com".into());
    r
}

fn hotfix(status: PromotionStatus) -> PromotionRecord {
    let mut r = base("orders-hotfix-1", Target::Production, status);
    r.is_hotfix = true;
    r.hotfix_justification = Some(JUSTIFICATION.into());
    r
}

/// One case: the event and what must arrive.
struct Case {
    event: Event,
    to: &'static [&'static str],
    cc: &'static [&'static str],
    subject: &'static str,
    body_has: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    let mut deployed = from_test(PromotionStatus::Deployed);
    deployed.prod_package_id = Some("pkg-prod-77".into());
    deployed.deployed_at = Some(parse_ts("2026-11-21T18:05:00Z").unwrap());
    deployed.deployments.push(DeploymentResult {
        environment_id: "env-prod-1".into(),
        deployment_id: Some("dep-prod-1234".into()),
        status: DeploymentStatus::Deployed,
        error: None,
    });
    let mut test = base("orders-test-1", Target::Test, PromotionStatus::TestDeployed);
    test.integration_pack_name = Some("Orders - TEST".into());
    test.test_deployed_at = Some(parse_ts("2026-11-21T08:20:00Z").unwrap());

    vec![
        Case {
            event: Event::peer_review_needed(&from_test(PromotionStatus::PendingPeerReview)),
            to: &["dev@example.com", "admins@example.com"],
            cc: &["alice@example.com"],
            subject: "Peer Review Needed: Order Processing Main v1.2.0",
            body_has: &[
                "orders-prod-1",
                "alice@example.com",
                "Order Processing Main",
                "1.2.0",
                "4 (1 created, 3 updated, 0 failed)",
                "Adds the retry subprocess.",
                "orders-test-1",
            ],
        },
        Case {
            event: Event::hotfix_submitted(&hotfix(PromotionStatus::PendingPeerReview)),
            to: &["dev@example.com", "admins@example.com"],
            cc: &["alice@example.com"],
            subject: "⚠ EMERGENCY HOTFIX — Peer Review Needed: Order Processing Main v1.2.0",
            body_has: &["orders-hotfix-1", JUSTIFICATION, "skips the test environment"],
        },
        Case {
            event: Event::peer_approved(
                &hotfix(PromotionStatus::PendingAdminReview),
                "Bob@Example.com",
                None,
            ),
            to: &["admins@example.com", "alice@example.com"],
            cc: &[],
            subject: "⚠ EMERGENCY HOTFIX — Peer Approved — Admin Review Needed: Order Processing Main v1.2.0",
            body_has: &[
                "orders-hotfix-1",
                JUSTIFICATION,
                "bob@example.com",
                "APPROVED",
                "No comments provided.",
            ],
        },
        Case {
            event: Event::peer_rejected(
                &from_test(PromotionStatus::PeerRejected),
                "bob@example.com",
                Some("The error path swallows the exception."),
            ),
            to: &["alice@example.com"],
            cc: &[],
            subject: "Peer Review Rejected: Order Processing Main v1.2.0",
            body_has: &["orders-prod-1", "The error path swallows the exception."],
        },
        Case {
            event: Event::admin_approved_deployed(
                &deployed,
                "carol@example.com",
                Some("Ship it tonight."),
            ),
            to: &["alice@example.com", "bob@example.com"],
            cc: &[],
            subject: "Approved & Deployed: Order Processing Main v1.2.0",
            body_has: &[
                "orders-prod-1",
                "dep-prod-1234",
                "pkg-prod-77",
                "carol@example.com",
                "2026-11-21 18:05 UTC",
                "Ship it tonight.",
            ],
        },
        Case {
            event: Event::admin_denied(
                &from_test(PromotionStatus::AdminRejected),
                "carol@example.com",
                Some("Outside the change window."),
            ),
            to: &["alice@example.com", "bob@example.com"],
            cc: &[],
            subject: "Admin Denied: Order Processing Main v1.2.0",
            body_has: &["orders-prod-1", "Outside the change window.", "carol@example.com"],
        },
        Case {
            event: Event::test_deployed(&test).expect("TEST_DEPLOYED sends"),
            to: &["alice@example.com"],
            cc: &[],
            subject: "Test Deployed: Order Processing Main v1.2.0",
            body_has: &["orders-test-1", "Orders - TEST", "2026-11-21 08:20 UTC"],
        },
        Case {
            event: Event::document_refused(&refused()).expect("the signer is known"),
            to: &["mallory@example.com"],
            cc: &[],
            subject: "Refused: promotions/orders-prod-1/admin-review.yaml (IDENTITY_MISMATCH)",
            body_has: &[
                "promotions/orders-prod-1/admin-review.yaml:3:8",
                "IDENTITY_MISMATCH",
                "claims carol@example.com",
                "orders-prod-1",
                "c0ffee12",
                "promoter validate",
            ],
        },
    ]
}

/// An admin review of `orders-prod-1` that claims Carol but is signed by Mallory.
fn refused() -> StoredProblem {
    StoredProblem {
        id: 1,
        promotion_id: Some("orders-prod-1".into()),
        problem: Problem::new(
            "promotions/orders-prod-1/admin-review.yaml",
            ErrorCode::IdentityMismatch,
            "the document claims carol@example.com but is signed by mallory@example.com",
        )
        .at(Some(3), Some(8))
        .by(Some("carol@example.com"), Some("Mallory@Example.com")),
        source: ProblemSource::Document,
        commit: "c0ffee12".into(),
        first_seen: parse_ts("2026-11-21T09:00:00Z").unwrap(),
        cleared_at: None,
        cleared_commit: None,
    }
}

fn notifications(smtp: Option<SmtpSettings>, webhook: Option<WebhookSettings>) -> Notifications {
    Notifications {
        developers_list: Some("dev@example.com".into()),
        admins_list: Some("admins@example.com".into()),
        smtp,
        webhook,
    }
}

fn plain_smtp(addr: SocketAddr) -> SmtpSettings {
    SmtpSettings {
        host: addr.ip().to_string(),
        port: Some(addr.port()),
        from: "Boomi Promoter <promoter@example.com>".into(),
        tls: Some("none".into()),
        username: None,
        password_from: None,
        allow_insecure: false,
    }
}

/// A secret file `name` in `dir` (the secrets directory), referenced by its name.
fn secret_file(dir: &tempfile::TempDir, name: &str, value: &str) -> SecretRef {
    let p = dir.path().join(name);
    std::fs::write(&p, format!("{value}\n")).unwrap();
    SecretRef {
        env: None,
        file: Some(name.into()),
    }
}

fn fence(dir: &tempfile::TempDir) -> SecretFence {
    SecretFence::with_dir(dir.path())
}

// ---------------------------------------------------------------------------------------------
// log capture

#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogBuf {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Capture this thread's logs (the tests run on tokio's current-thread runtime).
fn capture_logs() -> (LogBuf, tracing::subscriber::DefaultGuard) {
    let buf = LogBuf::default();
    let writer = buf.clone();
    let sub = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (buf, tracing::subscriber::set_default(sub))
}

// ---------------------------------------------------------------------------------------------
// the SMTP sink

#[derive(Debug, Clone)]
struct Mail {
    mail_from: String,
    rcpt_to: Vec<String>,
    auth: Option<(String, String)>,
    data: String,
}

#[derive(Clone, Copy, Default)]
struct SinkOptions {
    reject_auth: bool,
}

async fn smtp_sink(opts: SinkOptions) -> (SocketAddr, mpsc::UnboundedReceiver<Mail>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let _ = smtp_session(sock, tx, opts).await;
            });
        }
    });
    (addr, rx)
}

async fn smtp_session(
    sock: tokio::net::TcpStream,
    tx: mpsc::UnboundedSender<Mail>,
    opts: SinkOptions,
) -> std::io::Result<()> {
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let mut auth: Option<(String, String)> = None;
    let mut mail_from = String::new();
    let mut rcpt_to: Vec<String> = Vec::new();
    let b64 = base64::engine::general_purpose::STANDARD;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let line = line.trim_end_matches(['\r', '\n']);
        let upper = line.to_ascii_uppercase();
        let verb = upper.split_whitespace().next().unwrap_or("");
        match verb {
            "EHLO" => {
                w.write_all(b"250-sink.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-AUTH PLAIN LOGIN\r\n250 HELP\r\n")
                    .await?
            }
            "HELO" => w.write_all(b"250 sink.test\r\n").await?,
            "AUTH" => {
                let parts: Vec<&str> = line.split_whitespace().collect();
                let creds = match parts.get(1).map(|m| m.to_ascii_uppercase()).as_deref() {
                    Some("PLAIN") => {
                        let initial = match parts.get(2) {
                            Some(x) => x.to_string(),
                            None => {
                                w.write_all(b"334 \r\n").await?;
                                let mut l = String::new();
                                r.read_line(&mut l).await?;
                                l.trim().to_owned()
                            }
                        };
                        let raw = b64.decode(initial).unwrap_or_default();
                        let fields: Vec<String> = raw
                            .split(|b| *b == 0)
                            .map(|f| String::from_utf8_lossy(f).into_owned())
                            .collect();
                        (fields.get(1).cloned().unwrap_or_default(), fields.get(2).cloned().unwrap_or_default())
                    }
                    Some("LOGIN") => {
                        let user = ask(&mut w, &mut r, b"334 VXNlcm5hbWU6\r\n").await?;
                        let pass = ask(&mut w, &mut r, b"334 UGFzc3dvcmQ6\r\n").await?;
                        (user, pass)
                    }
                    _ => {
                        w.write_all(b"504 mechanism not supported\r\n").await?;
                        continue;
                    }
                };
                if opts.reject_auth {
                    w.write_all(b"535 5.7.8 authentication credentials invalid\r\n").await?;
                } else {
                    auth = Some(creds);
                    w.write_all(b"235 2.7.0 authenticated\r\n").await?;
                }
            }
            "MAIL" => {
                mail_from = angle(line);
                rcpt_to.clear();
                w.write_all(b"250 2.1.0 ok\r\n").await?;
            }
            "RCPT" => {
                rcpt_to.push(angle(line));
                w.write_all(b"250 2.1.5 ok\r\n").await?;
            }
            "DATA" => {
                w.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = String::new();
                loop {
                    let mut l = String::new();
                    if r.read_line(&mut l).await? == 0 {
                        return Ok(());
                    }
                    if l == ".\r\n" || l == ".\n" {
                        break;
                    }
                    // undo dot-stuffing
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                }
                let _ = tx.send(Mail {
                    mail_from: std::mem::take(&mut mail_from),
                    rcpt_to: std::mem::take(&mut rcpt_to),
                    auth: auth.clone(),
                    data,
                });
                w.write_all(b"250 2.0.0 queued\r\n").await?;
            }
            "RSET" => {
                mail_from.clear();
                rcpt_to.clear();
                w.write_all(b"250 ok\r\n").await?;
            }
            "NOOP" => w.write_all(b"250 ok\r\n").await?,
            "QUIT" => {
                w.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => w.write_all(b"502 command not implemented\r\n").await?,
        }
    }
}

/// AUTH LOGIN: send a prompt, read one base64 line.
async fn ask(
    w: &mut tokio::net::tcp::OwnedWriteHalf,
    r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    prompt: &[u8],
) -> std::io::Result<String> {
    w.write_all(prompt).await?;
    let mut l = String::new();
    r.read_line(&mut l).await?;
    let v = base64::engine::general_purpose::STANDARD
        .decode(l.trim())
        .unwrap_or_default();
    Ok(String::from_utf8_lossy(&v).into_owned())
}

/// The address between `<` and `>`.
fn angle(line: &str) -> String {
    let start = line.find('<').map(|i| i + 1).unwrap_or(0);
    let end = line[start..]
        .find('>')
        .map(|i| start + i)
        .unwrap_or(line.len());
    line[start..end].to_owned()
}

// ---------------------------------------------------------------------------------------------
// reading a captured message (RFC 5322 headers, RFC 2047 words, the transfer encodings)

struct Parsed {
    headers: Vec<(String, String)>,
    body: String,
}

impl Parsed {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn addresses(&self, name: &str) -> Vec<String> {
        self.header(name)
            .map(|v| v.split(',').map(angle_or_plain).collect())
            .unwrap_or_default()
    }
}

fn angle_or_plain(s: &str) -> String {
    if s.contains('<') {
        angle(s)
    } else {
        s.trim().to_owned()
    }
}

fn parse_mail(data: &str) -> Parsed {
    let data = data.replace("\r\n", "\n");
    let (head, body) = data.split_once("\n\n").expect("headers and body");
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().expect("continuation after a header");
            last.1.push(' ');
            last.1.push_str(line.trim());
        } else {
            let (n, v) = line.split_once(':').expect("header line");
            headers.push((n.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let cte = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Transfer-Encoding"))
        .map(|(_, v)| v.to_ascii_lowercase())
        .unwrap_or_else(|| "7bit".into());
    let body = match cte.as_str() {
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .unwrap(),
            )
            .unwrap()
        }
        "quoted-printable" => String::from_utf8(decode_qp(body.as_bytes(), false)).unwrap(),
        _ => body.to_owned(),
    };
    for (n, v) in headers.iter_mut() {
        if n.eq_ignore_ascii_case("Subject") {
            *v = decode_words(v);
        }
    }
    Parsed { headers, body }
}

/// Quoted-printable (`underscore_is_space` for RFC 2047 `Q` words).
fn decode_qp(s: &[u8], underscore_is_space: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'=' if s.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if s.get(i + 1) == Some(&b'\r') => i += 3,
            b'=' if i + 2 < s.len() => {
                let h = std::str::from_utf8(&s[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(h, 16).unwrap());
                i += 3;
            }
            b'_' if underscore_is_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Decode RFC 2047 encoded words; adjacent words join without their separating blanks, and
/// their bytes are decoded together (a character may be split across words).
fn decode_words(s: &str) -> String {
    let mut out: Vec<u8> = Vec::new();
    let mut rest = s;
    let mut after_word = false;
    while let Some(i) = rest.find("=?") {
        let (before, at) = rest.split_at(i);
        match encoded_word(at) {
            Some((bytes, used)) => {
                if !(after_word && before.trim().is_empty()) {
                    out.extend_from_slice(before.as_bytes());
                }
                out.extend(bytes);
                rest = &at[used..];
                after_word = true;
            }
            None => {
                out.extend_from_slice(&rest.as_bytes()[..i + 2]);
                rest = &rest[i + 2..];
                after_word = false;
            }
        }
    }
    out.extend_from_slice(rest.as_bytes());
    String::from_utf8(out).expect("UTF-8 subject")
}

fn encoded_word(s: &str) -> Option<(Vec<u8>, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (_charset, rest) = inner.split_once('?')?;
    let (enc, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let text = &rest[..end];
    let used = 2 + (inner.len() - rest.len()) + end + 2;
    let bytes = match enc.to_ascii_uppercase().as_str() {
        "B" => base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?,
        "Q" => decode_qp(text.as_bytes(), true),
        _ => return None,
    };
    Some((bytes, used))
}

fn sorted(v: impl IntoIterator<Item = impl Into<String>>) -> Vec<String> {
    let mut v: Vec<String> = v.into_iter().map(Into::into).collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------
// the webhook receiver

#[derive(Debug, Clone)]
struct Delivery {
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct Receiver {
    answer: StatusCode,
    got: Arc<Mutex<Vec<Delivery>>>,
}

async fn webhook_receiver(answer: StatusCode) -> (String, Arc<Mutex<Vec<Delivery>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let state = Receiver {
        answer,
        got: got.clone(),
    };
    let app = axum::Router::new()
        .route(
            "/hooks/promoter",
            post(
                |State(s): State<Receiver>, headers: HeaderMap, body: Bytes| async move {
                    s.got.lock().unwrap().push(Delivery { headers, body });
                    s.answer
                },
            ),
        )
        .with_state(state);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hooks/promoter"), got)
}

/// An address where nothing listens (bound, then released).
async fn closed_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    drop(l);
    a
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

// ---------------------------------------------------------------------------------------------
// SMTP tests

#[tokio::test]
async fn smtp_delivers_each_event_with_its_recipients_subject_and_body() {
    let (addr, mut inbox) = smtp_sink(SinkOptions::default()).await;
    let n = SmtpNotifier::from_settings(&notifications(Some(plain_smtp(addr)), None)).unwrap();
    for case in cases() {
        n.send(&case.event).await;
        let mail = inbox.try_recv().unwrap_or_else(|_| {
            panic!("{} was not delivered", case.event.kind());
        });
        let what = case.event.kind();
        assert_eq!(mail.mail_from, "promoter@example.com", "{what}");
        assert_eq!(
            sorted(mail.rcpt_to.clone()),
            sorted(case.to.iter().chain(case.cc).copied()),
            "{what}: envelope recipients"
        );
        let m = parse_mail(&mail.data);
        assert_eq!(m.addresses("To"), case.to, "{what}: To");
        assert_eq!(m.addresses("Cc"), case.cc, "{what}: Cc");
        assert_eq!(m.header("Subject"), Some(case.subject), "{what}: Subject");
        assert_eq!(m.header("X-Promoter-Event"), Some(what.as_str()));
        let mid = m.header("Message-ID").expect("a Message-ID");
        assert!(
            mid.starts_with('<') && mid.ends_with('>') && mid.contains('@'),
            "{mid}"
        );
        assert!(m.header("Date").is_some());
        assert_eq!(m.header("X-Promoter-Promotion"), case.event.promotion_id());
        assert!(
            m.header("Content-Type").unwrap().starts_with("text/plain"),
            "{what}"
        );
        for needle in case.body_has {
            assert!(
                m.body.contains(needle),
                "{what}: body lacks {needle:?}:\n{}",
                m.body
            );
        }
        assert!(mail.auth.is_none());
    }
    assert!(inbox.try_recv().is_err(), "one message per event");
}

#[tokio::test]
async fn smtp_logs_in_with_the_password_file_and_never_logs_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let password = "pw-Zq81-never-in-logs";
    let (addr, mut inbox) = smtp_sink(SinkOptions::default()).await;
    let mut smtp = plain_smtp(addr);
    smtp.username = Some("promoter-bot".into());
    smtp.password_from = Some(secret_file(&dir, "smtp-password", password));

    // a relay that accepts the login
    let (logs, _guard) = capture_logs();
    let n = SmtpNotifier::from_settings(&notifications(Some(smtp.clone()), None))
        .unwrap()
        .with_secrets(fence(&dir));
    let event = &cases()[0].event;
    n.send(event).await;
    let mail = inbox.try_recv().expect("delivered after login");
    assert_eq!(
        mail.auth,
        Some(("promoter-bot".to_owned(), password.to_owned()))
    );

    // a relay that refuses it: send returns, a warning is logged, nothing is delivered
    let (addr, mut refused_inbox) = smtp_sink(SinkOptions { reject_auth: true }).await;
    smtp.port = Some(addr.port());
    let n = SmtpNotifier::from_settings(&notifications(Some(smtp), None))
        .unwrap()
        .with_secrets(fence(&dir));
    n.send(event).await;
    assert!(refused_inbox.try_recv().is_err());
    let text = logs.text();
    assert!(text.contains("WARN"), "{text}");
    assert!(text.contains("notification e-mail not sent"), "{text}");
    assert!(text.contains("orders-prod-1"), "{text}");
    assert!(
        !text.contains(password),
        "the password leaked into the log:\n{text}"
    );
}

#[tokio::test]
async fn smtp_relay_down_is_logged_and_send_returns() {
    let addr = closed_port().await;
    let (logs, _guard) = capture_logs();
    let n = SmtpNotifier::from_settings(&notifications(Some(plain_smtp(addr)), None))
        .unwrap()
        .with_timeout(Duration::from_secs(2));
    n.send(&cases()[1].event).await;
    let text = logs.text();
    assert!(
        text.contains("WARN") && text.contains("notification e-mail not sent"),
        "{text}"
    );
    assert!(text.contains("HOTFIX_SUBMITTED"), "{text}");
}

#[tokio::test]
async fn smtp_tls_modes_never_fall_back_to_plain_text() {
    for (mode, reason) in [("tls", "Connection error"), ("starttls", "STARTTLS")] {
        // the sink speaks plain SMTP and offers no STARTTLS
        let (addr, mut inbox) = smtp_sink(SinkOptions::default()).await;
        let (logs, _guard) = capture_logs();
        let mut smtp = plain_smtp(addr);
        smtp.tls = Some(mode.into());
        let n = SmtpNotifier::from_settings(&notifications(Some(smtp), None))
            .unwrap()
            .with_timeout(Duration::from_secs(2));
        n.send(&cases()[0].event).await;
        assert!(inbox.try_recv().is_err(), "{mode}: sent in clear text");
        let text = logs.text();
        assert!(
            text.contains("notification e-mail not sent") && text.contains(reason),
            "{mode}: {text}"
        );
    }
}

#[tokio::test]
async fn smtp_misconfiguration_is_logged_at_each_send() {
    let (addr, mut inbox) = smtp_sink(SinkOptions::default()).await;
    let mut smtp = plain_smtp(addr);
    smtp.tls = Some("ssl3".into());
    let (logs, _guard) = capture_logs();
    let n = SmtpNotifier::from_settings(&notifications(Some(smtp), None)).unwrap();
    n.send(&cases()[0].event).await;
    assert!(inbox.try_recv().is_err());
    let text = logs.text();
    assert!(text.contains("misconfigured"), "{text}");
    assert!(
        text.contains("smtp.tls must be none, starttls or tls"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// webhook tests

#[tokio::test]
async fn webhook_posts_signed_json_for_each_event() {
    let (url, got) = webhook_receiver(StatusCode::NO_CONTENT).await;
    let dir = tempfile::tempdir().unwrap();
    let secret = "whsec-3f9a-never-in-logs";
    let (logs, _guard) = capture_logs();
    let n = WebhookNotifier::new(&WebhookSettings {
        url,
        secret_from: Some(secret_file(&dir, "webhook-secret", secret)),
    })
    .with_secrets(fence(&dir));
    let cases = cases();
    for case in &cases {
        n.send(&case.event).await;
    }
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), cases.len());
    let mut ids = std::collections::BTreeSet::new();
    for (case, d) in cases.iter().zip(&got) {
        let kind = case.event.kind();
        let sig = d.headers["x-promoter-signature-256"].to_str().unwrap();
        assert_eq!(
            sig,
            format!("sha256={}", hmac_hex(secret, &d.body)),
            "{kind}"
        );
        assert!(notify_out::verify_signature(
            secret.as_bytes(),
            &d.body,
            sig
        ));
        assert_eq!(d.headers["content-type"], "application/json");
        assert_eq!(d.headers["x-promoter-event"], kind.as_str());
        ids.insert(
            d.headers["x-promoter-delivery"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
        let j: serde_json::Value = serde_json::from_slice(&d.body).unwrap();
        assert_eq!(j["event"], kind.as_str());
        assert_eq!(j["promotionId"].as_str(), case.event.promotion_id());
        assert_eq!(j["subject"], case.subject);
        if j["isHotfix"] == true {
            assert_eq!(
                j["promotion"]["hotfixJustification"], JUSTIFICATION,
                "{kind}"
            );
        }
        match kind {
            EventKind::PeerApproved => {
                assert_eq!(j["review"]["reviewer"], "bob@example.com");
                assert_eq!(j["review"]["decision"], "APPROVED");
            }
            EventKind::PeerRejected => {
                assert_eq!(
                    j["review"]["comments"],
                    "The error path swallows the exception."
                )
            }
            EventKind::AdminApprovedDeployed => {
                assert_eq!(
                    j["deployment"]["deployments"][0]["deploymentId"],
                    "dep-prod-1234"
                );
                assert_eq!(j["decision"]["admin"], "carol@example.com");
            }
            EventKind::AdminDenied => assert_eq!(j["decision"]["decision"], "DENIED"),
            EventKind::TestDeployed => {
                assert_eq!(j["deployment"]["integrationPackName"], "Orders - TEST")
            }
            EventKind::PeerReviewNeeded | EventKind::HotfixSubmitted => {
                assert_eq!(j["promotion"]["initiatedBy"], "alice@example.com")
            }
            EventKind::DocumentRefused => {
                assert_eq!(j["refusal"]["code"], "IDENTITY_MISMATCH");
                assert_eq!(j["refusal"]["claimed"], "carol@example.com");
                assert_eq!(j["refusal"]["author"], "mallory@example.com");
                assert!(j.get("promotion").is_none(), "{j}");
            }
        }
    }
    assert_eq!(ids.len(), got.len(), "each delivery has its own id");
    let text = logs.text();
    assert!(!text.contains(secret), "{text}");
    assert!(!text.contains("WARN"), "{text}");
}

#[tokio::test]
async fn webhook_without_a_secret_is_unsigned() {
    let (url, got) = webhook_receiver(StatusCode::OK).await;
    let n = WebhookNotifier::new(&WebhookSettings {
        url,
        secret_from: None,
    });
    n.send(&cases()[3].event).await;
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert!(got[0].headers.get("x-promoter-signature-256").is_none());
}

#[tokio::test]
async fn webhook_answering_500_is_logged_and_send_returns() {
    let (url, got) = webhook_receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
    let (logs, _guard) = capture_logs();
    let metrics = boomi_promoter::server::Metrics::new();
    let n = WebhookNotifier::new(&WebhookSettings {
        url,
        secret_from: None,
    })
    .with_failure_hook(boomi_promoter::notify_out::OnFailure::new(
        metrics.notification_hook(),
    ));
    n.send(&cases()[4].event).await;
    assert_eq!(got.lock().unwrap().len(), 1, "one attempt, no retry");
    let counted = format!(
        "promoter_notifications_failed_total{{channel=\"webhook\",event=\"{}\"}} 1",
        cases()[4].event.kind().as_str()
    );
    assert!(metrics.encode().contains(&counted), "{}", metrics.encode());
    let text = logs.text();
    assert!(text.contains("WARN"), "{text}");
    assert!(
        text.contains("notification webhook not delivered"),
        "{text}"
    );
    assert!(text.contains("HTTP 500"), "{text}");
}

#[tokio::test]
async fn webhook_refused_connection_is_logged_without_the_url_token() {
    let addr = closed_port().await;
    let (logs, _guard) = capture_logs();
    let n = WebhookNotifier::new(&WebhookSettings {
        url: format!("http://{addr}/hooks/T000/B000/tok-secret-path"),
        secret_from: None,
    });
    n.send(&cases()[5].event).await;
    let text = logs.text();
    assert!(
        text.contains("notification webhook not delivered"),
        "{text}"
    );
    assert!(!text.contains("tok-secret-path"), "{text}");
}

#[tokio::test]
async fn webhook_receiver_that_never_answers_times_out() {
    // accepts connections and reads, never answers
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let (logs, _guard) = capture_logs();
    let n = WebhookNotifier::new(&WebhookSettings {
        url: format!("http://{addr}/hook"),
        secret_from: None,
    })
    .with_timeout(Duration::from_millis(300));
    n.send(&cases()[6].event).await;
    let text = logs.text();
    assert!(
        text.contains("notification webhook not delivered"),
        "{text}"
    );
}

#[tokio::test]
async fn webhook_with_an_unreadable_secret_posts_nothing() {
    let (url, got) = webhook_receiver(StatusCode::OK).await;
    let (logs, _guard) = capture_logs();
    let n = WebhookNotifier::new(&WebhookSettings {
        url,
        secret_from: Some(SecretRef {
            env: None,
            file: Some("/nonexistent/promoter/webhook-secret".into()),
        }),
    });
    n.send(&cases()[0].event).await;
    assert!(got.lock().unwrap().is_empty(), "an unsigned post was sent");
    assert!(logs.text().contains("webhook secret"), "{}", logs.text());
}

// ---------------------------------------------------------------------------------------------
// both, and the events of a whole lifecycle

#[tokio::test]
async fn from_settings_notifies_by_mail_and_webhook_and_exits_send_nothing() {
    let (addr, mut inbox) = smtp_sink(SinkOptions::default()).await;
    let (url, got) = webhook_receiver(StatusCode::OK).await;
    let n = notify_out::from_settings(&notifications(
        Some(plain_smtp(addr)),
        Some(WebhookSettings {
            url,
            secret_from: None,
        }),
    ));

    // a hotfix walks its lifecycle; the reconciler asks for the event of each new status
    let mut r = hotfix(PromotionStatus::InProgress);
    let mut sent = Vec::new();
    for status in [
        PromotionStatus::InProgress,
        PromotionStatus::PendingPeerReview,
        PromotionStatus::PendingAdminReview,
        PromotionStatus::Deploying,
        PromotionStatus::Deployed,
    ] {
        r.status = status;
        if status == PromotionStatus::PendingAdminReview {
            r.peer_reviewed_by = Some("bob@example.com".into());
        }
        if status == PromotionStatus::Deployed {
            r.admin_approved_by = Some("carol@example.com".into());
        }
        if let Some(e) = Event::on_transition(&r) {
            n.send(&e).await;
            sent.push(e.kind());
        }
    }
    assert_eq!(
        sent,
        [
            EventKind::HotfixSubmitted,
            EventKind::PeerApproved,
            EventKind::AdminApprovedDeployed
        ]
    );
    let mut subjects = Vec::new();
    while let Ok(m) = inbox.try_recv() {
        subjects.push(parse_mail(&m.data).header("Subject").unwrap().to_owned());
    }
    assert_eq!(subjects.len(), 3, "{subjects:?}");
    assert!(subjects[0].starts_with("⚠ EMERGENCY HOTFIX — Peer Review Needed"));
    assert_eq!(got.lock().unwrap().len(), 3);

    // withdrawal, cancellation, failure and pack assignment: no event, nothing delivered
    let mut test = base("orders-test-2", Target::Test, PromotionStatus::InProgress);
    test.integration_pack_name = Some("Orders - TEST".into());
    for (is_test, status) in [
        (false, PromotionStatus::Withdrawn),
        (true, PromotionStatus::PendingPackAssignment),
        (true, PromotionStatus::TestCancelled),
        (true, PromotionStatus::Failed),
        (true, PromotionStatus::TestDeployFailed),
        (true, PromotionStatus::Withdrawn),
    ] {
        let rec = if is_test { &mut test } else { &mut r };
        rec.status = status;
        assert!(Event::on_transition(rec).is_none(), "{status:?}");
        assert!(Event::test_deployed(rec).is_none(), "{status:?}");
    }
    assert!(inbox.try_recv().is_err());
    assert_eq!(got.lock().unwrap().len(), 3);
}

// ---------------------------------------------------------------------------------------------
// promoter notify-test

fn settings_yaml(smtp_port: u16, webhook_url: &str, secret_file: &std::path::Path) -> String {
    format!(
        "apiVersion: promoter/v1\n\
         kind: Settings\n\
         serial: 1\n\
         primaryAccountId: primary-abc123\n\
         notifications:\n\
         \x20 developersList: dev@example.com\n\
         \x20 adminsList: admins@example.com\n\
         \x20 smtp:\n\
         \x20   host: 127.0.0.1\n\
         \x20   port: {smtp_port}\n\
         \x20   from: promoter@example.com\n\
         \x20   tls: none\n\
         \x20 webhook:\n\
         \x20   url: {webhook_url}\n\
         \x20   secretFrom: {{file: {}}}\n",
        secret_file.display()
    )
}

async fn run_promoter(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_promoter"))
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_test_command_sends_every_sample_and_reports_failures() {
    let (addr, mut inbox) = smtp_sink(SinkOptions::default()).await;
    let (url, got) = webhook_receiver(StatusCode::OK).await;
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(&dir, "hook-secret", "cli-secret");
    let secret_path = std::path::PathBuf::from(secret.file.unwrap());
    let secrets_dir = dir.path().display().to_string();
    let settings = dir.path().join("promoter.yaml");
    std::fs::write(&settings, settings_yaml(addr.port(), &url, &secret_path)).unwrap();

    let out = run_promoter(vec![
        "notify-test".into(),
        "--settings".into(),
        settings.display().to_string(),
        "--secrets-dir".into(),
        secrets_dir.clone(),
        "--event".into(),
        "all".into(),
        "--submitter".into(),
        "ops@example.com".into(),
        "-o".into(),
        "json".into(),
    ])
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    // 8 kinds (the seven promotion events and DOCUMENT_REFUSED) × 2 targets
    assert_eq!(report.as_array().unwrap().len(), 16, "{report}");
    assert!(report.as_array().unwrap().iter().all(|d| d["ok"] == true));

    let mut mails = Vec::new();
    while let Ok(m) = inbox.try_recv() {
        mails.push(m);
    }
    assert_eq!(mails.len(), 8);
    // TEST_DEPLOYED and DOCUMENT_REFUSED go to the submitter only
    for event in ["TEST_DEPLOYED", "DOCUMENT_REFUSED"] {
        let mail = mails
            .iter()
            .find(|m| parse_mail(&m.data).header("X-Promoter-Event") == Some(event))
            .unwrap_or_else(|| panic!("the {event} sample"));
        assert_eq!(mail.rcpt_to, ["ops@example.com"], "{event}");
    }
    let posts = got.lock().unwrap().clone();
    assert_eq!(posts.len(), 8);
    for p in &posts {
        let sig = p.headers["x-promoter-signature-256"].to_str().unwrap();
        assert_eq!(sig, format!("sha256={}", hmac_hex("cli-secret", &p.body)));
    }

    // the relay is down: the webhook still gets its post, the command exits 1 naming SMTP
    let down = closed_port().await;
    std::fs::write(&settings, settings_yaml(down.port(), &url, &secret_path)).unwrap();
    let out = run_promoter(vec![
        "notify-test".into(),
        "--settings".into(),
        settings.display().to_string(),
        "--secrets-dir".into(),
        secrets_dir,
    ])
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("smtp") && stdout.contains("FAILED"),
        "{stdout}"
    );
    assert!(stdout.contains("1 of 2 deliveries succeeded"), "{stdout}");
    assert_eq!(got.lock().unwrap().len(), 9);
}
