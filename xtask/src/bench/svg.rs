//! The chart: one horizontal bar per peer and workload, the ratio `baseline / peer` on a log2
//! axis centred on 1×, a panel per procs value. The bar is the ratio of the medians (the
//! table's); a whisker across it spans the ratios of every pair of runs
//! (`report::cost_ratio_range`), so a bar whose whisker crosses 1× is no clear win.
//!
//! Plain SVG written here rather than a plotting crate: the chart is a few dozen rectangles
//! and labels, a crate (plotters and its font stack) would add more build time and
//! dependencies to the xtask than this file has lines, and the output stays a small,
//! diffable text file.

use super::plan::System;
use super::report::{Cells, cost_ratio, cost_ratio_range, oversubscribed, ratio_text};
use std::fmt::Write as _;

const WIDTH: f64 = 960.0;
/// Row labels start here, left-aligned, clear of the ratio texts of bars clipped at the left.
const LABEL_X: f64 = 20.0;
const PLOT_L: f64 = 250.0;
const PLOT_R: f64 = 900.0;
/// The axis spans 2^-SPAN ..= 2^SPAN; bars past it are clipped and marked.
const SPAN: f64 = 6.0;
const BAR_H: f64 = 12.0;

/// The colour of a system, the same in both charts.
pub fn color(s: System) -> &'static str {
    match s {
        System::Gpm => "#c0392b",
        System::Go => "#00add8",
        System::Tokio => "#d35400",
        System::May => "#27ae60",
        System::Threads => "#7f8c8d",
    }
}

fn x_of(r: f64) -> f64 {
    let centre = (PLOT_L + PLOT_R) / 2.0;
    centre + r.log2().clamp(-SPAN, SPAN) / SPAN * (PLOT_R - PLOT_L) / 2.0
}

/// `s` escaped for SVG text.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The whole chart as an SVG document (`cpus`: the machine's, to mark oversubscribed
/// panels).
pub fn chart(
    cells: &Cells,
    rows: &[&str],
    procs: &[usize],
    systems: &[System],
    baseline: System,
    title: &str,
    cpus: usize,
) -> String {
    // Peers with no figure at all (a column not built) would only add empty rows.
    let has_values = |s: System| cells.iter().any(|((_, _, x), c)| *x == s && !c.values.is_empty());
    let peers: Vec<System> =
        systems.iter().copied().filter(|s| *s != baseline && has_values(*s)).collect();
    let row_h = peers.len().max(1) as f64 * (BAR_H + 2.0) + 10.0;
    let panel_h = 40.0 + rows.len() as f64 * row_h + 30.0;
    let height = 106.0 + procs.len() as f64 * panel_h;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    let _ = writeln!(
        svg,
        "<text x=\"20\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{}</text>",
        esc(title)
    );
    let b = baseline.name();
    let _ = writeln!(
        svg,
        "<text x=\"20\" y=\"44\">bar: median {b} / median peer, log scale; rates (↑ rows) inverted, as time per op: left of 1× {b} is better.</text>\n\
         <text x=\"20\" y=\"60\">whisker: from {b}'s best run / the peer's worst to {b}'s worst / the peer's best (every pair of runs).</text>"
    );
    for (i, s) in peers.iter().enumerate() {
        let x = 20.0 + i as f64 * 110.0;
        let _ = writeln!(
            svg,
            "<rect x=\"{x}\" y=\"72\" width=\"12\" height=\"12\" fill=\"{}\"/>",
            color(*s)
        );
        let _ = writeln!(svg, "<text x=\"{}\" y=\"83\">{}</text>", x + 16.0, s.name());
    }
    for (pi, &p) in procs.iter().enumerate() {
        let top = 106.0 + pi as f64 * panel_h;
        let over = oversubscribed(p, cpus);
        panel(&mut svg, cells, rows, (p, &over), &peers, baseline, top, row_h);
    }
    svg.push_str("</svg>\n");
    svg
}

#[allow(clippy::too_many_arguments)]
fn panel(
    svg: &mut String,
    cells: &Cells,
    rows: &[&str],
    (p, over): (usize, &str),
    peers: &[System],
    baseline: System,
    top: f64,
    row_h: f64,
) {
    let _ = writeln!(
        svg,
        "<text x=\"20\" y=\"{}\" font-size=\"14\" font-weight=\"bold\">procs = {p}{over}</text>",
        top + 16.0
    );
    let plot_top = top + 28.0;
    let plot_bottom = plot_top + rows.len() as f64 * row_h;
    for k in -(SPAN as i32)..=(SPAN as i32) {
        let r = 2f64.powi(k);
        let x = x_of(r);
        let stroke = if k == 0 { "#000" } else { "#ddd" };
        let _ = writeln!(
            svg,
            "<line x1=\"{x}\" y1=\"{plot_top}\" x2=\"{x}\" y2=\"{plot_bottom}\" stroke=\"{stroke}\"/>"
        );
        let label = if k < 0 { format!("1/{}×", 1 << -k) } else { format!("{}×", 1 << k) };
        let _ = writeln!(
            svg,
            "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{label}</text>",
            plot_bottom + 16.0
        );
    }
    for (row, w) in rows.iter().enumerate() {
        let y0 = plot_top + row as f64 * row_h + 5.0;
        let _ = writeln!(svg, "<text x=\"{LABEL_X}\" y=\"{}\">{}</text>", y0 + row_h / 2.0, esc(w));
        for (i, &s) in peers.iter().enumerate() {
            let y = y0 + i as f64 * (BAR_H + 2.0);
            let why = match cells.get(&(p, row, s)).and_then(|c| c.failure.as_deref()) {
                Some(f) if f.starts_with("timeout") => "timeout",
                Some(_) => "failed",
                None => "no ratio",
            };
            let r = cost_ratio(cells, rows, (p, row), baseline, s).ok_or(why);
            let spread = cost_ratio_range(cells, rows, (p, row), baseline, s);
            bar(svg, r, spread, s, y);
        }
    }
}

/// One bar with its whisker, or a grey word saying why there is none (`failed`, `timeout`,
/// `no ratio`).
fn bar(svg: &mut String, r: Result<f64, &str>, spread: Option<(f64, f64)>, s: System, y: f64) {
    let one = x_of(1.0);
    let r = match r {
        Ok(r) => r,
        Err(why) => {
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" fill=\"#999\" font-size=\"10\">{}: {why}</text>",
                one + 4.0,
                y + BAR_H - 2.0,
                s.name()
            );
            return;
        }
    };
    let x = x_of(r);
    let (left, w) = if x < one { (x, one - x) } else { (one, x - one) };
    let clipped = r.log2().abs() > SPAN;
    let _ = writeln!(
        svg,
        "<rect x=\"{left:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{BAR_H}\" fill=\"{}\"><title>{}: {r:.3}×</title></rect>",
        w.max(1.0),
        color(s),
        s.name()
    );
    let mut far = x; // the label goes past the bar and its whisker
    if let Some((lo, hi)) = spread.filter(|(lo, hi)| hi > lo) {
        let (x0, x1, mid) = (x_of(lo), x_of(hi), y + BAR_H / 2.0);
        far = if x < one { x0.min(x) } else { x1.max(x) };
        let _ = writeln!(
            svg,
            "<path d=\"M{x0:.1} {mid:.1}H{x1:.1}M{x0:.1} {:.1}V{:.1}M{x1:.1} {:.1}V{:.1}\" \
             stroke=\"#222\" stroke-width=\"1.2\" fill=\"none\"><title>{}: {:.3}× to {:.3}×</title></path>",
            y + 2.0,
            y + BAR_H - 2.0,
            y + 2.0,
            y + BAR_H - 2.0,
            s.name(),
            lo,
            hi
        );
    }
    let (tx, anchor) = if x < one { (far - 4.0, "end") } else { (far + 4.0, "start") };
    let mark = if clipped { "…" } else { "" };
    let _ = writeln!(
        svg,
        "<text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" font-size=\"10\">{}{mark}</text>",
        y + BAR_H - 2.0,
        ratio_text(r)
    );
}

#[cfg(test)]
mod tests {
    use super::chart;
    use crate::bench::plan::System;
    use crate::bench::report::{Cell, Cells};

    #[test]
    fn draws_a_bar_per_ratio_and_names_failures() {
        let cell = |v: f64| Cell { n: 1, unit: "ns/op".into(), values: vec![v], ..Cell::default() };
        let mut cells = Cells::new();
        cells.insert((1, 0, System::Gpm), cell(50.0));
        cells.insert((1, 0, System::Go), cell(100.0));
        let failed = Cell { failure: Some("panicked".into()), ..Cell::default() };
        cells.insert((1, 0, System::May), failed);
        cells.insert((1, 0, System::Tokio), cell(25.0));
        let systems = [System::Gpm, System::Go, System::Tokio, System::May];
        let svg = chart(&cells, &["ring"], &[1], &systems, System::Gpm, "t", 2);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("<title>go: 0.500×</title>"), "{svg}");
        assert!(svg.contains("<title>tokio: 2.000×</title>"), "{svg}");
        // may has no figure at all, so it is left out of the legend and rows.
        assert!(!svg.contains("may"), "{svg}");
        // One run per cell: no spread, so no whisker.
        assert!(!svg.contains("<path"), "{svg}");
    }

    #[test]
    fn a_whisker_spans_the_ratios_of_every_pair_of_runs() {
        let runs =
            |v: &[f64]| Cell { n: 1, unit: "ns/op".into(), values: v.to_vec(), ..Cell::default() };
        let mut cells = Cells::new();
        cells.insert((4, 0, System::Gpm), runs(&[40.0, 50.0, 60.0]));
        cells.insert((4, 0, System::Go), runs(&[80.0, 100.0, 120.0]));
        let svg = chart(&cells, &["ring"], &[4], &[System::Gpm, System::Go], System::Gpm, "t", 2);
        assert!(svg.contains("<title>go: 0.333× to 0.750×</title>"), "{svg}");
        assert!(svg.contains("procs = 4 (oversubscribed: 4 workers on 2 CPUs)"), "{svg}");
    }
}
