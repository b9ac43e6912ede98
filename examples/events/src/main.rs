//! The typed host's didactic example, in Rust.
//!
//! `pluginA` is a value, `PluginB` a constructed type; the host wrapper
//! builds a `Context` whose emitter comes from the plugins' `on` entities,
//! rejects duplicate commands on load, and runs commands between two events.

mod events;

use std::fmt;
use std::io::Write;
use std::sync::Arc;

use events::{AfterCommandExecution, BeforeCommandExecution};
use events::{Emitter, Event, Listener};
use plinth::EntitySchema;
use plinth::core::{Entities, GuardError};
use plinth::hooks::EmitterError;

/// What every command and listener can use.
pub struct Context {
    /// Events of command execution.
    pub emitter: Emitter,
}

impl Context {
    /// Prints a line on stdout.
    pub fn print(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        // A closed stdout is not worth a panic in a demo.
        let _ = writeln!(out, "{text}");
    }
}

type Command = Arc<dyn Fn(&Context, &[&str]) -> String>;

/// The entity types of this application (the spec's `Entities`).
#[derive(EntitySchema)]
pub struct AppEntities {
    assets: Entities<&'static str>,
    commands: Entities<Command>,
    on: Entities<Listener>,
}

/// The spec's `interface Plugin extends ImmutablePlugin<Entities>`.
trait AppPlugin {
    fn name(&self) -> &str;
    fn description(&self) -> &str;
    fn entities(&self) -> &AppEntities;
}

impl plinth::core::Plugin for dyn AppPlugin {
    type Entities = AppEntities;
    fn name(&self) -> &str {
        AppPlugin::name(self)
    }
    fn entities(&self) -> &AppEntities {
        AppPlugin::entities(self)
    }
}

/// A plugin given as a plain value, like the spec's object literal.
struct PluginValue {
    name: &'static str,
    description: &'static str,
    entities: AppEntities,
}

impl AppPlugin for PluginValue {
    fn name(&self) -> &str {
        self.name
    }
    fn description(&self) -> &str {
        self.description
    }
    fn entities(&self) -> &AppEntities {
        &self.entities
    }
}

/// A plugin given as a constructed type, like the spec's `class PluginB`.
struct PluginB {
    name: String,
    description: String,
    entities: AppEntities,
}

impl PluginB {
    fn new(name: &str, description: &str) -> Self {
        PluginB {
            name: name.to_string(),
            description: description.to_string(),
            entities: AppEntities {
                on: Entities::new()
                    .with(
                        "beforeCommandExecution",
                        Listener::before(|e| {
                            e.ctx.print(&format!(
                                "[pluginB] beforeCommandExecution command: \"{}\"",
                                e.command
                            ));
                        }),
                    )
                    .with(
                        "afterCommandExecution",
                        Listener::after(|e| {
                            e.ctx.print(&format!(
                                "[pluginB] afterCommandExecution command: \"{}\" result: \"{}\"",
                                e.command, e.result
                            ));
                        }),
                    ),
                assets: Entities::new()
                    .with("baz", "this is `baz`")
                    .with("duplicate", "this is duplicate asset from PluginB"),
                commands: Entities::new().with(
                    "quo",
                    Arc::new(|ctx: &Context, args: &[&str]| {
                        ctx.print(&format!("this is quo({})", args.join(", ")));
                        "`quo` return value".to_string()
                    }) as Command,
                ),
            },
        }
    }
}

impl AppPlugin for PluginB {
    fn name(&self) -> &str {
        &self.name
    }
    fn description(&self) -> &str {
        &self.description
    }
    fn entities(&self) -> &AppEntities {
        &self.entities
    }
}

#[derive(Debug)]
enum HostError {
    Guard(GuardError),
    Listener(EmitterError),
    DuplicateCommand { name: String, plugins: Vec<String> },
    UnknownCommand(String),
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Guard(e) => e.fmt(f),
            HostError::Listener(e) => e.fmt(f),
            HostError::DuplicateCommand { name, plugins } => {
                write!(f, "duplicate commands \"{name}\" found: {plugins:?}")
            }
            HostError::UnknownCommand(name) => write!(f, "unknown command \"{name}\""),
        }
    }
}

impl std::error::Error for HostError {}

/// The spec's `class Host extends ImmutableHost<Plugin>`.
struct Host {
    inner: plinth::core::Host<Box<dyn AppPlugin>>,
    context: Context,
}

impl Host {
    fn new(plugins: Vec<(&str, Box<dyn AppPlugin>)>) -> Result<Self, HostError> {
        let inner = plinth::core::Host::new(plugins).map_err(HostError::Guard)?;
        let emitter = Emitter::from_entities(&inner.entities().on).map_err(HostError::Listener)?;
        // Verify commands are unique on load.
        for (name, _) in inner.entities().commands.entries() {
            let providers: Vec<String> = inner
                .entities()
                .commands
                .get_attributed(name)
                .map(|(_, p)| p.to_string())
                .collect();
            if providers.len() != 1 {
                return Err(HostError::DuplicateCommand {
                    name: name.to_string(),
                    plugins: providers,
                });
            }
        }
        Ok(Host {
            inner,
            context: Context { emitter },
        })
    }

    fn assets(&self, name: &str) -> &[&'static str] {
        self.inner.entities().assets.get(name)
    }

    fn run(&self, name: &str, args: &[&str]) -> Result<String, HostError> {
        // Commands are unique: checked on load.
        let [command] = self.inner.entities().commands.get(name) else {
            return Err(HostError::UnknownCommand(name.to_string()));
        };
        let ctx = &self.context;
        ctx.emitter
            .emit(Event::BeforeCommandExecution(BeforeCommandExecution {
                ctx,
                command: name,
            }));
        let result = command(ctx, args);
        ctx.emitter
            .emit(Event::AfterCommandExecution(AfterCommandExecution {
                ctx,
                command: name,
                result: &result,
            }));
        Ok(result)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `pluginA` is a plain value, like the spec's object literal...
    let plugin_a = PluginValue {
        name: "pluginA",
        description: "this is plugin A",
        entities: AppEntities {
            on: Entities::new()
                .with(
                    "beforeCommandExecution",
                    Listener::before(|e: &BeforeCommandExecution<'_>| {
                        e.ctx.print(&format!(
                            "[pluginA] beforeCommandExecution command: \"{}\"",
                            e.command
                        ));
                    }),
                )
                .with(
                    "afterCommandExecution",
                    Listener::after(|e: &AfterCommandExecution<'_>| {
                        e.ctx.print(&format!(
                            "[pluginA] afterCommandExecution command: \"{}\" result: \"{}\"",
                            e.command, e.result
                        ));
                    }),
                ),
            assets: Entities::new()
                .with("foo", "this is `foo`")
                .with("duplicate", "this is duplicate asset from PluginA"),
            commands: Entities::new().with(
                "bar",
                Arc::new(|ctx: &Context, args: &[&str]| {
                    ctx.print(&format!("this is bar({})", args.join(", ")));
                    "`bar` return value".to_string()
                }) as Command,
            ),
        },
    };
    // ...and `pluginB` is built by its constructor.
    let plugin_b = PluginB::new("pluginB", "this is plugin B");
    let host = Host::new(vec![
        ("pluginA", Box::new(plugin_a) as Box<dyn AppPlugin>),
        ("pluginB", Box::new(plugin_b)),
    ])?;

    host.context.emitter.on(Listener::before(|e| {
        e.ctx
            .print(&format!("[main] beforeCommandExecution: \"{}\"", e.command));
    }));
    host.context.emitter.on(Listener::after(|e| {
        e.ctx.print(&format!(
            "[main] afterCommandExecution: \"{}\" result: \"{}\"",
            e.command, e.result
        ));
    }));

    let ctx = &host.context;
    ctx.print("Available plugins:");
    for (name, plugin) in host.inner.plugins() {
        ctx.print(&format!("- {name}: {}", plugin.description()));
    }
    let plugin_a = host.inner.plugins().get("pluginA").ok_or("no pluginA")?;
    ctx.print(&format!("PluginA name: {}", AppPlugin::name(&**plugin_a)));

    ctx.print("Available assets:");
    for (value, uri, plugin_name) in &host.inner.entities().assets {
        // Prints both duplicates.
        ctx.print(&format!("- {uri} [{plugin_name}]: \"{value}\""));
    }
    ctx.print(&format!(
        "Assets \"duplicate\": \"{}\"",
        host.assets("duplicate").join("\", \"")
    ));

    ctx.print("Available commands:");
    for (_, name, plugin_name) in &host.inner.entities().commands {
        let name = name.to_string();
        let result = host.run(&name, &["hello"])?;
        ctx.print(&format!("- {name} [{plugin_name}]: {result}"));
    }

    // Triggers events.
    let result = host.run("bar", &["world"])?;
    ctx.print(&format!("Running \"bar\": {result}"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_commands_are_rejected_at_load() {
        let err = Host::new(vec![
            (
                "b1",
                Box::new(PluginB::new("b1", "one")) as Box<dyn AppPlugin>,
            ),
            ("b2", Box::new(PluginB::new("b2", "two"))),
        ])
        .err()
        .expect("two plugins provide \"quo\"");
        assert_eq!(
            err.to_string(),
            r#"duplicate commands "quo" found: ["b1", "b2"]"#
        );
    }

    #[test]
    fn unknown_commands_are_an_error() {
        let host = Host::new(vec![(
            "pluginB",
            Box::new(PluginB::new("pluginB", "b")) as Box<dyn AppPlugin>,
        )])
        .unwrap_or_else(|e| panic!("{e}"));
        let err = host.run("nope", &[]).expect_err("no such command");
        assert_eq!(err.to_string(), r#"unknown command "nope""#);
    }
}
