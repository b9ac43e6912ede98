//! A real server on a loopback port, test plugins, and a client.

#![allow(dead_code)] // each test file uses its own part

use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use futures::future::BoxFuture;
use plinth_hooks::BoxError;
use plinth_runtime::{Context, Manager, Metadata, Plugin};
use plinth_server::{
    AdminToken, REQUEST_COMPLETE, REQUEST_START, Rejection, RequestComplete, Server, ServerConfig,
    ServerError,
};
use serde_json::{Value, json};
use tokio::sync::{Mutex, Semaphore, oneshot};
use tokio::task::JoinHandle;

pub const TOKEN: &str = "correct-horse-battery-staple";

pub struct Running {
    pub base: String,
    pub client: reqwest::Client,
    pub manager: Arc<Mutex<Manager>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServerError>>>,
}

impl Running {
    pub async fn start(manager: Manager, token: Option<&str>) -> Running {
        Self::start_with(manager, token, axum::Router::new()).await
    }

    pub async fn start_with(
        manager: Manager,
        token: Option<&str>,
        routes: axum::Router,
    ) -> Running {
        let config = ServerConfig {
            admin_token: token.map(|t| AdminToken::new(t).unwrap()),
            ..ServerConfig::default()
        };
        Self::start_config(manager, config, routes).await
    }

    /// A server with `config`, on a free loopback port whatever its address.
    pub async fn start_config(
        manager: Manager,
        mut config: ServerConfig,
        routes: axum::Router,
    ) -> Running {
        config.addr = "127.0.0.1:0".parse().unwrap();
        let server = Server::new(manager, config).unwrap().routes(routes);
        let manager = server.manager().clone();
        let listener = server.bind().await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(listener, async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let running = Running {
            base,
            client,
            manager,
            stop: Some(stop),
            task: Some(task),
        };
        for _ in 0..500 {
            if running.get("/readyz").await.status() == 200 {
                return running;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the server never became ready");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(TOKEN)
    }

    pub async fn plugins(&self) -> Vec<Value> {
        let response = self
            .admin(reqwest::Method::GET, "/api/admin/plugins")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<Vec<Value>>().await.unwrap()
    }

    pub async fn state_of(&self, plugin: &str) -> String {
        self.plugins()
            .await
            .into_iter()
            .find(|p| p["name"] == plugin)
            .map(|p| p["state"].as_str().unwrap().to_string())
            .unwrap()
    }

    /// Stops the server: drains, then shuts the plugins down.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// Answers `request:start` with 429 once `maxRequests` requests came from
/// one address.
#[derive(Default)]
pub struct Limiter {
    seen: Arc<StdMutex<u64>>,
}

impl Plugin for Limiter {
    fn metadata(&self) -> Metadata {
        Metadata::new("limiter", "1.2.0")
            .with_description("Limits requests")
            .with_author("tests")
            .with_config_schema(json!({
                "type": "object",
                "properties": {
                    "maxRequests": { "type": "integer", "minimum": 1, "default": 100 },
                    "retryAfterMs": { "type": "integer", "minimum": 0, "default": 30000 }
                },
                "additionalProperties": false
            }))
    }

    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        let max = ctx.config_value()["maxRequests"].as_u64().unwrap_or(100);
        let retry = ctx.config_value()["retryAfterMs"].as_u64().unwrap_or(0);
        *self.seen.lock().unwrap() = 0;
        let seen = self.seen.clone();
        ctx.hooks().on(&REQUEST_START)?.priority(0).tap(move |_| {
            let mut seen = seen.lock().unwrap();
            *seen += 1;
            (*seen > max).then(|| Rejection::too_many_requests(Duration::from_millis(retry)))
        });
        Ok(())
    }
}

/// Fails in `request:start` (an error, not a panic) on every path under
/// `/broken`, before the other plugins (priority -10).
pub struct Broken;

impl Plugin for Broken {
    fn metadata(&self) -> Metadata {
        Metadata::new("broken", "1.0.0")
    }

    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        ctx.hooks().on(&REQUEST_START)?.priority(-10).try_tap(|r| {
            if r.path.starts_with("/broken") {
                Err("the session store is down".into())
            } else {
                Ok(None)
            }
        });
        Ok(())
    }
}

/// Answers `request:start` with 403 on every path ending in `/gated`,
/// after the others (priority 20).
pub struct Gate;

impl Plugin for Gate {
    fn metadata(&self) -> Metadata {
        Metadata::new("gate", "1.0.0")
    }

    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        ctx.hooks().on(&REQUEST_START)?.priority(20).tap(|r| {
            r.path
                .ends_with("/gated")
                .then(|| Rejection::new(403, "gated"))
        });
        Ok(())
    }
}

/// Depends on the limiter, and has a notice for the operator; does
/// nothing else.
pub struct Dashboard;

/// The dashboard plugin's notice, as a sandboxed plugin's would read.
pub const NOTICE: &str = "asks for clocks, not granted";

impl Plugin for Dashboard {
    fn metadata(&self) -> Metadata {
        Metadata::new("dashboard", "0.3.0")
            .with_dependency("limiter", "^1")
            .with_notice(NOTICE)
    }
}

/// Records every `request:complete`, after waiting for the gate: a
/// response that waited for it would never arrive while the gate is shut.
#[derive(Clone)]
pub struct Recorder {
    pub seen: Arc<StdMutex<Vec<RequestComplete>>>,
    pub gate: Arc<Semaphore>,
}

impl Recorder {
    pub fn new(open: bool) -> Self {
        Recorder {
            seen: Arc::default(),
            gate: Arc::new(Semaphore::new(if open {
                Semaphore::MAX_PERMITS
            } else {
                0
            })),
        }
    }
}

impl Plugin for Recorder {
    fn metadata(&self) -> Metadata {
        Metadata::new("recorder", "1.0.0")
    }

    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        let me = self.clone();
        ctx.hooks().on(&REQUEST_COMPLETE)?.tap_async(move |done| {
            let me = me.clone();
            async move {
                let _permit = me.gate.acquire().await?;
                me.seen.lock().unwrap().push((*done).clone());
                Ok(())
            }
        });
        Ok(())
    }
}

/// Panics in `request:start` on `/boom`.
pub struct Panicker;

impl Plugin for Panicker {
    fn metadata(&self) -> Metadata {
        Metadata::new("panicker", "1.0.0")
    }

    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        ctx.hooks().on(&REQUEST_START)?.tap(|r| {
            assert!(r.path != "/boom", "boom");
            None
        });
        Ok(())
    }
}

/// An async initialize that waits for a permit, logging every start and
/// stop, so that tests can hold it mid-start and check the order.
#[derive(Clone)]
pub struct Slow {
    pub gate: Arc<Semaphore>,
    pub log: Arc<StdMutex<Vec<&'static str>>>,
}

impl Slow {
    pub fn new(open: bool) -> Self {
        Slow {
            gate: Arc::new(Semaphore::new(if open {
                Semaphore::MAX_PERMITS
            } else {
                0
            })),
            log: Arc::default(),
        }
    }
}

impl Plugin for Slow {
    fn metadata(&self) -> Metadata {
        Metadata::new("slow", "1.0.0")
    }

    fn initialize_async<'a>(
        &'a mut self,
        _ctx: &'a Context,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            self.log.lock().unwrap().push("initialize:begin");
            let permit = self.gate.acquire().await?;
            // Yield while "initializing", so that concurrent requests get
            // every chance to interleave.
            tokio::task::yield_now().await;
            drop(permit);
            self.log.lock().unwrap().push("initialize:end");
            Ok(())
        })
    }

    fn destroy_async(&mut self) -> BoxFuture<'_, Result<(), BoxError>> {
        Box::pin(async move {
            self.log.lock().unwrap().push("destroy:begin");
            tokio::task::yield_now().await;
            self.log.lock().unwrap().push("destroy:end");
            Ok(())
        })
    }
}
