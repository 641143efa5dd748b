//! A minimal tus 1.0 client for the resumable upload tests: create, HEAD, PATCH with
//! reqwest, and a PATCH cut off halfway over a raw TCP connection (the client that loses its
//! network mid-upload). The independent client is tus-js-client (`tests/node/tus-client`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// `Upload-Metadata` from pairs (values base64-encoded).
pub fn metadata(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} {}", STANDARD.encode(v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// The hex SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A client for one server (`base` is `http://127.0.0.1:PORT`).
pub struct Tus {
    pub client: reqwest::Client,
    pub base: String,
}

impl Tus {
    pub fn new(base: &str) -> Tus {
        Tus {
            client: reqwest::Client::new(),
            base: base.to_string(),
        }
    }

    /// POST /api/v1/uploads with `Upload-Length` and `Upload-Metadata`.
    pub async fn create(&self, token: &str, length: u64, metadata: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/api/v1/uploads", self.base))
            .bearer_auth(token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", length.to_string())
            .header("Upload-Metadata", metadata)
            .send()
            .await
            .expect("create request")
    }

    /// Creates an upload and returns its path (`/api/v1/uploads/ID`), asserting 201.
    pub async fn created(&self, token: &str, length: u64, title: &str) -> String {
        let response = self
            .create(token, length, &metadata(&[("title", title)]))
            .await;
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(status, 201, "{}", response.text().await.unwrap());
        location.expect("a Location header")
    }

    /// HEAD of an upload.
    pub async fn head(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .head(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .expect("head request")
    }

    /// The upload's offset by HEAD (asserting 200).
    pub async fn offset(&self, token: &str, path: &str) -> u64 {
        let response = self.head(token, path).await;
        assert_eq!(response.status(), 200, "HEAD {path}");
        header_u64(&response, "upload-offset")
    }

    /// PATCH `bytes` at `offset`.
    pub async fn patch(
        &self,
        token: &str,
        path: &str,
        offset: u64,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        self.client
            .patch(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(bytes)
            .send()
            .await
            .expect("patch request")
    }

    /// Starts a PATCH at `offset` announcing `announced` bytes, sends only `bytes`, and
    /// returns the open connection (drop it to cut the upload off).
    pub async fn patch_cut_short(
        &self,
        token: &str,
        path: &str,
        offset: u64,
        announced: u64,
        bytes: &[u8],
    ) -> tokio::net::TcpStream {
        let address = self.base.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect");
        let head = format!(
            "PATCH {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
             Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\n\
             Content-Type: application/offset+octet-stream\r\nContent-Length: {announced}\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.expect("send head");
        stream.write_all(bytes).await.expect("send bytes");
        stream.flush().await.expect("flush");
        stream
    }

    /// Waits until HEAD reports an offset of at least `at_least` (a cut-off PATCH is
    /// recorded once the server notices the connection is gone); the offset.
    pub async fn wait_for_offset(&self, token: &str, path: &str, at_least: u64) -> u64 {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let offset = self.offset(token, path).await;
            if offset >= at_least {
                return offset;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the offset stayed at {offset}, below {at_least}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// A numeric header of a response.
pub fn header_u64(response: &reqwest::Response, name: &str) -> u64 {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("a {name} header"))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// A header of a response, as text.
pub fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}
