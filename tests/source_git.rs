//! End-to-end tests of the git source on temporary repositories built with the `git` CLI.

use boomi_promoter::model::ErrorCode;
use boomi_promoter::source::{watch, GitSource, SourceError, WatchOptions};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

/// Run git in `dir` with a fixed identity; panic with its stderr on failure.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn commit_all(dir: &Path, msg: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
    git(dir, &["rev-parse", "HEAD"])
}

/// A work tree on `main` with a first commit holding a typical layout.
fn repo() -> (tempfile::TempDir, PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("work");
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    write(&dir, "promoter.yaml", "kind: Settings\n");
    write(&dir, "access/policy.yaml", "kind: AccessPolicy\n");
    write(&dir, "access/policy.yaml.sig", "sig\n");
    write(&dir, "mappings/dev-a.yaml", "kind: ConnectionMappings\n");
    write(&dir, "promotions/alpha/request.yaml", "id: alpha\n");
    write(&dir, "promotions/beta/request.yaml", "id: beta\n");
    write(&dir, "promotions/beta/request.yaml.sig", "sig\n");
    write(&dir, "README.md", "hello\n");
    let first = commit_all(&dir, "first");
    (tmp, dir, first)
}

#[test]
fn only_committed_content_on_the_tracked_branch_counts() {
    let (_tmp, dir, first) = repo();
    let src = GitSource::local(&dir, "main").unwrap();
    assert_eq!(src.head().unwrap(), first);

    // Uncommitted edits, staged and unstaged, and untracked files are invisible.
    write(
        &dir,
        "promotions/alpha/request.yaml",
        "id: alpha\nedited: true\n",
    );
    write(&dir, "promotions/gamma/request.yaml", "id: gamma\n");
    git(&dir, &["add", "promotions/gamma/request.yaml"]);
    write(&dir, "promotions/delta/request.yaml", "id: delta\n");
    assert_eq!(src.head().unwrap(), first);
    let snap = src.snapshot(&src.head().unwrap()).unwrap();
    assert_eq!(snap.commit, first);
    assert_eq!(
        snap.get("promotions/alpha/request.yaml"),
        Some(&b"id: alpha\n"[..])
    );
    assert_eq!(
        snap.promotion_ids().into_iter().collect::<Vec<_>>(),
        vec!["alpha", "beta"]
    );
    assert_eq!(
        snap.promotion_files("beta")
            .keys()
            .copied()
            .collect::<Vec<_>>(),
        vec!["request.yaml", "request.yaml.sig"]
    );
    assert_eq!(
        src.read_file(&first, "access/policy.yaml")
            .unwrap()
            .as_deref(),
        Some(&b"kind: AccessPolicy\n"[..])
    );
    assert_eq!(
        src.read_file(&first, "promotions/gamma/request.yaml")
            .unwrap(),
        None
    );
    let part = src
        .snapshot_paths(
            &first,
            &["promotions/beta", "access/policy.yaml", "promotions/none"],
        )
        .unwrap();
    assert_eq!(
        part.files.keys().map(String::as_str).collect::<Vec<_>>(),
        vec![
            "access/policy.yaml",
            "promotions/beta/request.yaml",
            "promotions/beta/request.yaml.sig"
        ]
    );
    assert_eq!(
        part.get("promotions/beta/request.yaml"),
        snap.get("promotions/beta/request.yaml")
    );
    git(&dir, &["reset", "-q", "--hard"]);
    git(&dir, &["clean", "-qfd"]);

    // A commit on another branch does not move the tracked one.
    git(&dir, &["checkout", "-q", "-b", "feature"]);
    write(&dir, "promotions/feature-x/request.yaml", "id: feature-x\n");
    let feature = commit_all(&dir, "feature work");
    assert_eq!(src.head().unwrap(), first);
    assert_eq!(src.head_of("feature").unwrap(), feature);
    assert!(!src
        .snapshot(&src.head().unwrap())
        .unwrap()
        .promotion_ids()
        .contains("feature-x"));

    // A branch that does not exist.
    let other = GitSource::local(&dir, "nope").unwrap();
    let err = other.head().unwrap_err();
    assert!(matches!(err, SourceError::BranchNotFound(_)));
    assert_eq!(err.code(), ErrorCode::DatahubError);
    let err = GitSource::local(&dir, "a..b").unwrap_err();
    assert!(matches!(err, SourceError::InvalidBranch(_)));
    assert_eq!(err.code(), ErrorCode::InvalidRequest);
    assert!(matches!(
        src.snapshot("0123456789012345678901234567890123456789")
            .unwrap_err(),
        SourceError::CommitNotFound(_)
    ));
}

#[test]
fn the_diff_lists_what_changed_and_what_vanished() {
    let (_tmp, dir, first) = repo();
    let src = GitSource::local(&dir, "main").unwrap();

    // First run: everything.
    let all = src.diff(None, &first).unwrap();
    assert!(all.full && !all.force_push);
    assert_eq!(
        all.promotions
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        vec!["alpha", "beta"]
    );
    assert!(all.policy_changed && all.settings_changed);
    assert_eq!(
        all.mappings_changed
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        vec!["dev-a"]
    );

    // Nothing changed.
    assert!(src.diff(Some(&first), &first).unwrap().is_empty());

    // Only the touched promotion, plus a new one and a mappings file.
    write(
        &dir,
        "promotions/alpha/peer-review.yaml",
        "kind: PeerReview\n",
    );
    write(&dir, "promotions/gamma/request.yaml", "id: gamma\n");
    write(&dir, "mappings/dev-b.yaml", "kind: ConnectionMappings\n");
    write(&dir, "README.md", "changed\n");
    let second = commit_all(&dir, "second");
    let c = src.diff(Some(&first), &second).unwrap();
    assert!(!c.full && !c.force_push);
    assert_eq!(
        c.promotions.iter().map(String::as_str).collect::<Vec<_>>(),
        vec!["alpha", "gamma"]
    );
    assert_eq!(
        c.mappings_changed
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        vec!["dev-b"]
    );
    assert!(!c.policy_changed && !c.settings_changed);
    assert!(c.vanished.is_empty());
    assert_eq!(c.old.as_deref(), Some(first.as_str()));
    assert_eq!(c.new, second);

    // A deleted document is listed, with its promotion.
    std::fs::remove_file(dir.join("promotions/beta/request.yaml")).unwrap();
    std::fs::remove_file(dir.join("promotions/beta/request.yaml.sig")).unwrap();
    write(&dir, "access/policy.yaml", "kind: AccessPolicy\n# v2\n");
    let third = commit_all(&dir, "third");
    let c = src.diff(Some(&second), &third).unwrap();
    assert_eq!(
        c.promotions.iter().map(String::as_str).collect::<Vec<_>>(),
        vec!["beta"]
    );
    assert_eq!(
        c.vanished,
        vec![
            "promotions/beta/request.yaml",
            "promotions/beta/request.yaml.sig"
        ]
    );
    assert!(c.policy_changed);
    assert!(!c.force_push);
    // Over several commits at once, too.
    let c = src.diff(Some(&first), &third).unwrap();
    assert_eq!(
        c.promotions.iter().map(String::as_str).collect::<Vec<_>>(),
        vec!["alpha", "beta", "gamma"]
    );
}

#[test]
fn a_rewritten_history_is_detected() {
    let (_tmp, dir, first) = repo();
    let src = GitSource::local(&dir, "main").unwrap();
    write(
        &dir,
        "promotions/alpha/peer-review.yaml",
        "kind: PeerReview\n",
    );
    let second = commit_all(&dir, "second");
    assert!(src.is_ancestor(&first, &second).unwrap());

    // Rewrite: drop `second`, commit something else on top of `first`.
    git(&dir, &["reset", "-q", "--hard", &first]);
    write(&dir, "promotions/omega/request.yaml", "id: omega\n");
    let rewritten = commit_all(&dir, "rewritten");
    assert_eq!(src.head().unwrap(), rewritten);
    assert!(!src.is_ancestor(&second, &rewritten).unwrap());

    let c = src.diff(Some(&second), &rewritten).unwrap();
    assert!(c.force_push);
    assert!(!c.full);
    // Every promotion of the new tree is possibly changed; the dropped review is vanished.
    assert_eq!(
        c.promotions.iter().map(String::as_str).collect::<Vec<_>>(),
        vec!["alpha", "beta", "omega"]
    );
    assert_eq!(c.vanished, vec!["promotions/alpha/peer-review.yaml"]);

    // The last reconciled commit is gone altogether.
    let gone = "0123456789abcdef0123456789abcdef01234567";
    assert!(!src.is_ancestor(gone, &rewritten).unwrap());
    let c = src.diff(Some(gone), &rewritten).unwrap();
    assert!(c.force_push && c.full);
    assert_eq!(c.promotions.len(), 3);
}

#[test]
fn a_snapshot_advances_by_reading_only_what_changed() {
    let (_tmp, dir, first) = repo();
    let src = GitSource::local(&dir, "main").unwrap();
    let snap = src.snapshot(&first).unwrap();

    write(
        &dir,
        "promotions/alpha/request.yaml",
        "id: alpha\nnotes: v2\n",
    );
    write(&dir, "promotions/gamma/request.yaml", "id: gamma\n");
    std::fs::remove_file(dir.join("promotions/beta/request.yaml.sig")).unwrap();
    std::fs::remove_file(dir.join("README.md")).unwrap();
    let second = commit_all(&dir, "second");
    let change = src.diff(Some(&first), &second).unwrap();
    assert_eq!(
        change.paths.iter().map(String::as_str).collect::<Vec<_>>(),
        vec![
            "README.md",
            "promotions/alpha/request.yaml",
            "promotions/beta/request.yaml.sig",
            "promotions/gamma/request.yaml",
        ]
    );
    let advanced = src.advance(snap.clone(), &change).unwrap();
    assert_eq!(advanced, src.snapshot(&second).unwrap());

    // Not the snapshot of `change.old`, or a full change: read everything.
    let third = {
        write(&dir, "promotions/delta/request.yaml", "id: delta\n");
        commit_all(&dir, "third")
    };
    let change = src.diff(Some(&second), &third).unwrap();
    let from_stale = src.advance(snap, &change).unwrap();
    assert_eq!(from_stale, src.snapshot(&third).unwrap());
    let full = src.diff(None, &third).unwrap();
    assert!(full.full);
    assert_eq!(
        src.advance(Default::default(), &full).unwrap(),
        src.snapshot(&third).unwrap()
    );
}

/// A bare "server" repository with a work clone that pushes to it.
fn origin() -> (tempfile::TempDir, PathBuf, String, String) {
    let (tmp, work, first) = repo();
    let bare = tmp.path().join("origin.git");
    let out = Command::new("git")
        .args(["clone", "-q", "--bare"])
        .arg(&work)
        .arg(&bare)
        .output()
        .unwrap();
    assert!(out.status.success());
    git(&work, &["remote", "add", "origin", bare.to_str().unwrap()]);
    let url = format!("file://{}", bare.display());
    (tmp, work, first, url)
}

#[test]
fn a_remote_is_cloned_into_the_state_dir_and_fetched() {
    let (tmp, work, first, url) = origin();
    let state = tmp.path().join("state");
    let src = GitSource::open(&url, "main", &state).unwrap();
    assert!(src.is_remote());
    assert!(state.join("repo.git").is_dir());
    assert_eq!(src.head().unwrap(), first);
    assert!(src
        .snapshot(&first)
        .unwrap()
        .promotion_ids()
        .contains("alpha"));

    // A push is seen only after a fetch.
    write(&work, "promotions/gamma/request.yaml", "id: gamma\n");
    let second = commit_all(&work, "second");
    git(&work, &["push", "-q", "origin", "main"]);
    assert_eq!(src.head().unwrap(), first);
    src.fetch().unwrap();
    assert_eq!(src.head().unwrap(), second);
    let c = src.diff(Some(&first), &second).unwrap();
    assert_eq!(
        c.promotions.iter().map(String::as_str).collect::<Vec<_>>(),
        vec!["gamma"]
    );

    // A force-push upstream is followed and reported.
    git(&work, &["reset", "-q", "--hard", &first]);
    write(&work, "promotions/omega/request.yaml", "id: omega\n");
    let rewritten = commit_all(&work, "rewritten");
    git(&work, &["push", "-q", "--force", "origin", "main"]);
    src.fetch().unwrap();
    assert_eq!(src.head().unwrap(), rewritten);
    let c = src.diff(Some(&second), &rewritten).unwrap();
    assert!(c.force_push);
    assert_eq!(c.vanished, vec!["promotions/gamma/request.yaml"]);

    // Reopening re-uses the mirror.
    drop(src);
    let again = GitSource::open(&url, "main", &state).unwrap();
    assert_eq!(again.head().unwrap(), rewritten);

    // A branch the remote does not have is an error, not a hang.
    let err = GitSource::remote(&url, "no-such-branch", &tmp.path().join("state2")).unwrap_err();
    assert!(matches!(err, SourceError::Command { .. }), "{err}");
}

/// Fetches of a remote are observed (success and failure, into the metrics); a local
/// repository is never fetched, so it reports nothing.
#[test]
fn fetches_of_a_remote_are_observed() {
    let (tmp, _work, _first, url) = origin();
    let src = GitSource::open(&url, "main", &tmp.path().join("state")).unwrap();
    let metrics = boomi_promoter::server::Metrics::new();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (m, s) = (metrics.clone(), seen.clone());
    assert!(src.observe_fetches(Arc::new(move |d, ok| {
        s.lock().unwrap().push(ok);
        m.git_fetch(d, ok)
    })));
    assert!(
        !src.observe_fetches(Arc::new(|_, _| {})),
        "only one observer"
    );
    src.fetch().unwrap();
    // The upstream disappears: the next fetch fails and is counted.
    std::fs::rename(tmp.path().join("origin.git"), tmp.path().join("moved.git")).unwrap();
    assert!(src.fetch().is_err());
    assert_eq!(*seen.lock().unwrap(), vec![true, false]);
    let text = metrics.encode();
    assert!(
        text.contains("promoter_git_fetch_duration_seconds_count 2"),
        "{text}"
    );
    assert!(
        text.contains("promoter_git_fetch_failures_total 1"),
        "{text}"
    );

    let (_tmp2, dir, _) = repo();
    let local = GitSource::local(&dir, "main").unwrap();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = calls.clone();
    local.observe_fetches(Arc::new(move |_, _| {
        c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }));
    local.fetch().unwrap();
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 0);
}

async fn woken(rx: &mut tokio::sync::watch::Receiver<u64>) {
    // A bounded wait, not a timing assertion: generous so a loaded machine still passes.
    tokio::time::timeout(Duration::from_secs(60), rx.changed())
        .await
        .expect("the watcher woke within 60 s")
        .expect("watcher alive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_wakes_on_a_local_commit() {
    let (_tmp, dir, _first) = repo();
    let src = Arc::new(GitSource::local(&dir, "main").unwrap());
    let w = watch(
        src.clone(),
        WatchOptions {
            poll: Duration::from_secs(3600),
            debounce: Duration::from_millis(100),
        },
    )
    .unwrap();
    let mut rx = w.subscribe();
    write(&dir, "promotions/gamma/request.yaml", "id: gamma\n");
    let second = commit_all(&dir, "second");
    woken(&mut rx).await;
    assert_eq!(w.status().head.as_deref(), Some(second.as_str()));
    assert_eq!(w.status().last_error, None);

    // A trigger always wakes, even when nothing moved.
    w.trigger().fire();
    woken(&mut rx).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trigger_fetches_a_remote_at_once() {
    let (tmp, work, first, url) = origin();
    let src = Arc::new(GitSource::open(&url, "main", &tmp.path().join("state")).unwrap());
    let w = watch(
        src.clone(),
        WatchOptions {
            poll: Duration::from_secs(3600),
            debounce: Duration::from_millis(100),
        },
    )
    .unwrap();
    assert_eq!(w.status().head.as_deref(), Some(first.as_str()));
    let mut rx = w.subscribe();
    write(&work, "promotions/gamma/request.yaml", "id: gamma\n");
    let second = commit_all(&work, "second");
    git(&work, &["push", "-q", "origin", "main"]);
    w.trigger().fire();
    woken(&mut rx).await;
    assert_eq!(src.head().unwrap(), second);
    assert_eq!(w.status().head.as_deref(), Some(second.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_is_polled() {
    let (tmp, work, _first, url) = origin();
    let src = Arc::new(GitSource::open(&url, "main", &tmp.path().join("state")).unwrap());
    let w = watch(
        src.clone(),
        WatchOptions {
            poll: Duration::from_millis(200),
            debounce: Duration::from_millis(100),
        },
    )
    .unwrap();
    let mut rx = w.subscribe();
    write(&work, "promotions/gamma/request.yaml", "id: gamma\n");
    let second = commit_all(&work, "second");
    git(&work, &["push", "-q", "origin", "main"]);
    woken(&mut rx).await;
    assert_eq!(w.status().head.as_deref(), Some(second.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_work_tree_reads_and_watches_the_shared_refs() {
    let (tmp, dir, first) = repo();
    let linked = tmp.path().join("linked");
    git(
        &dir,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "side",
            linked.to_str().unwrap(),
        ],
    );
    let src = Arc::new(GitSource::local(&linked, "main").unwrap());
    assert_ne!(src.git_dir(), src.common_dir());
    assert_eq!(src.head().unwrap(), first);
    let w = watch(
        src.clone(),
        WatchOptions {
            poll: Duration::from_secs(3600),
            debounce: Duration::from_millis(100),
        },
    )
    .unwrap();
    let mut rx = w.subscribe();
    write(&dir, "promotions/gamma/request.yaml", "id: gamma\n");
    let second = commit_all(&dir, "second on main");
    woken(&mut rx).await;
    assert_eq!(src.head().unwrap(), second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_fetch_is_reported_and_recovers() {
    let (tmp, work, first, url) = origin();
    let src = Arc::new(GitSource::open(&url, "main", &tmp.path().join("state")).unwrap());
    let w = watch(
        src.clone(),
        WatchOptions {
            poll: Duration::from_secs(3600),
            debounce: Duration::from_millis(100),
        },
    )
    .unwrap();
    let mut status = w.status_updates();
    let bare = tmp.path().join("origin.git");
    let moved = tmp.path().join("origin-away.git");
    std::fs::rename(&bare, &moved).unwrap();
    w.trigger().fire();
    tokio::time::timeout(
        Duration::from_secs(60),
        status.wait_for(|s| s.last_error.is_some()),
    )
    .await
    .expect("the failure was reported within 60 s")
    .unwrap();
    // What was fetched before stays readable.
    assert_eq!(src.head().unwrap(), first);
    assert_eq!(w.status().head.as_deref(), Some(first.as_str()));

    std::fs::rename(&moved, &bare).unwrap();
    write(&work, "promotions/gamma/request.yaml", "id: gamma\n");
    let second = commit_all(&work, "second");
    git(&work, &["push", "-q", "origin", "main"]);
    let mut rx = w.subscribe();
    w.trigger().fire();
    woken(&mut rx).await;
    assert_eq!(w.status().last_error, None);
    assert_eq!(w.status().head.as_deref(), Some(second.as_str()));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_fires_the_trigger() {
    let (_tmp, dir, _first) = repo();
    let src = Arc::new(GitSource::local(&dir, "main").unwrap());
    let w = watch(
        src,
        WatchOptions {
            poll: Duration::from_secs(3600),
            debounce: Duration::from_millis(100),
        },
    )
    .unwrap();
    let mut rx = w.subscribe();
    let _hup = boomi_promoter::source::trigger_on_sighup(w.trigger()).unwrap();
    let status = Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    woken(&mut rx).await;
}

#[test]
fn debug_output_never_shows_credentials() {
    let (tmp, _work, _first, url) = origin();
    // A credentialed URL cannot be fetched here; check the Debug form of the origin.
    let o = boomi_promoter::source::Origin::Remote("https://bot:s3cret@example.com/r.git".into());
    let text = format!("{o:?}");
    assert!(!text.contains("s3cret"), "{text}");
    let src = GitSource::open(&url, "main", &tmp.path().join("state")).unwrap();
    assert!(format!("{src:?}").contains("origin.git"));
}
