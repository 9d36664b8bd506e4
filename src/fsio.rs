//! Files the project writes: always to a temporary file beside the target, then renamed into
//! place, so an interrupted run leaves the previous file whole; a report directory is swapped
//! whole ([`install_dir`]); every error carries its path.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("{action} {path}: {source}")]
pub struct FsError {
    pub action: &'static str,
    pub path: PathBuf,
    pub source: std::io::Error,
}

fn err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> FsError + 'a {
    move |source| FsError {
        action,
        path: path.to_owned(),
        source,
    }
}

/// Writes `bytes` to `path` atomically (temporary file in the same directory, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err("cannot create directory", dir))?;
    let name = path
        .file_name()
        .map_or("out".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp).map_err(err("cannot create", &tmp))?;
        f.write_all(bytes).map_err(err("cannot write", &tmp))?;
        f.sync_all().map_err(err("cannot sync", &tmp))?;
        std::fs::rename(&tmp, path).map_err(err("cannot move into place", path))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Replaces the directory `out` with one that holds `files` (paths relative to it, `/`-separated)
/// and everything else `out` held, except files under the `prune` directories that `files` does
/// not name (stale charts). The new directory is staged beside `out` (what is kept is
/// hard-linked, not copied), then swapped with `out` by one `renameat2(RENAME_EXCHANGE)`: a
/// reader, or a kill at any moment, sees the whole old directory or the whole new one, never a
/// mix. A filesystem that cannot exchange gets the files moved in one by one instead.
pub fn install_dir(
    out: &Path,
    files: &BTreeMap<String, Vec<u8>>,
    prune: &[&str],
) -> Result<(), FsError> {
    // A symlink to the report directory: replace the directory it points to, not the link.
    let out = &out.canonicalize().unwrap_or_else(|_| out.to_owned());
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(err("cannot create directory", parent))?;
    let name = out
        .file_name()
        .map_or("report".into(), |n| n.to_string_lossy().into_owned());
    let prefix = format!(".{name}.staging-");
    // Staging left by a run that was killed (before the swap: the new directory half-made;
    // after it: the old directory, replaced): never the live one, safe to remove.
    if let Ok(entries) = std::fs::read_dir(parent) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let staging = parent.join(format!("{prefix}{}", std::process::id()));
    let staged = (|| {
        std::fs::create_dir(&staging).map_err(err("cannot create directory", &staging))?;
        if out.is_dir() {
            let keep = |rel: &str| {
                !files.contains_key(rel) && !prune.iter().any(|p| rel.starts_with(&format!("{p}/")))
            };
            link_tree(out, &staging, Path::new(""), &keep)?;
        }
        for (rel, bytes) in files {
            write_atomic(&staging.join(rel), bytes)?;
        }
        Ok::<_, FsError>(())
    })();
    if let Err(e) = staged {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if !out.exists() {
        return std::fs::rename(&staging, out).map_err(err("cannot move into place", out));
    }
    match exchange(&staging, out) {
        Ok(()) => {
            // `staging` now holds the old directory.
            let _ = std::fs::remove_dir_all(&staging);
            Ok(())
        }
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
            ) =>
        {
            let moved = move_in(&staging, out, files, prune);
            let _ = std::fs::remove_dir_all(&staging);
            moved
        }
        Err(source) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(FsError {
                action: "cannot swap in the new directory",
                path: out.to_owned(),
                source,
            })
        }
    }
}

/// Swaps two paths atomically (Linux 3.15+; not every filesystem).
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both paths are NUL-terminated strings that outlive the call.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Recreates the directories of `src` under `dst` and hard-links the files `keep` accepts (by
/// their path relative to `src`, `/`-separated; copies them where a link is refused), symlinks
/// as symlinks; temporaries of killed writes are left behind.
fn link_tree(
    src: &Path,
    dst: &Path,
    rel: &Path,
    keep: &dyn Fn(&str) -> bool,
) -> Result<(), FsError> {
    let from_dir = src.join(rel);
    for e in std::fs::read_dir(&from_dir).map_err(err("cannot read directory", &from_dir))? {
        let e = e.map_err(err("cannot read directory", &from_dir))?;
        let r = rel.join(e.file_name());
        let (from, to) = (src.join(&r), dst.join(&r));
        let ft = e.file_type().map_err(err("cannot read", &from))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if ft.is_dir() {
            std::fs::create_dir_all(&to).map_err(err("cannot create directory", &to))?;
            link_tree(src, dst, &r, keep)?;
        } else if !keep(&r.to_string_lossy()) || (name.starts_with('.') && name.contains(".tmp-")) {
            continue;
        } else if ft.is_symlink() {
            let target = std::fs::read_link(&from).map_err(err("cannot read", &from))?;
            std::os::unix::fs::symlink(target, &to).map_err(err("cannot create", &to))?;
        } else if std::fs::hard_link(&from, &to).is_err() {
            std::fs::copy(&from, &to).map_err(err("cannot copy", &from))?;
        }
    }
    Ok(())
}

/// The fallback of [`install_dir`]: each file moved into `out` by its own rename, then the
/// stale files of the `prune` directories removed.
fn move_in(
    staging: &Path,
    out: &Path,
    files: &BTreeMap<String, Vec<u8>>,
    prune: &[&str],
) -> Result<(), FsError> {
    for rel in files.keys() {
        let to = out.join(rel);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(err("cannot create directory", dir))?;
        }
        std::fs::rename(staging.join(rel), &to).map_err(err("cannot move into place", &to))?;
    }
    for p in prune {
        if let Ok(entries) = std::fs::read_dir(out.join(p)) {
            for e in entries.flatten() {
                let rel = format!("{p}/{}", e.file_name().to_string_lossy());
                if !files.contains_key(&rel) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
    Ok(())
}

/// Reads a whole file as text.
pub fn read(path: &Path) -> Result<String, FsError> {
    std::fs::read_to_string(path).map_err(err("cannot read", path))
}

/// The cargo target directory (`CARGO_TARGET_DIR`, else `target/` of this workspace).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_is_replaced_whole_keeping_what_else_it_held() {
        let root = std::env::temp_dir().join(format!("fanout-install-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let out = root.join("results");
        let files = |pairs: &[(&str, &str)]| -> BTreeMap<String, Vec<u8>> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
                .collect()
        };
        // A first install makes the directory.
        install_dir(
            &out,
            &files(&[("README.md", "one"), ("charts/a.svg", "a")]),
            &["charts"],
        )
        .unwrap();
        std::fs::create_dir_all(out.join("quick/charts")).unwrap();
        std::fs::write(out.join("quick/charts/q.svg"), "q").unwrap();
        std::fs::write(out.join("history.jsonl"), "h").unwrap();
        // The second replaces its files, drops its stale chart, keeps the rest.
        install_dir(
            &out,
            &files(&[("README.md", "two"), ("charts/b.svg", "b")]),
            &["charts"],
        )
        .unwrap();
        assert_eq!(read(&out.join("README.md")).unwrap(), "two");
        assert_eq!(read(&out.join("charts/b.svg")).unwrap(), "b");
        assert!(!out.join("charts/a.svg").exists(), "a stale chart stayed");
        assert_eq!(read(&out.join("quick/charts/q.svg")).unwrap(), "q");
        assert_eq!(read(&out.join("history.jsonl")).unwrap(), "h");
        let names: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["results"], "staging left beside it");
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn writes_replace_whole_files_and_leave_no_temporaries() {
        let dir = std::env::temp_dir().join(format!("fanout-fsio-{}", std::process::id()));
        let path = dir.join("a.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(read(&path).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        let e = read(&dir.join("missing.json")).unwrap_err().to_string();
        assert!(e.contains("missing.json"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
