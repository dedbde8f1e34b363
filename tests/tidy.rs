//! Tidy: the project's own conventions and ARCHITECTURE.md's invariants, checked under
//! plain `cargo test`, so they cannot drift from the code.
//!
//! Every Rust source file opens with a `//!` header, and every `unsafe {` block has a
//! `SAFETY:` comment in the three lines above it. Of the invariants: only gpm-stack talks
//! to the OS through `libc`; a thread-local is read only in `#[inline(never)]` functions;
//! a P's status word is taken apart only in `ownership.rs`; a P's ownership is made only
//! where its contract is argued; a lower crate never names a higher one.

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

/// The library sources (`crates/*/src`) of each crate, by crate directory name.
fn library_files() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap().flatten() {
        let krate = entry.file_name().to_string_lossy().into_owned();
        let mut files = Vec::new();
        rust_files(&entry.path().join("src"), &mut files);
        out.extend(files.into_iter().map(|f| (krate.clone(), f)));
    }
    out
}

/// Lines of code, without comment lines.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter(|(_, l)| !l.trim_start().starts_with("//"))
}

/// Architecture Invariant: only `gpm-stack` and the netpoller's OS layer
/// (`gpm-sched/src/netpoll/sys.rs`) talk to the OS through `libc` (in library code and
/// `[dependencies]`; tests may use it to set up a process).
#[test]
fn only_gpm_stack_uses_libc() {
    let mut found = Vec::new();
    for (krate, f) in library_files() {
        if krate == "gpm-stack" || f.ends_with("gpm-sched/src/netpoll/sys.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in code_lines(&text) {
            if line.contains("libc::") {
                found.push(format!("{}:{}", f.display(), i + 1));
            }
        }
    }
    for (krate, deps) in crate_dependencies("dependencies") {
        if krate != "gpm-stack" && krate != "gpm-sched" && deps.iter().any(|d| d == "libc") {
            found.push(format!("crates/{krate}/Cargo.toml: libc in [dependencies]"));
        }
    }
    assert!(found.is_empty(), "libc outside gpm-stack: {found:?}");
}

/// Architecture Invariant: a thread-local is read only in `#[inline(never)]` functions (a
/// function that can switch must not compute a thread-local's address: LLVM may keep it in
/// a register across the switch). Every function that names a `thread_local!` static, or
/// declares one, carries `#[inline(never)]`.
#[test]
fn thread_locals_only_in_never_inlined_functions() {
    let mut found = Vec::new();
    for (_, f) in library_files() {
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let statics = thread_local_statics(&lines);
        for (i, line) in code_lines(&text) {
            // Inside a function (indented): a declaration at module level reads nothing.
            let declares = line.starts_with(char::is_whitespace)
                && line.trim_start().starts_with("thread_local!");
            let names = statics.iter().any(|s| names_static(line, s));
            if !(declares || names) {
                continue;
            }
            let indent = |l: &str| l.len() - l.trim_start().len();
            let Some(at) =
                (0..=i).rev().find(|&k| is_fn_line(lines[k]) && indent(lines[k]) < indent(line))
            else {
                continue;
            };
            let attrs = (0..at).rev().take_while(|&k| {
                let l = lines[k].trim_start();
                l.starts_with("#[") || l.starts_with("///") || l.starts_with("//")
            });
            if !attrs.into_iter().any(|k| lines[k].contains("#[inline(never)]")) {
                found.push(format!("{}:{} (in `{}`)", f.display(), i + 1, lines[at].trim()));
            }
        }
    }
    assert!(found.is_empty(), "thread-locals read outside #[inline(never)] functions: {found:?}");
}

/// The names of the statics declared in `thread_local!` blocks of a file (std's, not loom's
/// model of one, which exists only under `cfg(gpm_loom)`).
fn thread_local_statics(lines: &[&str]) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in lines {
        let l = line.trim_start();
        if l.starts_with("thread_local!") {
            inside = true;
        }
        if inside {
            if let Some(rest) = l.strip_prefix("static ").or_else(|| l.strip_prefix("pub static "))
            {
                let name: String =
                    rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                names.push(name);
            }
            if l.starts_with('}') {
                inside = false;
            }
        }
    }
    names
}

fn names_static(line: &str, name: &str) -> bool {
    line.match_indices(name).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + name.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && after == Some('.')
            && !line.trim_start().starts_with("static ")
    })
}

fn is_fn_line(line: &str) -> bool {
    let l = line.trim_start();
    let l = l.strip_prefix("pub(crate) ").or_else(|| l.strip_prefix("pub ")).unwrap_or(l);
    let l = l.strip_prefix("unsafe ").unwrap_or(l);
    l.starts_with("fn ")
}

/// Architecture Invariant (`ownership.rs`): a P's status word is taken apart (status bits,
/// sequence number) only in `ownership.rs`; everyone else asks it (`PWord::status_of`,
/// `PWord::seq_of`).
#[test]
fn p_status_word_bits_only_in_ownership() {
    let mut found = Vec::new();
    for (krate, f) in library_files() {
        if krate != "gpm-sched" || f.ends_with("ownership.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in code_lines(&text) {
            let masks_word = line.contains("word()")
                && ["& ", ">>", "<<", "| ", "^ "].iter().any(|op| {
                    line.split("word()").skip(1).any(|after| after.trim_start().starts_with(op))
                });
            if masks_word || line.contains("& !7") || line.contains("& 7") {
                found.push(format!("{}:{}", f.display(), i + 1));
            }
        }
    }
    assert!(found.is_empty(), "status-word bit arithmetic outside ownership.rs: {found:?}");
}

/// Architecture Invariant (`ownership.rs`, "The claim as a value"): a P's owner half is
/// reached only through an `OwnedP`, whose two makers the types cannot check are called
/// once each, where their contract is argued: `OwnedP::claim` in `M::claim` and
/// `OwnedP::assume` at runtime drop (`OwnedP::acquire` only in `Sched::pidleget`, under the
/// idle list's lock). And no `&self -> &mut` accessor is left anywhere (`mut_from_ref`).
#[test]
fn owned_p_made_only_where_its_contract_is_argued() {
    let allowed = [
        ("OwnedP::claim(", "gpm-sched/src/m.rs"),
        ("OwnedP::assume(", "gpm-sched/src/runtime/shutdown.rs"),
        ("OwnedP::acquire(", "gpm-sched/src/sched/mod.rs"),
    ];
    let mut found = Vec::new();
    for (_, f) in library_files() {
        let text = std::fs::read_to_string(&f).unwrap();
        let path = f.to_string_lossy().replace('\\', "/");
        for (i, line) in code_lines(&text) {
            for (call, home) in allowed {
                if line.contains(call) && !path.ends_with(home) {
                    found.push(format!("{}:{}: {call}", f.display(), i + 1));
                }
            }
            if line.contains("mut_from_ref") {
                found.push(format!("{}:{}: mut_from_ref", f.display(), i + 1));
            }
        }
    }
    assert!(found.is_empty(), "OwnedP made outside its homes, or &self -> &mut: {found:?}");
}

/// Architecture Invariant: a lower crate never names a higher one (gpm-queue and gpm-stack
/// know no other gpm crate; gpm-sched knows those two; the façade knows gpm-sched), in
/// `[dependencies]` and `[dev-dependencies]` alike.
#[test]
fn lower_crates_never_name_higher_ones() {
    let rank = |k: &str| match k {
        "gpm-queue" | "gpm-stack" => Some(0),
        "gpm-sched" => Some(1),
        "gpm" => Some(2),
        _ => None,
    };
    let mut found = Vec::new();
    for table in ["dependencies", "dev-dependencies"] {
        for (krate, deps) in crate_dependencies(table) {
            let Some(r) = rank(&krate) else { continue };
            // Another gpm crate of the same or a higher rank (gpm-queue and gpm-stack are
            // siblings that do not know each other).
            for d in deps.iter().filter(|d| **d != krate && rank(d).is_some_and(|rd| rd >= r)) {
                found.push(format!("{krate} names {d} in [{table}]"));
            }
        }
    }
    assert!(found.is_empty(), "layering broken: {found:?}");
}

/// The names in table `[table]` of each `crates/*/Cargo.toml`, by crate directory name.
fn crate_dependencies(table: &str) -> Vec<(String, Vec<String>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap().flatten() {
        let krate = entry.file_name().to_string_lossy().into_owned();
        let Ok(toml) = std::fs::read_to_string(entry.path().join("Cargo.toml")) else {
            continue;
        };
        let header = format!("[{table}]");
        let mut deps = Vec::new();
        let mut inside = false;
        for line in toml.lines() {
            let l = line.trim();
            if l.starts_with('[') {
                inside = l == header;
                continue;
            }
            if inside && !l.is_empty() && !l.starts_with('#') {
                deps.push(l.split(['=', ' ', '.']).next().unwrap_or("").to_string());
            }
        }
        out.push((krate, deps));
    }
    out
}
