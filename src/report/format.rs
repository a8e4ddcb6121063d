//! Numbers and tables for people: p-values, significant digits, aligned text tables. Machine
//! outputs (JSON, CSV) keep full precision and do not go through here.

/// A p-value as people read it: 4 decimals down to 0.001, then 3 significant digits in
/// scientific notation, and below 2e-16 (the double-precision epsilon) "<2e-16", as R prints it.
pub fn fmt_p(p: f64) -> String {
    if p.is_nan() {
        "NA".into()
    } else if p >= 1e-3 {
        format!("{p:.4}")
    } else if p >= 2e-16 {
        format!("{p:.2e}")
    } else {
        "<2e-16".into()
    }
}

/// "= 0.023" or "< 0.001", for a p-value in running text.
pub fn p_phrase(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("= {}", fmt_p(p))
    }
}

/// A number with `sig` significant digits, without needless exponent.
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
