//! Declares the `loom` cfg so that `--cfg loom` model builds pass the
//! `unexpected_cfgs` lint.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(loom)");
}
