//! The tutorial's application as a web server: its plugins under the
//! manager, its routes inside the request hooks, the admin API, metrics,
//! and a graceful shutdown on SIGTERM or Ctrl-C.
//!
//! ```text
//! cargo run -p plinth-example-app [-- --port N | --addr HOST:PORT] [--config FILE.json] [--plugins DIR]...
//! ```
//!
//! Listens on 127.0.0.1:3000 unless told otherwise (`--port`, `--addr`,
//! `PLINTH_ADDR`, or `server.addr` in the configuration file). Plugin
//! folders (`plinth.toml` plugins, found at start and on `POST
//! /api/admin/reload`) are the `plugins` folder beside this example unless
//! `--plugins`, `PLINTH_PLUGIN_DIRS` or `server.pluginDirs` name others. The admin
//! token comes from `PLINTH_ADMIN_TOKEN` or `server.adminToken`; without
//! either, one is generated and printed. The audit log goes to `AUDIT_LOG`,
//! by default `audit.log` in a fresh temporary folder.

use std::net::SocketAddr;
use std::path::PathBuf;

use plinth::server::{AdminToken, Server, ServerConfig, TokenSource, shutdown_signal};
use plinth_example_app::web;
use serde_json::{Value, json};

type Error = Box<dyn std::error::Error>;

struct Args {
    addr: Option<SocketAddr>,
    config: Option<PathBuf>,
    plugins: Vec<PathBuf>,
}

fn args() -> Result<Args, Error> {
    let mut parsed = Args {
        addr: None,
        config: None,
        plugins: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => {
                let port: u16 = value()?.parse()?;
                parsed.addr = Some(SocketAddr::from(([127, 0, 0, 1], port)));
            }
            "--addr" => parsed.addr = Some(value()?.parse()?),
            "--config" => parsed.config = Some(value()?.into()),
            "--plugins" => parsed.plugins.push(value()?.into()),
            "-h" | "--help" => {
                println!(
                    "usage: app [--port N | --addr HOST:PORT] [--config FILE.json] [--plugins DIR]..."
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?} (try --help)").into()),
        }
    }
    Ok(parsed)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Plugins' failures and the server's warnings go to stderr.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(std::io::stderr)
        .init();
    let args = args()?;
    let config: Value = match &args.config {
        Some(path) => serde_json::from_str(&std::fs::read_to_string(path)?)
            .map_err(|e| format!("{}: {e}", path.display()))?,
        None => json!({}),
    };
    let audit_log = match std::env::var_os("AUDIT_LOG") {
        Some(path) => PathBuf::from(path),
        None => std::env::temp_dir()
            .join(format!("plinth-app-{}", std::process::id()))
            .join("audit.log"),
    };
    if let Some(dir) = audit_log.parent() {
        std::fs::create_dir_all(dir)?;
    }

    let mut server_config = ServerConfig::from_env(&config)?;
    if let Some(addr) = args.addr {
        server_config.addr = addr;
    }
    let plugin_dirs_set = std::env::var_os("PLINTH_PLUGIN_DIRS").is_some()
        || config.pointer("/server/pluginDirs").is_some();
    if !args.plugins.is_empty() {
        server_config.plugin_dirs = args.plugins;
    } else if !plugin_dirs_set {
        server_config.plugin_dirs = vec![web::default_plugin_dir()];
    }
    let generated = match server_config.admin_token {
        Some(_) => None,
        None => {
            let (token, text) = AdminToken::generate()?;
            server_config.admin_token = Some(token);
            Some(text)
        }
    };
    // Sandboxed plugins of the plugin folders: their data beside the audit
    // log, their compiled components cached across runs.
    let data_root = audit_log
        .parent()
        .map_or_else(|| PathBuf::from("plugin-data"), |d| d.join("plugin-data"));
    let cache_dir = std::env::temp_dir().join("plinth-app-wasm-cache");
    let sandbox = plinth_example_app::sandbox::runtime(&data_root, &cache_dir)?;
    let manager = web::manager(config, &audit_log)?;
    let routes = web::routes(manager.hooks())?;
    let registrar = sandbox.clone();
    let server = Server::new(manager, server_config)?
        .routes(routes)
        .plugin_registrar(move |manager, manifest, extensions, loaders| {
            registrar.register(manager, manifest, extensions, loaders)
        });
    server
        .metrics()
        .register_collector(Box::new(plinth_wasm::SandboxCollector::new(sandbox)));
    // Handlers first: a signal sent as soon as the address is printed must
    // find them.
    let stop = shutdown_signal()?;
    let listener = server.bind().await?;
    let addr = listener.local_addr()?;

    println!("plinth example app listening on http://{addr}");
    match (
        &generated,
        server.config().admin_token.as_ref().map(AdminToken::source),
    ) {
        (Some(token), _) => {
            println!("admin token (generated; set PLINTH_ADMIN_TOKEN to choose one): {token}")
        }
        (None, Some(source @ (TokenSource::Environment | TokenSource::Config))) => {
            println!("admin token: from {source}")
        }
        (None, _) => println!("admin token: set by the application"),
    }
    println!("audit log: {}", audit_log.display());
    println!("sandboxed plugins' data: {}", data_root.display());
    let folders: Vec<String> = server
        .plugin_folders()
        .dirs()
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    println!("plugin folders: {}", folders.join(", "));
    println!(
        "try: curl -X POST http://{addr}/api/users/ada/action -H 'content-type: application/json' -d '{{\"action\":\"edit\",\"payload\":{{}}}}'"
    );
    println!("     curl http://{addr}/api/admin/plugins -H 'authorization: Bearer <admin token>'");

    server.serve(listener, stop).await?;
    println!("stopped; audit log written to {}", audit_log.display());
    Ok(())
}
