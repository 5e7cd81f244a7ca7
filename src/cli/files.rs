//! Reading a promotions repository's files for the CLI: the committed tree of a folder at a
//! revision (a repository root or a folder inside one), or the files on disk (`--worktree`, or a
//! plain folder that is not in git).

use crate::policy::Files;
use anyhow::{anyhow, Context, Result};
use std::path::{Path, PathBuf};

/// Where the files came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub files: Files,
    /// `git <rev> (<commit>)`, `worktree`, or `folder`.
    pub origin: String,
    pub commit: Option<String>,
}

/// Skip signatures and documents of tools we do not own? No: read everything except git
/// internals; the verifier decides what matters.
fn read_dir_files(root: &Path) -> Result<Files> {
    let mut files = Files::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name();
            if name == ".git" {
                continue;
            }
            let ft = entry.file_type()?;
            if ft.is_dir() {
                stack.push(path);
            } else if ft.is_file() {
                let rel = path
                    .strip_prefix(root)
                    .expect("below root")
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(rel, std::fs::read(&path)?);
            }
        }
    }
    Ok(files)
}

/// Open the git repository containing `path`, if any; returns it and `path` relative to its
/// work tree.
fn discover(path: &Path) -> Option<(git2::Repository, PathBuf)> {
    let abs = std::fs::canonicalize(path).ok()?;
    let repo = git2::Repository::discover(&abs).ok()?;
    let workdir = std::fs::canonicalize(repo.workdir()?).ok()?;
    let rel = abs.strip_prefix(&workdir).ok()?.to_path_buf();
    Some((repo, rel))
}

/// The files of `rel` (a folder of the repository) in the tree of `rev`.
fn read_tree(repo: &git2::Repository, rel: &Path, rev: &str) -> Result<(Files, String)> {
    let obj = repo
        .revparse_single(rev)
        .with_context(|| format!("unknown revision {rev:?}"))?;
    let commit = obj
        .peel_to_commit()
        .with_context(|| format!("{rev:?} is not a commit"))?;
    let mut tree = commit.tree()?;
    if !rel.as_os_str().is_empty() {
        let entry = tree
            .get_path(rel)
            .with_context(|| format!("{} is not in the tree of {rev}", rel.display()))?;
        tree = entry
            .to_object(repo)?
            .peel_to_tree()
            .map_err(|_| anyhow!("{} is not a folder", rel.display()))?;
    }
    let mut files = Files::new();
    let mut err = None;
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
            match entry.to_object(repo).and_then(|o| o.peel_to_blob()) {
                Ok(blob) => {
                    files.insert(format!("{dir}{name}"), blob.content().to_vec());
                }
                Err(e) => {
                    err = Some(e);
                    return git2::TreeWalkResult::Abort;
                }
            }
        }
        git2::TreeWalkResult::Ok
    })?;
    if let Some(e) = err {
        return Err(e.into());
    }
    Ok((files, commit.id().to_string()))
}

/// Load the repository at `path`: the committed tree at `rev` (default HEAD) when `path` is in
/// a git repository and `worktree` is false; otherwise the files on disk.
pub fn load(path: &Path, rev: Option<&str>, worktree: bool) -> Result<Loaded> {
    if !path.is_dir() {
        return Err(anyhow!("{} is not a folder", path.display()));
    }
    match discover(path) {
        Some((repo, rel)) if !worktree => {
            let rev = rev.unwrap_or("HEAD");
            let (files, commit) = read_tree(&repo, &rel, rev)?;
            Ok(Loaded {
                files,
                origin: format!("git {rev} ({})", &commit[..12.min(commit.len())]),
                commit: Some(commit),
            })
        }
        Some((repo, rel)) => {
            if let Some(rev) = rev {
                let (files, commit) = read_tree(&repo, &rel, rev)?;
                return Ok(Loaded {
                    files,
                    origin: format!("git {rev}"),
                    commit: Some(commit),
                });
            }
            Ok(Loaded {
                files: read_dir_files(path)?,
                origin: "worktree".into(),
                commit: None,
            })
        }
        None => {
            if rev.is_some() {
                return Err(anyhow!(
                    "{} is not in a git repository, so --base cannot be read",
                    path.display()
                ));
            }
            Ok(Loaded {
                files: read_dir_files(path)?,
                origin: "folder".into(),
                commit: None,
            })
        }
    }
}

/// A file that lies inside the git work tree of the repository holding `repo`: the repository
/// and the file's path relative to its work tree. `None` when the file is elsewhere (or there is
/// no git repository).
pub fn tracked_location(repo: &Path, file: &Path) -> Option<(git2::Repository, String)> {
    let (git, _) = discover(repo)?;
    let workdir = std::fs::canonicalize(git.workdir()?).ok()?;
    let abs = std::fs::canonicalize(file).ok()?;
    let rel = abs.strip_prefix(&workdir).ok()?;
    let rel = rel.to_string_lossy().replace('\\', "/");
    Some((git, rel))
}

/// The versions of `rel` (relative to the promotions repository `repo`): the committed one at
/// HEAD when `repo` is inside a git repository with a commit, then the one on disk when it
/// differs (an uncommitted edit, or no git at all); each with where it was read (`HEAD`,
/// `work tree`). Empty when the file is in neither.
pub fn committed_and_disk(repo: &Path, rel: &str) -> Result<Vec<(Vec<u8>, &'static str)>> {
    let mut out = Vec::new();
    if let Some((git, folder)) = discover(repo) {
        if git.head().is_ok_and(|h| h.target().is_some()) {
            let path = folder.join(rel).to_string_lossy().replace('\\', "/");
            if let Some(b) = blob_at(&git, "HEAD", &path)? {
                out.push((b, "HEAD"));
            }
        }
    }
    match std::fs::read(repo.join(rel)) {
        Ok(b) if out.first().is_none_or(|(c, _)| *c != b) => out.push((b, "work tree")),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(anyhow!("reading {}: {e}", repo.join(rel).display())),
    }
    Ok(out)
}

/// The bytes of `rel` (relative to the work tree) in the tree of `rev`; `None` when absent.
pub fn blob_at(repo: &git2::Repository, rev: &str, rel: &str) -> Result<Option<Vec<u8>>> {
    let commit = repo
        .revparse_single(rev)
        .with_context(|| format!("unknown revision {rev:?}"))?
        .peel_to_commit()
        .with_context(|| format!("{rev:?} is not a commit"))?;
    let tree = commit.tree()?;
    let Ok(entry) = tree.get_path(Path::new(rel)) else {
        return Ok(None);
    };
    Ok(entry
        .to_object(repo)?
        .peel_to_blob()
        .ok()
        .map(|b| b.content().to_vec()))
}
