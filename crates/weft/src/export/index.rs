//! `index.html`: every entry of the export on one page that a browser opens from the file
//! system. It names its files by relative links only (`<video src>`, `<track src>`), loads
//! nothing else and runs no script, so it keeps working without Weft and without a server.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::files::{Manifest, ManifestEntry};
use super::names::href;

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

/// The page for `manifest`, its entries newest first under their local dates.
pub fn page(manifest: &Manifest) -> Markup {
    let title = format!("{}’s journal", manifest.user.username);
    let zone = manifest.user.time_zone.as_deref().unwrap_or("UTC");
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { (title) }
                    p.meta {
                        (manifest.entries.len()) " entries, exported "
                        (manifest.exported_at.format("%Y-%m-%d %H:%M UTC"))
                        " by Weft " (manifest.weft_version) ". Dates are in " (zone) "."
                    }
                }
                main {
                    @for (day, entries) in days(manifest) {
                        section {
                            h2.day { (day) }
                            @for entry in entries { (article(entry)) }
                        }
                    }
                }
            }
        }
    }
}

/// The entries newest first, in runs of the same local day.
fn days(manifest: &Manifest) -> Vec<(String, Vec<&ManifestEntry>)> {
    let mut days: Vec<(String, Vec<&ManifestEntry>)> = Vec::new();
    for entry in manifest.entries.iter().rev() {
        let day = entry.local_time.format("%A %-d %B %Y").to_string();
        match days.last_mut() {
            Some((last, entries)) if *last == day => entries.push(entry),
            _ => days.push((day, vec![entry])),
        }
    }
    days
}

fn article(entry: &ManifestEntry) -> Markup {
    let folder = &entry.folder;
    let link = |file: &str| href(&format!("{folder}/{file}"));
    let captions = entry.transcript_versions > 0;
    html! {
        article id=(entry.id) {
            h3 { (entry.title) }
            p.meta {
                time datetime=(entry.local_time.to_rfc3339()) { (entry.local_time.format("%H:%M")) }
                @if entry.duration > 0 { " · " (entry.duration / 60) ":" (format!("{:02}", entry.duration % 60)) }
                @if let Some(location) = &entry.location { " · " (location) }
            }
            @if let Some(file) = &entry.recording {
                @if entry.media == "audio" {
                    audio controls preload="none" src=(link(file)) {
                        @if captions { track kind="captions" label="Transcript" default src=(link("transcript.vtt")); }
                    }
                } @else {
                    video controls preload="none" src=(link(file)) {
                        @if captions { track kind="captions" label="Transcript" default src=(link("transcript.vtt")); }
                    }
                }
            }
            @if !entry.tags.is_empty() {
                p.tags { @for tag in &entry.tags { span { (tag) } " " } }
            }
            @if let Some(notes) = &entry.notes { p.notes { (notes) } }
            p.files {
                a href=(link("entry.md")) { "entry.md" }
                @if captions {
                    " · " a href=(link("transcript.vtt")) { "transcript.vtt" }
                    " · " a href=(link("transcript.json")) { "transcript.json" }
                }
                @if let Some(file) = &entry.recording { " · " a href=(link(file)) { (file) } }
            }
        }
    }
}
