//! A browser with JavaScript off, for the pages' tests: plain HTTP with the session
//! cookie kept and the CSRF field posted, as a person's forms would.

use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};
use uuid::Uuid;

use super::TestApp;

/// A browser with JavaScript off: it keeps its cookies and does not follow redirects.
pub struct NoScript {
    client: reqwest::Client,
    base: String,
    pub cookies: Vec<(String, String)>,
}

impl NoScript {
    pub fn new(app: &TestApp) -> Self {
        NoScript {
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: app.address.clone(),
            cookies: Vec::new(),
        }
    }

    /// Signs `username` up through the sign-up form (password `password-of-USERNAME`);
    /// the browser, signed in, and the user's id.
    pub async fn signed_up(app: &TestApp, username: &str) -> (NoScript, Uuid) {
        let mut browser = NoScript::new(app);
        let email = format!("{username}@example.com");
        let password = format!("password-of-{username}");
        let fields = [
            ("username", username),
            ("email", email.as_str()),
            ("password", password.as_str()),
        ];
        let response = browser.post("/signup", &fields).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "signing up");
        let id = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind(username)
            .fetch_one(&app.db.admin)
            .await
            .unwrap();
        (browser, id)
    }

    fn keep_cookies(&mut self, response: &Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != name);
            let expired = text.contains("Max-Age=0") || value.is_empty();
            if !expired {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The value of the cookie `name`, or nothing.
    pub fn cookie(&self, name: &str) -> String {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// The CSRF token the pages put in their forms (the same as the `weft_csrf` cookie).
    pub fn csrf(&self) -> String {
        self.cookie("weft_csrf")
    }

    /// A request to `path` on the server, to be sent with [`NoScript::send`].
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    /// Sends `request` with the kept cookies, and keeps the ones it sets.
    pub async fn send(&mut self, request: reqwest::RequestBuilder) -> Response {
        let response = request
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        response
    }

    pub async fn get(&mut self, path: &str) -> Response {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.send(self.request(reqwest::Method::POST, path).form(fields))
            .await
    }

    /// Posts a form with the CSRF field, as the page's own form does.
    pub async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = self.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(path, &all).await
    }

    /// A page's HTML, after checking its status.
    pub async fn page(&mut self, path: &str, status: StatusCode) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), status, "GET {path}");
        assert!(is_html(&response), "GET {path} is HTML");
        response.text().await.unwrap()
    }
}

pub fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.to_str().unwrap().starts_with("text/html"))
}
