//! The JSONL file sink: one line of JSON per event, appended.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::{Evidence, Sink, SinkError};

/// Appends each batch to a file, with `O_APPEND` (so several writers interleave
/// whole batches, never bytes of lines) and one `fsync` per batch before it
/// counts as delivered.
#[derive(Debug, Clone)]
pub struct JsonlSink {
    path: PathBuf,
}

impl JsonlSink {
    /// A sink appending to `path`; its parent directories are created on the first
    /// delivery, and a new file is readable by its owner only (evidence is
    /// metadata about everything the agent did).
    pub fn new(path: impl Into<PathBuf>) -> JsonlSink {
        JsonlSink { path: path.into() }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open(&self) -> std::io::Result<File> {
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&self.path)
    }
}

impl Sink for JsonlSink {
    fn deliver(&self, batch: &[Evidence]) -> Result<(), SinkError> {
        let mut text = String::new();
        for event in batch {
            text.push_str(&serde_json::to_string(event)?);
            text.push('\n');
        }
        let error = |source| SinkError::File {
            path: self.path.clone(),
            source,
        };
        let mut file = self.open().map_err(error)?;
        // A crash in the middle of an earlier write can leave a last line without
        // its newline; the batch is then delivered again, and must start on a line
        // of its own so that only the torn line is unreadable.
        if ends_mid_line(&mut file).map_err(error)? {
            text.insert(0, '\n');
        }
        file.write_all(text.as_bytes()).map_err(error)?;
        file.sync_data().map_err(error)
    }
}

/// Whether the file is non-empty and does not end with a newline.
fn ends_mid_line(file: &mut File) -> std::io::Result<bool> {
    let length = file.metadata()?.len();
    if length == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::Start(length - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last != *b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::CheckpointEvidence;

    fn checkpoint(size: u64) -> Evidence {
        Evidence::Checkpoint(CheckpointEvidence {
            id: format!("checkpoint:ward/k:{size}"),
            origin: "ward/k".to_owned(),
            tree_size: size,
            root: "00".to_owned(),
            signed_at: "2026-01-01T00:00:00.000000Z".to_owned(),
            note: "ward/k\n1\nAA==\n\n— ward/k x\n".to_owned(),
        })
    }

    #[test]
    fn batches_append_one_line_per_event_creating_directories() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/evidence.jsonl");
        let sink = JsonlSink::new(&path);
        sink.deliver(&[checkpoint(1), checkpoint(2)]).unwrap();
        sink.deliver(&[checkpoint(3)]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let sizes: Vec<u64> = text
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .map(|value| {
                assert_eq!(value["type"], "checkpoint");
                value["tree_size"].as_u64().unwrap()
            })
            .collect();
        assert_eq!(sizes, [1, 2, 3]);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_torn_last_line_is_closed_before_the_next_batch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evidence.jsonl");
        std::fs::write(&path, "{\"type\":\"checkpoint\",\"tree_si").unwrap();
        JsonlSink::new(&path).deliver(&[checkpoint(7)]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let last: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(last["tree_size"], 7);
    }

    #[test]
    fn an_unwritable_path_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let error = JsonlSink::new(blocker.join("evidence.jsonl"))
            .deliver(&[checkpoint(1)])
            .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with(&format!("cannot write `{}", blocker.display())),
            "{error}"
        );
    }
}
