//! The baseline of the load benchmark: the example app's
//! `POST /api/users/{id}/action` in bare axum, with no plugins, no hooks, no
//! request ids and no metrics; it answers the same JSON the app answers
//! when no plugin changes the action.
//!
//! ```text
//! bare-axum [--port N]    (loopback only; prints "listening on http://ADDR")
//! ```

use axum::extract::Path;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct ActionBody {
    action: String,
    #[serde(default)]
    payload: Value,
}

async fn action(Path(user_id): Path<String>, Json(body): Json<ActionBody>) -> Json<Value> {
    Json(json!({
        "processed": true,
        "data": { "userId": user_id, "action": body.action, "payload": body.payload },
    }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut port = 0u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().ok_or("--port needs a value")?.parse()?,
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let app = Router::new()
        .route("/api/users/{id}/action", post(action))
        .route(
            "/healthz",
            get(|| async { Json(json!({ "status": "ok" })) }),
        );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
