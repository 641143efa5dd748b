//! Writing a body that arrives in chunks (an upload) to a file. Chunks are gathered into
//! blocks and each block is written on the blocking pool while the next one is received, so
//! receiving and writing overlap. Every few tens of MiB the kernel is asked to start writing
//! what came before out to the disk: without that, a large upload was first received into
//! the page cache and only then written by the final fsync, and took the sum of the two
//! times rather than the longer one (docs/BENCHMARKS.md, "Upload").

use std::fs::File;
use std::io::{self, Write};
use std::num::NonZeroU64;
use std::path::Path;

use rustix::fs::{fadvise, Advice};
use tokio::task::JoinHandle;

/// Bytes gathered before a write; small enough for the two blocks in flight to stay a
/// rounding error of the server's memory.
const BLOCK: usize = 256 * 1024;

/// Start write-back after this many bytes.
const WRITE_BACK_EVERY: u64 = 8 * 1024 * 1024;

/// What a finished write gives back: the file and the block's buffer.
type Written = io::Result<(File, Vec<u8>)>;

/// A file being written from a stream of chunks.
#[derive(Debug)]
pub struct Spool {
    /// The file, while no write is in flight.
    file: Option<File>,
    /// The write in flight: it gives the file and its block back.
    writing: Option<JoinHandle<Written>>,
    /// The block being gathered.
    block: Vec<u8>,
    /// Where the first byte went in the file.
    base: u64,
    /// Bytes handed to writes so far.
    written: u64,
    /// Bytes whose write-back has been started.
    pushed: u64,
}

impl Spool {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: &Path) -> io::Result<Spool> {
        Ok(Spool::from_file(File::create(path)?, 0))
    }

    /// Writes on at `position`, where `file` stands (opened and positioned by the caller).
    pub fn from_file(file: File, position: u64) -> Spool {
        Spool {
            file: Some(file),
            writing: None,
            block: Vec::with_capacity(BLOCK),
            base: position,
            written: 0,
            pushed: 0,
        }
    }

    /// Writes what was given so far and makes it durable (fdatasync); writing goes on.
    pub async fn sync(&mut self) -> io::Result<()> {
        self.send_block().await?;
        let file = self.take_file().await?;
        let file = tokio::task::spawn_blocking(move || file.sync_data().map(|()| file))
            .await
            .map_err(io::Error::other)??;
        self.file = Some(file);
        Ok(())
    }

    /// Starts making what was given so far durable (fdatasync on a second handle of the
    /// file) and returns without waiting for the disk: writing goes on meanwhile. The sync
    /// covers at least every byte given before this call once the task ends.
    pub async fn start_sync(&mut self) -> io::Result<JoinHandle<io::Result<()>>> {
        self.send_block().await?;
        let file = self.take_file().await?;
        let handle = file.try_clone();
        self.file = Some(file);
        let handle = handle?;
        Ok(tokio::task::spawn_blocking(move || handle.sync_data()))
    }

    /// Adds `bytes` at the end of the file.
    pub async fn write(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let room = BLOCK - self.block.len();
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            self.block.extend_from_slice(now);
            bytes = later;
            if self.block.len() == BLOCK {
                self.send_block().await?;
            }
        }
        Ok(())
    }

    /// Writes what is left and makes the whole file durable (fsync).
    pub async fn finish(mut self) -> io::Result<()> {
        self.send_block().await?;
        let file = self.take_file().await?;
        tokio::task::spawn_blocking(move || file.sync_all())
            .await
            .map_err(io::Error::other)?
    }

    /// Hands the gathered block to the blocking pool, once the previous write is done.
    async fn send_block(&mut self) -> io::Result<()> {
        let mut file = self.take_file().await?;
        if self.block.is_empty() {
            self.file = Some(file);
            return Ok(());
        }
        let block = std::mem::replace(&mut self.block, Vec::with_capacity(BLOCK));
        self.written += block.len() as u64;
        let push_from = (self.written - self.pushed >= WRITE_BACK_EVERY).then_some(self.pushed);
        if push_from.is_some() {
            self.pushed = self.written;
        }
        let (push_from, end) = (push_from.map(|p| self.base + p), self.base + self.written);
        self.writing = Some(tokio::task::spawn_blocking(move || {
            file.write_all(&block)?;
            if let Some(from) = push_from {
                start_write_back(&file, from, end);
            }
            Ok((file, block))
        }));
        Ok(())
    }

    /// The file, after waiting for the write in flight.
    async fn take_file(&mut self) -> io::Result<File> {
        if let Some(writing) = self.writing.take() {
            let (file, _) = writing.await.map_err(io::Error::other)??;
            return Ok(file);
        }
        self.file
            .take()
            .ok_or_else(|| io::Error::other("a previous write to this file failed"))
    }
}

/// Asks the kernel to start writing `from..to` to the disk now, without waiting for it. On
/// Linux, `POSIX_FADV_DONTNEED` starts write-back of the range's dirty pages (and drops the
/// clean ones, which the upload never reads again). Only a hint: an error changes nothing,
/// as the final fsync makes the file durable either way.
fn start_write_back(file: &File, from: u64, to: u64) {
    if let Some(len) = NonZeroU64::new(to - from) {
        let _ = fadvise(file, from, Some(len), Advice::DontNeed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn chunks_of_any_size_come_out_as_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let data: Vec<u8> = (0..(3 * BLOCK + 12_345)).map(|i| (i % 251) as u8).collect();
        let mut spool = Spool::create(&path).unwrap();
        for chunk in data.chunks(7_919) {
            spool.write(chunk).await.unwrap();
        }
        spool.write(&[]).await.unwrap();
        spool.finish().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);
    }

    #[tokio::test]
    async fn a_sync_started_midway_lets_writing_go_on_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let data: Vec<u8> = (0..(5 * BLOCK + 99)).map(|i| (i % 241) as u8).collect();
        let (first, rest) = data.split_at(2 * BLOCK + 17);
        let mut spool = Spool::create(&path).unwrap();
        spool.write(first).await.unwrap();
        let syncing = spool.start_sync().await.unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            first,
            "all given so far is in the file"
        );
        spool.write(rest).await.unwrap();
        syncing.await.unwrap().unwrap();
        spool.finish().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);
    }
}
