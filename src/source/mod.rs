//! The git source of desired state: the promotions repository, read only as committed on the
//! tracked branch (never a work tree, never uncommitted edits).
//!
//! - A **local path** is read in place with git2. A **remote URL** is cloned into
//!   `<state>/repo.git` (a bare repository) with the `git` CLI, so every auth method git
//!   supports works (credential helpers, SSH agent, `insteadOf` rules); credentials stay in
//!   git's own configuration and are redacted from every message we produce.
//! - [`GitSource::snapshot`] reads the whole tree of a commit ([`Snapshot`]: path → exact
//!   bytes); [`GitSource::diff`] says which promotions, policy, mappings, settings and
//!   extensions changed between two commits ([`Change`]), so work is proportional to what
//!   changed. A history rewrite (force-push) is detected and reported; deleted documents are
//!   listed (`vanished`) so the reconciler reports `DESIRED_STATE_MISSING` instead of
//!   deleting anything.
//! - [`watch`] wakes the reconciler when the tracked branch moves: a debounced file watch of
//!   a local repository's git directory, a periodic fetch of a remote, and a [`Trigger`] for
//!   the webhook and SIGHUP.
//!
//! The git operations are blocking; async callers use `spawn_blocking` (the watcher does).

mod gitcli;
mod watch;

pub use gitcli::redact_url;
#[cfg(unix)]
pub use watch::trigger_on_sighup;
pub use watch::{watch, Trigger, Watch, WatchOptions, WatchStatus};

use crate::model::ErrorCode;
use git2::{Delta, ObjectType, Oid, Repository, Tree};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// What can go wrong reading the repository.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("repository {path}: {message}")]
    Open { path: PathBuf, message: String },
    #[error("invalid branch name {0:?}")]
    InvalidBranch(String),
    #[error("branch {0:?} not found in the repository")]
    BranchNotFound(String),
    #[error("commit {0} not found in the repository")]
    CommitNotFound(String),
    #[error("invalid repository URL {0:?}")]
    InvalidUrl(String),
    /// A `git` command failed; the message has credentials redacted.
    #[error("`git {command}` failed: {message}")]
    Command { command: String, message: String },
    #[error("`git {command}` did not finish within {seconds} s")]
    Timeout { command: String, seconds: u64 },
    #[error("file watch: {0}")]
    Watch(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl SourceError {
    /// The catalogue code. Configuration mistakes are `INVALID_REQUEST`; an unreadable or
    /// unreachable repository is reported as the desired-state store failing
    /// (`DATAHUB_ERROR`; the catalogue has no separate code for git).
    pub fn code(&self) -> ErrorCode {
        match self {
            SourceError::InvalidBranch(_) | SourceError::InvalidUrl(_) => ErrorCode::InvalidRequest,
            _ => ErrorCode::DatahubError,
        }
    }

    /// Whether trying again later may succeed (network, a busy lock, a slow remote).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SourceError::Command { .. } | SourceError::Timeout { .. } | SourceError::Io(_)
        )
    }
}

/// The files of one commit of the tracked branch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// The full commit id (hex).
    pub commit: String,
    /// Path relative to the repository root (`/`-separated) → the exact blob bytes. Regular
    /// files only (symlinks and submodules are not documents).
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Snapshot {
    /// The bytes of one file.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// Every promotion id with at least one file under `promotions/<id>/`.
    pub fn promotion_ids(&self) -> BTreeSet<String> {
        self.files
            .keys()
            .filter_map(|p| match classify(p) {
                PathClass::Promotion(id) => Some(id),
                _ => None,
            })
            .collect()
    }

    /// The files of one promotion: file name within `promotions/<id>/` → bytes.
    pub fn promotion_files(&self, id: &str) -> BTreeMap<&str, &[u8]> {
        let prefix = format!("promotions/{id}/");
        self.files
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .map(|(p, b)| (&p[prefix.len()..], b.as_slice()))
            .collect()
    }
}

/// What a path of the promotions repository is (DESIGN.md §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathClass {
    /// `promotions/<id>/...`
    Promotion(String),
    /// `access/...` (the access policy and its signature)
    Policy,
    /// `mappings/<devAccountId>.yaml` and its `.sig`
    Mappings(String),
    /// `promoter.yaml` (and its `.sig`)
    Settings,
    /// `extensions/<environment>/...`
    Extensions(String),
    /// Anything else (README, CI files): not desired state.
    Other,
}

/// Classify a repository path.
pub fn classify(path: &str) -> PathClass {
    let mut parts = path.splitn(3, '/');
    let first = parts.next().unwrap_or("");
    let second = parts.next();
    let rest = parts.next();
    match (first, second, rest) {
        ("promotions", Some(id), Some(_)) if !id.is_empty() => PathClass::Promotion(id.to_owned()),
        ("access", Some(_), _) => PathClass::Policy,
        ("mappings", Some(file), None) => {
            let stem = file.strip_suffix(".sig").unwrap_or(file);
            match stem
                .strip_suffix(".yaml")
                .or_else(|| stem.strip_suffix(".yml"))
            {
                Some(account) if !account.is_empty() => PathClass::Mappings(account.to_owned()),
                _ => PathClass::Other,
            }
        }
        ("promoter.yaml" | "promoter.yaml.sig", None, None) => PathClass::Settings,
        ("extensions", Some(env), Some(_)) if !env.is_empty() => {
            PathClass::Extensions(env.to_owned())
        }
        _ => PathClass::Other,
    }
}

/// What changed between two commits of the tracked branch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Change {
    /// The last reconciled commit (`None`: first run).
    pub old: Option<String>,
    pub new: String,
    /// Promotions whose files changed (or, with `full`/`force_push`, every promotion of the
    /// new tree): reconcile these.
    pub promotions: BTreeSet<String>,
    pub policy_changed: bool,
    /// Dev accounts whose mappings file changed.
    pub mappings_changed: BTreeSet<String>,
    pub settings_changed: bool,
    /// Environments whose extension files changed.
    pub extensions_changed: BTreeSet<String>,
    /// Paths present at `old` and absent at `new`, sorted. A vanished document is reported
    /// (`DESIRED_STATE_MISSING`), never acted on destructively. Empty on a `full` change
    /// (there is no old tree to compare): compare the store's records with the new snapshot.
    pub vanished: Vec<String>,
    /// `old` is not an ancestor of `new` (history was rewritten) or is gone.
    pub force_push: bool,
    /// Every path added, modified or deleted between `old` and `new` (with `full`: every path
    /// of `new`), sorted.
    pub paths: BTreeSet<String>,
    /// Everything must be re-checked: first run, or `old` cannot be read any more.
    pub full: bool,
}

impl Change {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.promotions.is_empty()
            && !self.policy_changed
            && self.mappings_changed.is_empty()
            && !self.settings_changed
            && self.extensions_changed.is_empty()
            && self.vanished.is_empty()
            && !self.force_push
            && !self.full
    }

    fn add_path(&mut self, path: &str) {
        self.paths.insert(path.to_owned());
        match classify(path) {
            PathClass::Promotion(id) => {
                self.promotions.insert(id);
            }
            PathClass::Policy => self.policy_changed = true,
            PathClass::Mappings(a) => {
                self.mappings_changed.insert(a);
            }
            PathClass::Settings => self.settings_changed = true,
            PathClass::Extensions(e) => {
                self.extensions_changed.insert(e);
            }
            PathClass::Other => {}
        }
    }
}

/// Where the repository comes from. `Debug` redacts credentials.
#[derive(Clone, PartialEq, Eq)]
pub enum Origin {
    /// A repository on this machine (work tree or bare), read in place.
    Local(PathBuf),
    /// A remote URL, mirrored into the state directory. Kept verbatim for `git`; display
    /// it with [`redact_url`].
    Remote(String),
}

impl std::fmt::Debug for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Local(p) => f.debug_tuple("Local").field(p).finish(),
            Origin::Remote(u) => f.debug_tuple("Remote").field(&redact_url(u)).finish(),
        }
    }
}

/// The promotions repository, tracking one branch. `Debug` redacts credentials.
#[derive(Debug)]
pub struct GitSource {
    origin: Origin,
    git_dir: PathBuf,
    common_dir: PathBuf,
    branch: String,
    fetch_timeout: Duration,
    fetch_lock: Mutex<()>,
    fetch_observer: FetchObserverSlot,
}

/// Told the duration of every fetch of a remote and whether it succeeded (metrics). Must be
/// quick: it is called inline.
pub type FetchObserver = std::sync::Arc<dyn Fn(Duration, bool) + Send + Sync>;

/// The observer of a [`GitSource`], set once after it is opened.
#[derive(Default)]
struct FetchObserverSlot(std::sync::OnceLock<FetchObserver>);

impl std::fmt::Debug for FetchObserverSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Some(<observer>)"
        } else {
            "None"
        })
    }
}

/// The default limit for one `git fetch`.
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(300);

fn check_branch(branch: &str) -> Result<(), SourceError> {
    if branch.is_empty()
        || branch.starts_with('-')
        || !git2::Reference::is_valid_name(&format!("refs/heads/{branch}"))
    {
        return Err(SourceError::InvalidBranch(branch.to_owned()));
    }
    Ok(())
}

/// Whether `repo` names a remote (a URL or `user@host:path`) rather than a local path.
pub fn is_remote_spec(repo: &str) -> bool {
    if repo.contains("://") {
        return true;
    }
    if Path::new(repo).exists() {
        return false;
    }
    // scp-like syntax: `[user@]host:path`, with no slash before the colon.
    match repo.find(':') {
        Some(i) => !repo[..i].contains('/') && i > 1,
        None => false,
    }
}

impl GitSource {
    /// Open `repo` (a local path, or a URL mirrored into `<state_dir>/repo.git`) tracking
    /// `branch`. A remote is fetched once here.
    pub fn open(repo: &str, branch: &str, state_dir: &Path) -> Result<GitSource, SourceError> {
        if is_remote_spec(repo) {
            GitSource::remote(repo, branch, state_dir)
        } else {
            GitSource::local(repo, branch)
        }
    }

    /// A repository on this machine (a work tree or a bare repository).
    pub fn local(path: impl AsRef<Path>, branch: &str) -> Result<GitSource, SourceError> {
        check_branch(branch)?;
        let path = path.as_ref();
        let repo = Repository::open(path).map_err(|e| SourceError::Open {
            path: path.to_owned(),
            message: e.message().to_owned(),
        })?;
        let git_dir = repo.path().to_owned();
        let common_dir = repo.commondir().to_owned();
        Ok(GitSource {
            origin: Origin::Local(path.to_owned()),
            git_dir,
            common_dir,
            branch: branch.to_owned(),
            fetch_timeout: DEFAULT_FETCH_TIMEOUT,
            fetch_lock: Mutex::new(()),
            fetch_observer: FetchObserverSlot::default(),
        })
    }

    /// A remote repository, mirrored (bare) into `<state_dir>/repo.git` with the `git` CLI
    /// and fetched once. Reopening reuses the mirror (and follows a changed URL).
    pub fn remote(url: &str, branch: &str, state_dir: &Path) -> Result<GitSource, SourceError> {
        GitSource::remote_with_timeout(url, branch, state_dir, DEFAULT_FETCH_TIMEOUT)
    }

    /// [`GitSource::remote`] with a limit on each `git` command.
    pub fn remote_with_timeout(
        url: &str,
        branch: &str,
        state_dir: &Path,
        fetch_timeout: Duration,
    ) -> Result<GitSource, SourceError> {
        check_branch(branch)?;
        if url.is_empty() || url.starts_with('-') || url.contains(['\n', '\r', '\0']) {
            return Err(SourceError::InvalidUrl(redact_url(url)));
        }
        std::fs::create_dir_all(state_dir)?;
        let git_dir = state_dir.join("repo.git");
        gitcli::init_mirror(&git_dir, url, fetch_timeout)?;
        let src = GitSource {
            origin: Origin::Remote(url.to_owned()),
            common_dir: git_dir.clone(),
            git_dir,
            branch: branch.to_owned(),
            fetch_timeout,
            fetch_lock: Mutex::new(()),
            fetch_observer: FetchObserverSlot::default(),
        };
        src.fetch()?;
        Ok(src)
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    pub fn is_remote(&self) -> bool {
        matches!(self.origin, Origin::Remote(_))
    }

    /// The tracked branch.
    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// The git directory read (the `.git` of a local work tree, or the mirror).
    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    /// The directory holding the refs (differs from [`GitSource::git_dir`] in a linked
    /// work tree).
    pub fn common_dir(&self) -> &Path {
        &self.common_dir
    }

    /// A description safe to log (credentials redacted).
    pub fn describe(&self) -> String {
        match &self.origin {
            Origin::Local(p) => format!("{} ({})", p.display(), self.branch),
            Origin::Remote(u) => format!("{} ({})", redact_url(u), self.branch),
        }
    }

    fn repo(&self) -> Result<Repository, SourceError> {
        Repository::open(&self.git_dir).map_err(|e| SourceError::Open {
            path: self.git_dir.clone(),
            message: e.message().to_owned(),
        })
    }

    /// Update the mirror of a remote from its tracked branch (history rewrites included). A
    /// no-op for a local repository. Concurrent calls are serialised.
    pub fn fetch(&self) -> Result<(), SourceError> {
        let Origin::Remote(url) = &self.origin else {
            return Ok(());
        };
        let _guard = self.fetch_lock.lock().unwrap_or_else(|p| p.into_inner());
        let started = std::time::Instant::now();
        let result = gitcli::fetch_branch(&self.git_dir, url, &self.branch, self.fetch_timeout);
        if let Some(observe) = self.fetch_observer.0.get() {
            observe(started.elapsed(), result.is_ok());
        }
        result
    }

    /// Tell `observer` about every later fetch of a remote (a local repository is never
    /// fetched). Only the first observer set is kept; `false` when one was set before.
    pub fn observe_fetches(&self, observer: FetchObserver) -> bool {
        self.fetch_observer.0.set(observer).is_ok()
    }

    /// The commit the tracked branch points at.
    pub fn head(&self) -> Result<String, SourceError> {
        self.head_of(&self.branch)
    }

    /// The commit a branch points at (`refs/heads/<branch>`).
    pub fn head_of(&self, branch: &str) -> Result<String, SourceError> {
        check_branch(branch)?;
        let repo = self.repo()?;
        let r = repo
            .find_reference(&format!("refs/heads/{branch}"))
            .map_err(|e| match e.code() {
                git2::ErrorCode::NotFound => SourceError::BranchNotFound(branch.to_owned()),
                _ => SourceError::Git(e),
            })?;
        let commit = r.peel_to_commit()?;
        Ok(commit.id().to_string())
    }

    fn commit_tree<'r>(
        repo: &'r Repository,
        commit: &str,
    ) -> Result<Option<Tree<'r>>, SourceError> {
        let Ok(oid) = Oid::from_str(commit) else {
            return Err(SourceError::CommitNotFound(commit.to_owned()));
        };
        match repo.find_commit(oid) {
            Ok(c) => Ok(Some(c.tree()?)),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Every regular file of a commit's tree.
    pub fn snapshot(&self, commit: &str) -> Result<Snapshot, SourceError> {
        let repo = self.repo()?;
        let tree = Self::commit_tree(&repo, commit)?
            .ok_or_else(|| SourceError::CommitNotFound(commit.to_owned()))?;
        let mut files = BTreeMap::new();
        read_tree(&repo, &tree, "", &mut files)?;
        let full = repo.find_commit(Oid::from_str(commit)?)?.id().to_string();
        Ok(Snapshot {
            commit: full,
            files,
        })
    }

    /// The snapshot of `change.new`, made from `prev` (the snapshot of `change.old`) by reading
    /// only the paths that changed. Falls back to a whole [`snapshot`](Self::snapshot) when the
    /// change is `full` or `prev` is not the snapshot of `change.old`.
    pub fn advance(&self, mut prev: Snapshot, change: &Change) -> Result<Snapshot, SourceError> {
        if change.full || change.old.as_deref() != Some(prev.commit.as_str()) {
            return self.snapshot(&change.new);
        }
        if prev.commit == change.new {
            return Ok(prev);
        }
        let repo = self.repo()?;
        let tree = Self::commit_tree(&repo, &change.new)?
            .ok_or_else(|| SourceError::CommitNotFound(change.new.clone()))?;
        for path in &change.paths {
            match tree.get_path(Path::new(path)) {
                Ok(e) if e.kind() == Some(ObjectType::Blob) && is_regular(e.filemode()) => {
                    let bytes = repo.find_blob(e.id())?.content().to_vec();
                    prev.files.insert(path.clone(), bytes);
                }
                Ok(_) => {
                    prev.files.remove(path);
                }
                Err(e) if e.code() == git2::ErrorCode::NotFound => {
                    prev.files.remove(path);
                }
                Err(e) => return Err(e.into()),
            }
        }
        prev.commit = change.new.clone();
        Ok(prev)
    }

    /// Only the files under the given paths of a commit (a directory such as
    /// `promotions/alpha` takes everything below it; a file path takes that file). Paths that
    /// do not exist are skipped. Work is proportional to what is read, not to the repository.
    pub fn snapshot_paths<S: AsRef<str>>(
        &self,
        commit: &str,
        paths: &[S],
    ) -> Result<Snapshot, SourceError> {
        let repo = self.repo()?;
        let tree = Self::commit_tree(&repo, commit)?
            .ok_or_else(|| SourceError::CommitNotFound(commit.to_owned()))?;
        let mut files = BTreeMap::new();
        for p in paths {
            let p = p.as_ref().trim_matches('/');
            if p.is_empty() {
                read_tree(&repo, &tree, "", &mut files)?;
                continue;
            }
            let entry = match tree.get_path(Path::new(p)) {
                Ok(e) => e,
                Err(e) if e.code() == git2::ErrorCode::NotFound => continue,
                Err(e) => return Err(e.into()),
            };
            match entry.kind() {
                Some(ObjectType::Tree) => {
                    let sub = repo.find_tree(entry.id())?;
                    read_tree(&repo, &sub, &format!("{p}/"), &mut files)?;
                }
                Some(ObjectType::Blob) if is_regular(entry.filemode()) => {
                    let bytes = repo.find_blob(entry.id())?.content().to_vec();
                    files.insert(p.to_owned(), bytes);
                }
                _ => {}
            }
        }
        let full = repo.find_commit(Oid::from_str(commit)?)?.id().to_string();
        Ok(Snapshot {
            commit: full,
            files,
        })
    }

    /// One file of a commit (`None`: not there, or not a regular file).
    pub fn read_file(&self, commit: &str, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        let repo = self.repo()?;
        let tree = Self::commit_tree(&repo, commit)?
            .ok_or_else(|| SourceError::CommitNotFound(commit.to_owned()))?;
        let entry = match tree.get_path(Path::new(path)) {
            Ok(e) => e,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if entry.kind() != Some(ObjectType::Blob) || !is_regular(entry.filemode()) {
            return Ok(None);
        }
        let bytes = repo.find_blob(entry.id())?.content().to_vec();
        Ok(Some(bytes))
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors. `false` when `ancestor`
    /// is not in the repository any more.
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> Result<bool, SourceError> {
        let repo = self.repo()?;
        let (Ok(a), Ok(d)) = (Oid::from_str(ancestor), Oid::from_str(descendant)) else {
            return Ok(false);
        };
        if repo.find_commit(a).is_err() {
            return Ok(false);
        }
        repo.find_commit(d)
            .map_err(|_| SourceError::CommitNotFound(descendant.to_owned()))?;
        Ok(a == d || repo.graph_descendant_of(d, a)?)
    }

    /// What changed from `old` (the last reconciled commit; `None` on the first run) to `new`.
    ///
    /// - First run, or `old` no longer in the repository: `full`, every promotion, mappings
    ///   file and extension environment of `new` is listed (and `force_push` when `old` was
    ///   given).
    /// - `old` not an ancestor of `new`: `force_push`; the tree diff is reported as usual
    ///   (including vanished paths) and every promotion of `new` is listed as possibly
    ///   changed. The reconciler decides from its state and never redoes finished work.
    pub fn diff(&self, old: Option<&str>, new: &str) -> Result<Change, SourceError> {
        let repo = self.repo()?;
        let new_tree = Self::commit_tree(&repo, new)?
            .ok_or_else(|| SourceError::CommitNotFound(new.to_owned()))?;
        let new_full = repo.find_commit(Oid::from_str(new)?)?.id().to_string();
        let mut change = Change {
            old: old.map(str::to_owned),
            new: new_full.clone(),
            ..Default::default()
        };
        let old_tree = match old {
            None => None,
            Some(o) => match Self::commit_tree(&repo, o) {
                Ok(t) => t,
                Err(SourceError::CommitNotFound(_)) => None,
                Err(e) => return Err(e),
            },
        };
        let Some(old_tree) = old_tree else {
            change.full = true;
            change.force_push = old.is_some();
            for path in all_paths(&repo, &new_tree)? {
                change.add_path(&path);
            }
            change.policy_changed = true;
            change.settings_changed = true;
            return Ok(change);
        };
        let old_full = repo
            .find_commit(Oid::from_str(old.unwrap_or_default())?)?
            .id();
        if old_full.to_string() == new_full {
            return Ok(change);
        }
        change.force_push = !repo.graph_descendant_of(Oid::from_str(&new_full)?, old_full)?;
        let diff = repo.diff_tree_to_tree(Some(&old_tree), Some(&new_tree), None)?;
        for delta in diff.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                if let Some(p) = file.path().and_then(|p| p.to_str()) {
                    change.add_path(p);
                }
            }
            if delta.status() == Delta::Deleted {
                if let Some(p) = delta.old_file().path().and_then(|p| p.to_str()) {
                    change.vanished.push(p.to_owned());
                }
            }
        }
        if change.force_push {
            for path in all_paths(&repo, &new_tree)? {
                if let PathClass::Promotion(id) = classify(&path) {
                    change.promotions.insert(id);
                }
            }
        }
        change.vanished.sort();
        Ok(change)
    }
}

fn is_regular(mode: i32) -> bool {
    // 0o100644 and 0o100755 (blob, blob executable); not 0o120000 (link) or 0o160000 (commit).
    mode & 0o170000 == 0o100000
}

fn read_tree(
    repo: &Repository,
    tree: &Tree<'_>,
    prefix: &str,
    out: &mut BTreeMap<String, Vec<u8>>,
) -> Result<(), SourceError> {
    for entry in tree.iter() {
        let Ok(name) = std::str::from_utf8(entry.name_bytes()) else {
            tracing::warn!(prefix, "skipping a path that is not UTF-8");
            continue;
        };
        let path = format!("{prefix}{name}");
        match entry.kind() {
            Some(ObjectType::Tree) => {
                let sub = repo.find_tree(entry.id())?;
                read_tree(repo, &sub, &format!("{path}/"), out)?;
            }
            Some(ObjectType::Blob) if is_regular(entry.filemode()) => {
                out.insert(path, repo.find_blob(entry.id())?.content().to_vec());
            }
            _ => tracing::debug!(path, "skipping a link or submodule"),
        }
    }
    Ok(())
}

fn all_paths(repo: &Repository, tree: &Tree<'_>) -> Result<Vec<String>, SourceError> {
    fn walk(
        repo: &Repository,
        tree: &Tree<'_>,
        prefix: &str,
        out: &mut Vec<String>,
    ) -> Result<(), SourceError> {
        for entry in tree.iter() {
            let Ok(name) = std::str::from_utf8(entry.name_bytes()) else {
                continue;
            };
            let path = format!("{prefix}{name}");
            match entry.kind() {
                Some(ObjectType::Tree) => {
                    walk(repo, &repo.find_tree(entry.id())?, &format!("{path}/"), out)?
                }
                _ => out.push(path),
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(repo, tree, "", &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_classified_by_the_repository_layout() {
        assert_eq!(
            classify("promotions/orders-1/request.yaml"),
            PathClass::Promotion("orders-1".into())
        );
        assert_eq!(
            classify("promotions/orders-1/request.yaml.sig"),
            PathClass::Promotion("orders-1".into())
        );
        assert_eq!(classify("promotions/README.md"), PathClass::Other);
        assert_eq!(classify("access/policy.yaml"), PathClass::Policy);
        assert_eq!(classify("access/policy.yaml.sig"), PathClass::Policy);
        assert_eq!(
            classify("mappings/dev-a.yaml"),
            PathClass::Mappings("dev-a".into())
        );
        assert_eq!(
            classify("mappings/dev-a.yaml.sig"),
            PathClass::Mappings("dev-a".into())
        );
        assert_eq!(classify("mappings/notes.txt"), PathClass::Other);
        assert_eq!(classify("promoter.yaml"), PathClass::Settings);
        assert_eq!(
            classify("extensions/env-test/db.yaml"),
            PathClass::Extensions("env-test".into())
        );
        assert_eq!(classify("README.md"), PathClass::Other);
    }

    #[test]
    fn remote_specs_are_told_from_paths() {
        assert!(is_remote_spec("https://example.com/org/repo.git"));
        assert!(is_remote_spec("file:///tmp/x.git"));
        assert!(is_remote_spec("git@github.com:org/repo.git"));
        assert!(!is_remote_spec("/definitely/not/here"));
        assert!(!is_remote_spec("relative/dir"));
        assert!(!is_remote_spec("."));
    }

    #[test]
    fn branch_names_are_checked() {
        assert!(check_branch("main").is_ok());
        assert!(check_branch("release/2026").is_ok());
        for bad in ["", "-x", "a..b", "a b", "x:y", "a~1"] {
            assert!(check_branch(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_regular_files_count() {
        assert!(is_regular(0o100644));
        assert!(is_regular(0o100755));
        assert!(!is_regular(0o120000));
        assert!(!is_regular(0o160000));
        assert!(!is_regular(0o040000));
    }
}
