//! A small client of the dashboard's HTTP API, used by the CLI's recording commands and the demo.

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The API refused the request; `code` is the stable problem code.
    #[error("{detail} ({code}, HTTP {status})")]
    Rejected {
        status: u16,
        code: String,
        detail: String,
        field: Option<String>,
        /// The problem document as the API sent it.
        problem: Value,
    },
    /// The dashboard could not be reached or answered something that is not the API.
    #[error("failed to reach {url}: {reason}")]
    Transport { url: String, reason: String },
}

impl ClientError {
    /// Whether retrying later might succeed.
    pub fn is_unavailable(&self) -> bool {
        match self {
            ClientError::Rejected { status, .. } => *status >= 500,
            ClientError::Transport { .. } => true,
        }
    }
}

/// The error of a request to `url` that failed on the way.
fn transport(url: &str) -> impl Fn(reqwest::Error) -> ClientError + '_ {
    move |e| ClientError::Transport {
        url: url.to_owned(),
        reason: e.to_string(),
    }
}

/// Talks to one dashboard.
#[derive(Debug, Clone)]
pub struct ApiClient {
    base: String,
    http: reqwest::Client,
    token: Option<settings::Secret>,
}

impl ApiClient {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
            token: None,
        }
    }

    /// Sends `token` as a bearer token with every request.
    pub fn with_token(mut self, token: Option<String>) -> Self {
        self.token = token.filter(|t| !t.is_empty()).map(settings::Secret::new);
        self
    }

    fn authorised(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => request.bearer_auth(t.expose()),
            None => request,
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends a request to `path` with the token, and whatever `with` adds to it; answers with the
    /// URL asked, for messages, and the response.
    async fn send(
        &self,
        method: Method,
        path: &str,
        with: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<(String, reqwest::Response), ClientError> {
        let url = format!("{}{path}", self.base);
        let request = with(self.authorised(self.http.request(method, &url)));
        let response = request.send().await.map_err(transport(&url))?;
        Ok((url, response))
    }

    /// Sends a command; `key` makes a retry safe (the same key is stored once).
    pub async fn post(&self, path: &str, body: &Value, key: &str) -> Result<Value, ClientError> {
        let (url, response) = self
            .send(Method::POST, path, |r| {
                r.header("idempotency-key", key).json(body)
            })
            .await?;
        Self::read(url, response).await
    }

    pub async fn get(&self, path: &str) -> Result<Value, ClientError> {
        self.get_as(path).await
    }

    /// Reads JSON straight into `T`, without building a [`Value`] first (for long lists).
    pub async fn get_as<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let (url, response) = self.send(Method::GET, path, |r| r).await?;
        Self::read(url, response).await
    }

    /// Reads a file the API answers with (not JSON), with the response's headers.
    pub async fn download(
        &self,
        path: &str,
    ) -> Result<(reqwest::header::HeaderMap, Vec<u8>), ClientError> {
        let (url, response) = self.send(Method::GET, path, |r| r).await?;
        if !response.status().is_success() {
            return Self::read::<Value>(url.clone(), response)
                .await
                .and_then(|_| {
                    Err(ClientError::Transport {
                        url,
                        reason: "the answer was not a file".into(),
                    })
                });
        }
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(transport(&url))?;
        Ok((headers, bytes.to_vec()))
    }

    async fn read<T: DeserializeOwned>(
        url: String,
        response: reqwest::Response,
    ) -> Result<T, ClientError> {
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport(&url))?;
        let not_json = |e: serde_json::Error| ClientError::Transport {
            url: url.clone(),
            reason: format!("the answer is not the JSON expected: {e}"),
        };
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(not_json);
        }
        let body: Value = serde_json::from_slice(&bytes).map_err(not_json)?;
        let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        Err(ClientError::Rejected {
            status: status.as_u16(),
            code: text("code").unwrap_or_else(|| "unknown".to_owned()),
            detail: text("detail")
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned()),
            field: text("field"),
            problem: body,
        })
    }

    /// Waits until `/readyz` answers 200, up to `timeout`.
    pub async fn wait_ready(&self, timeout: std::time::Duration) -> Result<(), ClientError> {
        let url = format!("{}/readyz", self.base);
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Ok(r) = self.http.get(&url).send().await
                && r.status() == StatusCode::OK
            {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ClientError::Transport {
                    url,
                    reason: "the dashboard did not become ready".into(),
                });
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}
