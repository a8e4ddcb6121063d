//! Model checks for people and programs: the proportional-hazards test table (text and JSON) and
//! the residual tables (CSV and JSON) of `prognosis ph-test` and `prognosis residuals`.
//! JSON and CSV keep full precision; the text table rounds for reading.

use crate::report::doc::csv_text;
use crate::report::format::{fmt_p, fmt_sig, table};
use crate::stats::residuals::CoxResiduals;
use crate::stats::zph::{Zph, ZphTest};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// Terms whose test has p below this are flagged.
pub const PH_ALPHA: f64 = 0.05;

/// The test table as text: one line per term and GLOBAL, with a note on the terms with p < 0.05.
pub fn ph_test_text(z: &Zph, data_label: &str, n: usize, events: usize) -> String {
    let rows: Vec<Vec<String>> = z
        .terms
        .iter()
        .chain(std::iter::once(&z.global))
        .map(|t| {
            vec![
                t.term.clone(),
                fmt_sig(t.chisq, 4),
                t.df.to_string(),
                fmt_p(t.p),
            ]
        })
        .collect();
    let mut s = format!(
        "Proportional-hazards test (cox.zph, transform {}) on {data_label}: n = {n}, events = {events}\n\n",
        z.transform
    );
    s.push_str(&table(&["term", "chisq", "df", "p"], &rows));
    s.push('\n');
    s.push_str(&ph_flag_sentence(&z.terms));
    s.push('\n');
    s
}

/// One sentence on the terms whose test has p < 0.05, with the usual remedies, or that none has.
pub fn ph_flag_sentence(terms: &[ZphTest]) -> String {
    let flagged: Vec<String> = terms
        .iter()
        .filter(|t| t.p < PH_ALPHA)
        .map(|t| format!("{} (p {})", t.term, crate::report::format::p_phrase(t.p)))
        .collect();
    if flagged.is_empty() {
        "No term departs from proportional hazards at p < 0.05.".into()
    } else {
        format!(
            "Proportional hazards is questionable (p < 0.05) for {}: consider stratifying on the \
             term, or letting its effect change with time (a time interaction); look at its scaled \
             Schoenfeld residuals.",
            flagged.join(", ")
        )
    }
}

#[derive(Serialize)]
struct PhJson<'a> {
    transform: String,
    n: usize,
    events: usize,
    /// One object per term, then GLOBAL.
    tests: Vec<&'a ZphTest>,
}

/// The test as JSON: `transform`, `n`, `events` and `tests` (`term`, `chisq`, `df`, `p`, the last
/// with `term` = "GLOBAL").
pub fn ph_test_json(z: &Zph, n: usize, events: usize) -> String {
    let j = PhJson {
        transform: z.transform.to_string(),
        n,
        events,
        tests: z.terms.iter().chain(std::iter::once(&z.global)).collect(),
    };
    serde_json::to_string_pretty(&j).expect("serialises") + "\n"
}

/// A kind of residual: per row (martingale, deviance, dfbeta, score) or per event (Schoenfeld,
/// scaled Schoenfeld).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResidualKind {
    Martingale,
    Deviance,
    Dfbeta,
    Score,
    Schoenfeld,
    Scaled,
}

impl ResidualKind {
    pub fn per_event(self) -> bool {
        matches!(self, ResidualKind::Schoenfeld | ResidualKind::Scaled)
    }

    fn name(self) -> &'static str {
        match self {
            ResidualKind::Martingale => "martingale",
            ResidualKind::Deviance => "deviance",
            ResidualKind::Dfbeta => "dfbeta",
            ResidualKind::Score => "score",
            ResidualKind::Schoenfeld => "schoenfeld",
            ResidualKind::Scaled => "scaled",
        }
    }
}

impl fmt::Display for ResidualKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ResidualKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "martingale" => ResidualKind::Martingale,
            "deviance" => ResidualKind::Deviance,
            "dfbeta" => ResidualKind::Dfbeta,
            "score" => ResidualKind::Score,
            "schoenfeld" => ResidualKind::Schoenfeld,
            "scaled" | "scaledsch" => ResidualKind::Scaled,
            other => {
                return Err(format!(
                    "unknown residual type '{other}': use martingale, deviance, dfbeta, score \
                     (per row) or schoenfeld, scaled (per event)"
                ))
            }
        })
    }
}

/// What identifies each row of a residual table.
pub struct ResidualRows<'a> {
    /// File line of each used row (per-row residuals are in this order).
    pub lines: &'a [u64],
    pub time: &'a [f64],
    pub event: &'a [bool],
    /// Stratum label of each used row, when the model has strata.
    pub strata: Option<(&'a [usize], &'a [String])>,
    /// The model's term names (columns of dfbeta, score, Schoenfeld).
    pub terms: &'a [String],
}

/// A residual table: header and numbers as text (full precision).
pub struct ResidualTable {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn num(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        format!("{v}")
    }
}

/// The table of the residuals `kinds` (all per row or all per event): per row, `line`, `time`,
/// `event`, [`stratum`], then `martingale`, `deviance`, `dfbeta_<term>`..., `score_<term>`...
/// in the order asked; per event (R's order: stratum, time, input order), `line`, `time`,
/// [`stratum`], then `schoenfeld_<term>`..., `scaled_<term>`....
pub fn residual_table(
    res: &CoxResiduals,
    rows: &ResidualRows<'_>,
    kinds: &[ResidualKind],
) -> ResidualTable {
    let per_event = kinds.first().is_some_and(|k| k.per_event());
    let mut header: Vec<String> = vec!["line".into(), "time".into()];
    if !per_event {
        header.push("event".into());
    }
    if rows.strata.is_some() {
        header.push("stratum".into());
    }
    for &k in kinds {
        match k {
            ResidualKind::Martingale | ResidualKind::Deviance => header.push(k.name().into()),
            _ => header.extend(rows.terms.iter().map(|t| format!("{}_{t}", k.name()))),
        }
    }
    let stratum_label = |s: usize| rows.strata.map(|(_, labels)| labels[s].clone());
    let out: Vec<Vec<String>> = if per_event {
        (0..res.event_rows.len())
            .map(|e| {
                let i = res.event_rows[e];
                let mut r = vec![rows.lines[i].to_string(), num(res.event_time[e])];
                r.extend(stratum_label(res.event_stratum[e]));
                for &k in kinds {
                    let m = if k == ResidualKind::Schoenfeld {
                        res.schoenfeld_row(e)
                    } else {
                        res.scaled_row(e)
                    };
                    r.extend(m.iter().map(|&v| num(v)));
                }
                r
            })
            .collect()
    } else {
        (0..res.martingale.len())
            .map(|i| {
                let mut r = vec![
                    rows.lines[i].to_string(),
                    num(rows.time[i]),
                    (rows.event[i] as u8).to_string(),
                ];
                r.extend(rows.strata.and_then(|(s, _)| stratum_label(s[i])));
                for &k in kinds {
                    match k {
                        ResidualKind::Martingale => r.push(num(res.martingale[i])),
                        ResidualKind::Deviance => r.push(num(res.deviance[i])),
                        ResidualKind::Dfbeta => r.extend(res.dfbeta_row(i).iter().map(|&v| num(v))),
                        _ => r.extend(res.score_row(i).iter().map(|&v| num(v))),
                    }
                }
                r
            })
            .collect()
    };
    ResidualTable { header, rows: out }
}

impl ResidualTable {
    pub fn csv(&self) -> String {
        String::from_utf8(csv_text(&self.header, &self.rows)).expect("UTF-8")
    }

    /// An array of objects, one per row, keyed by the CSV's column names in their order; `line`
    /// and `event` are integers, `stratum` text, the rest numbers (null where not defined).
    pub fn json(&self) -> String {
        let keys: Vec<String> = self
            .header
            .iter()
            .map(|h| serde_json::to_string(h).expect("serialises"))
            .collect();
        let mut s = String::from("[");
        for (k, r) in self.rows.iter().enumerate() {
            s.push_str(if k == 0 { "\n  {" } else { ",\n  {" });
            for (j, ((h, key), v)) in self.header.iter().zip(&keys).zip(r).enumerate() {
                let value = if h == "stratum" {
                    serde_json::to_string(v).expect("serialises")
                } else if v.is_empty() {
                    "null".into()
                } else {
                    v.clone()
                };
                if j > 0 {
                    s.push_str(", ");
                }
                s.push_str(key);
                s.push_str(": ");
                s.push_str(&value);
            }
            s.push('}');
        }
        s.push_str("\n]\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(term: &str, p: f64) -> ZphTest {
        ZphTest {
            term: term.into(),
            chisq: 1.0,
            df: 1,
            p,
        }
    }

    #[test]
    fn flag_sentence_names_the_terms_below_005() {
        let s = ph_flag_sentence(&[test("age", 0.2), test("size", 0.01), test("er", 0.0001)]);
        assert!(s.contains("size (p = 0.01)"), "{s}");
        assert!(s.contains("er (p < 0.001)"), "{s}");
        assert!(!s.contains("age"), "{s}");
        assert!(s.contains("stratif"), "{s}");
        assert_eq!(s.matches("0.05").count(), 1, "{s}");
        let none = ph_flag_sentence(&[test("age", 0.2)]);
        assert!(none.starts_with("No term"), "{none}");
    }

    #[test]
    fn residual_json_keeps_the_column_order_and_reads_back() {
        let t = ResidualTable {
            header: vec![
                "line".into(),
                "time".into(),
                "stratum".into(),
                "b_x".into(),
                "a_y".into(),
            ],
            rows: vec![
                vec![
                    "2".into(),
                    "5.5".into(),
                    "a\"b".into(),
                    "-0.25".into(),
                    "".into(),
                ],
                vec![
                    "3".into(),
                    "7".into(),
                    "c".into(),
                    "1e-300".into(),
                    "3".into(),
                ],
            ],
        };
        let j = t.json();
        assert!(j.find("b_x").unwrap() < j.find("a_y").unwrap(), "{j}");
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v[0]["line"], 2);
        assert_eq!(v[0]["stratum"], "a\"b");
        assert_eq!(v[0]["b_x"], -0.25);
        assert!(v[0]["a_y"].is_null());
        assert_eq!(v[1]["b_x"], 1e-300);
    }

    #[test]
    fn residual_kinds_parse() {
        assert_eq!("Scaled".parse::<ResidualKind>(), Ok(ResidualKind::Scaled));
        assert!("x"
            .parse::<ResidualKind>()
            .unwrap_err()
            .contains("martingale"));
        assert!(ResidualKind::Schoenfeld.per_event());
        assert!(!ResidualKind::Dfbeta.per_event());
    }
}
