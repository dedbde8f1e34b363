//! `cargo xtask`: project automation.
//!
//! - `cargo xtask bench [--quick] [...]`: the macro suite, gpm side by side with Go, tokio,
//!   may and OS threads (see `bench/` and benches/README.md).
//! - `cargo xtask bench queue|stack|chan`: a criterion bench target, tabulated as
//!   gpm / peer per row (see `micro.rs`).
//!
//! Cargo is invoked through `$CARGO`; outputs go to `<target>/bench/`, where `<target>` is
//! `CARGO_TARGET_DIR` when set (as `cargo metadata` reports it) and `target/` otherwise.

mod bench;
mod json;
mod micro;

use json::Json;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where things are.
pub struct Env {
    /// The cargo to invoke (`$CARGO`, else `cargo`).
    pub cargo: String,
    /// The workspace root.
    pub root: PathBuf,
    /// The cargo target directory.
    pub target: PathBuf,
}

impl Env {
    fn new() -> Env {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask is one level down")
            .to_path_buf();
        let target = target_dir(&cargo, &root);
        Env { cargo, root, target }
    }

    /// `<target>/bench`: reports, CSV, chart, the Go binary.
    pub fn out_dir(&self) -> PathBuf {
        self.target.join("bench")
    }
}

/// The target directory as cargo sees it (honours `CARGO_TARGET_DIR` and config files).
fn target_dir(cargo: &str, root: &Path) -> PathBuf {
    let metadata = Command::new(cargo)
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| Json::parse(&String::from_utf8_lossy(&o.stdout)));
    match metadata.as_ref().and_then(|m| m.get("target_directory")).and_then(Json::as_str) {
        Some(dir) => PathBuf::from(dir),
        None => {
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
        }
    }
}

const USAGE: &str = "usage: cargo xtask bench [--help | options]   (the macro suite)\n\
                     \x20      cargo xtask bench queue|stack|chan      (criterion micro-benchmarks)\n\
                     \x20      cargo xtask bench pool [--help | options] (goroutine pools, ants' shape)";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let env = Env::new();
    let result = match args.first().map(String::as_str) {
        Some("bench") => match args.get(1).map(String::as_str) {
            Some("pool") => bench::pool::main(&env, &args[2..]),
            Some(target) if !target.starts_with('-') => micro::main(&env, target, &args[2..]),
            _ => bench::main(&env, &args[1..]),
        },
        _ => Err(USAGE.to_string()),
    };
    if let Err(e) = result {
        eprintln!("xtask: {e}");
        std::process::exit(1);
    }
}
