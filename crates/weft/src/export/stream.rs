//! An export as a stream of zip bytes, for a download: a blocking thread writes the zip into
//! a small bounded channel that the stream drains, so the export goes at the reader's pace
//! and at most a few chunks are in memory. When the reader goes away the channel closes,
//! the next write fails and the export stops; it writes no file of its own anywhere.

use std::io::{self, Write};

use bytes::{Bytes, BytesMut};
use futures::Stream;
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use super::sink::Zip;
use super::{ExportError, Exporter};
use crate::db::users::User;

/// The size of the chunks handed to the stream.
const CHUNK: usize = 64 * 1024;
/// Chunks written ahead of the reader.
const AHEAD: usize = 4;

/// A writer whose bytes go, in chunks, to a channel's receiver.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buffer: BytesMut,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = self.buffer.split().freeze();
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the download was abandoned"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(CHUNK - self.buffer.len());
        self.buffer.extend_from_slice(&data[..n]);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// `user`'s whole journal as a zip, streamed. The entries are read before it starts (a
/// database that is down is an error here, not a broken download); a failure later ends the
/// stream with an error, so the reader never takes a cut-short zip for a whole one.
pub async fn zip(
    exporter: Exporter,
    user: &User,
) -> Result<impl Stream<Item = io::Result<Bytes>> + Send + 'static, ExportError> {
    let plan = exporter.plan(user).await?;
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(AHEAD);
    let handle = Handle::current();
    let user_id = user.id;
    tokio::task::spawn_blocking(move || {
        let mut zip = Zip::new(ChannelWriter {
            tx: tx.clone(),
            buffer: BytesMut::with_capacity(CHUNK),
        });
        let written = exporter
            .write(&handle, plan, &mut zip, &mut |_| {})
            .and_then(|_| Ok(zip.finish()?));
        match written {
            Ok(_) => tracing::info!(%user_id, "a journal was downloaded"),
            Err(error) if error.abandoned() => {
                tracing::info!(%user_id, "a download of a journal was abandoned; its export stopped")
            }
            Err(error) => {
                tracing::error!(%user_id, %error, "exporting a journal for download failed");
                let _ = tx.blocking_send(Err(io::Error::other(error.to_string())));
            }
        }
    });
    Ok(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}
