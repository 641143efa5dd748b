//! Reading entries from small JSON, with the archive's file names given by hand.

use serde_json::json;

use super::*;

fn files(names: &[&str]) -> Files {
    Files::new(names.iter().map(|name| name.to_string()).collect())
}

fn read(value: serde_json::Value, names: &[&str]) -> Result<Entry, Problem> {
    read_entry("Journal", 0, value, &files(names))
}

#[test]
fn an_entry_gives_its_date_title_notes_tags_and_location() {
    let entry = read(
        json!({
            "uuid": "E1",
            "creationDate": "2019-03-02T23:30:00Z",
            "modifiedDate": "2019-03-03T08:00:00Z",
            "timeZone": "Asia/Tokyo",
            "text": "# Fish market\\!\n\n![](dayone-moment://P1)\n\nTuna at 5\\.30",
            "tags": ["Travel", "japan"],
            "starred": true,
            "location": {
                "placeName": "Toyosu Market",
                "localityName": "Tokyo",
                "administrativeArea": "Tokyo",
                "country": "Japan",
                "latitude": 35.6,
                "longitude": 139.7
            },
            "weather": {"temperatureCelsius": 8},
            "photos": [{"identifier": "P1", "md5": "aa", "type": "jpeg"}]
        }),
        &[],
    )
    .unwrap();
    assert_eq!(entry.uuid, "E1");
    assert_eq!(entry.created_at.to_rfc3339(), "2019-03-02T23:30:00+00:00");
    assert_eq!(entry.time_zone.as_deref(), Some("Asia/Tokyo"));
    assert_eq!(entry.title, "Fish market!");
    assert_eq!(entry.notes.as_deref(), Some("Tuna at 5.30"));
    assert_eq!(entry.tags, ["Travel", "japan", "starred"]);
    assert_eq!(
        entry.location.as_deref(),
        Some("Toyosu Market, Tokyo, Japan")
    );
    assert!(entry.recordings.is_empty());
    assert_eq!(entry.photos, 1);
}

#[test]
fn videos_are_found_by_md5_and_type_and_aac_audio_in_an_m4a_file() {
    let entry = read(
        json!({
            "uuid": "E2",
            "creationDate": "2020-01-01T00:00:00Z",
            "videos": [{"identifier": "V1", "md5": "0a1b", "type": "mov", "duration": 3.5}],
            "audios": [{"identifier": "A1", "md5": "c2d3", "format": "aac", "duration": 2}]
        }),
        &["videos/0a1b.mov", "audios/c2d3.m4a", "Journal.json"],
    )
    .unwrap();
    assert_eq!(
        entry.recordings,
        vec![
            Recording {
                kind: MediaKind::Video,
                file: "videos/0a1b.mov".into(),
                extension: "mov".into()
            },
            Recording {
                kind: MediaKind::Audio,
                file: "audios/c2d3.m4a".into(),
                extension: "m4a".into()
            },
        ]
    );
    assert_eq!(entry.title, "Day One, 1 January 2020");
    assert_eq!(entry.notes, None);
}

#[test]
fn a_video_without_md5_is_found_by_its_identifier_or_reported() {
    let value = json!({
        "uuid": "E3",
        "creationDate": "2020-01-01T00:00:00Z",
        "videos": [{"identifier": "ABCDEF", "type": "mp4"}]
    });
    let entry = read(value.clone(), &["videos/ABCDEF.mp4"]).unwrap();
    assert_eq!(entry.recordings[0].file, "videos/ABCDEF.mp4");

    let problem = read(value, &["videos/other.mp4"]).unwrap_err();
    assert_eq!(problem.what, "Journal, entry E3");
    assert!(
        problem.reason.contains("ABCDEF has no md5"),
        "{}",
        problem.reason
    );
}

#[test]
fn a_missing_file_a_bad_date_and_a_wrong_field_are_problems_of_that_entry() {
    let missing = read(
        json!({"uuid": "E4", "creationDate": "2020-01-01T00:00:00Z",
               "videos": [{"identifier": "V", "md5": "ff00", "type": "mp4"}]}),
        &["videos/0000.mp4"],
    )
    .unwrap_err();
    assert_eq!(
        missing.reason,
        "its video videos/ff00.mp4 is missing from the export"
    );

    let bad_date = read(json!({"uuid": "E5", "creationDate": "yesterday"}), &[]).unwrap_err();
    assert!(
        bad_date.reason.contains("\"yesterday\" is not a date"),
        "{}",
        bad_date.reason
    );

    let no_uuid = read(json!({"creationDate": "2020-01-01T00:00:00Z"}), &[]).unwrap_err();
    assert_eq!(no_uuid.what, "Journal, entry 1");

    let wrong = read(
        json!({"uuid": "E6", "creationDate": "2020-01-01T00:00:00Z", "tags": 7}),
        &[],
    )
    .unwrap_err();
    assert!(
        wrong
            .reason
            .starts_with("the entry is not valid Day One JSON"),
        "{}",
        wrong.reason
    );
}

#[test]
fn media_placed_elsewhere_by_an_older_export_is_found_by_its_md5() {
    let entry = read(
        json!({"uuid": "E7", "creationDate": "2016-05-01T10:00:00Z",
               "videos": [{"identifier": "V", "md5": "abcd", "type": "mov"}]}),
        &["photos/ABCD.MOV"],
    )
    .unwrap();
    assert_eq!(entry.recordings[0].file, "photos/ABCD.MOV");
    assert_eq!(entry.recordings[0].extension, "mov");
}

#[test]
fn a_location_repeats_no_part_and_an_empty_one_is_none() {
    let entry = read(
        json!({"uuid": "E8", "creationDate": "2020-01-01T00:00:00Z",
               "location": {"localityName": "Lisbon", "administrativeArea": "Lisbon", "country": "Portugal"}}),
        &[],
    )
    .unwrap();
    assert_eq!(entry.location.as_deref(), Some("Lisbon, Portugal"));
    let empty = read(
        json!({"uuid": "E9", "creationDate": "2020-01-01T00:00:00Z", "location": {"latitude": 1.0}}),
        &[],
    )
    .unwrap();
    assert_eq!(empty.location, None);
}
