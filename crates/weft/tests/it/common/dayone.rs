//! Day One exports made by code: the zip Day One writes (one `<Journal>.json` per journal,
//! media in `videos/`, `audios/` and `photos/` named `<md5>.<type>`), with real media made
//! by ffmpeg. No Day One export is at hand; this follows its documented format and traps.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use zip::write::SimpleFileOptions;

use super::media::{self, Container};

/// An export being put together.
#[derive(Default)]
pub struct ExportZip {
    /// Journal files: name and JSON text (text, so that a damaged one can be written).
    journals: Vec<(String, String)>,
    /// Media: the name in the zip and the file on disk.
    files: Vec<(String, PathBuf)>,
}

impl ExportZip {
    /// A journal file holding `entries`.
    pub fn journal(&mut self, name: &str, entries: Vec<Value>) -> &mut Self {
        let text = json!({"metadata": {"version": "1.0"}, "entries": entries}).to_string();
        self.journals.push((format!("{name}.json"), text));
        self
    }

    /// A journal file of any text (a damaged one).
    pub fn raw_journal(&mut self, name: &str, text: &str) -> &mut Self {
        self.journals
            .push((format!("{name}.json"), text.to_string()));
        self
    }

    /// `file` in the zip as `name`.
    pub fn file(&mut self, name: &str, file: &Path) -> &mut Self {
        self.files.push((name.to_string(), file.to_path_buf()));
        self
    }

    /// Writes the zip (media stored, JSON deflated, as Day One does).
    pub fn write(&self, path: &Path) {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        let deflated = SimpleFileOptions::default();
        let stored = deflated.compression_method(zip::CompressionMethod::Stored);
        for (name, text) in &self.journals {
            zip.start_file(name.as_str(), deflated).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        for (name, file) in &self.files {
            zip.start_file(name.as_str(), stored).unwrap();
            std::io::copy(&mut std::fs::File::open(file).unwrap(), &mut zip).unwrap();
        }
        zip.finish().unwrap();
    }
}

/// The md5 of a file, in hex, as Day One names media.
pub fn md5(file: &Path) -> String {
    let output = Command::new("md5sum").arg(file).output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()[..32].to_string()
}

/// `seconds` of a tone as AAC in an `.m4a` file, as Day One keeps its audio.
pub fn m4a(path: &Path, seconds: u32, frequency: u32) {
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg(format!("sine=frequency={frequency}:duration={seconds}"))
        .args(["-c:a", "aac", "-b:a", "32k"])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// A small JPEG, for a photo that is not imported.
fn jpeg(path: &Path) {
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .args(["testsrc=size=32x24:duration=1", "-frames:v", "1"])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// A video of `seconds` (mp4), as `name` in `dir`, and its md5.
fn video(dir: &Path, name: &str, seconds: u32) -> (PathBuf, String) {
    let path = dir.join(name);
    media::write_test_video(&path, Container::Mp4, seconds, &[]);
    let md5 = md5(&path);
    (path, md5)
}

/// The uuids of the realistic export's entries.
pub mod uuids {
    pub const FIREWORKS: &str = "A1B2C3D4E5F60718293A4B5C6D7E8F90";
    pub const NEW_YEAR_AUDIO: &str = "B1B2C3D4E5F60718293A4B5C6D7E8F91";
    pub const BLOSSOMS_NO_MD5: &str = "C1B2C3D4E5F60718293A4B5C6D7E8F92";
    pub const TEXT_ONLY: &str = "D1B2C3D4E5F60718293A4B5C6D7E8F93";
    pub const PHOTO_ONLY: &str = "E1B2C3D4E5F60718293A4B5C6D7E8F94";
    pub const BROKEN: &str = "F1B2C3D4E5F60718293A4B5C6D7E8F95";
    pub const TWO_VIDEOS: &str = "01B2C3D4E5F60718293A4B5C6D7E8F96";
    pub const UNREADABLE_VIDEO: &str = "11B2C3D4E5F60718293A4B5C6D7E8F97";
}

/// A realistic export at `dir/Export.zip`: two journals and a damaged journal file;
/// entries across years and time zones with tags, locations and a star; a video named by
/// its md5, an `aac` recording in an `.m4a` file, a video without md5 (named by its
/// identifier), an entry of two videos, a text-only entry, a photo-only entry, an entry
/// whose video is missing from the zip and one whose "video" is not one.
pub fn realistic_export(dir: &Path) -> PathBuf {
    let (fireworks, fireworks_md5) = video(dir, "fireworks.mp4", 2);
    let (first, first_md5) = video(dir, "first.mp4", 1);
    let (second, second_md5) = video(dir, "second.mp4", 3);
    let audio = dir.join("new-year.m4a");
    m4a(&audio, 2, 330);
    let audio_md5 = md5(&audio);
    let photo = dir.join("photo.jpeg");
    jpeg(&photo);
    let photo_md5 = md5(&photo);
    let garbage = dir.join("garbage.mp4");
    std::fs::write(&garbage, "this is not a video at all").unwrap();
    let garbage_md5 = md5(&garbage);
    let journal = vec![
        json!({
            "uuid": uuids::FIREWORKS,
            "creationDate": "2019-07-04T23:30:00Z",
            "modifiedDate": "2019-07-05T08:00:00Z",
            "timeZone": "America/New_York",
            "text": "# Fireworks over the river\\!\n\n![](dayone-moment:/video/VID1)\n\nWe watched from the pier \\- loud \\& bright\\. Cost: $0\\.00",
            "tags": ["Summer", "family"],
            "starred": true,
            "location": {"placeName": "Pier 25", "localityName": "New York",
                         "administrativeArea": "NY", "country": "United States",
                         "latitude": 40.72, "longitude": -74.01},
            "weather": {"temperatureCelsius": 27, "conditionsDescription": "Clear"},
            "videos": [{"identifier": "VID1", "md5": fireworks_md5, "type": "mov",
                        "duration": 2.0, "date": "2019-07-04T23:29:00Z"}]
        }),
        json!({
            "uuid": uuids::NEW_YEAR_AUDIO,
            "creationDate": "2021-01-01T08:15:00Z",
            "timeZone": "Europe/Lisbon",
            "text": "New year, said aloud\nA quiet morning \\- coffee and rain\\.\n\n![](dayone-moment:/audio/AUD1)",
            "tags": ["voice"],
            "starred": false,
            "location": {"localityName": "Lisbon", "administrativeArea": "Lisbon", "country": "Portugal"},
            "audios": [{"identifier": "AUD1", "md5": audio_md5, "format": "aac", "duration": 2.0}]
        }),
        json!({
            "uuid": uuids::TEXT_ONLY,
            "creationDate": "2018-12-31T10:59:00Z",
            "timeZone": "Pacific/Auckland",
            "text": "Last day of the year\n\nResolutions: 1\\. read more 2\\. walk \\*every\\* day",
            "tags": ["resolutions"]
        }),
        json!({
            "uuid": uuids::PHOTO_ONLY,
            "creationDate": "2020-06-15T10:00:00Z",
            "timeZone": "Europe/Berlin",
            "text": "![](dayone-moment://P1)",
            "photos": [{"identifier": "P1", "md5": photo_md5, "type": "jpeg"}]
        }),
        json!({
            "uuid": uuids::BROKEN,
            "creationDate": "2020-02-02T02:02:00Z",
            "text": "The video of this entry was lost",
            "videos": [{"identifier": "GONE", "md5": "0123456789abcdef0123456789abcdef", "type": "mp4"}]
        }),
    ];
    let travel = vec![
        json!({
            "uuid": uuids::BLOSSOMS_NO_MD5,
            "creationDate": "2022-03-30T03:00:00Z",
            "timeZone": "Asia/Tokyo",
            "text": "Cherry blossoms in Ueno",
            "tags": ["travel", "japan"],
            "location": {"placeName": "Ueno Park", "localityName": "Tokyo", "country": "Japan"},
            "videos": [{"identifier": "VIDNOMD5", "type": "mp4", "duration": 1.0}]
        }),
        json!({
            "uuid": uuids::TWO_VIDEOS,
            "creationDate": "2023-08-20T16:45:00Z",
            "timeZone": "Europe/Lisbon",
            "text": "Surf lesson",
            "tags": ["travel"],
            "videos": [
                {"identifier": "S1", "md5": first_md5, "type": "mp4"},
                {"identifier": "S2", "md5": second_md5, "type": "mp4"}
            ]
        }),
        json!({
            "uuid": uuids::UNREADABLE_VIDEO,
            "creationDate": "2024-04-01T09:00:00Z",
            "text": "A video that was damaged",
            "videos": [{"identifier": "BAD", "md5": garbage_md5, "type": "mp4"}]
        }),
    ];
    let mut export = ExportZip::default();
    export
        .journal("Journal", journal)
        .journal("Travel", travel)
        .raw_journal(
            "Dreams",
            "{\"metadata\": {\"version\": \"1.0\"}, \"entries\": [{\"uuid\": ",
        )
        .file(&format!("videos/{fireworks_md5}.mov"), &fireworks)
        .file(&format!("audios/{audio_md5}.m4a"), &audio)
        .file("videos/VIDNOMD5.mp4", &first)
        .file(&format!("videos/{first_md5}.mp4"), &first)
        .file(&format!("videos/{second_md5}.mp4"), &second)
        .file(&format!("photos/{photo_md5}.jpeg"), &photo)
        .file(&format!("videos/{garbage_md5}.mp4"), &garbage);
    let path = dir.join("Export.zip");
    export.write(&path);
    path
}
