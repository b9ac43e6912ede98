//! A configurable probe plugin shared by the integration tests.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use plinth_core::{DynamicEntities, Entities};
use plinth_hooks::{BoxError, Filter, Key, Topic};
use plinth_runtime::{Context, Metadata, Plugin};
use serde_json::{Value, json};

/// Each active probe appends its name: shows whose hooks are live.
pub const WHO: Key<Filter<Vec<String>>> = Key::new("test:who");
/// Each active probe records `ping <name>`: shows whose subscriptions are live.
pub const PING: Topic<()> = Topic::new("test:ping");

pub type Log = Arc<Mutex<Vec<String>>>;

/// The names of the probes whose hooks are live, in dispatch order.
pub fn who(manager: &plinth_runtime::Manager) -> Vec<String> {
    manager.hooks().hook(&WHO).unwrap().call(vec![]).unwrap()
}

pub fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

pub fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

pub fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

/// How a probe's initialize behaves.
#[derive(Clone, Default)]
pub enum Init {
    #[default]
    Ok,
    /// Fails this many times, then succeeds.
    FailTimes(Arc<AtomicUsize>),
    Panic,
}

pub struct Probe {
    pub meta: Metadata,
    pub log: Log,
    pub init: Init,
    pub fail_destroy: bool,
    pub entities: Option<DynamicEntities<Value>>,
}

impl Probe {
    pub fn new(name: &str, log: &Log) -> Self {
        Probe::versioned(name, "1.0.0", log)
    }

    pub fn versioned(name: &str, version: &str, log: &Log) -> Self {
        Probe {
            meta: Metadata::new(name, version),
            log: log.clone(),
            init: Init::Ok,
            fail_destroy: false,
            entities: None,
        }
    }

    pub fn dep(mut self, name: &str, range: &str) -> Self {
        self.meta = self.meta.with_dependency(name, range);
        self
    }

    pub fn optional(mut self, name: &str, range: &str) -> Self {
        self.meta = self.meta.with_optional_dependency(name, range);
        self
    }

    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    pub fn fail_times(self, n: usize) -> Self {
        self.init(Init::FailTimes(Arc::new(AtomicUsize::new(n))))
    }

    pub fn failing_destroy(mut self) -> Self {
        self.fail_destroy = true;
        self
    }

    pub fn schema(mut self, schema: Value) -> Self {
        self.meta = self.meta.with_config_schema(schema);
        self
    }

    pub fn entities(mut self, entities: DynamicEntities<Value>) -> Self {
        self.entities = Some(entities);
        self
    }
}

fn register(ctx: &Context, log: &Log) -> Result<(), BoxError> {
    let name = ctx.name().to_string();
    ctx.hooks().on(&WHO)?.tap(move |mut names| {
        names.push(name.clone());
        names
    });
    let name = ctx.name().to_string();
    let log = log.clone();
    ctx.bus().subscribe(&PING, move |_| {
        log.lock().unwrap().push(format!("ping {name}"));
        Ok(())
    })?;
    Ok(())
}

impl Plugin for Probe {
    fn metadata(&self) -> Metadata {
        self.meta.clone()
    }

    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        // Registrations first, so a failing start must clean them up.
        register(ctx, &self.log)?;
        match &self.init {
            Init::Ok => {}
            Init::FailTimes(n) => {
                if n.load(Ordering::SeqCst) > 0 {
                    n.fetch_sub(1, Ordering::SeqCst);
                    return Err("database unreachable".into());
                }
            }
            Init::Panic => panic!("initialize exploded"),
        }
        self.log
            .lock()
            .unwrap()
            .push(format!("init {}", ctx.name()));
        Ok(())
    }

    fn destroy(&mut self) -> Result<(), BoxError> {
        self.log
            .lock()
            .unwrap()
            .push(format!("destroy {}", self.meta.name()));
        if self.fail_destroy {
            return Err("could not close the socket".into());
        }
        Ok(())
    }

    fn entities(&self) -> DynamicEntities<Value> {
        self.entities.clone().unwrap_or_else(|| {
            let mut e = DynamicEntities::new();
            e.insert(
                "members",
                Entities::from([(self.meta.name(), json!(self.meta.name()))]),
            );
            e
        })
    }
}

/// An async plugin that waits before initializing and destroying.
pub struct Slow {
    pub meta: Metadata,
    pub init_delay: Duration,
    pub destroy_delay: Duration,
    pub panic_init: bool,
    pub log: Log,
}

impl Slow {
    pub fn new(name: &str, log: &Log) -> Self {
        Slow {
            meta: Metadata::new(name, "1.0.0"),
            init_delay: Duration::ZERO,
            destroy_delay: Duration::ZERO,
            panic_init: false,
            log: log.clone(),
        }
    }
}

impl Plugin for Slow {
    fn metadata(&self) -> Metadata {
        self.meta.clone()
    }

    fn initialize_async<'a>(&'a mut self, ctx: &'a Context) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            register(ctx, &self.log)?;
            tokio::time::sleep(self.init_delay).await;
            if self.panic_init {
                panic!("async initialize exploded");
            }
            self.log
                .lock()
                .unwrap()
                .push(format!("init {}", ctx.name()));
            Ok(())
        })
    }

    fn destroy_async(&mut self) -> BoxFuture<'_, Result<(), BoxError>> {
        Box::pin(async move {
            tokio::time::sleep(self.destroy_delay).await;
            self.log
                .lock()
                .unwrap()
                .push(format!("destroy {}", self.meta.name()));
            Ok(())
        })
    }
}
