//! JSON error answers: every 4xx and 5xx the server makes itself has a body
//! `{"error": "..."}`, so that clients never parse plain text.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
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
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    ApiError::new(rejection.status(), rejection.body_text())
}
