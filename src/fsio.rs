//! Files the project writes: always to a temporary file beside the target, then renamed into
//! place, so an interrupted run leaves the previous file whole; every error carries its path.

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
