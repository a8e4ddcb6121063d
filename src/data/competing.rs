//! A competing-risks outcome read from a table: an event column with several values, one meaning
//! censoring (default "0"), one the event of interest (`--cause`), every other a competing event.
//! The complete cases, covariates, strata and row counts are those of [`cohort::prepare`] for the
//! same request with "any event" as the event.

use super::cohort::{self, FitRequest, Prepared};
use super::csv::{DataError, DataErrorKind, Table};
use crate::model::spec::{format_number, match_level};
use crate::stats::competing::{CompetingError, CompetingSurv};

/// The rows of a competing-risks analysis.
#[derive(Debug, Clone)]
pub struct PreparedCompeting {
    /// Complete cases, design, strata (`--by`) and counts; its `surv` has "any event" as the event.
    pub prepared: Prepared,
    /// Cause code per used row (0 censored, k = `causes[k - 1]`).
    pub surv: CompetingSurv,
    /// The event column's label of each cause code 1..; the event of interest first when named.
    pub causes: Vec<String>,
    /// The labels meaning censoring.
    pub censor_values: Vec<String>,
}

impl PreparedCompeting {
    /// Events of each cause among the used rows, in the order of [`Self::causes`].
    pub fn events(&self) -> Vec<usize> {
        (1..=self.causes.len() as u32)
            .map(|k| self.surv.n_events(k))
            .collect()
    }
}

/// The distinct non-missing labels of a column, numbers in numeric order.
fn labels_of(table: &Table, name: &str) -> Vec<String> {
    let col = table.column(name).expect("column was read");
    let mut labels: Vec<String> = if col.codes.is_empty() {
        let mut v: Vec<f64> = col.values().into_iter().filter(|x| !x.is_nan()).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        v.dedup();
        v.into_iter().map(format_number).collect()
    } else {
        col.labels.clone()
    };
    cohort::sort_levels(&mut labels);
    labels
}

/// Reads the competing-risks outcome of `req` (its `event_values` must be empty: every value that
/// is not censoring is an event of some cause) with `cause` as the event of interest (cause 1; the
/// other causes follow in the column's level order). Without `cause`, causes are numbered in
/// level order.
pub fn prepare_competing(
    table: &Table,
    req: &FitRequest,
    cause: Option<&str>,
) -> Result<PreparedCompeting, DataError> {
    let censor_values = if req.censor_values.is_empty() {
        vec!["0".to_string()]
    } else {
        req.censor_values.clone()
    };
    let labels = labels_of(table, &req.event);
    let mut causes: Vec<String> = labels
        .iter()
        .filter(|l| match_level(&censor_values, l).is_none())
        .cloned()
        .collect();
    if let Some(c) = cause {
        let Some(pos) = causes
            .iter()
            .position(|l| match_level(&[c.to_string()], l).is_some())
        else {
            let why = if match_level(&censor_values, c).is_some() {
                format!("--cause {c} is also the censoring value")
            } else {
                format!("--cause {c} is not a value of the event column")
            };
            return Err(DataError::new(DataErrorKind::BadOption, &table.path, why)
                .column(&req.event)
                .hint(format!(
                    "the column's values are: {}; censoring: {}",
                    labels.join(", "),
                    censor_values.join(", ")
                )));
        };
        let c = causes.remove(pos);
        causes.insert(0, c);
    }
    if causes.is_empty() {
        return Err(DataError::new(
            DataErrorKind::NoEvents,
            &table.path,
            format!(
                "the event column has no value other than censoring ({})",
                censor_values.join(", ")
            ),
        )
        .column(&req.event)
        .hint("name the censoring value with --censor-value"));
    }
    let any = FitRequest {
        event_values: causes.clone(),
        censor_values: censor_values.clone(),
        ..req.clone()
    };
    let prepared = cohort::prepare(table, &any)?;
    let col = table.column(&req.event).expect("column was read");
    let code_of = |label: &str| -> u32 {
        causes
            .iter()
            .position(|c| match_level(std::slice::from_ref(c), label).is_some())
            .map_or(0, |k| k as u32 + 1)
    };
    let by_label: Vec<u32> = col.labels.iter().map(|l| code_of(l)).collect();
    let cause_codes: Vec<u32> = prepared
        .rows
        .iter()
        .map(|&i| {
            if col.codes.is_empty() {
                code_of(&col.label(i).expect("complete row"))
            } else {
                by_label[col.codes[i] as usize]
            }
        })
        .collect();
    let surv = CompetingSurv::with_causes(
        prepared.surv.time().to_vec(),
        cause_codes,
        causes.len() as u32,
    )
    .map_err(|e| competing_error(table, &req.event, e))?;
    Ok(PreparedCompeting {
        prepared,
        surv,
        causes,
        censor_values,
    })
}

/// A competing-risks error of the core as an error about the table.
pub fn competing_error(table: &Table, column: &str, e: CompetingError) -> DataError {
    DataError::new(DataErrorKind::BadOption, &table.path, e.to_string()).column(column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::csv::{read_csv_bytes, ReadOptions};

    fn table(text: &str) -> Table {
        read_csv_bytes(
            text.as_bytes(),
            "t.csv",
            &["time", "status", "g"],
            &ReadOptions::default(),
        )
        .unwrap()
    }

    fn req() -> FitRequest {
        FitRequest {
            time: "time".into(),
            event: "status".into(),
            ..FitRequest::default()
        }
    }

    #[test]
    fn causes_in_level_order_and_the_named_cause_first() {
        let t = table("time,status,g\n1,2,a\n2,0,a\n3,1,b\n4,2,b\n5,,b\n");
        let p = prepare_competing(&t, &req(), None).unwrap();
        assert_eq!(p.causes, vec!["1", "2"]);
        assert_eq!(p.surv.cause(), &[2, 0, 1, 2]);
        assert_eq!(p.events(), vec![1, 2]);
        assert_eq!(p.prepared.counts.dropped, 1);
        let p = prepare_competing(&t, &req(), Some("2")).unwrap();
        assert_eq!(p.causes, vec!["2", "1"]);
        assert_eq!(p.surv.cause(), &[1, 0, 2, 1]);
    }

    #[test]
    fn text_labels_with_a_named_censoring_value() {
        let t = table("time,status,g\n1,cancer,a\n2,alive,a\n3,other,b\n4,cancer,b\n");
        let mut r = req();
        r.censor_values = vec!["alive".into()];
        let p = prepare_competing(&t, &r, Some("cancer")).unwrap();
        assert_eq!(p.causes, vec!["cancer", "other"]);
        assert_eq!(p.surv.cause(), &[1, 0, 2, 1]);
    }

    #[test]
    fn a_cause_that_is_not_in_the_column_is_an_error_naming_the_values() {
        let t = table("time,status,g\n1,2,a\n2,0,a\n3,1,b\n");
        let e = prepare_competing(&t, &req(), Some("3"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--cause 3") && e.contains("0, 1, 2"), "{e}");
        let e = prepare_competing(&t, &req(), Some("0"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("censoring"), "{e}");
        let t = table("time,status,g\n1,0,a\n2,0,a\n");
        let e = prepare_competing(&t, &req(), None).unwrap_err().to_string();
        assert!(e.contains("no value other than censoring"), "{e}");
    }
}
