//! Numbers and tables for people: p-values as journals print them, hazard ratios and intervals
//! with a fixed number of decimals, medians that may not be reached, significant digits, aligned
//! text tables. Every command and the study report format numbers here; machine outputs (JSON,
//! CSV) keep full precision and do not go through here.

/// The one separator of an interval's limits: `1.24 (0.98–1.56)`.
pub const DASH: char = '–';

/// What a median (or a limit of its interval) that the curve never reaches is called.
pub const NOT_REACHED: &str = "not reached";

/// Short form of [`NOT_REACHED`] inside an interval, explained in a table's footnote.
pub const NR: &str = "NR";

/// How p-values are printed. The default is the usual journal style (NEJM, JAMA, Lancet):
/// `<0.001` below 0.001, 3 decimals below 0.01, 2 decimals from there on (3 where 2 would round a
/// p-value below 0.05 up to 0.05), and `>0.99` where 2 decimals would print 1.00.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PStyle {
    /// Below this, `<floor` is printed (default 0.001).
    pub floor: f64,
    /// Decimals below `switch` (default 3).
    pub small_decimals: usize,
    /// Where the decimals change (default 0.01).
    pub switch: f64,
    /// Decimals from `switch` on (default 2).
    pub large_decimals: usize,
}

impl Default for PStyle {
    fn default() -> Self {
        PStyle {
            floor: 0.001,
            small_decimals: 3,
            switch: 0.01,
            large_decimals: 2,
        }
    }
}

std::thread_local! {
    /// The style [`fmt_p`] and [`p_phrase`] use on this thread ([`PStyle::enter`]).
    static P_STYLE: std::cell::Cell<PStyle> = std::cell::Cell::new(PStyle::default());
}

/// While alive, [`fmt_p`] and [`p_phrase`] use a style on this thread; dropping it restores the
/// style before.
#[must_use = "the style holds only while the guard lives"]
pub struct PStyleGuard {
    before: PStyle,
}

impl Drop for PStyleGuard {
    fn drop(&mut self) {
        P_STYLE.with(|s| s.set(self.before));
    }
}

impl PStyle {
    /// The names [`PStyle::named`] knows, for options and messages.
    pub const NAMES: [&'static str; 3] = ["journal", "three_decimals", "four_decimals"];

    /// A style by name: `journal` ([`PStyle::default`]), `three_decimals`
    /// ([`PStyle::three_decimals`]) or `four_decimals` ([`PStyle::four_decimals`]).
    pub fn named(name: &str) -> Option<PStyle> {
        match name {
            "journal" => Some(PStyle::default()),
            "three_decimals" => Some(PStyle::three_decimals()),
            "four_decimals" => Some(PStyle::four_decimals()),
            _ => None,
        }
    }

    /// Makes this the style of [`fmt_p`] and [`p_phrase`] on this thread while the guard lives
    /// (a command's or a study's text; JSON and CSV do not go through them).
    pub fn enter(self) -> PStyleGuard {
        PStyleGuard {
            before: P_STYLE.with(|s| s.replace(self)),
        }
    }

    /// The style in force on this thread (the journal style unless [`PStyle::enter`]ed).
    pub fn current() -> PStyle {
        P_STYLE.with(|s| s.get())
    }

    /// Every p-value with 4 decimals down to `<0.0001`, for supplementary tables.
    pub fn four_decimals() -> Self {
        PStyle {
            floor: 0.0001,
            small_decimals: 4,
            switch: 0.01,
            large_decimals: 4,
        }
    }

    /// Every p-value with 3 decimals down to `<0.001`, as some journals ask.
    pub fn three_decimals() -> Self {
        PStyle {
            large_decimals: 3,
            ..Default::default()
        }
    }

    /// A p-value in this style (`<0.001`, `0.004`, `0.043` is `0.04`, `0.12`, `>0.99`); `NA`
    /// for NaN.
    pub fn fmt(&self, p: f64) -> String {
        if p.is_nan() {
            return "NA".into();
        }
        if p < self.floor {
            return format!("<{}", plain_decimal(self.floor));
        }
        let decimals = if p < self.switch {
            self.small_decimals
        } else {
            self.large_decimals
        };
        let mut text = format!("{p:.decimals$}");
        // rounding must not carry a p-value below 0.05 up to 0.05: more decimals where it would
        let mut more = decimals;
        while p < 0.05 && more < 8 && text.parse::<f64>().is_ok_and(|r| r >= 0.05) {
            more += 1;
            text = format!("{p:.more$}");
        }
        let step = 10f64.powi(-(decimals as i32));
        if p >= 1.0 - step / 2.0 {
            return format!(">{:.*}", decimals, 1.0 - step);
        }
        text
    }
}

/// The shortest decimal text of a threshold such as 0.001 (never an exponent).
fn plain_decimal(v: f64) -> String {
    let t = format!("{v:.10}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A p-value in the style in force ([`PStyle::current`]: the journal style, [`PStyle::default`],
/// unless a command or study [`PStyle::enter`]ed another).
pub fn fmt_p(p: f64) -> String {
    PStyle::current().fmt(p)
}

/// "= 0.02" or "< 0.001", for a p-value in running text ("p < 0.001"), in the style in force.
pub fn p_phrase(p: f64) -> String {
    let t = fmt_p(p);
    match t.strip_prefix('<') {
        Some(r) => format!("< {r}"),
        None => match t.strip_prefix('>') {
            Some(r) => format!("> {r}"),
            None => format!("= {t}"),
        },
    }
}

/// Decimals of a hazard ratio and its interval: 2, as journals print them, or 3 where 2 would
/// round the ratio or a limit to 1.00 without it being 1 (a per-year hazard ratio of age,
/// 1.003 (1.001–1.005)), so that an interval never seems to touch 1 when it does not, or would
/// print a limit equal to the ratio (1.03 (1.02–1.03) is 1.025 (1.017–1.034)).
pub fn hr_decimals(hr: f64, lower: f64, upper: f64) -> usize {
    let near_one = |v: f64| v != 1.0 && (v - 1.0).abs() < 0.005;
    let two = |v: f64| format!("{v:.2}");
    let merged = (lower < hr && two(lower) == two(hr)) || (upper > hr && two(upper) == two(hr));
    if near_one(hr) || near_one(lower) || near_one(upper) || merged {
        3
    } else {
        2
    }
}

/// An estimate with its interval, `decimals` fixed: `1.24 (0.98–1.56)`.
pub fn fmt_est_ci(est: f64, lower: f64, upper: f64, decimals: usize) -> String {
    format!("{est:.decimals$} ({lower:.decimals$}{DASH}{upper:.decimals$})")
}

/// A hazard ratio with its interval at [`hr_decimals`]: `1.24 (0.98–1.56)`.
pub fn fmt_hr_ci(hr: f64, lower: f64, upper: f64) -> String {
    fmt_est_ci(hr, lower, upper, hr_decimals(hr, lower, upper))
}

/// A limit of an interval: the number by `num`, or [`NR`] when not reached.
fn limit(v: Option<f64>, num: &dyn Fn(f64) -> String) -> String {
    v.map_or(NR.to_string(), num)
}

/// A median with its interval, numbers written by `num`: `55 (40–64)`, `55 (40–NR)` where the
/// upper limit is not reached, and [`NOT_REACHED`] once where the median itself is not.
pub fn fmt_median_ci(
    median: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
    num: &dyn Fn(f64) -> String,
) -> String {
    match median {
        None => NOT_REACHED.to_string(),
        Some(m) => format!(
            "{} ({}{DASH}{})",
            num(m),
            limit(lower, num),
            limit(upper, num)
        ),
    }
}

/// A lower and an upper limit joined by the interval dash: `0.98–1.56` (limits as given).
pub fn fmt_range(lower: &str, upper: &str) -> String {
    format!("{lower}{DASH}{upper}")
}

/// The name of a horizon for people: whole years where the time unit makes one (12, 24 months;
/// 365 or 365.25 days, within a day; 52 weeks), else the time with its unit ("18 months",
/// "1 day"), or "time 36" without a unit.
pub fn horizon_label(t: f64, unit: Option<&str>) -> String {
    let u = unit.unwrap_or("").trim();
    if u.is_empty() {
        return format!("time {}", crate::model::spec::format_number(t));
    }
    let lower = u.to_ascii_lowercase();
    let years = |n: f64| {
        if n == 1.0 {
            "1 year".to_string()
        } else {
            format!("{} years", crate::model::spec::format_number(n))
        }
    };
    let whole = |per_year: f64, slack: f64| -> Option<f64> {
        let y = (t / per_year).round();
        (y >= 1.0 && (t - y * per_year).abs() <= slack).then_some(y)
    };
    let y = if lower.starts_with("month") {
        whole(12.0, 1e-9)
    } else if lower.starts_with("day") {
        whole(365.25, 1.0)
    } else if lower.starts_with("week") {
        whole(365.25 / 7.0, 0.2)
    } else if lower.starts_with("year") {
        whole(1.0, 1e-9)
    } else {
        None
    };
    match y {
        Some(y) => years(y),
        None => {
            let n = crate::model::spec::format_number(t);
            // "1 month", "1 day": the singular for one
            let unit = if t == 1.0 {
                u.strip_suffix('s').unwrap_or(u)
            } else {
                u
            };
            format!("{n} {unit}")
        }
    }
}

/// A horizon's label before a noun: "1 year" is "1-year" ("1-year survival"), "18 months"
/// "18-month"; a label of another form is kept.
pub fn horizon_adjective(label: &str) -> String {
    match label.split_once(' ') {
        Some((n, u)) if n.parse::<f64>().is_ok() && !u.contains(' ') => {
            format!("{n}-{}", u.strip_suffix('s').unwrap_or(u))
        }
        _ => label.to_string(),
    }
}

/// A horizon's label as part of a file name: `1_year`, `18_months`.
pub fn horizon_slug(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .split('_')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// A number with `sig` significant digits, without needless exponent (an exponent outside
/// 1e-4..1e7: for terminal output of raw estimates; reports use [`fmt_plain`]).
pub fn fmt_sig(v: f64, sig: usize) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    if v == 0.0 {
        return "0".into();
    }
    let mag = v.abs().log10().floor() as i32;
    if !(-4..=6).contains(&mag) {
        return format!("{:.*e}", sig.saturating_sub(1), v);
    }
    let decimals = (sig as i32 - 1 - mag).max(0) as usize;
    format!("{v:.decimals$}")
}

/// A number with `sig` significant digits and never an exponent (`-0.0000355`, `1234567`), for
/// reports.
pub fn fmt_plain(v: f64, sig: usize) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    if v == 0.0 {
        return "0".into();
    }
    let mag = v.abs().log10().floor() as i32;
    let decimals = (sig as i32 - 1 - mag).clamp(0, 17) as usize;
    format!("{v:.decimals$}")
}

/// As `fmt_sig`, without trailing zeros after the decimal point (`-0.50000` is `-0.5`).
pub fn fmt_sig_short(v: f64, sig: usize) -> String {
    let t = fmt_sig(v, sig);
    if t.contains('.') && !t.contains('e') {
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        t
    }
}

/// Lays out rows of cells in aligned columns (first column left-aligned, others right-aligned).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let ncol = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        for (k, c) in cells.iter().enumerate() {
            let pad = width[k] - c.chars().count();
            if k == 0 {
                out.push_str(c);
                out.push_str(&" ".repeat(pad));
            } else {
                out.push_str("  ");
                out.push_str(&" ".repeat(pad));
                out.push_str(c);
            }
        }
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for r in rows {
        line(r.iter().take(ncol).map(|s| s.as_str()).collect(), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_values_as_journals_print_them() {
        let cases = [
            (8.15e-9, "<0.001"),
            (0.0, "<0.001"),
            (0.000999, "<0.001"),
            (0.001, "0.001"),
            (0.00449, "0.004"),
            (0.0096, "0.010"),
            (0.043, "0.04"),
            (0.0496, "0.0496"),
            (0.04996, "0.04996"),
            (0.051, "0.05"),
            (0.12, "0.12"),
            (0.994, "0.99"),
            (0.996, ">0.99"),
            (1.0, ">0.99"),
        ];
        for (p, want) in cases {
            assert_eq!(fmt_p(p), want, "p = {p}");
        }
        assert_eq!(fmt_p(f64::NAN), "NA");
        let three = PStyle::three_decimals();
        assert_eq!(three.fmt(0.043), "0.043");
        assert_eq!(three.fmt(0.9996), ">0.999");
        assert_eq!(p_phrase(1e-20), "< 0.001");
        assert_eq!(p_phrase(0.0231), "= 0.02");
        assert_eq!(p_phrase(0.999), "> 0.99");
    }

    #[test]
    fn a_style_entered_holds_on_its_thread_until_dropped() {
        assert_eq!(fmt_p(0.0431), "0.04");
        {
            let _g = PStyle::named("three_decimals").unwrap().enter();
            assert_eq!(fmt_p(0.0431), "0.043");
            assert_eq!(p_phrase(0.0431), "= 0.043");
            {
                let _h = PStyle::named("four_decimals").unwrap().enter();
                assert_eq!(fmt_p(0.00004), "<0.0001");
                assert_eq!(fmt_p(0.12345), "0.1235");
            }
            assert_eq!(fmt_p(0.12345), "0.123");
        }
        assert_eq!(fmt_p(0.0431), "0.04");
        assert_eq!(PStyle::named("journal"), Some(PStyle::default()));
        assert!(PStyle::named("apa").is_none());
        for n in PStyle::NAMES {
            assert!(PStyle::named(n).is_some(), "{n}");
        }
    }

    #[test]
    fn p_rounding_never_crosses_005() {
        for k in 0..100_000 {
            let p = k as f64 / 100_000.0;
            let t = fmt_p(p);
            assert!(!t.contains('e'), "{t}");
            if let Ok(v) = t.parse::<f64>() {
                assert_eq!(p < 0.05, v < 0.05, "{p} printed {t}");
            }
        }
    }

    #[test]
    fn hazard_ratios_have_fixed_decimals() {
        assert_eq!(fmt_hr_ci(1.2413, 0.9849, 1.5634), "1.24 (0.98–1.56)");
        // an upper limit of 1.004 would print as 1.00: three decimals
        assert_eq!(fmt_hr_ci(0.983, 0.961, 1.004), "0.983 (0.961–1.004)");
        assert_eq!(fmt_hr_ci(1.0251, 1.0135, 1.0368), "1.03 (1.01–1.04)");
        assert_eq!(fmt_hr_ci(2.0, 1.5, 3.0), "2.00 (1.50–3.00)");
        // limits that 2 decimals would print equal to the ratio
        assert_eq!(fmt_hr_ci(1.02512, 1.01651, 1.03380), "1.025 (1.017–1.034)");
        assert_eq!(hr_decimals(1.0, 1.0, 1.0), 2);
    }

    #[test]
    fn medians_say_not_reached_once() {
        let num = |v: f64| format!("{v}");
        assert_eq!(fmt_median_ci(None, None, None, &num), "not reached");
        assert_eq!(fmt_median_ci(None, Some(3.0), None, &num), "not reached");
        assert_eq!(
            fmt_median_ci(Some(55.0), Some(40.0), None, &num),
            "55 (40–NR)"
        );
        assert_eq!(
            fmt_median_ci(Some(55.0), Some(40.0), Some(64.0), &num),
            "55 (40–64)"
        );
    }

    #[test]
    fn horizons_are_named_in_years_where_they_are_years() {
        let m = Some("months");
        assert_eq!(horizon_label(12.0, m), "1 year");
        assert_eq!(horizon_label(36.0, m), "3 years");
        assert_eq!(horizon_label(18.0, m), "18 months");
        assert_eq!(horizon_label(1.0, m), "1 month");
        let d = Some("days");
        assert_eq!(horizon_label(365.0, d), "1 year");
        assert_eq!(horizon_label(1096.0, d), "3 years");
        assert_eq!(horizon_label(1826.0, d), "5 years");
        assert_eq!(horizon_label(500.0, d), "500 days");
        assert_eq!(horizon_label(52.0, Some("weeks")), "1 year");
        assert_eq!(horizon_label(2.0, Some("years")), "2 years");
        assert_eq!(horizon_label(36.0, None), "time 36");
        assert_eq!(horizon_slug("1 year"), "1_year");
        assert_eq!(horizon_adjective("3 years"), "3-year");
        assert_eq!(horizon_adjective("18 months"), "18-month");
        assert_eq!(horizon_adjective("time 36"), "time 36");
        assert_eq!(horizon_slug("time 36.5"), "time_36.5");
    }

    #[test]
    fn plain_numbers_have_no_exponent() {
        assert_eq!(fmt_plain(-3.54856804207913e-05, 3), "-0.0000355");
        assert_eq!(fmt_plain(1234567.0, 3), "1234567");
        assert_eq!(fmt_plain(0.02507, 4), "0.02507");
        assert_eq!(fmt_sig(1.5e-9, 3), "1.50e-9");
    }
}
