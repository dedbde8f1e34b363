//! The statistics of a cell's repetitions: quantiles (median, quartiles), the min–max
//! range, and the spread as the table prints it.
//!
//! A cell has 3–5 repetitions, too few for an interquartile range to mean much: the table
//! shows the median and how far the fastest and slowest run lie from it, as percentages
//! (`±4%` when the two sides agree, `−3/+21%` when one slow run stretches one side), and the
//! CSV keeps every run.

/// The `q`-quantile (0 ≤ q ≤ 1) of `values`, interpolating linearly between the two nearest
/// ranks (so the 0.5-quantile of an even count is the mean of the middle two); `None` when
/// there are no values. NaNs sort last.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    assert!((0.0..=1.0).contains(&q), "quantile: q = {q} is outside 0..=1");
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let last = v.len().checked_sub(1)?;
    let at = q * last as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (at - lo as f64))
}

/// The median of `values` (`None` when empty).
pub fn median(values: &[f64]) -> Option<f64> {
    quantile(values, 0.5)
}

/// The smallest and largest of `values`.
pub fn range(values: &[f64]) -> Option<(f64, f64)> {
    let min = values.iter().copied().reduce(f64::min)?;
    let max = values.iter().copied().reduce(f64::max)?;
    Some((min, max))
}

/// The spread of `values` around their median: `" ±4%"` when the slowest and the fastest
/// run lie as far from the median (to the printed percent), `" −3/+21%"` when they do not,
/// `" ±<1%"` when the whole range is below half a percent; empty for a single value or a median of 0.
pub fn spread_text(values: &[f64]) -> String {
    let (Some(m), Some((lo, hi))) = (median(values), range(values)) else {
        return String::new();
    };
    if values.len() < 2 || m <= 0.0 {
        return String::new();
    }
    let below = ((m - lo) / m * 100.0).round();
    let above = ((hi - m) / m * 100.0).round();
    if (hi - lo) / m * 100.0 < 0.5 {
        " ±<1%".into()
    } else if below.max(above) <= 1.0 {
        " ±1%".into()
    } else if below == above {
        format!(" ±{above:.0}%")
    } else {
        format!(" −{below:.0}/+{above:.0}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_ranks() {
        let v = [3.0, 1.0, 2.0, 10.0];
        assert_eq!(median(&v), Some(2.5));
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&v, 1.0), Some(10.0));
        assert_eq!(quantile(&v, 0.25), Some(1.75));
        assert_eq!(quantile(&[5.0, 1.0, 3.0], 0.5), Some(3.0));
        assert_eq!(quantile(&[7.0], 0.99), Some(7.0));
        assert_eq!(median(&[]), None);
        assert_eq!(range(&v), Some((1.0, 10.0)));
        assert_eq!(range(&[]), None);
    }

    #[test]
    #[should_panic(expected = "q = 1.5")]
    fn a_quantile_outside_0_1_names_it() {
        quantile(&[1.0], 1.5);
    }

    #[test]
    fn spreads_are_symmetric_only_when_the_runs_are() {
        assert_eq!(spread_text(&[96.0, 100.0, 104.0]), " ±4%");
        assert_eq!(spread_text(&[97.0, 100.0, 121.0]), " −3/+21%");
        assert_eq!(spread_text(&[100.0, 100.2, 100.1]), " ±<1%");
        assert_eq!(spread_text(&[99.4, 100.0, 100.4]), " ±1%");
        assert_eq!(spread_text(&[100.0]), "");
        assert_eq!(spread_text(&[]), "");
        assert_eq!(spread_text(&[0.0, 0.0]), "");
    }
}
