//! JSON error answers: every 4xx and 5xx the server makes itself has a body
//! `{"error": "..."}`, so that clients never parse plain text.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// An error answer: a status and a JSON body with at least `error`.
///
/// ```
/// use axum::http::StatusCode;
/// use axum::response::IntoResponse;
/// use plinth_server::ApiError;
/// let response = ApiError::new(StatusCode::NOT_FOUND, "no plugin named \"x\"").into_response();
/// assert_eq!(response.status(), 404);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The status.
    pub status: StatusCode,
    /// The body: an object with `error` and whatever else helps.
    pub body: Value,
}

impl ApiError {
    /// `{"error": message}` with `status`.
    ///
    /// ```
    /// # use axum::http::StatusCode;
    /// # use plinth_server::ApiError;
    /// assert_eq!(ApiError::new(StatusCode::BAD_REQUEST, "bad").body["error"], "bad");
    /// ```
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: json!({ "error": message.into() }),
        }
    }

    /// The same error with one more field in its body.
    ///
    /// ```
    /// # use axum::http::StatusCode;
    /// # use plinth_server::ApiError;
    /// let e = ApiError::new(StatusCode::CONFLICT, "busy").with("plugin", "db");
    /// assert_eq!(e.body["plugin"], "db");
    /// ```
    pub fn with(mut self, field: &str, value: impl Into<Value>) -> Self {
        if let Value::Object(map) = &mut self.body {
            map.insert(field.to_string(), value.into());
        }
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// `Json<T>` whose rejections are [`ApiError`]s: a body that is not JSON is
/// a 400, JSON of the wrong shape a 422, a missing `Content-Type` a 415, each
/// with the parser's explanation.
///
/// ```
/// use plinth_server::ApiJson;
/// #[derive(serde::Deserialize)]
/// struct Toggle { enabled: bool }
/// async fn toggle(ApiJson(t): ApiJson<Toggle>) -> String { t.enabled.to_string() }
/// # let _ = axum::Router::<()>::new().route("/", axum::routing::post(toggle));
/// ```
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axums = |parsed: Result<Json<T>, JsonRejection>| {
            parsed
                .map(|Json(value)| ApiJson(value))
                .map_err(json_rejection)
        };
        if !is_plain_json(req.headers()) {
            // Other media types (`+json` ones, or none) and their rejections
            // are axum's.
            return axums(Json::<T>::from_request(req, state).await);
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|r| ApiError::new(r.status(), r.body_text()))?;
        // Parsed without tracking the path to each value, which only an
        // error needs: a bad body is parsed again for axum's explanation.
        match serde_json::from_slice(&bytes) {
            Ok(value) => Ok(ApiJson(value)),
            Err(_) => axums(Json::<T>::from_bytes(&bytes)),
        }
    }
}

/// `Content-Type: application/json`, with parameters or not.
fn is_plain_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    ApiError::new(rejection.status(), rejection.body_text())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Outer {
        #[allow(dead_code)] // only parsed
        inner: Inner,
    }

    #[derive(Debug, Deserialize)]
    struct Inner {
        #[allow(dead_code)] // only parsed
        n: u8,
    }

    async fn parse(content_type: &str, body: &str) -> Result<ApiJson<Outer>, ApiError> {
        let request = Request::post("/")
            .header("content-type", content_type)
            .body(Body::from(body.to_owned()))
            .unwrap();
        ApiJson::<Outer>::from_request(request, &()).await
    }

    #[tokio::test]
    async fn plain_and_suffixed_json_are_explained_alike() {
        for content_type in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/vnd.plinth+json",
        ] {
            assert!(parse(content_type, r#"{"inner":{"n":7}}"#).await.is_ok());
            let wrong = parse(content_type, r#"{"inner":{"n":"x"}}"#)
                .await
                .unwrap_err();
            assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
            let message = wrong.body["error"].as_str().unwrap();
            assert!(message.contains("inner.n"), "{content_type}: {message}");
            let broken = parse(content_type, "{inner").await.unwrap_err();
            assert_eq!(broken.status, StatusCode::BAD_REQUEST, "{content_type}");
        }
        let text = parse("text/plain", r#"{"inner":{"n":7}}"#)
            .await
            .unwrap_err();
        assert_eq!(text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
}
