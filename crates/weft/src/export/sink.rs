//! Where an export's files go: a folder, or a zip written as it goes to any writer (a file,
//! or the body of a download) without seeking back and without holding it in memory.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDateTime, Timelike};
use zip::write::{SimpleFileOptions, StreamWriter};
use zip::{CompressionMethod, ZipWriter};

/// What kind of file is written: text is compressed, recordings (already compressed) are
/// stored as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A recording of this many bytes.
    Recording(u64),
}

/// Takes the files of an export one by one.
pub trait Sink {
    /// Writes `path` (relative, `/`-separated) with the bytes of `data`, dated `modified`
    /// (wall-clock time); the number of bytes written.
    fn file(
        &mut self,
        path: &str,
        kind: Kind,
        modified: NaiveDateTime,
        data: &mut dyn Read,
    ) -> io::Result<u64>;
}

/// An export into a folder.
#[derive(Debug)]
pub struct Folder {
    root: PathBuf,
}

impl Folder {
    /// Writes into `root`, which must be missing or empty (it is created).
    pub fn create(root: &Path) -> io::Result<Self> {
        if root.exists() {
            if !root.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a folder", root.display()),
                ));
            }
            if std::fs::read_dir(root)?.next().is_some() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "{} is not empty: export into a new or empty folder",
                        root.display()
                    ),
                ));
            }
        }
        std::fs::create_dir_all(root)?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// Removes what a failed export wrote (the folder was empty or new).
    pub fn discard(self) {
        if let Ok(entries) = std::fs::read_dir(&self.root) {
            for entry in entries.flatten() {
                let path = entry.path();
                let _ = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
            }
        }
    }
}

impl Sink for Folder {
    fn file(
        &mut self,
        path: &str,
        _kind: Kind,
        _modified: NaiveDateTime,
        data: &mut dyn Read,
    ) -> io::Result<u64> {
        let target = self.root.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = io::BufWriter::new(std::fs::File::create(&target)?);
        let written = io::copy(data, &mut file)?;
        file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(written)
    }
}

/// An export as a zip, streamed to `W`.
pub struct Zip<W: Write> {
    zip: ZipWriter<StreamWriter<W>>,
}

impl<W: Write> Zip<W> {
    /// A zip written to `out` as files come.
    pub fn new(out: W) -> Self {
        Self {
            zip: ZipWriter::new_stream(out),
        }
    }

    /// Writes the central directory and hands back the writer.
    pub fn finish(self) -> io::Result<W> {
        let mut out = self.zip.finish().map_err(io::Error::other)?.into_inner();
        out.flush()?;
        Ok(out)
    }
}

/// A zip's time stamp (MS-DOS: 1980 to 2107, two-second steps); the earliest for others.
fn zip_time(at: NaiveDateTime) -> zip::DateTime {
    let parts = (
        u16::try_from(at.year()).unwrap_or(0),
        at.month() as u8,
        at.day() as u8,
        at.hour() as u8,
        at.minute() as u8,
        at.second() as u8,
    );
    zip::DateTime::from_date_and_time(parts.0, parts.1, parts.2, parts.3, parts.4, parts.5)
        .unwrap_or_default()
}

impl<W: Write> Sink for Zip<W> {
    fn file(
        &mut self,
        path: &str,
        kind: Kind,
        modified: NaiveDateTime,
        data: &mut dyn Read,
    ) -> io::Result<u64> {
        let options = SimpleFileOptions::default()
            .last_modified_time(zip_time(modified))
            .unix_permissions(0o644);
        let options = match kind {
            Kind::Text => options.compression_method(CompressionMethod::Deflated),
            Kind::Recording(size) => options
                .compression_method(CompressionMethod::Stored)
                .large_file(size >= u64::from(u32::MAX)),
        };
        self.zip
            .start_file(path, options)
            .map_err(io::Error::other)?;
        io::copy(data, &mut self.zip)
    }
}
