//! Resumable uploads (tus 1.0): create an upload with its length and metadata, append to it
//! at the recorded offset, and once the last byte is in, make it a journal through
//! [`Ingest::journal`] exactly like a multipart upload. The offset lives in PostgreSQL
//! (`db::uploads`) and moves only once the bytes are durable (`bytes`), so any server can
//! resume any upload, and a server killed mid-PATCH loses nothing it acknowledged. No HTTP
//! here: `routes/uploads.rs` maps requests and errors.

pub mod bytes;
pub mod checksum;
pub mod metadata;
pub mod sweep;

use std::time::Duration;

use ::bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::StreamExt;
use uuid::Uuid;

use crate::db::scoped;
use crate::db::uploads::{self as rows, Lease, NewUpload, Upload};
use crate::ingest::{Ingest, IngestError};
use crate::storage::StorageError;
use bytes::Place;
use checksum::Checksum;
use metadata::{Metadata, MetadataError};

/// The settings of resumable uploads.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Largest upload (the multipart limit too).
    pub max_bytes: u64,
    /// Unfinished uploads one user may have at once.
    pub max_unfinished: i64,
    /// An upload untouched this long is removed with its bytes; a finished upload's record
    /// is kept as long.
    pub expiry: Duration,
    /// A PATCH that sends nothing this long is ended (what came before counts).
    pub idle: Duration,
}

/// Why an upload request was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("no such upload")]
    NotFound,
    #[error("the upload expired")]
    Expired,
    #[error("another request is writing to this upload")]
    Locked,
    #[error("the upload is at offset {expected}")]
    OffsetMismatch { expected: u64 },
    #[error("the upload is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("more bytes than the {remaining} that remain")]
    PastTheEnd { remaining: u64 },
    #[error("{cap} unfinished uploads already")]
    TooMany { cap: i64 },
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    #[error("the checksum does not match")]
    ChecksumMismatch,
    #[error("{0}")]
    BadChecksum(String),
    /// The client sent nothing for a while; the bytes up to `offset` are kept.
    #[error("the upload stalled at {offset}")]
    Stalled { offset: u64 },
    /// The connection broke mid-PATCH; the bytes up to `offset` are kept.
    #[error("the client went away at {offset}")]
    ClientGone { offset: u64 },
    /// Bytes before the recorded offset are missing (removed by hand): the upload is removed.
    #[error("the upload's bytes are missing")]
    BytesLost,
    /// The last byte came, and the file is neither a video nor a sound recording: the upload
    /// is removed.
    #[error(transparent)]
    Ingest(IngestError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Where an upload stands.
#[derive(Debug, Clone)]
pub struct Status {
    pub id: Uuid,
    pub offset: u64,
    pub length: u64,
    pub expires_at: DateTime<Utc>,
    pub metadata: Metadata,
    /// The journal the finished upload became.
    pub journal_id: Option<Uuid>,
    pub finished: bool,
}

impl Status {
    fn of(upload: &Upload) -> Status {
        Status {
            id: upload.id,
            offset: upload.offset as u64,
            length: upload.length as u64,
            expires_at: upload.expires_at,
            metadata: Metadata::from_json(&upload.metadata),
            journal_id: upload.journal_id,
            finished: upload.finished,
        }
    }
}

/// The bytes of one PATCH as they arrive.
pub type Body = BoxStream<'static, Result<Bytes, std::io::Error>>;

/// The resumable uploads service.
#[derive(Debug, Clone)]
pub struct Uploads {
    pub ingest: Ingest,
    pub place: Place,
    pub settings: Settings,
}

impl Uploads {
    /// The service over `ingest`'s database and storage.
    pub fn new(ingest: Ingest, settings: Settings) -> Uploads {
        let place = Place::for_storage(&ingest.storage);
        Uploads {
            ingest,
            place,
            settings,
        }
    }

    fn pool(&self) -> &sqlx::PgPool {
        &self.ingest.pool
    }

    fn expiry_seconds(&self) -> f64 {
        self.settings.expiry.as_secs_f64()
    }

    /// Creates an upload of `length` bytes for `user_id` with the `Upload-Metadata` header.
    pub async fn create(
        &self,
        user_id: Uuid,
        length: u64,
        metadata: Option<&str>,
    ) -> Result<Status, UploadError> {
        if length > self.settings.max_bytes {
            return Err(UploadError::TooLarge {
                limit: self.settings.max_bytes,
            });
        }
        let metadata = Metadata::parse(metadata)?;
        let id = Uuid::new_v4();
        let json = metadata.to_json();
        let mut tx = scoped::begin_for_user(self.pool(), user_id).await?;
        let new = NewUpload {
            id,
            length: length as i64,
            metadata: &json,
            bytes_in: self.place.name(),
            expires_in_seconds: self.expiry_seconds(),
        };
        if !rows::insert_within_cap(&mut tx, &new, self.settings.max_unfinished).await? {
            return Err(UploadError::TooMany {
                cap: self.settings.max_unfinished,
            });
        }
        let upload = rows::find(&mut tx, id)
            .await?
            .ok_or(UploadError::NotFound)?;
        tx.commit().await?;
        Ok(Status::of(&upload))
    }

    /// Where `user_id`'s upload `id` stands.
    pub async fn status(&self, user_id: Uuid, id: Uuid) -> Result<Status, UploadError> {
        let mut tx = scoped::begin_for_user(self.pool(), user_id).await?;
        let upload = rows::find(&mut tx, id).await?;
        tx.commit().await?;
        let upload = upload.ok_or(UploadError::NotFound)?;
        if upload.expired() {
            return Err(UploadError::Expired);
        }
        Ok(Status::of(&upload))
    }

    /// Appends `body` at `offset` (which must be the recorded one). The bytes are received
    /// on a task of their own, so that a client that hangs up still has what it sent made
    /// durable and counted. When the last byte is in, the upload becomes a journal.
    pub async fn append(
        &self,
        user_id: Uuid,
        id: Uuid,
        offset: u64,
        declared: Option<u64>,
        checksum: Option<Checksum>,
        body: Body,
    ) -> Result<Status, UploadError> {
        let current = self.status(user_id, id).await?;
        if current.finished {
            return if offset == current.length {
                Ok(current)
            } else {
                Err(UploadError::OffsetMismatch {
                    expected: current.length,
                })
            };
        }
        if offset != current.offset {
            return Err(UploadError::OffsetMismatch {
                expected: current.offset,
            });
        }
        let remaining = current.length - current.offset;
        if declared.is_some_and(|declared| declared > remaining) {
            return Err(UploadError::PastTheEnd { remaining });
        }
        let lease = Lease::acquire(self.pool(), user_id, id)
            .await?
            .ok_or(UploadError::Locked)?;
        let service = self.clone();
        tokio::spawn(async move { service.receive(lease, offset, checksum, body).await })
            .await
            .unwrap_or_else(|join| {
                Err(UploadError::Storage(StorageError::Io(
                    std::io::Error::other(join.to_string()),
                )))
            })
    }

    async fn receive(
        &self,
        mut lease: Lease,
        offset: u64,
        checksum: Option<Checksum>,
        body: Body,
    ) -> Result<Status, UploadError> {
        let result = self
            .receive_leased(&mut lease, offset, checksum, body)
            .await;
        lease.release().await;
        result
    }

    async fn receive_leased(
        &self,
        lease: &mut Lease,
        offset: u64,
        mut checksum: Option<Checksum>,
        mut body: Body,
    ) -> Result<Status, UploadError> {
        // Checked again under the lease: another server may have moved it meanwhile.
        let upload = lease.upload().clone();
        if upload.finished || upload.offset as u64 != offset {
            return Err(UploadError::OffsetMismatch {
                expected: upload.offset as u64,
            });
        }
        let length = upload.length as u64;
        let Some(mut writer) = self.place.writer(&upload).await? else {
            lease.delete().await?;
            self.place.remove(&upload).await?;
            return Err(UploadError::BytesLost);
        };
        let mut position = offset;
        let mut unflushed = 0u64;
        let mut ended: Option<UploadError> = None;
        loop {
            let next = tokio::time::timeout(self.settings.idle, body.next()).await;
            let chunk = match next {
                Err(_) => {
                    ended = Some(UploadError::Stalled { offset: 0 });
                    break;
                }
                Ok(None) => break,
                Ok(Some(Err(_))) => {
                    ended = Some(UploadError::ClientGone { offset: 0 });
                    break;
                }
                Ok(Some(Ok(chunk))) => chunk,
            };
            if position + chunk.len() as u64 > length {
                ended = Some(UploadError::PastTheEnd {
                    remaining: length - offset,
                });
                break;
            }
            if let Some(checksum) = &mut checksum {
                checksum.update(&chunk);
            }
            writer.write(&chunk).await?;
            position += chunk.len() as u64;
            unflushed += chunk.len() as u64;
            // With a checksum nothing counts before the whole PATCH is checked; the last
            // byte is recorded with the journal, never before it.
            if unflushed >= writer.flush_every() && checksum.is_none() && position < length {
                if let Some(durable) = writer.start_flush(position).await? {
                    lease.advance(durable as i64, self.expiry_seconds()).await?;
                }
                unflushed = 0;
            }
        }
        let keep = match (&ended, checksum) {
            // A PATCH with a checksum counts whole or not at all.
            (Some(_), Some(_)) => false,
            (None, Some(checksum)) => {
                if !checksum.matches() {
                    return Err(UploadError::ChecksumMismatch);
                }
                true
            }
            (_, None) => true,
        };
        if keep && position > lease.upload().offset as u64 {
            writer.flush().await?;
            if position < length {
                lease
                    .advance(position as i64, self.expiry_seconds())
                    .await?;
            }
        }
        let recorded = lease.upload().offset as u64;
        match ended {
            Some(UploadError::Stalled { .. }) => {
                return Err(UploadError::Stalled { offset: recorded })
            }
            Some(UploadError::ClientGone { .. }) => {
                return Err(UploadError::ClientGone { offset: recorded })
            }
            Some(error) => return Err(error),
            None => {}
        }
        if position == length && keep {
            self.finish(lease).await?;
        }
        Ok(Status::of(lease.upload()))
    }

    /// Makes the whole upload a journal, records it, and removes the bytes.
    async fn finish(&self, lease: &mut Lease) -> Result<(), UploadError> {
        let upload = lease.upload().clone();
        let metadata = Metadata::from_json(&upload.metadata);
        // The journal is made once per upload, however often the last PATCH is sent again
        // (a server that stopped before recording the journal here).
        let key = format!("tus:{}", upload.id);
        let file = self
            .place
            .assemble(&upload, upload.length as u64, &self.ingest.scratch)
            .await?;
        let journal_id = match self
            .ingest
            .journal(upload.user_id, file, metadata.details(key.clone()))
            .await
        {
            Ok(view) => view.journal.id,
            Err(IngestError::AlreadyImported(_)) => lease
                .journal_by_key(&key)
                .await?
                .ok_or(UploadError::NotFound)?,
            Err(error @ IngestError::NotAVideo(_)) => {
                lease.delete().await?;
                self.place.remove(&upload).await?;
                return Err(UploadError::Ingest(error));
            }
            Err(error) => return Err(UploadError::Ingest(error)),
        };
        lease.finish(journal_id, self.expiry_seconds()).await?;
        if let Err(error) = self.place.remove(&upload).await {
            tracing::warn!(%error, upload = %upload.id, "could not remove a finished upload's bytes");
        }
        tracing::info!(upload = %upload.id, journal_id = %journal_id, "resumable upload finished");
        Ok(())
    }

    /// Terminates an upload: its row and its bytes are removed.
    pub async fn terminate(&self, user_id: Uuid, id: Uuid) -> Result<(), UploadError> {
        self.status(user_id, id).await?;
        let mut lease = Lease::acquire(self.pool(), user_id, id)
            .await?
            .ok_or(UploadError::Locked)?;
        let upload = lease.upload().clone();
        let result = lease.delete().await;
        lease.release().await;
        result?;
        self.place.remove(&upload).await?;
        Ok(())
    }
}
