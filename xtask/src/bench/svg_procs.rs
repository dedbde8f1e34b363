//! The second chart, `procs.svg`: each row's figure over the procs values, a small panel per
//! row, a line per system through its medians with min–max whiskers over the repetitions.
//!
//! x: the procs values, evenly spaced in log2 (1, 2, 4, 8 … sit at equal steps); y: the
//! row's unit on a log scale (the systems differ by orders of magnitude: OS threads against
//! goroutines), each panel its own range. Counts above the machine's CPU count are shaded
//! and labelled "oversubscribed": more workers than CPUs measures contention, not speed-up.
//! Plain SVG, for the reason in `svg.rs`.

use super::plan::System;
use super::report::{Cells, higher_is_better, human, oversubscribed};
use super::svg::{color, esc};
use std::fmt::Write as _;

const COLS: usize = 3;
const PANEL_W: f64 = 320.0;
const PANEL_H: f64 = 210.0;
/// Plot area inside a panel: left margin for the y labels, bottom for the x labels.
const PAD_L: f64 = 70.0;
const PAD_R: f64 = 14.0;
const PAD_T: f64 = 26.0;
const PAD_B: f64 = 40.0;
const TOP: f64 = 110.0;

/// The whole chart; `commit` (short) goes in the title.
pub fn chart(
    cells: &Cells,
    rows: &[&str],
    procs: &[usize],
    systems: &[System],
    cpus: usize,
    commit: &str,
) -> String {
    let has = |s: System| cells.iter().any(|((_, _, x), c)| *x == s && !c.values.is_empty());
    let shown: Vec<System> = systems.iter().copied().filter(|s| has(*s)).collect();
    let panels = rows.len().div_ceil(COLS);
    let width = 20.0 + COLS as f64 * PANEL_W;
    let height = TOP + panels as f64 * PANEL_H + 10.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    let list: Vec<String> = procs.iter().map(usize::to_string).collect();
    let _ = writeln!(
        svg,
        "<text x=\"20\" y=\"24\" font-size=\"16\" font-weight=\"bold\">gpm macro benchmarks: each \
         row over procs = {} ({})</text>",
        list.join(", "),
        esc(commit)
    );
    let _ = writeln!(
        svg,
        "<text x=\"20\" y=\"44\">point: median over the repetitions; whisker: fastest to \
         slowest run; log y, each panel its own range. Lower is better except ↑ rows (rates).</text>"
    );
    let _ = writeln!(svg, "<text x=\"20\" y=\"62\">{}</text>", esc(&procs_note(procs, cpus)));
    for (i, s) in shown.iter().enumerate() {
        let x = 20.0 + i as f64 * 100.0;
        let c = color(*s);
        let _ = writeln!(
            svg,
            "<line x1=\"{x}\" y1=\"82\" x2=\"{}\" y2=\"82\" stroke=\"{c}\" stroke-width=\"2.5\"/>\
             <circle cx=\"{}\" cy=\"82\" r=\"3.5\" fill=\"{c}\"/>",
            x + 20.0,
            x + 10.0
        );
        let _ =
            writeln!(svg, "<text x=\"{}\" y=\"86\" font-size=\"12\">{}</text>", x + 26.0, s.name());
    }
    for (row, w) in rows.iter().enumerate() {
        let (px, py) = ((row % COLS) as f64 * PANEL_W + 20.0, TOP + (row / COLS) as f64 * PANEL_H);
        panel(&mut svg, cells, (row, w), procs, &shown, cpus, (px, py));
    }
    svg.push_str("</svg>\n");
    svg
}

/// Which procs values ran and why, and what the shading means.
pub fn procs_note(procs: &[usize], cpus: usize) -> String {
    let over: Vec<String> = procs.iter().filter(|&&p| p > cpus).map(usize::to_string).collect();
    if over.is_empty() {
        format!(
            "This machine has {cpus} CPUs: procs above {cpus} would oversubscribe it \
             (`--procs 1,2,4,8` runs them anyway, shaded)."
        )
    } else {
        format!(
            "Shaded: procs {} exceed this machine's {cpus} CPUs (oversubscribed: contention, \
             not speed-up).",
            over.join(", ")
        )
    }
}

/// The x position of each procs value inside a plot `[x0, x1]` (log2 spacing).
fn xs(procs: &[usize], x0: f64, x1: f64) -> Vec<f64> {
    let lg: Vec<f64> = procs.iter().map(|&p| (p as f64).log2()).collect();
    let (lo, hi) = (lg.first().copied().unwrap_or(0.0), lg.last().copied().unwrap_or(0.0));
    let inset = (x1 - x0) * 0.08;
    lg.iter()
        .map(|l| {
            if hi > lo {
                x0 + inset + (l - lo) / (hi - lo) * (x1 - x0 - 2.0 * inset)
            } else {
                (x0 + x1) / 2.0
            }
        })
        .collect()
}

/// The candidate y ticks of a log axis around `[lo, hi]` (both > 0), ascending: powers of
/// two for bytes (`B…` units: 512 B, 1 KiB, 2 KiB read better than 1,000 B, 2 KB), else
/// 1-2-5 steps in each decade; one candidate beyond each end, so the axis can end on a tick.
fn candidates(lo: f64, hi: f64, unit: &str) -> Vec<f64> {
    if unit.starts_with('B') {
        let (k0, k1) = (lo.log2().floor() as i32, hi.log2().ceil() as i32);
        return (k0..=k1).map(|k| 2f64.powi(k)).collect();
    }
    let (d0, d1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    (d0..=d1).flat_map(|d| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(d))).collect()
}

/// The axis of a panel whose figures span `[lo, hi]` (both > 0): its ends, widened to the
/// nearest tick outside the figures so both ends are labelled, and at most 6 ticks.
pub fn log_axis(lo: f64, hi: f64, unit: &str) -> (f64, f64, Vec<f64>) {
    let all = candidates(lo, hi, unit);
    let start = all.iter().rposition(|t| *t <= lo * 1.0001).unwrap_or(0);
    let end = all.iter().position(|t| *t >= hi * 0.9999).unwrap_or(all.len() - 1);
    let mut ticks = all[start..=end].to_vec();
    let (lo, hi) = (ticks[0], ticks[ticks.len() - 1]);
    if ticks.len() > 6 && !unit.starts_with('B') {
        ticks.retain(|t| (t.log10() - t.log10().round()).abs() < 1e-9); // decades only
    }
    while ticks.len() > 6 {
        ticks = ticks.into_iter().step_by(2).collect();
    }
    (lo, hi, ticks)
}

fn panel(
    svg: &mut String,
    cells: &Cells,
    (row, w): (usize, &str),
    procs: &[usize],
    systems: &[System],
    cpus: usize,
    (px, py): (f64, f64),
) {
    let (x0, x1) = (px + PAD_L, px + PANEL_W - PAD_R);
    let (y0, y1) = (py + PAD_T, py + PANEL_H - PAD_B);
    let cell = |p: usize, s: System| cells.get(&(p, row, s)).filter(|c| !c.values.is_empty());
    let unit = procs
        .iter()
        .flat_map(|&p| systems.iter().filter_map(move |&s| cell(p, s)))
        .map(|c| c.unit.clone())
        .next();
    let up = if unit.as_deref().is_some_and(higher_is_better) { "↑ " } else { "" };
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" font-size=\"13\" font-weight=\"bold\" text-anchor=\"middle\">{up}{}</text>",
        (x0 + x1) / 2.0,
        py + 16.0,
        esc(w)
    );
    let _ = writeln!(
        svg,
        "<rect x=\"{x0}\" y=\"{y0}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#bbb\"/>",
        x1 - x0,
        y1 - y0
    );
    let px_of = xs(procs, x0, x1);
    // Shade the oversubscribed counts: from half-way to the last count within the CPUs.
    if let Some(first) = procs.iter().position(|&p| p > cpus) {
        let from = if first == 0 { x0 } else { (px_of[first - 1] + px_of[first]) / 2.0 };
        let _ = writeln!(
            svg,
            "<rect x=\"{from:.1}\" y=\"{y0}\" width=\"{:.1}\" height=\"{}\" fill=\"#eee\"><title>{}</title></rect>\
             <text x=\"{x1}\" y=\"{}\" font-size=\"9\" fill=\"#777\" text-anchor=\"end\">oversubscribed</text>",
            x1 - from,
            y1 - y0,
            oversubscribed(procs[first], cpus).trim(),
            y0 - 3.0
        );
    }
    for (&p, &x) in procs.iter().zip(&px_of) {
        let _ = writeln!(
            svg,
            "<text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{p}</text>",
            y1 + 14.0
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">procs</text>",
        (x0 + x1) / 2.0,
        y1 + 30.0
    );
    let Some(unit) = unit else {
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#999\">no results</text>",
            (x0 + x1) / 2.0,
            (y0 + y1) / 2.0
        );
        return;
    };
    let all: Vec<f64> = procs
        .iter()
        .flat_map(|&p| systems.iter().filter_map(move |&s| cell(p, s)))
        .flat_map(|c| c.values.iter().copied())
        .filter(|v| *v > 0.0 && v.is_finite())
        .collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(0.0, f64::max);
    if all.is_empty() {
        return;
    }
    // A log axis with a margin, ending on ticks; a flat panel still spans a factor of 2.
    let (lo, hi, ticks) = log_axis(lo / 1.1, (hi * 1.1).max(lo * 2.0), &unit);
    let y_of =
        |v: f64| y1 - (v.max(lo).log10() - lo.log10()) / (hi.log10() - lo.log10()) * (y1 - y0);
    for t in ticks {
        let y = y_of(t);
        let _ = writeln!(
            svg,
            "<line x1=\"{x0}\" y1=\"{y:.1}\" x2=\"{x1}\" y2=\"{y:.1}\" stroke=\"#e4e4e4\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555\">{}</text>",
            x0 - 4.0,
            y + 4.0,
            human(t, &unit)
        );
    }
    let _ = writeln!(
        svg,
        "<text transform=\"translate({},{}) rotate(-90)\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
        px + 10.0,
        (y0 + y1) / 2.0,
        esc(&unit)
    );
    for (si, &s) in systems.iter().enumerate() {
        // Systems side by side around each procs value, so whiskers do not hide each other.
        let dx = (si as f64 - (systems.len() as f64 - 1.0) / 2.0) * 4.0;
        let c = color(s);
        let mut path = String::new();
        for (&p, &x) in procs.iter().zip(&px_of) {
            let Some(cl) = cell(p, s) else { continue };
            let (Some(m), Some((mn, mx))) = (cl.median(), cl.range()) else { continue };
            let x = x + dx;
            let _ =
                write!(path, "{}{x:.1} {:.1}", if path.is_empty() { "M" } else { "L" }, y_of(m));
            let _ = writeln!(
                svg,
                "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"{c}\" stroke-width=\"1.5\"/>\
                 <circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{c}\"><title>{} procs={p}: {} ({} to {})</title></circle>",
                y_of(mn),
                y_of(mx),
                y_of(m),
                s.name(),
                human(m, &unit),
                human(mn, &unit),
                human(mx, &unit)
            );
        }
        if path.contains('L') {
            let _ = writeln!(
                svg,
                "<path d=\"{path}\" stroke=\"{c}\" stroke-width=\"2\" fill=\"none\" opacity=\"0.8\"/>"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{chart, log_axis, procs_note};
    use crate::bench::plan::System;
    use crate::bench::report::{Cell, Cells};

    #[test]
    fn log_axes_end_on_ticks_step_1_2_5_or_powers_of_two_and_stay_few() {
        assert_eq!(
            log_axis(80.0, 600.0, "ns"),
            (50.0, 1000.0, vec![50.0, 100.0, 200.0, 500.0, 1000.0])
        );
        let (lo, hi, wide) = log_axis(1.5, 3e6, "ns/op");
        assert_eq!((lo, hi), (1.0, 5e6));
        assert!(wide.len() <= 6 && wide.contains(&1.0) && wide.contains(&1e6), "{wide:?}");
        let (lo, hi, bytes) = log_axis(450.0, 10_000.0, "B/task");
        assert_eq!((lo, hi), (256.0, 16384.0));
        assert!(bytes.len() <= 6 && bytes.iter().all(|b| b.log2().fract() == 0.0), "{bytes:?}");
    }

    #[test]
    fn draws_a_line_per_system_and_shades_oversubscribed_counts() {
        let runs =
            |v: &[f64]| Cell { n: 1, unit: "ns/op".into(), values: v.to_vec(), ..Cell::default() };
        let mut cells = Cells::new();
        for (p, v) in [(1, 100.0), (2, 60.0), (4, 70.0)] {
            cells.insert((p, 0, System::Gpm), runs(&[v * 0.9, v, v * 1.2]));
        }
        let svg = chart(&cells, &["ring"], &[1, 2, 4], &[System::Gpm, System::Go], 2, "c");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("gpm procs=4: 70.0 ns (63.0 ns to 84.0 ns)"), "{svg}");
        assert_eq!(svg.matches("<path d=\"M").count(), 1, "one line: go has no figures");
        assert!(svg.contains(">oversubscribed</text>"), "{svg}");
        assert!(procs_note(&[1, 2, 4], 2).contains("procs 4 exceed"));
        assert!(procs_note(&[1, 2], 2).contains("above 2 would oversubscribe"));
        let flat = chart(&cells, &["ring"], &[1, 2], &[System::Gpm], 2, "c");
        assert!(!flat.contains(">oversubscribed</text>"), "{flat}");
    }
}
