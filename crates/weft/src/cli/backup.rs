//! `weft backup FILE` and `weft restore FILE`: a whole instance — the database and every
//! media object — in one tar archive, and back into an empty instance.
//!
//! The archive holds, in order: `weft-backup` (a marker with the format version),
//! `database.dump` (pg_dump's custom format, made by a role that bypasses row-level
//! security), `media/KEY` for every stored object, and `manifest.json` (each object's size
//! and SHA-256, checked on restore).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context};
use bytes::Bytes;
use clap::Args;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;

use crate::config::GlobalArgs;
use crate::db::backup::{self, Format, Privileged};
use crate::db::{migrate, Database};
use crate::scratch::TempFile;
use crate::storage::{ByteStream, Storage};

const MARKER: &str = "weft-backup";
const FORMAT: u32 = 1;
const DUMP: &str = "database.dump";
const MEDIA: &str = "media/";
const MANIFEST: &str = "manifest.json";

/// Options of `weft backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The archive to write (a tar file).
    pub file: PathBuf,
    /// A superuser (or BYPASSRLS) connection for an external server: row-level security
    /// hides rows from the application's own role.
    #[arg(long, env = "WEFT_ADMIN_DATABASE_URL", hide_env_values = true)]
    pub admin_url: Option<String>,
}

/// Options of `weft restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The archive written by `weft backup`.
    pub file: PathBuf,
    /// A superuser (or BYPASSRLS) connection for an external server.
    #[arg(long, env = "WEFT_ADMIN_DATABASE_URL", hide_env_values = true)]
    pub admin_url: Option<String>,
}

/// The last entry: what the archive holds.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    weft_version: String,
    created_at: chrono::DateTime<chrono::Utc>,
    objects: Vec<ObjectEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ObjectEntry {
    key: String,
    size: u64,
    sha256: String,
}

fn progress(total: u64, message: &'static str) -> ProgressBar {
    // Drawn on stderr when it is a terminal, hidden otherwise (logs, tests).
    let style = ProgressStyle::with_template(
        "{msg:10} [{wide_bar}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(total)
        .with_style(style)
        .with_message(message)
}

/// Runs `weft backup`.
pub async fn backup(global: &GlobalArgs, args: BackupArgs) -> anyhow::Result<()> {
    let config = global.db_config()?;
    let storage = global.storage()?;
    let db = Database::open_migrated(&config).await?;
    let result = write_archive(&db, &storage, &config.data_dir, &args).await;
    db.close().await;
    result
}

async fn write_archive(
    db: &Database,
    storage: &Storage,
    data_dir: &Path,
    args: &BackupArgs,
) -> anyhow::Result<()> {
    let role = backup::current_role(db.pool()).await?;
    let who = Privileged::for_target(db.target(), args.admin_url.as_deref(), &role)?;
    let scratch = data_dir.join("tmp");
    let dump = TempFile::new_in(&scratch, "backup.dump")?;
    backup::backup(&who, dump.path(), Format::Custom).await?;
    // Listed after the dump: an object uploaded meanwhile has no row in the dump and is
    // swept as an orphan after a restore; nothing the dump names is missed.
    let objects = storage.list_with_info("").await?;
    let dump_size = std::fs::metadata(dump.path())?.len();
    let total = dump_size + objects.iter().map(|(_, info)| info.size).sum::<u64>();
    let bar = progress(total, "backup");

    let partial = args.file.with_extension("partial");
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("creating {}", partial.display()))?;
    let (handle, storage, dump_path) = (Handle::current(), storage.clone(), dump.path().to_owned());
    let count = objects.len();
    let written = tokio::task::spawn_blocking({
        let bar = bar.clone();
        move || -> anyhow::Result<std::fs::File> {
            let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
            append_bytes(&mut tar, MARKER, format!("{MARKER} {FORMAT}\n").as_bytes())?;
            let mut dump_file = std::fs::File::open(&dump_path)?;
            tar.append_data(&mut header(dump_size), DUMP, &mut dump_file)?;
            bar.inc(dump_size);
            let mut entries = Vec::with_capacity(objects.len());
            for (key, info) in objects {
                let stream = match handle.block_on(storage.get(&key, None)) {
                    Ok(stream) => stream,
                    Err(crate::storage::StorageError::NotFound(_)) => {
                        bar.suspend(|| eprintln!("note: {key} was deleted during the backup"));
                        continue;
                    }
                    Err(error) => return Err(error.into()),
                };
                let mut reader = StreamReader::new(handle.clone(), stream, info.size, bar.clone());
                tar.append_data(&mut header(info.size), format!("{MEDIA}{key}"), &mut reader)
                    .with_context(|| format!("copying {key}"))?;
                entries.push(ObjectEntry {
                    key,
                    size: info.size,
                    sha256: hex::encode(reader.hasher.finalize()),
                });
            }
            let manifest = Manifest {
                format: FORMAT,
                weft_version: env!("CARGO_PKG_VERSION").to_string(),
                created_at: chrono::Utc::now(),
                objects: entries,
            };
            append_bytes(&mut tar, MANIFEST, &serde_json::to_vec_pretty(&manifest)?)?;
            let file = tar.into_inner()?.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            Ok(file)
        }
    })
    .await?;
    bar.finish_and_clear();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    std::fs::rename(&partial, &args.file)
        .with_context(|| format!("moving the archive to {}", args.file.display()))?;
    println!(
        "wrote {}: the database ({dump_size} bytes) and {count} media objects ({total} bytes in all)",
        args.file.display()
    );
    Ok(())
}

fn header(size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(chrono::Utc::now().timestamp().max(0) as u64);
    header
}

fn append_bytes<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    data: &[u8],
) -> std::io::Result<()> {
    tar.append_data(&mut header(data.len() as u64), name, data)
}

/// Reads an object's stream from a blocking thread, hashing it; refuses to give more or
/// fewer bytes than the size written in the tar header.
struct StreamReader {
    handle: Handle,
    stream: ByteStream,
    chunk: Bytes,
    left: u64,
    hasher: Sha256,
    bar: ProgressBar,
}

impl StreamReader {
    fn new(handle: Handle, stream: ByteStream, size: u64, bar: ProgressBar) -> Self {
        Self {
            handle,
            stream,
            chunk: Bytes::new(),
            left: size,
            hasher: Sha256::new(),
            bar,
        }
    }
}

impl Read for StreamReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::io::{Error, ErrorKind};
        while self.chunk.is_empty() {
            match self.handle.block_on(self.stream.next()) {
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(error)) => return Err(Error::other(error)),
                None if self.left == 0 => return Ok(0),
                None => {
                    return Err(Error::new(
                        ErrorKind::UnexpectedEof,
                        "the object shrank during the backup; run it again",
                    ))
                }
            }
        }
        let n = buf.len().min(self.chunk.len());
        if n as u64 > self.left {
            return Err(Error::new(
                ErrorKind::InvalidData,
                "the object grew during the backup; run it again",
            ));
        }
        let part = self.chunk.split_to(n);
        buf[..n].copy_from_slice(&part);
        self.hasher.update(&part);
        self.left -= n as u64;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// Runs `weft restore`.
pub async fn restore(global: &GlobalArgs, args: RestoreArgs) -> anyhow::Result<()> {
    let config = global.db_config()?;
    let storage = global.storage()?;
    ensure!(
        args.file.is_file(),
        "{} is not a readable file",
        args.file.display()
    );
    let db = Database::open(&config).await?;
    let result = read_archive(&db, &storage, &config.data_dir, &args).await;
    db.close().await;
    result
}

async fn read_archive(
    db: &Database,
    storage: &Storage,
    data_dir: &Path,
    args: &RestoreArgs,
) -> anyhow::Result<()> {
    let tables = backup::table_count(db.pool()).await?;
    if tables > 0 {
        bail!(
            "the database is not empty ({tables} tables): `weft restore` brings an empty \
             instance to the backup's state. Point DATABASE_URL at a new, empty database (with \
             the embedded cluster: WEFT_DATA_DIR at a new folder)"
        );
    }
    let present = storage.list_with_info("").await?;
    if !present.is_empty() {
        bail!(
            "the media storage ({}) is not empty ({} objects): `weft restore` needs empty \
             storage. Point WEFT_STORAGE at a new folder or bucket prefix",
            storage.describe(),
            present.len()
        );
    }
    let role = backup::current_role(db.pool()).await?;
    let who = Privileged::for_target(db.target(), args.admin_url.as_deref(), &role)?;
    let scratch = data_dir.join("tmp");
    let size = std::fs::metadata(&args.file)?.len();
    let bar = progress(size, "restore");
    let file = std::fs::File::open(&args.file)?;
    let (handle, storage, pool) = (Handle::current(), storage.clone(), db.pool().clone());
    let restored = tokio::task::spawn_blocking({
        let bar = bar.clone();
        move || -> anyhow::Result<(usize, u64)> {
            let mut archive = tar::Archive::new(bar.wrap_read(std::io::BufReader::new(file)));
            let mut entries = archive.entries().context("reading the archive")?;
            let mut first = entries.next().context("the archive is empty")??;
            let mut marker = String::new();
            first.by_ref().take(64).read_to_string(&mut marker)?;
            if first.path()?.to_str() != Some(MARKER)
                || marker.trim() != format!("{MARKER} {FORMAT}")
            {
                bail!("this is not an archive written by `weft backup`");
            }
            drop(first);
            let mut restored = Vec::new();
            let mut manifest: Option<Manifest> = None;
            let mut database = false;
            for entry in entries {
                let mut entry = entry?;
                let name = entry.path()?.to_string_lossy().into_owned();
                if name == DUMP {
                    let dump = TempFile::new_in(&scratch, "restore.dump")?;
                    std::io::copy(&mut entry, &mut std::fs::File::create(dump.path())?)?;
                    handle.block_on(backup::restore(&who, dump.path()))?;
                    handle.block_on(migrate::migrate(&pool)).context(
                        "the dump was restored, but bringing it to the current schema failed",
                    )?;
                    database = true;
                } else if let Some(key) = name.strip_prefix(MEDIA) {
                    ensure!(database, "the archive has media before its database");
                    ensure!(
                        !key.split('/')
                            .any(|part| part.is_empty() || part == "." || part == ".."),
                        "the archive names a bad media key: {key}"
                    );
                    let temp = TempFile::new_in(&scratch, "restore.media")?;
                    let mut out = std::fs::File::create(temp.path())?;
                    let mut hasher = Sha256::new();
                    let mut buffer = vec![0u8; 1024 * 1024];
                    let mut size = 0u64;
                    loop {
                        let read = entry.read(&mut buffer)?;
                        if read == 0 {
                            break;
                        }
                        hasher.update(&buffer[..read]);
                        out.write_all(&buffer[..read])?;
                        size += read as u64;
                    }
                    out.sync_all()?;
                    drop(out);
                    handle
                        .block_on(storage.put_file(key, temp.path()))
                        .with_context(|| format!("storing {key}"))?;
                    restored.push(ObjectEntry {
                        key: key.to_string(),
                        size,
                        sha256: hex::encode(hasher.finalize()),
                    });
                } else if name == MANIFEST {
                    manifest =
                        Some(serde_json::from_reader(&mut entry).context("reading the manifest")?);
                } else {
                    bail!("the archive holds an unexpected entry: {name}");
                }
            }
            ensure!(database, "the archive holds no database dump");
            let manifest =
                manifest.context("the archive ends without its manifest: it was cut short")?;
            if manifest.objects != restored {
                bail!(
                    "the media restored differ from the archive's manifest ({} objects listed, \
                     {} restored): the archive is damaged",
                    manifest.objects.len(),
                    restored.len()
                );
            }
            Ok((restored.len(), restored.iter().map(|o| o.size).sum()))
        }
    })
    .await?;
    bar.finish_and_clear();
    let (count, bytes) = restored.with_context(|| {
        format!(
            "restoring {} failed; the database and storage may hold part of it: empty both \
             before trying again",
            args.file.display()
        )
    })?;
    println!(
        "restored {}: the database and {count} media objects ({bytes} bytes)",
        args.file.display()
    );
    Ok(())
}
