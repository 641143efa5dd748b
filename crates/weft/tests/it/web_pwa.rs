//! The installable app: the manifest, its icons, the service worker at the root, the iOS
//! tags on every page, the share target's URL without the worker; then in Chromium,
//! Chromium's own installability check (what Lighthouse's rests on), the worker in control,
//! a file shared through it offered on the new-entry page, and that page opening offline.

use std::time::Duration;

use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::browser::{devtools, sign_up, wait_until, Browser};
use crate::common::forms::NoScript;
use crate::common::media::{self, Container};
use crate::common::{self};

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[1..4], b"PNG", "a PNG");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (width, height)
}

#[tokio::test]
async fn the_manifest_names_the_app_its_icons_and_the_share_target() {
    let app = common::spawn_app().await;
    let response = app
        .client
        .get(app.url("/manifest.webmanifest"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "application/manifest+json"
    );
    let manifest: Value = response.json().await.unwrap();
    assert_eq!(manifest["name"], "Weft");
    assert_eq!(manifest["short_name"], "Weft");
    assert_eq!(manifest["start_url"], "/");
    assert_eq!(manifest["display"], "standalone");
    assert!(manifest["theme_color"].as_str().unwrap().starts_with('#'));
    let share = &manifest["share_target"];
    assert_eq!(share["action"], "/share");
    assert_eq!(share["method"], "POST");
    assert_eq!(share["enctype"], "multipart/form-data");
    assert_eq!(
        share["params"]["files"],
        json!([{ "name": "video", "accept": ["video/*", "audio/*"] }])
    );

    let mut purposes = Vec::new();
    for icon in manifest["icons"].as_array().unwrap() {
        let response = app
            .client
            .get(app.url(icon["src"].as_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{icon}");
        assert_eq!(response.headers()[CONTENT_TYPE], "image/png");
        let (width, height) = png_size(&response.bytes().await.unwrap());
        assert_eq!(format!("{width}x{height}"), icon["sizes"].as_str().unwrap());
        purposes.push((width, icon["purpose"].as_str().unwrap().to_string()));
    }
    assert!(purposes.contains(&(192, "any".into())), "{purposes:?}");
    assert!(purposes.contains(&(512, "any".into())), "{purposes:?}");
    assert!(purposes.contains(&(512, "maskable".into())), "{purposes:?}");
    app.stop().await;
}

#[tokio::test]
async fn the_service_worker_is_served_from_the_root_with_the_app_shell() {
    let app = common::spawn_app().await;
    let response = app.client.get(app.url("/sw.js")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert_eq!(response.headers()[CACHE_CONTROL], "no-cache");
    let csp = response.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("worker-src 'self'") && csp.contains("manifest-src 'self'"),
        "{csp}"
    );
    let body = response.text().await.unwrap();
    let shell_line = body
        .lines()
        .find(|l| l.starts_with("const SHELL = "))
        .expect("the shell's list");
    let shell: Vec<String> = serde_json::from_str(
        shell_line
            .trim_start_matches("const SHELL = ")
            .trim_end_matches(';'),
    )
    .unwrap();
    for needed in [
        "/assets/app.css?v=",
        "/assets/record.js?v=",
        "/assets/upload.js",
        "/assets/app.js",
    ] {
        assert!(
            shell.iter().any(|u| u.starts_with(needed)),
            "{needed} in {shell:?}"
        );
    }
    // Every file it keeps exists, and so does the offline page it falls back to.
    for url in shell.iter().map(String::as_str).chain(["/offline"]) {
        let status = app.client.get(app.url(url)).send().await.unwrap().status();
        assert_eq!(status, StatusCode::OK, "{url}");
    }
    app.stop().await;
}

#[tokio::test]
async fn every_page_links_the_manifest_and_the_home_screen_icon() {
    let app = common::spawn_app().await;
    let (mut browser, _) = NoScript::signed_up(&app, "maria").await;
    for path in ["/", "/new", "/account"] {
        let page = browser.page(path, StatusCode::OK).await;
        for tag in [
            r#"<link rel="manifest" href="/manifest.webmanifest">"#,
            r#"<link rel="apple-touch-icon" href="/assets/apple-touch-icon.png?v="#,
            r#"<meta name="apple-mobile-web-app-capable" content="yes">"#,
        ] {
            assert!(page.contains(tag), "{path} lacks {tag}");
        }
    }
    let signin = app
        .client
        .get(app.url("/signin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(signin.contains(r#"rel="manifest""#));
    app.stop().await;
}

#[tokio::test]
async fn a_share_that_reaches_the_server_without_the_worker_is_explained_not_lost_in_a_5xx() {
    let app = common::spawn_app().await;
    let (mut browser, _) = NoScript::signed_up(&app, "maria").await;
    let dir = tempfile::tempdir().unwrap();
    let video = media::test_video(dir.path(), Container::Mp4, 1);
    let form = reqwest::multipart::Form::new()
        .text("title", "From the gallery\0")
        .part(
            "video",
            reqwest::multipart::Part::bytes(std::fs::read(&video).unwrap()).file_name("clip.mp4"),
        );
    let request = browser
        .request(reqwest::Method::POST, "/share")
        .multipart(form);
    let response = browser.send(request).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/new?shared=failed");
    let page = browser.page("/new?shared=failed", StatusCode::OK).await;
    assert!(
        page.contains("The shared file did not reach Weft"),
        "the page says why"
    );
    assert!(
        page.contains("Choose the file below instead"),
        "and what to do"
    );

    // Signed out, with nothing at all, or asked for by GET: still no 5xx.
    let mut visitor = NoScript::new(&app);
    let bare = visitor.request(reqwest::Method::POST, "/share");
    let bare = visitor.send(bare).await;
    assert_eq!(bare.status(), StatusCode::SEE_OTHER);
    assert_eq!(bare.headers()[LOCATION], "/new?shared=failed");
    let got = visitor.get("/share").await;
    assert_eq!(got.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

/// Waits until the page is controlled by the service worker.
async fn controlled(client: &fantoccini::Client) {
    wait_until(
        client,
        "return navigator.serviceWorker.controller !== null && document.readyState === 'complete'",
        Duration::from_secs(20),
        "the service worker in control",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_finds_the_app_installable_it_takes_shares_and_opens_offline() {
    let app = common::spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let browser = Browser::start(None).await;
    let client = &browser.client;
    sign_up(client, &app, "maria").await;
    client.goto(&app.url("/new")).await.unwrap();
    wait_until(
        client,
        "return navigator.serviceWorker.getRegistration().then((r) => Boolean(r && r.active))",
        Duration::from_secs(20),
        "the service worker active",
    )
    .await;
    client.refresh().await.unwrap();
    controlled(client).await;

    // Chromium's own checks, the ones its install prompt and Lighthouse rest on.
    let manifest = devtools(client, "Page.getAppManifest", json!({})).await;
    assert_eq!(manifest["errors"], json!([]), "{manifest}");
    assert!(manifest["url"]
        .as_str()
        .unwrap()
        .ends_with("/manifest.webmanifest"));
    let installable = devtools(client, "Page.getInstallabilityErrors", json!({})).await;
    assert_eq!(
        installable["installabilityErrors"],
        json!([]),
        "{installable}"
    );

    // A video shared from the gallery: the worker keeps it and opens the new-entry page,
    // which offers it.
    let video = media::test_video(dir.path(), Container::WebM, 2);
    let bytes: Vec<u8> = std::fs::read(&video).unwrap();
    let shared = client
        .execute_async(
            "const [bytes, done] = [arguments[0], arguments[arguments.length - 1]];
             const data = new FormData();
             data.append('title', 'From the gallery');
             data.append('video', new File([new Uint8Array(bytes)], 'harbour.webm', { type: 'video/webm' }));
             fetch('/share', { method: 'POST', body: data })
                 .then((r) => done([r.status, new URL(r.url).pathname + new URL(r.url).search]))
                 .catch((e) => done(String(e)));",
            vec![json!(bytes)],
        )
        .await
        .unwrap();
    assert_eq!(shared, json!([200, "/new?shared=1"]));
    client.goto(&app.url("/new?shared=1")).await.unwrap();
    let offered = wait_until(
        client,
        "const row = document.querySelector('#pending-list li[data-pending]'); \
         return row && !document.getElementById('pending').hidden && row.textContent",
        Duration::from_secs(10),
        "the shared file offered",
    )
    .await;
    assert!(
        offered
            .as_str()
            .unwrap()
            .contains("Shared with Weft: “harbour.webm”"),
        "{offered}"
    );

    // Offline, and the server gone too: the new-entry page opens from the worker's copy
    // (with its recorder), and another page gives way to the offline page.
    client.goto(&app.url("/new")).await.unwrap();
    controlled(client).await;
    devtools(
        client,
        "Network.emulateNetworkConditions",
        json!({ "offline": true, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 }),
    )
    .await;
    let address = app.address.clone();
    app.stop().await;
    client.goto(&format!("{address}/new")).await.unwrap();
    let offline = wait_until(
        client,
        "return document.readyState === 'complete' && [document.querySelector('h1').textContent, \
         Boolean(document.getElementById('camera-on')), \
         [...document.styleSheets].some((s) => s.cssRules.length > 0)]",
        Duration::from_secs(20),
        "the new-entry page offline",
    )
    .await;
    assert_eq!(
        offline,
        json!(["New entry", true, true]),
        "the page, its script and its styles"
    );
    client.goto(&format!("{address}/calendar")).await.unwrap();
    let elsewhere = wait_until(
        client,
        "return document.readyState === 'complete' && document.querySelector('h1') && document.querySelector('h1').textContent",
        Duration::from_secs(20),
        "the offline page",
    )
    .await;
    assert_eq!(elsewhere, json!("You are offline"));
    browser.close().await;
}
