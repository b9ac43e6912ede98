//! Prometheus metrics of the plugins: hook calls, failures and latency per
//! plugin and hook (an interceptor on the hooks and the bus), plugin states
//! and lifecycle transitions (a subscriber to the manager's state changes).

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use plinth_core::PluginUrn;
use plinth_hooks::{CallInfo, Interceptor, Outcome};
use plinth_runtime::{Manager, PluginState, STATE_CHANGED, StateChange};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::Registry;

use crate::ServerError;
use crate::latency::{Counts, Latencies};

/// The owner of the server's own bus subscription.
pub(crate) const SERVER_OWNER: &str = "plinth-server";

const STATES: [PluginState; 9] = [
    PluginState::Discovered,
    PluginState::Loaded,
    PluginState::Validating,
    PluginState::Ready,
    PluginState::Initializing,
    PluginState::Active,
    PluginState::Destroying,
    PluginState::Disabled,
    PluginState::Failed,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HookLabels {
    plugin: String,
    hook: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PluginLabels {
    plugin: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    plugin: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransitionLabels {
    plugin: String,
    from: String,
    to: String,
}

type Histograms = Family<HookLabels, LatencyHistogram, fn() -> LatencyHistogram>;

/// A callback latency histogram (8.2 µs to 8.6 s: callbacks range from
/// in-memory checks to I/O), read from [`Latencies`] when scraped: a call
/// records one count and one sum, lock-free, for this and the quantiles.
#[derive(Clone, Default)]
struct LatencyHistogram(Arc<Latencies>);

impl std::fmt::Debug for LatencyHistogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LatencyHistogram")
    }
}

impl TypedMetric for LatencyHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for LatencyHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let (sum, count, buckets) = self.0.prometheus();
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

/// The metric handles of one plugin's callbacks on one hook.
struct Series {
    kind: String,
    calls: Counter,
    failures: Counter,
    latency: LatencyHistogram,
}

impl Series {
    fn record(&self, call: &CallInfo<'_>) {
        self.calls.inc();
        if let Outcome::Failed(_) = call.outcome {
            self.failures.inc();
        }
        self.latency.0.record(call.duration);
    }
}

#[derive(Default)]
struct Cache {
    /// By registration id: the look-up each call pays. The ids are the
    /// hooks' own counters, chosen by no client: a fast hash without
    /// SipHash's resistance to chosen keys is enough.
    by_registration: HashMap<u64, Arc<Series>, rustc_hash::FxBuildHasher>,
    /// By (plugin, hook): one entry per series, for per-plugin totals.
    by_series: HashMap<(String, String), Arc<Series>>,
}

/// Calls, failures and latency of one plugin's callbacks, over all its
/// hooks (or, in [`HookFigures`], on one).
///
/// The quantiles are over every call since the server started, each
/// within about 5 % (log-linear buckets, eight per doubling).
///
/// ```
/// let totals = plinth_server::HookTotals::default();
/// assert_eq!((totals.calls, totals.failures, totals.p50), (0, 0, None));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HookTotals {
    /// Callback invocations.
    pub calls: u64,
    /// Those that failed or panicked.
    pub failures: u64,
    /// `request:start` failures skipped under
    /// [`StartFailurePolicy::Skip`](crate::StartFailurePolicy::Skip) (the
    /// request went on).
    pub skipped: u64,
    /// The median duration of a callback; `None` before the first call.
    pub p50: Option<Duration>,
    /// The 99th percentile duration of a callback.
    pub p99: Option<Duration>,
}

/// One plugin's figures on one hook.
///
/// ```
/// let figures = plinth_server::HookFigures::default();
/// assert_eq!(figures.totals.calls, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookFigures {
    /// The hook (or bus topic).
    pub hook: String,
    /// Its kind (`action`, `filter`, `bail`, ...).
    pub kind: String,
    /// Calls, failures and quantiles on this hook alone (`skipped` stays 0:
    /// it is counted per plugin).
    pub totals: HookTotals,
}

/// The server's metrics, in the Prometheus text format through
/// `prometheus-client`:
///
/// | metric | labels |
/// | --- | --- |
/// | `plinth_hook_calls_total` | plugin, hook, kind |
/// | `plinth_hook_failures_total` | plugin, hook, kind |
/// | `plinth_hook_duration_seconds` (histogram) | plugin, hook, kind |
/// | `plinth_plugin_state` (1 for the current state, else 0) | plugin, state |
/// | `plinth_plugin_transitions_total` | plugin, from, to |
/// | `plinth_request_start_skipped_total` | plugin |
///
/// Per plugin it also keeps finer latency counts than the histogram's, for
/// the p50 and p99 of [`totals`](Self::totals) and [`hooks`](Self::hooks)
/// (the admin API's and the dashboard's figures).
///
/// Bus deliveries count as calls of the topic's name, with kind `action`.
///
/// ```
/// # futures::executor::block_on(async {
/// use plinth_hooks::{Action, Key};
/// use plinth_runtime::{Context, Manager, Metadata, Plugin};
/// use plinth_server::Metrics;
///
/// const SAVED: Key<Action<u32>> = Key::new("page:saved");
/// struct Audit;
/// impl Plugin for Audit {
///     fn metadata(&self) -> Metadata { Metadata::new("audit", "1.0.0") }
///     fn initialize(&mut self, ctx: &Context) -> Result<(), plinth_hooks::BoxError> {
///         ctx.hooks().on(&SAVED)?.tap(|_| {});
///         Ok(())
///     }
/// }
/// let mut manager = Manager::new();
/// let metrics = Metrics::install(&manager)?;
/// manager.register(Audit)?;
/// manager.initialize_all().await?;
/// manager.hooks().hook(&SAVED)?.call(&1)?;
/// let text = metrics.encode();
/// assert!(text.contains(r#"plinth_hook_calls_total{plugin="audit",hook="page:saved",kind="action"} 1"#), "{text}");
/// assert!(text.contains(r#"plinth_plugin_state{plugin="audit",state="active"} 1"#), "{text}");
/// assert_eq!(metrics.totals("audit").calls, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct Metrics {
    // Written only when a collector is added; read on each scrape.
    registry: RwLock<Registry>,
    calls: Family<HookLabels, Counter>,
    failures: Family<HookLabels, Counter>,
    latency: Histograms,
    states: Family<StateLabels, Gauge>,
    transitions: Family<TransitionLabels, Counter>,
    skipped: Family<PluginLabels, Counter>,
    cache: RwLock<Cache>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Metrics observing `manager`: an interceptor on its hooks and bus, and
    /// a subscription to its state changes. Install before starting the
    /// plugins to count from the first transition; the states of plugins
    /// already registered are read at once.
    ///
    /// # Errors
    /// [`ServerError::Bus`] when the manager's bus binds the state-change
    /// topic to another type.
    ///
    /// ```
    /// let manager = plinth_runtime::Manager::new();
    /// let metrics = plinth_server::Metrics::install(&manager)?;
    /// assert!(metrics.encode().ends_with("# EOF\n"));
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn install(manager: &Manager) -> Result<Arc<Self>, ServerError> {
        let calls = Family::<HookLabels, Counter>::default();
        let failures = Family::<HookLabels, Counter>::default();
        let latency: Histograms = Family::new_with_constructor(LatencyHistogram::default);
        let states = Family::<StateLabels, Gauge>::default();
        let transitions = Family::<TransitionLabels, Counter>::default();
        let skipped = Family::<PluginLabels, Counter>::default();
        let mut registry = Registry::with_prefix("plinth");
        registry.register(
            "hook_calls",
            "Hook callback invocations, per plugin and hook",
            calls.clone(),
        );
        registry.register(
            "hook_failures",
            "Hook callbacks that failed or panicked, per plugin and hook",
            failures.clone(),
        );
        registry.register(
            "hook_duration_seconds",
            "Duration of hook callbacks, per plugin and hook",
            latency.clone(),
        );
        registry.register(
            "plugin_state",
            "The current lifecycle state of each plugin (1), other states 0",
            states.clone(),
        );
        registry.register(
            "plugin_transitions",
            "Lifecycle transitions, per plugin",
            transitions.clone(),
        );
        registry.register(
            "request_start_skipped",
            "request:start callbacks that failed and were skipped (the request went on), per plugin",
            skipped.clone(),
        );
        let metrics = Arc::new(Metrics {
            registry: RwLock::new(registry),
            calls,
            failures,
            latency,
            states,
            transitions,
            skipped,
            cache: RwLock::new(Cache::default()),
        });
        for plugin in manager.list() {
            metrics.set_state(&plugin.name, plugin.state);
        }
        manager.hooks().intercept(metrics.clone());
        manager.bus().intercept(metrics.clone());
        let observer = metrics.clone();
        // The owner is not a plugin: the manager never removes it.
        let owner = PluginUrn::new(SERVER_OWNER)?;
        manager
            .bus()
            .subscribe(&STATE_CHANGED, owner, move |change: &StateChange| {
                observer.transition(change);
                Ok(())
            })?;
        Ok(metrics)
    }

    /// Everything, in the Prometheus text format (OpenMetrics flavour, as
    /// `prometheus-client` writes it).
    ///
    /// ```
    /// let metrics = plinth_server::Metrics::install(&plinth_runtime::Manager::new())?;
    /// assert!(metrics.encode().ends_with("# EOF\n")); // nothing observed yet
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let registry = self.registry.read().unwrap_or_else(PoisonError::into_inner);
        let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
        text
    }

    /// Adds a collector of the application's own, encoded with the
    /// plugins' metrics on each scrape (a sandbox's counters, say).
    ///
    /// ```
    /// use prometheus_client::collector::Collector;
    /// use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
    /// use prometheus_client::metrics::counter::ConstCounter;
    ///
    /// #[derive(Debug)]
    /// struct Answers;
    /// impl Collector for Answers {
    ///     fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
    ///         let counter = ConstCounter::new(42u64);
    ///         let metric = encoder.encode_descriptor("answers", "Answers given", None, counter.metric_type())?;
    ///         counter.encode(metric)
    ///     }
    /// }
    /// let metrics = plinth_server::Metrics::install(&plinth_runtime::Manager::new())?;
    /// metrics.register_collector(Box::new(Answers));
    /// assert!(metrics.encode().contains("plinth_answers_total 42"));
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn register_collector(&self, collector: Box<dyn prometheus_client::collector::Collector>) {
        self.registry
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .register_collector(collector);
    }

    /// A plugin's hook calls and failures so far, over all its hooks.
    ///
    /// ```
    /// let metrics = plinth_server::Metrics::install(&plinth_runtime::Manager::new())?;
    /// assert_eq!(metrics.totals("nobody").calls, 0);
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn totals(&self, plugin: &str) -> HookTotals {
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        let mut counts = Counts::default();
        let mut totals = cache
            .by_series
            .iter()
            .filter(|((p, _), _)| p == plugin)
            .fold(HookTotals::default(), |t, (_, s)| {
                s.latency.0.add_to(&mut counts);
                HookTotals {
                    calls: t.calls + s.calls.get(),
                    failures: t.failures + s.failures.get(),
                    ..t
                }
            });
        drop(cache);
        totals.p50 = counts.quantile(0.5);
        totals.p99 = counts.quantile(0.99);
        totals.skipped = self.skipped_of(plugin);
        totals
    }

    /// A plugin's figures on each hook it was called on, by hook name.
    ///
    /// ```
    /// let metrics = plinth_server::Metrics::install(&plinth_runtime::Manager::new())?;
    /// assert!(metrics.hooks("nobody").is_empty());
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn hooks(&self, plugin: &str) -> Vec<HookFigures> {
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        let mut figures: Vec<HookFigures> = cache
            .by_series
            .iter()
            .filter(|((p, _), _)| p == plugin)
            .map(|((_, hook), s)| {
                let mut counts = Counts::default();
                s.latency.0.add_to(&mut counts);
                HookFigures {
                    hook: hook.clone(),
                    kind: s.kind.clone(),
                    totals: HookTotals {
                        calls: s.calls.get(),
                        failures: s.failures.get(),
                        skipped: 0,
                        p50: counts.quantile(0.5),
                        p99: counts.quantile(0.99),
                    },
                }
            })
            .collect();
        figures.sort_by(|a, b| a.hook.cmp(&b.hook));
        figures
    }

    fn skipped_of(&self, plugin: &str) -> u64 {
        // `get_or_create` would add a series per plugin ever asked about.
        let labels = PluginLabels {
            plugin: plugin.to_string(),
        };
        self.skipped.get(&labels).map_or(0, |c| c.get())
    }

    /// Counts a `request:start` failure of `plugin` that was skipped.
    pub(crate) fn start_skipped(&self, plugin: &str) {
        self.skipped
            .get_or_create(&PluginLabels {
                plugin: plugin.to_string(),
            })
            .inc();
    }

    fn set_state(&self, plugin: &str, current: PluginState) {
        for state in STATES {
            let labels = StateLabels {
                plugin: plugin.to_string(),
                state: state.to_string(),
            };
            self.states
                .get_or_create(&labels)
                .set(i64::from(state == current));
        }
    }

    fn transition(&self, change: &StateChange) {
        self.transitions
            .get_or_create(&TransitionLabels {
                plugin: change.plugin.to_string(),
                from: change.from.to_string(),
                to: change.to.to_string(),
            })
            .inc();
        self.set_state(change.plugin.as_str(), change.to);
    }

    fn series(&self, call: &CallInfo<'_>) -> Arc<Series> {
        if let Some(series) = self
            .cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .by_registration
            .get(&call.registration)
        {
            return series.clone();
        }
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        let key = (call.owner.to_string(), call.hook.to_string());
        let series = match cache.by_series.get(&key) {
            Some(series) => series.clone(),
            None => {
                let labels = HookLabels {
                    plugin: key.0.clone(),
                    hook: key.1.clone(),
                    kind: call.kind.to_string(),
                };
                let series = Arc::new(Series {
                    kind: call.kind.to_string(),
                    calls: self.calls.get_or_create_owned(&labels),
                    failures: self.failures.get_or_create_owned(&labels),
                    latency: self.latency.get_or_create_owned(&labels),
                });
                cache.by_series.insert(key, series.clone());
                series
            }
        };
        cache
            .by_registration
            .insert(call.registration, series.clone());
        series
    }
}

impl Interceptor for Metrics {
    fn on_call(&self, call: &CallInfo<'_>) {
        if call.owner.as_str() == SERVER_OWNER {
            return;
        }
        // Recorded under the read lock: no reference count taken per call.
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        match cache.by_registration.get(&call.registration) {
            Some(series) => series.record(call),
            None => {
                drop(cache);
                self.series(call).record(call);
            }
        }
    }
}
