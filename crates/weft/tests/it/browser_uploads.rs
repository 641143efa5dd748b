//! The new-entry page's resumable uploads in a real browser (Chromium through chromedriver)
//! against the real server: a video sent in chunks arrives byte for byte, the chunks growing
//! on a fast connection; a queue of two,
//! by the file input and by dropping files on the page; a reload in the middle of a slow
//! upload goes on from the server's offset; offline mid-upload it waits, and coming back
//! online sends the rest at once; a recording kept in IndexedDB survives a reload and is
//! offered and sent on the next visit. The changed pages pass axe-core at both sizes;
//! screenshots go to `target/screenshots/page-new-{queue,pending}-*.png`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use uuid::Uuid;

use crate::browser_pages::{axe_script, check, open};
use crate::common::browser::{click, devtools, fill, sign_up, wait_until, Browser};
use crate::common::media::{self, Container};
use crate::common::{self, TestApp};

/// The chunk the page sends (`CHUNK_BYTES` of the new-entry page).
const CHUNK: u64 = 4 * 1024 * 1024;

/// A loopback TCP proxy in front of the server, like a phone's slow network: it counts the
/// bytes the browser sends and passes them on at most `rate` bytes a second (0: at once).
struct Proxy {
    url: String,
    sent: Arc<AtomicU64>,
    rate: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(app: &TestApp) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = app.address.trim_start_matches("http://").to_string();
        let sent = Arc::new(AtomicU64::new(0));
        let rate = Arc::new(AtomicU64::new(0));
        let (counted, limit) = (sent.clone(), rate.clone());
        let task = tokio::spawn(async move {
            while let Ok((browser, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let (counted, limit) = (counted.clone(), limit.clone());
                tokio::spawn(async move {
                    let (mut from_browser, mut to_server) =
                        (browser.into_split(), server.into_split());
                    let up = async {
                        let mut buffer = vec![0u8; 16 * 1024];
                        loop {
                            let n = match from_browser.0.read(&mut buffer).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            if to_server.1.write_all(&buffer[..n]).await.is_err() {
                                break;
                            }
                            counted.fetch_add(n as u64, Ordering::Relaxed);
                            let rate = limit.load(Ordering::Relaxed);
                            if rate > 0 {
                                tokio::time::sleep(Duration::from_secs_f64(n as f64 / rate as f64))
                                    .await;
                            }
                        }
                        let _ = to_server.1.shutdown().await;
                    };
                    let down = async {
                        let _ = tokio::io::copy(&mut to_server.0, &mut from_browser.1).await;
                        let _ = from_browser.1.shutdown().await;
                    };
                    tokio::join!(up, down);
                });
            }
        });
        Proxy {
            url,
            sent,
            rate,
            task,
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A video of random pictures (which do not compress): about 12 MB for one second.
fn large_video(dir: &Path) -> PathBuf {
    let path = dir.join("large.mp4");
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
        .arg("nullsrc=size=640x480:rate=25:duration=1,geq=lum='random(1)*255':cb=128:cr=128")
        .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=1"])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-qp",
            "0",
            "-c:a",
            "aac",
            "-shortest",
        ])
        .arg(&path)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg made the large video");
    path
}

/// Waits for the entry page a single Save opens; the entry's id.
async fn opened_entry(client: &Client, limit: Duration) -> Uuid {
    let done = "const e = document.getElementById('form-error'); \
                return (location.pathname.startsWith('/entries/') && location.pathname) \
                    || (e && !e.hidden && 'refused: ' + e.textContent)";
    let path = wait_until(client, done, limit, "the entry page").await;
    let path = path.as_str().unwrap();
    assert!(path.starts_with("/entries/"), "the upload was {path}");
    path.trim_start_matches("/entries/").parse().unwrap()
}

/// The stored bytes of the journal's recording.
async fn stored(app: &TestApp, id: Uuid) -> Vec<u8> {
    let key: String = sqlx::query_scalar("SELECT video_path FROM journals WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    app.storage.get_bytes(&key).await.unwrap().to_vec()
}

async fn choose(client: &Client, files: &[&Path]) {
    let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let input = client.find(Locator::Id("video-file")).await.unwrap();
    input.send_keys(&paths.join("\n")).await.unwrap();
}

/// Waits until every row of the queue is saved; their links.
async fn all_saved(client: &Client, rows: usize) -> Vec<String> {
    let script = format!(
        "const rows = [...document.querySelectorAll('.upload-item')]; \
         const failed = rows.find((r) => r.dataset.state === 'failed'); \
         if (failed) return 'failed: ' + failed.textContent; \
         return rows.length === {rows} && rows.every((r) => r.dataset.state === 'done') \
             && rows.map((r) => r.querySelector('a').getAttribute('href'))"
    );
    let links = wait_until(client, &script, Duration::from_secs(90), "the queue saved").await;
    let Value::Array(links) = links else {
        panic!("the queue: {links}")
    };
    links
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn videos_sent_in_chunks_arrive_whole_alone_or_queued_by_picking_or_dropping() {
    let app = common::spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let axe = axe_script();
    let browser = Browser::start(None).await;
    let client = &browser.client;
    sign_up(client, &app, "jane").await;

    // One file: the preview, then Save opens the new entry, byte for byte the file.
    let one = large_video(dir.path());
    let size = std::fs::metadata(&one).unwrap().len();
    open(client, &app, "/new").await;
    // PATCHes counted in the tab's session storage, which outlives the page.
    client
        .execute(
            "sessionStorage.setItem('patches', '0');              const open = XMLHttpRequest.prototype.open;              XMLHttpRequest.prototype.open = function (method, ...rest) {                  if (method === 'PATCH') sessionStorage.setItem('patches',                      String(Number(sessionStorage.getItem('patches')) + 1));                  return open.call(this, method, ...rest); };",
            vec![],
        )
        .await
        .unwrap();
    choose(client, &[&one]).await;
    fill(client, "title", "Sent in chunks").await;
    click(client, "save").await;
    let id = opened_entry(client, Duration::from_secs(90)).await;
    assert_eq!(
        stored(&app, id).await,
        std::fs::read(&one).unwrap(),
        "byte-identical"
    );
    // Over loopback the first chunk is fast, so the next one is what two seconds send:
    // the rest of the file at once, where chunks of a fixed size would take more.
    let patches: u64 = client
        .execute("return Number(sessionStorage.getItem('patches'))", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    let fixed = size.div_ceil(CHUNK);
    assert!(fixed >= 3, "{size} bytes: three chunks of a fixed size");
    assert_eq!(patches, 2, "{size} bytes in {patches} PATCHes, not {fixed}");

    // Two files by the file input: a row each, titled after the file, the tags shared.
    let first = media::test_video(dir.path(), Container::WebM, 2);
    let second = media::test_video(dir.path(), Container::Mp4, 3);
    let pick_two = || async {
        open(client, &app, "/new").await;
        choose(client, &[&first, &second]).await;
        wait_until(
            client,
            "return document.querySelectorAll('.upload-item[data-state=ready]').length === 2",
            Duration::from_secs(10),
            "two rows in the queue",
        )
        .await;
    };
    let problems = check(client, &axe, "new-queue", pick_two).await;
    let titles = client
        .execute(
            "return [[...document.querySelectorAll('.upload-item input')].map((i) => i.value), \
                     document.getElementById('save').textContent, \
                     document.getElementById('title-field').hidden]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        titles,
        json!([["clip-2s", "clip-3s"], "Upload 2 files", true])
    );
    client
        .execute(
            "document.querySelector('.upload-item input').value = 'Morning at the quay'",
            vec![],
        )
        .await
        .unwrap();
    // The tags field is the chip editor's hidden field, kept as the form sends it.
    client
        .execute("document.getElementById('tags').value = 'harbour'", vec![])
        .await
        .unwrap();
    click(client, "save").await;
    let links = all_saved(client, 2).await;
    assert!(
        links.iter().all(|l| l.starts_with("/entries/")),
        "{links:?}"
    );

    // Two files dropped on the page.
    open(client, &app, "/new").await;
    let bytes = std::fs::read(&first).unwrap();
    client
        .execute(
            "const data = new DataTransfer();
             for (const name of ['dropped-one.webm', 'dropped-two.webm']) {
                 data.items.add(new File([new Uint8Array(arguments[0])], name, { type: 'video/webm' }));
             }
             document.getElementById('main').dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));",
            vec![json!(bytes)],
        )
        .await
        .unwrap();
    click(client, "save").await;
    all_saved(client, 2).await;

    let rows: Vec<(String, Vec<String>)> = sqlx::query_as(
        "SELECT j.title, coalesce(array_agg(t.tag ORDER BY t.tag) FILTER (WHERE t.tag IS NOT NULL), '{}') \
         FROM journals j LEFT JOIN tags t ON t.journal_id = j.id GROUP BY j.title ORDER BY j.title",
    )
    .fetch_all(&app.db.admin)
    .await
    .unwrap();
    let harbour = vec!["harbour".to_string()];
    assert_eq!(
        rows,
        vec![
            ("Morning at the quay".to_string(), harbour.clone()),
            ("Sent in chunks".to_string(), vec![]),
            ("clip-3s".to_string(), harbour),
            ("dropped-one".to_string(), vec![]),
            ("dropped-two".to_string(), vec![]),
        ]
    );

    browser.close().await;
    app.stop().await;
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloading_the_page_mid_upload_goes_on_from_the_servers_offset() {
    let app = common::spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(&app).await;
    let browser = Browser::start(None).await;
    let client = &browser.client;
    // Cookies belong to the host, not the port: signed in here, signed in through the proxy.
    sign_up(client, &app, "jane").await;
    let video = large_video(dir.path());
    let size = std::fs::metadata(&video).unwrap().len();
    assert!(size > 2 * CHUNK, "{size} bytes: more than two chunks");

    proxy.rate.store(2 * 1024 * 1024, Ordering::Relaxed);
    let new_page = format!("{}/new", proxy.url);
    client.goto(&new_page).await.unwrap();
    wait_until(
        client,
        "return document.readyState === 'complete'",
        Duration::from_secs(20),
        "/new",
    )
    .await;
    choose(client, &[&video]).await;
    fill(client, "title", "Over a slow network").await;
    click(client, "save").await;
    let shown = wait_until(
        client,
        &format!(
            "const row = document.querySelector('.upload-item'); \
             return row && Number(row.dataset.offset) >= {CHUNK} \
                 && [document.getElementById('progress-label').textContent, \
                     document.getElementById('upload-speed').textContent, \
                     document.getElementById('progress').value]"
        ),
        Duration::from_secs(60),
        "the first chunk acknowledged",
    )
    .await;
    let label = shown[0].as_str().unwrap();
    assert!(
        label.starts_with("Uploading… ") && label.ends_with('%'),
        "{shown}"
    );
    assert!(
        shown[1].as_str().unwrap().ends_with("/s"),
        "the speed shows: {shown}"
    );
    assert!(shown[2].as_f64().unwrap() > 0.0, "{shown}");

    client.refresh().await.unwrap();
    let named = wait_until(
        client,
        "const row = document.querySelector('#pending-list li'); return row && row.textContent",
        Duration::from_secs(20),
        "the stopped upload named after the reload",
    )
    .await;
    assert!(
        named
            .as_str()
            .unwrap()
            .contains("“large.mp4” stopped before the end"),
        "{named}"
    );
    proxy.rate.store(4 * 1024 * 1024, Ordering::Relaxed);
    choose(client, &[&video]).await;
    fill(client, "title", "Over a slow network").await;
    click(client, "save").await;
    let id = opened_entry(client, Duration::from_secs(90)).await;

    let sent = proxy.sent.load(Ordering::Relaxed);
    println!("{size} bytes sent with {sent} bytes on the wire, a reload in between");
    assert!(
        sent < 2 * size,
        "resumed, not sent again from zero: {sent} bytes for {size}"
    );
    // Sent again from zero, it would be the whole file after the acknowledged first chunk.
    assert!(
        sent < size + CHUNK,
        "at most the chunk cut off was sent twice: {sent} bytes for {size}"
    );
    assert_eq!(
        stored(&app, id).await,
        std::fs::read(&video).unwrap(),
        "byte-identical"
    );
    let left = client
        .execute(
            "return Object.keys(localStorage).filter((k) => k.startsWith('weft-upload:'))",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(left, json!([]), "nothing left to resume");

    browser.close().await;
    drop(proxy);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_mid_upload_it_waits_and_coming_back_online_sends_the_rest_at_once() {
    let app = common::spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(&app).await;
    let browser = Browser::start(None).await;
    let client = &browser.client;
    sign_up(client, &app, "jane").await;
    let video = large_video(dir.path());

    proxy.rate.store(2 * 1024 * 1024, Ordering::Relaxed);
    client.goto(&format!("{}/new", proxy.url)).await.unwrap();
    wait_until(
        client,
        "return document.readyState === 'complete'",
        Duration::from_secs(20),
        "/new",
    )
    .await;
    choose(client, &[&video]).await;
    fill(client, "title", "Through a tunnel").await;
    click(client, "save").await;
    wait_until(
        client,
        &format!(
            "const row = document.querySelector('.upload-item'); \
             return row && Number(row.dataset.offset) >= {CHUNK}"
        ),
        Duration::from_secs(60),
        "the first chunk acknowledged",
    )
    .await;

    // The phone loses its network (DevTools' offline mode: requests fail, navigator.onLine
    // is false). The page keeps the upload and waits longer each time.
    devtools(client, "Network.enable", json!({})).await;
    let offline = |offline: bool| json!({"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1});
    devtools(client, "Network.emulateNetworkConditions", offline(true)).await;
    let waiting = wait_until(
        client,
        "const row = document.querySelector('.upload-item'); \
         return !navigator.onLine && row && row.textContent.includes('Trying again in 8 s') \
             && row.textContent",
        Duration::from_secs(60),
        "the upload waiting 8 s before its fourth try",
    )
    .await;
    println!("offline: {waiting}");
    let upload_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM uploads WHERE NOT finished")
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(upload_rows, 1, "the upload is kept on the server meanwhile");

    // Back online: the `online` event ends the wait at once, not 8 s later.
    proxy.rate.store(0, Ordering::Relaxed);
    let back = std::time::Instant::now();
    devtools(client, "Network.emulateNetworkConditions", offline(false)).await;
    let id = opened_entry(client, Duration::from_secs(30)).await;
    let took = back.elapsed();
    println!("finished {took:?} after coming back online");
    assert!(
        took < Duration::from_secs(6),
        "sent when the network came back, not when the wait ran out: {took:?}"
    );
    assert_eq!(
        stored(&app, id).await,
        std::fs::read(&video).unwrap(),
        "byte-identical"
    );

    browser.close().await;
    drop(proxy);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_kept_in_the_browser_survives_a_reload_and_is_sent_on_the_next_visit() {
    let app = common::spawn_app().await;
    let axe = axe_script();
    let browser = Browser::start(None).await;
    let client = &browser.client;
    sign_up(client, &app, "jane").await;

    open(client, &app, "/new").await;
    click(client, "camera-on").await;
    wait_until(
        client,
        "return !document.getElementById('record').disabled",
        Duration::from_secs(10),
        "the camera",
    )
    .await;
    fill(client, "title", "Kept through a reload").await;
    click(client, "record").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    click(client, "stop").await;
    // Generous limits: a loaded machine encodes the fake camera's 720p slowly, and the take
    // is kept only once the recorder has finished it.
    wait_until(
        client,
        "return document.getElementById('new-entry').dataset.recorded",
        Duration::from_secs(30),
        "the recorder to finish the take",
    )
    .await;
    let kept = wait_until(
        client,
        "const d = document.getElementById('new-entry').dataset; \
         return d.kept ? 'kept ' + d.kept : d.keptError && 'refused: ' + d.keptError",
        Duration::from_secs(30),
        "the recording kept in IndexedDB",
    )
    .await;
    assert!(
        kept.as_str().is_some_and(|k| k.starts_with("kept ")),
        "IndexedDB did not keep the take: {kept}"
    );

    // Left before it was sent: another page points it out.
    open(client, &app, "/").await;
    let banner = wait_until(
        client,
        "const b = document.querySelector('.pending-banner'); return b && b.textContent",
        Duration::from_secs(10),
        "the banner",
    )
    .await;
    assert_eq!(
        banner,
        json!("A recording has not been uploaded yet. Upload or discard it")
    );

    let offered = || async {
        open(client, &app, "/new").await;
        wait_until(
            client,
            "return document.querySelector('#pending-list li[data-pending] button.primary')",
            Duration::from_secs(10),
            "the recording offered",
        )
        .await;
    };
    let problems = check(client, &axe, "new-pending", offered).await;
    client
        .find(Locator::Css(
            "#pending-list li[data-pending] button.primary",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let links = all_saved(client, 1).await;
    let id: Uuid = links[0].trim_start_matches("/entries/").parse().unwrap();
    let title: String = sqlx::query_scalar("SELECT title FROM journals WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.admin)
        .await
        .unwrap();
    assert_eq!(title, "Kept through a reload");
    let kept = wait_until(
        client,
        "return import('/assets/pending.js').then((p) => p.all()).then((all) => String(all.length))",
        Duration::from_secs(10),
        "the store read",
    )
    .await;
    assert_eq!(kept, json!("0"), "forgotten once the server has it");

    browser.close().await;
    app.stop().await;
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
