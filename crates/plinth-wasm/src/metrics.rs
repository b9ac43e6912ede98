//! The sandbox's counters as Prometheus metrics (feature `prometheus`).

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

use crate::{WasmRuntime, WasmStats};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PluginLabel {
    plugin: String,
}

/// A Prometheus collector of every sandboxed plugin's counters, read on
/// each scrape: `sandbox_calls`, `sandbox_traps`, `sandbox_denied`
/// (capability attempts refused) and `sandbox_logs_dropped` (log lines
/// over the rate) as counters, `sandbox_instances`,
/// `sandbox_memory_bytes`, `sandbox_kv_bytes` and `sandbox_disk_bytes` as
/// gauges, each labelled by plugin.
///
/// ```
/// use prometheus_client::registry::Registry;
/// use plinth_wasm::{SandboxCollector, WasmRuntime};
/// let runtime = WasmRuntime::builder().build()?;
/// let mut registry = Registry::default();
/// registry.register_collector(Box::new(SandboxCollector::new(runtime)));
/// let mut text = String::new();
/// prometheus_client::encoding::text::encode(&mut text, &registry)?;
/// assert!(text.contains("# TYPE sandbox_denied counter"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SandboxCollector {
    runtime: WasmRuntime,
}

impl SandboxCollector {
    /// A collector of `runtime`'s plugins.
    ///
    /// ```
    /// let runtime = plinth_wasm::WasmRuntime::builder().build()?;
    /// let _ = plinth_wasm::SandboxCollector::new(runtime);
    /// # Ok::<(), plinth_wasm::WasmError>(())
    /// ```
    pub fn new(runtime: WasmRuntime) -> Self {
        SandboxCollector { runtime }
    }
}

type Read = fn(&WasmStats) -> u64;

impl Collector for SandboxCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let all = self.runtime.all_stats();
        let counters: [(&str, &str, Read); 4] = [
            ("sandbox_calls", "Calls into sandboxed plugins", |s| s.calls),
            (
                "sandbox_traps",
                "Calls that trapped and lost their instance",
                |s| s.traps,
            ),
            ("sandbox_denied", "Capability attempts refused", |s| {
                s.denied
            }),
            (
                "sandbox_logs_dropped",
                "Log lines dropped over the plugin's rate",
                |s| s.logs_dropped,
            ),
        ];
        for (name, help, read) in counters {
            let mut family = encoder.encode_descriptor(
                name,
                help,
                None,
                ConstCounter::new(0u64).metric_type(),
            )?;
            for (plugin, stats) in &all {
                let label = PluginLabel {
                    plugin: plugin.clone(),
                };
                ConstCounter::new(read(stats)).encode(family.encode_family(&label)?)?;
            }
        }
        let gauges: [(&str, &str, Read); 4] = [
            ("sandbox_instances", "Live instances", |s| {
                s.instances as u64
            }),
            (
                "sandbox_memory_bytes",
                "Linear memory of the live instances",
                |s| s.memory as u64,
            ),
            (
                "sandbox_kv_bytes",
                "What the key-value store holds, as its quota counts it",
                |s| s.kv_bytes as u64,
            ),
            (
                "sandbox_disk_bytes",
                "What the plugin's files take, as its disk quota counts them",
                |s| s.disk_bytes,
            ),
        ];
        for (name, help, read) in gauges {
            let mut family =
                encoder.encode_descriptor(name, help, None, ConstGauge::new(0i64).metric_type())?;
            for (plugin, stats) in &all {
                let label = PluginLabel {
                    plugin: plugin.clone(),
                };
                let value = i64::try_from(read(stats)).unwrap_or(i64::MAX);
                ConstGauge::new(value).encode(family.encode_family(&label)?)?;
            }
        }
        Ok(())
    }
}
