//! `componentize`: turns a core wasm module built with `wit-bindgen` into a
//! validated WebAssembly component, checks a component against a WIT world,
//! prints the world a component implements, and writes a world's C
//! bindings for C guests.
//!
//! ```text
//! componentize MODULE.wasm -o COMPONENT.wasm [--wit DIR [--world NAME]]
//! componentize --check COMPONENT.wasm --wit DIR [--world NAME]
//! componentize --print-wit COMPONENT.wasm
//! componentize --c-bindings OUT_DIR --wit DIR [--world NAME]
//! ```
//!
//! The first form reads the module's `component-type` custom sections (the
//! WIT world `wit-bindgen` embedded), wraps the module into a component and
//! validates it; with `--wit` it then also checks that the component
//! *targets* the world: it imports nothing the world does not offer and
//! exports everything the world asks for, with the same types. `--check`
//! does only that check on an existing component; `--print-wit` prints the
//! component's decoded world as WIT. `--c-bindings` writes the world's C
//! header, source and component-type object (wit-bindgen's C generator, the
//! release the Rust guests use), which a C guest compiles in.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use wit_component::{ComponentEncoder, DecodedWasm, WitPrinter};
use wit_parser::{Resolve, WorldId, WorldItem, WorldKey};

const USAGE: &str = "\
usage:
  componentize MODULE.wasm -o COMPONENT.wasm [--wit DIR [--world NAME]]
      wrap a core module (built with wit-bindgen) into a validated component;
      with --wit, also check that it targets the world
  componentize --check COMPONENT.wasm --wit DIR [--world NAME]
      check that a component targets the world NAME of the WIT package in DIR
      (its only world when NAME is not given)
  componentize --print-wit COMPONENT.wasm
      print the world a component implements, as WIT
  componentize --c-bindings OUT_DIR --wit DIR [--world NAME]
      write the world's C bindings (NAME.h, NAME.c, NAME_component_type.o)";

/// What the command line asks for.
#[derive(Debug, Default)]
struct Args {
    input: Option<PathBuf>,
    output: Option<PathBuf>,
    wit: Option<PathBuf>,
    world: Option<String>,
    check: bool,
    print_wit: bool,
    c_bindings: Option<PathBuf>,
}

fn parse_args() -> Result<Args> {
    let mut args = Args::default();
    let mut it = std::env::args_os().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| {
            it.next()
                .with_context(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match arg.to_str() {
            Some("-o" | "--output") => args.output = Some(value("-o")?.into()),
            Some("--wit") => args.wit = Some(value("--wit")?.into()),
            Some("--world") => {
                args.world = Some(
                    value("--world")?
                        .into_string()
                        .map_err(|_| anyhow::anyhow!("--world: not UTF-8"))?,
                )
            }
            Some("--check") => args.check = true,
            Some("--print-wit") => args.print_wit = true,
            Some("--c-bindings") => args.c_bindings = Some(value("--c-bindings")?.into()),
            Some("-h" | "--help") => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            Some(flag) if flag.starts_with('-') => bail!("unknown option {flag}\n{USAGE}"),
            _ if args.input.is_none() => args.input = Some(arg.into()),
            _ => bail!("more than one input file\n{USAGE}"),
        }
    }
    Ok(args)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Wraps a core module into a component, validating the result.
fn encode(module: &[u8]) -> Result<Vec<u8>> {
    ComponentEncoder::default()
        .module(module)
        .context("reading the module's component-type sections")?
        .validate(true)
        .encode()
        .context("encoding the component")
}

/// Decodes the world a component implements.
fn decode(component: &[u8]) -> Result<(Resolve, WorldId)> {
    match wit_component::decode(component).context("decoding the component")? {
        DecodedWasm::Component(resolve, world) => Ok((resolve, world)),
        DecodedWasm::WitPackage(..) => bail!("this is a WIT package, not a component"),
    }
}

/// The world's WIT text, its packages nested.
fn print_wit(resolve: &Resolve, world: WorldId) -> Result<String> {
    let main = resolve.worlds[world]
        .package
        .context("the decoded world has no package")?;
    let nested: Vec<_> = resolve
        .packages
        .iter()
        .map(|(id, _)| id)
        .filter(|id| *id != main)
        .collect();
    let mut printer = WitPrinter::default();
    printer.print(resolve, main, &nested)?;
    Ok(printer.output.to_string())
}

/// `imports a, b; exports c` of a decoded world.
fn summary(resolve: &Resolve, world: WorldId) -> String {
    let names = |items: &wit_parser::IndexMap<WorldKey, WorldItem>| {
        items
            .keys()
            .map(|key| resolve.name_world_key(key))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let w = &resolve.worlds[world];
    format!(
        "imports [{}], exports [{}]",
        names(&w.imports),
        names(&w.exports)
    )
}

/// Fails unless `component` targets the world `world` of the WIT package
/// in `dir`: everything it imports is offered, everything asked for is
/// exported, with equal types.
fn check(component: &[u8], dir: &Path, world: Option<&str>) -> Result<String> {
    let mut resolve = Resolve::default();
    let (pkg, _) = resolve
        .push_dir(dir)
        .with_context(|| format!("reading the WIT in {}", dir.display()))?;
    let world_id = resolve.select_world(&[pkg], world)?;
    wit_component::targets(&resolve, world_id, component, false).with_context(|| {
        format!(
            "the component does not target the world {}",
            resolve.worlds[world_id].name
        )
    })?;
    let name = &resolve.packages[pkg].name;
    let version = name
        .version
        .as_ref()
        .map(|v| format!("@{v}"))
        .unwrap_or_default();
    Ok(format!(
        "{}:{}/{}{version}",
        name.namespace, name.name, resolve.worlds[world_id].name
    ))
}

/// Writes the C bindings of the world `world` of the WIT package in `dir`
/// into `out`; the names of the files written.
fn c_bindings(dir: &Path, world: Option<&str>, out: &Path) -> Result<Vec<String>> {
    let mut resolve = Resolve::default();
    let (pkg, _) = resolve
        .push_dir(dir)
        .with_context(|| format!("reading the WIT in {}", dir.display()))?;
    let world_id = resolve.select_world(&[pkg], world)?;
    let mut files = wit_bindgen_core::Files::default();
    wit_bindgen_c::Opts::default()
        .build()
        .generate(&mut resolve, world_id, &mut files)?;
    std::fs::create_dir_all(out).with_context(|| out.display().to_string())?;
    let mut written = Vec::new();
    for (name, contents) in files.iter() {
        let path = out.join(name);
        std::fs::write(&path, contents).with_context(|| path.display().to_string())?;
        written.push(name.to_owned());
    }
    Ok(written)
}

fn run() -> Result<()> {
    let args = parse_args()?;
    if let Some(out) = args.c_bindings.as_deref() {
        let dir = args
            .wit
            .as_deref()
            .context("--c-bindings needs --wit DIR")?;
        let written = c_bindings(dir, args.world.as_deref(), out)?;
        println!("{}: {}", out.display(), written.join(", "));
        return Ok(());
    }
    let input = args.input.as_deref().context(USAGE)?;
    let bytes = read(input)?;

    if args.print_wit {
        let (resolve, world) = decode(&bytes)?;
        print!("{}", print_wit(&resolve, world)?);
        return Ok(());
    }

    if args.check {
        let dir = args.wit.as_deref().context("--check needs --wit DIR")?;
        let target = check(&bytes, dir, args.world.as_deref())?;
        let (resolve, world) = decode(&bytes)?;
        println!(
            "{}: targets {target}; {}",
            input.display(),
            summary(&resolve, world)
        );
        return Ok(());
    }

    let output = args
        .output
        .as_deref()
        .context("missing -o COMPONENT.wasm")?;
    let component = encode(&bytes).with_context(|| input.display().to_string())?;
    let mut line = format!(
        "{} -> {} ({} bytes)",
        input.display(),
        output.display(),
        component.len()
    );
    if let Some(dir) = args.wit.as_deref() {
        let target = check(&component, dir, args.world.as_deref())?;
        line.push_str(&format!("; targets {target}"));
    }
    let (resolve, world) = decode(&component)?;
    line.push_str(&format!("; {}", summary(&resolve, world)));
    std::fs::write(output, &component).with_context(|| format!("writing {}", output.display()))?;
    println!("{line}");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("componentize: {e:#}");
            ExitCode::FAILURE
        }
    }
}
