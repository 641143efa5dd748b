//! `index.html`: every entry of the export on one page that a browser opens from the file
//! system. Recordings are relative links (`<video src>`); captions are inlined as `data:`
//! URLs, because Chromium refuses a `<track>` file next to a page opened from the file
//! system (each `file:` URL is an origin of its own). It loads nothing else and runs no
//! script, so it keeps working without Weft and without a server. The page is written one
//! entry at a time (see [`IndexReader`]): its size never sits in memory.
//!
//! Written with `format!` and [`escape_html`](crate::util::escape_html) rather than maud, which is the web UI's (the HTTP
//! layer's): this page is a file of the export, made below it, and has a handful of tags.

use crate::util::escape_html;
use std::fmt::Write as _;
use std::io::{self, Read};

use tokio::runtime::Handle;
use uuid::Uuid;

use super::files::{Manifest, ManifestEntry};
use super::names::href;
use crate::db::{scoped, transcripts};

/// The page's style, inline: nothing else is fetched.
const STYLE: &str = "
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
body { max-width: 52rem; margin: 0 auto; padding: 1rem; }
h2.day { font-size: 1rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid #8884; }
article { margin: 0 0 1.5rem; }
article h3 { margin: 0.25rem 0; font-size: 1.2rem; }
video { width: 100%; max-height: 70vh; background: #000; }
audio { width: 100%; }
.meta, .files { color: #666; font-size: 0.9rem; margin: 0.25rem 0; }
.tags span { display: inline-block; padding: 0 0.5em; margin-right: 0.25em; border-radius: 1em; background: #8882; }
.notes { white-space: pre-wrap; }
";

/// The page around its entries: what comes before the first and after the last.
fn frame(manifest: &Manifest) -> (String, String) {
    let title = escape_html(&format!("{}’s journal", manifest.user.username));
    let zone = escape_html(manifest.user.time_zone.as_deref().unwrap_or("UTC"));
    let head = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body><header><h1>{title}</h1>\
         <p class=\"meta\">{count} entries, exported {at} by Weft {version}. Dates are in \
         {zone}. Newest first.</p></header><main>",
        count = manifest.entries.len(),
        at = manifest.exported_at.format("%Y-%m-%d %H:%M UTC"),
        version = escape_html(&manifest.weft_version),
    );
    (head, "</main></body></html>\n".to_string())
}

/// A text as a `data:` URL of type `text/vtt`.
fn data_url(vtt: &str) -> String {
    let mut out = String::from("data:text/vtt;charset=utf-8,");
    for byte in vtt.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b' ') {
            out.push(if byte == b' ' { '+' } else { byte as char });
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    // `+` is not a space in a data: URL: only percent-escapes are decoded.
    out.replace('+', "%20")
}

fn article(entry: &ManifestEntry, vtt: Option<&str>) -> String {
    let folder = &entry.folder;
    let link = |file: &str| escape_html(&href(&format!("{folder}/{file}")));
    let mut out = format!(
        "<article id=\"{}\"><h3>{}</h3><p class=\"meta\"><time datetime=\"{}\">{}</time>",
        entry.id,
        escape_html(&entry.title),
        entry.local_time.to_rfc3339(),
        entry.local_time.format("%H:%M"),
    );
    if entry.duration > 0 {
        let _ = write!(out, " · {}:{:02}", entry.duration / 60, entry.duration % 60);
    }
    if let Some(location) = &entry.location {
        let _ = write!(out, " · {}", escape_html(location));
    }
    out.push_str("</p>");
    if let Some(file) = &entry.recording {
        let element = if entry.media == "audio" {
            "audio"
        } else {
            "video"
        };
        let _ = write!(
            out,
            "<{element} controls preload=\"none\" src=\"{}\">",
            link(file)
        );
        if let Some(vtt) = vtt {
            let _ = write!(
                out,
                "<track kind=\"captions\" label=\"Transcript\" default src=\"{}\">",
                data_url(vtt)
            );
        }
        let _ = write!(out, "</{element}>");
    }
    if !entry.tags.is_empty() {
        out.push_str("<p class=\"tags\">");
        for tag in &entry.tags {
            let _ = write!(out, "<span>{}</span> ", escape_html(tag));
        }
        out.push_str("</p>");
    }
    if let Some(notes) = &entry.notes {
        let _ = write!(out, "<p class=\"notes\">{}</p>", escape_html(notes));
    }
    let mut files = vec![format!("<a href=\"{}\">entry.md</a>", link("entry.md"))];
    if entry.transcript_versions > 0 {
        for file in ["transcript.vtt", "transcript.json"] {
            files.push(format!("<a href=\"{}\">{file}</a>", link(file)));
        }
    }
    if let Some(file) = &entry.recording {
        files.push(format!(
            "<a href=\"{}\">{}</a>",
            link(file),
            escape_html(file)
        ));
    }
    let _ = write!(
        out,
        "<p class=\"files\">{}</p></article>",
        files.join(" · ")
    );
    out
}

/// The page as a reader: the head, then each entry (newest first, under a heading for each
/// local day) with its current captions read from the database as it comes, then the end.
pub struct IndexReader<'a> {
    handle: Handle,
    pool: &'a sqlx::PgPool,
    user_id: Uuid,
    /// Newest first.
    entries: std::iter::Rev<std::slice::Iter<'a, ManifestEntry>>,
    last_day: String,
    tail: String,
    buffer: Vec<u8>,
    at: usize,
    done: bool,
}

impl<'a> IndexReader<'a> {
    /// The page of `manifest`, reading captions as `user_id`.
    pub fn new(
        handle: Handle,
        pool: &'a sqlx::PgPool,
        user_id: Uuid,
        manifest: &'a Manifest,
    ) -> Self {
        let (head, tail) = frame(manifest);
        Self {
            handle,
            pool,
            user_id,
            entries: manifest.entries.iter().rev(),
            last_day: String::new(),
            tail,
            buffer: head.into_bytes(),
            at: 0,
            done: false,
        }
    }

    /// The next part of the page; false at its end.
    fn refill(&mut self) -> io::Result<bool> {
        self.buffer.clear();
        self.at = 0;
        let Some(entry) = self.entries.next() else {
            if self.done {
                return Ok(false);
            }
            self.done = true;
            self.buffer.extend_from_slice(self.tail.as_bytes());
            return Ok(true);
        };
        let day = entry.local_time.format("%A %-d %B %Y").to_string();
        if day != self.last_day {
            let heading = format!("<h2 class=\"day\">{}</h2>", escape_html(&day));
            self.buffer.extend_from_slice(heading.as_bytes());
            self.last_day = day;
        }
        let vtt = if entry.transcript_versions > 0 {
            let current = self
                .handle
                .block_on(async {
                    let mut tx = scoped::begin_for_user(self.pool, self.user_id).await?;
                    let current = transcripts::current(&mut tx, entry.id).await?;
                    tx.commit().await?;
                    Ok::<_, sqlx::Error>(current)
                })
                .map_err(io::Error::other)?;
            current.map(|t| {
                crate::transcribe::captions::webvtt(&t.segments.map(|s| s.0).unwrap_or_default())
            })
        } else {
            None
        };
        let html = article(entry, vtt.as_deref());
        self.buffer.extend_from_slice(html.as_bytes());
        Ok(true)
    }
}

impl Read for IndexReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.buffer.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.buffer.len() - self.at);
        buf[..n].copy_from_slice(&self.buffer[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::{data_url, escape_html};

    #[test]
    fn text_is_escaped_for_html() {
        assert_eq!(
            escape_html(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn captions_become_a_data_url_with_every_special_character_escaped() {
        assert_eq!(
            data_url("WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nA & B <i>\n"),
            "data:text/vtt;charset=utf-8,WEBVTT%0A%0A1%0A00%3A00%3A00.000%20--%3E%2000%3A00%3A01.000%0AA%20%26%20B%20%3Ci%3E%0A"
        );
    }
}
