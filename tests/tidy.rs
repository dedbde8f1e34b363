//! Tidy: the project's own conventions, checked under plain `cargo test`.
//!
//! Every Rust source file opens with a `//!` header, and every `unsafe {` block has a
//! `SAFETY:` comment in the three lines above it.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn workspace_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["crates", "xtask", "tests", "benches", "examples"] {
        rust_files(&root.join(dir), &mut files);
    }
    files
}

#[test]
fn every_source_file_has_a_header() {
    let missing: Vec<_> = workspace_files()
        .into_iter()
        .filter(|f| f.components().any(|c| c.as_os_str() == "src"))
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            !text.lines().take(3).any(|l| l.starts_with("//!"))
        })
        .collect();
    assert!(missing.is_empty(), "files without a //! header: {missing:?}");
}

#[test]
fn every_unsafe_block_has_a_safety_comment() {
    let mut missing = Vec::new();
    for f in workspace_files() {
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") || !has_unsafe_block(code) {
                continue;
            }
            let from = i.saturating_sub(3);
            if !lines[from..=i].iter().any(|l| l.contains("SAFETY")) {
                missing.push(format!("{}:{}", f.display(), i + 1));
            }
        }
    }
    assert!(missing.is_empty(), "unsafe blocks without a SAFETY: comment: {missing:?}");
}

fn has_unsafe_block(code: &str) -> bool {
    code.match_indices("unsafe").any(|(at, _)| code[at + 6..].trim_start().starts_with('{'))
}
