//! The façade reads `std::thread::panicking()` only behind never-inlined calls.

use std::path::Path;

/// Every `std::thread::panicking()` (a thread-local read) in the façade's sources sits in
/// a function marked `#[inline(never)]`: inlined into a goroutine function that parks, the
/// thread-local's address could be kept across the switch and name the old thread's slot
/// after a migration (gpm-stack's migration rule).
#[test]
fn panicking_is_read_only_behind_never_inlined_calls() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut bad = Vec::new();
    visit(&src, &mut |path, text| {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !line.contains("std::thread::panicking()") || line.trim_start().starts_with("//") {
                continue;
            }
            let f = (0..i)
                .rev()
                .find(|&j| lines[j].trim_start().starts_with("fn ") || lines[j].contains(" fn "));
            let marked = f.is_some_and(|f| {
                (f.saturating_sub(3)..f).any(|j| lines[j].contains("#[inline(never)]"))
            });
            if !marked {
                bad.push(format!("{}:{}", path.display(), i + 1));
            }
        }
    });
    assert!(bad.is_empty(), "thread::panicking() in an inlinable function: {bad:?}");
}

fn visit(dir: &Path, f: &mut dyn FnMut(&Path, &str)) {
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            visit(&path, f);
        } else if path.extension().is_some_and(|x| x == "rs") {
            f(&path, &std::fs::read_to_string(&path).unwrap());
        }
    }
}
