//! The analysis-ready cohort derived from an export: the rules in order with the attrition
//! table, the development/validation split, and the analysis file.

use super::*;

// =============================================================================================
// The cohort
// =============================================================================================

/// The values of one analysis column, for the cohort's rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// One number per row.
    Numbers(Vec<f64>),
    /// A level per row (index into `levels`).
    Levels {
        levels: Vec<String>,
        codes: Vec<u32>,
    },
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::Numbers(v) => v.len(),
            Values::Levels { codes, .. } => codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number in `row` (None for a level).
    pub fn number(&self, row: usize) -> Option<f64> {
        match self {
            Values::Numbers(v) => Some(v[row]),
            Values::Levels { .. } => None,
        }
    }

    /// The value in `row` as written in the analysis file.
    pub fn text(&self, row: usize) -> String {
        match self {
            Values::Numbers(v) => format_number(v[row]),
            Values::Levels { levels, codes } => levels[codes[row] as usize].clone(),
        }
    }
}

/// One covariate of the cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortVariable {
    /// Analysis name.
    pub name: String,
    /// Display label.
    pub label: String,
    /// Source column of the export.
    pub column: String,
    pub values: Values,
    /// Reference level (categorical covariates).
    pub reference: Option<String>,
}

/// Development or validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Development,
    Validation,
}

impl Split {
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Development => "development",
            Split::Validation => "validation",
        }
    }
}

/// A count over the whole export and, with a split, per split.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Count {
    pub all: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub development: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<usize>,
}

/// Why rows were excluded at a step: a label (quoted), a range bound, or (complete-case step)
/// a variable name. A row counts once per step, except in the complete-case step, where a row
/// missing two variables counts under both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub value: String,
    pub excluded: usize,
}

/// One line of the attrition table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttritionStep {
    /// The rule's label, or the complete-case step's.
    pub label: String,
    /// The rule's number (1-based); None for the complete-case step.
    pub rule: Option<usize>,
    pub excluded: Count,
    pub remaining: Count,
    /// Breakdown of the excluded rows (only reasons that occurred).
    pub reasons: Vec<Reason>,
}

/// Label of the automatic last step.
pub const COMPLETE_CASE_LABEL: &str = "missing value in a model variable (complete-case)";

/// The attrition table: from the export's rows, rule by rule, to the cohort.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attrition {
    /// The export file.
    pub export: String,
    pub start: Count,
    pub steps: Vec<AttritionStep>,
    #[serde(rename = "final")]
    pub final_n: Count,
    /// Events in the cohort.
    pub events: Count,
    /// With `[competing_risks]`: the cohort's rows by cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub causes: Option<CauseCounts>,
}

/// The cohort's rows by cause (with `[competing_risks]`): events of interest, competing events
/// and censored rows; the three add up to the cohort.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CauseCounts {
    pub events: Count,
    pub competing: Count,
    pub censored: Count,
}

/// The cause of every cohort row (with `[competing_risks]`).
#[derive(Debug, Clone, PartialEq)]
pub struct CauseColumn {
    /// The analysis file's column name.
    pub name: String,
    /// 0 censored, 1 the event of interest, 2 the competing event.
    pub cause: Vec<u32>,
}

impl Attrition {
    /// Whether the counts are given per split set too.
    pub fn has_split(&self) -> bool {
        self.start.development.is_some()
    }
}

/// The analysis-ready cohort: one row per included patient.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    /// The export file, as named.
    pub export: String,
    /// SHA-256 of the export's bytes.
    pub sha256: String,
    /// Line of each row in the export.
    pub lines: Vec<u64>,
    /// The identifier column (analysis name, values), when the specification names one.
    pub id: Option<(String, Values)>,
    pub time_name: String,
    pub time_unit: Option<String>,
    pub time: Vec<f64>,
    pub event_name: String,
    pub status: Vec<bool>,
    /// With `[competing_risks]`: each row's cause.
    pub cause: Option<CauseColumn>,
    pub covariates: Vec<CohortVariable>,
    /// Per row, its split (when the specification has `[split]`).
    pub split: Option<Vec<Split>>,
    pub attrition: Attrition,
}

/// The export's column `name`, or an error naming the specification field that uses it.
fn export_column<'t>(
    spec: &StudySpec,
    table: &'t Table,
    name: &str,
) -> Result<&'t Column, RegistryError> {
    table.column(name).ok_or_else(|| {
        RegistryError::Data(
            DataError::new(
                DataErrorKind::MissingColumn,
                &table.path,
                format!(
                    "the table has no column '{name}' (named by {} in {})",
                    spec.column_user(name),
                    spec.path
                ),
            )
            .column(name)
            .hint("read the export with registry::read_export"),
        )
    })
}

/// The analysis variables (time, event, then the covariates) compiled against the export's
/// columns; every column a rule names must exist.
fn compile_variables<'t, 's>(
    spec: &'s StudySpec,
    table: &'t Table,
) -> Result<Vec<VarEval<'t, 's>>, RegistryError> {
    let col = |name: &str| export_column(spec, table, name);
    let mut vars: Vec<VarEval<'t, 's>> = Vec::with_capacity(spec.covariates.len() + 2);
    let t = &spec.outcome.time;
    vars.push(VarEval::new(
        &t.name,
        format!("outcome time '{}'", t.name),
        "outcome.time.unknown".into(),
        col(&t.column)?,
        VarKind::Time(t),
    ));
    let e = &spec.outcome.event;
    vars.push(VarEval::new(
        &e.name,
        format!("outcome event '{}'", e.name),
        "outcome.event (event, censor or exclude)".into(),
        col(&e.column)?,
        VarKind::Event(e),
    ));
    for c in &spec.covariates {
        vars.push(VarEval::new(
            &c.name,
            format!("covariate '{}'", c.name),
            match c.read {
                Reader::Map => format!("covariates[{}].map", c.name),
                Reader::Codes => format!("covariates[{}].codes", c.name),
                _ => format!("covariates[{}].missing", c.name),
            },
            col(&c.column)?,
            VarKind::Cov(CovReader::new(c)),
        ));
    }
    for r in &spec.rules {
        if let Some(c) = &r.column {
            col(c)?;
        }
    }
    Ok(vars)
}

/// Fate of each export row: the index of the rule that excluded it, `n_rules` for a missing
/// value in a model variable, or [`KEPT`].
const KEPT: u16 = u16::MAX;

/// Every row's fate, with the exclusions counted per rule and reason and the complete-case
/// exclusions per variable.
struct Fates {
    fate: Vec<u16>,
    rule_counts: Vec<Vec<usize>>,
    cc_counts: Vec<usize>,
}

/// Phase 1: the rules in order, then complete cases, for every row, in parallel pieces (each
/// piece stops at its first problem; the problem of the earliest piece is the first in the file).
fn decide_rows(
    spec: &StudySpec,
    table: &Table,
    vars: &[VarEval],
    rules: &mut [RuleEval],
) -> Result<Fates, RegistryError> {
    let n = table.n_rows();
    let n_rules = rules.len();
    assert!(n_rules < KEPT as usize - 1, "too many rules");
    let decide_piece = |start: usize, fate: &mut [u16]| -> Result<ChunkOut, RegistryError> {
        let mut o = ChunkOut {
            rule_counts: rules.iter().map(|r| vec![0; r.reasons.len()]).collect(),
            local: (0..n_rules).map(|_| LocalReasons::default()).collect(),
            cc_counts: vec![0; vars.len()],
        };
        let mut missing = vec![false; vars.len()];
        'rows: for (f, i) in fate.iter_mut().zip(start..) {
            for (k, r) in rules.iter().enumerate() {
                match r.decide(i, vars, &mut o.local[k]) {
                    Decision::Keep => {}
                    Decision::Drop(reason) => {
                        let c = &mut o.rule_counts[k];
                        if c.len() <= reason as usize {
                            c.resize(reason as usize + 1, 0);
                        }
                        c[reason as usize] += 1;
                        *f = k as u16;
                        continue 'rows;
                    }
                    d => return Err(r.error(table, spec, vars, i, d)),
                }
            }
            let mut any_missing = false;
            for (j, v) in vars.iter().enumerate() {
                let s = v.slot(i);
                match s {
                    Slot::Unknown | Slot::Bad(_) => return Err(v.error(table, spec, i, s)),
                    Slot::Missing => any_missing = true,
                    Slot::Value { .. } => {}
                }
                missing[j] = matches!(s, Slot::Missing);
            }
            if any_missing {
                for (c, &m) in o.cc_counts.iter_mut().zip(&missing) {
                    *c += usize::from(m);
                }
                *f = n_rules as u16;
            } else {
                *f = KEPT;
            }
        }
        Ok(o)
    };
    const PIECE: usize = 1 << 16;
    let mut fate: Vec<u16> = vec![KEPT; n];
    let pieces: Vec<Result<ChunkOut, RegistryError>> = fate
        .par_chunks_mut(PIECE)
        .enumerate()
        .map(|(k, f)| decide_piece(k * PIECE, f))
        .collect();
    let own_reasons: Vec<usize> = rules.iter().map(|r| r.reasons.len()).collect();
    let mut rule_counts: Vec<Vec<usize>> = rules.iter().map(|r| vec![0; r.reasons.len()]).collect();
    let mut cc_counts = vec![0usize; vars.len()];
    for piece in pieces {
        let o = piece?;
        for (k, (counts, local)) in o.rule_counts.iter().zip(&o.local).enumerate() {
            let own = own_reasons[k];
            for (id, &c) in counts.iter().enumerate() {
                if c == 0 {
                    continue;
                }
                let global = if id < own {
                    id
                } else {
                    let name = &local.names[id - own];
                    let rule = &mut rules[k];
                    let next = rule.reasons.len() as u32;
                    let g = *rule.reason_ix.entry(name.clone()).or_insert(next);
                    if g == next {
                        rule.reasons.push(name.clone());
                    }
                    g as usize
                };
                let total = &mut rule_counts[k];
                if total.len() <= global {
                    total.resize(global + 1, 0);
                }
                total[global] += c;
            }
        }
        for (a, b) in cc_counts.iter_mut().zip(&o.cc_counts) {
            *a += b;
        }
    }
    Ok(Fates {
        fate,
        rule_counts,
        cc_counts,
    })
}

/// Derives the cohort from an export table read with [`read_export`] (every field a label).
/// A table read with missing-value tokens works too: a missing field reads as the empty label.
pub fn derive_cohort(spec: &StudySpec, table: &Table) -> Result<Cohort, RegistryError> {
    // a specification built in code has not been through `load`
    spec.check()?;
    let n = table.n_rows();
    let vars = compile_variables(spec, table)?;
    let col = |name: &str| export_column(spec, table, name);
    let (t, e) = (&spec.outcome.time, &spec.outcome.event);
    let mut rules: Vec<RuleEval> = spec
        .rules
        .iter()
        .enumerate()
        .map(|(k, r)| RuleEval::new(k, r, table, &vars))
        .collect();
    let n_rules = rules.len();
    let Fates {
        fate,
        rule_counts,
        cc_counts,
    } = decide_rows(spec, table, &vars, &mut rules)?;
    // phase 2: the values of the kept rows, one column at a time
    let kept: Vec<u32> = (0..n as u32)
        .filter(|&i| fate[i as usize] == KEPT)
        .collect();
    let num = |s: Slot| match s {
        Slot::Value { num, .. } => num,
        _ => unreachable!("a kept row has every value"),
    };
    let time: Vec<f64> = kept
        .par_iter()
        .map(|&i| num(vars[0].slot(i as usize)))
        .collect();
    let status: Vec<bool> = kept
        .par_iter()
        .map(|&i| num(vars[1].slot(i as usize)) == 1.0)
        .collect();
    let cause = competing_causes(spec, table, &kept, &status)?;
    let outs: Vec<OutCol> = vars[2..]
        .iter()
        .map(|v| match &v.kind {
            VarKind::Cov(c) if !matches!(c.output, Output::Numeric) => OutCol::Levels(
                kept.par_iter()
                    .map(|&i| match v.slot(i as usize) {
                        Slot::Value { level, .. } => level,
                        _ => unreachable!("a kept row has every value"),
                    })
                    .collect(),
            ),
            _ => OutCol::Numbers(kept.par_iter().map(|&i| num(v.slot(i as usize))).collect()),
        })
        .collect();

    // the split: every export row gets one, stratified by how it ends (see docs/study-spec.md)
    let split_of_export: Option<Vec<Split>> = spec.split.as_ref().map(|s| {
        let base = match s.stratify {
            Stratify::Event => 2,
            Stratify::None => 1,
        };
        let mut next_kept = 0usize;
        let labels: Vec<usize> = (0..n)
            .map(|i| {
                if fate[i] == KEPT {
                    let ev = status[next_kept];
                    next_kept += 1;
                    match s.stratify {
                        Stratify::Event => usize::from(!ev),
                        Stratify::None => 0,
                    }
                } else {
                    base + fate[i] as usize
                }
            })
            .collect();
        split_flags(&labels, s.fraction, s.seed)
    });

    // attrition: rows per fate (the steps, then the cohort) and split, in one pass
    let mut by_fate = vec![[0usize; 2]; n_rules + 2];
    for i in 0..n {
        let f = if fate[i] == KEPT {
            n_rules + 1
        } else {
            fate[i] as usize
        };
        let s = split_of_export
            .as_ref()
            .map_or(0, |sp| usize::from(sp[i] == Split::Validation));
        by_fate[f][s] += 1;
    }
    let has_split = split_of_export.is_some();
    let to_count = |c: [usize; 2]| Count {
        all: c[0] + c[1],
        development: has_split.then_some(c[0]),
        validation: has_split.then_some(c[1]),
    };
    let count = |pred: &dyn Fn(usize) -> bool| -> Count {
        let mut c = [0usize; 2];
        for (f, x) in by_fate.iter().enumerate() {
            if pred(f) {
                c[0] += x[0];
                c[1] += x[1];
            }
        }
        to_count(c)
    };
    let start = count(&|_| true);
    let mut steps = Vec::with_capacity(n_rules + 1);
    let mut remaining = start;
    let sub = |a: Option<usize>, b: Option<usize>| a.zip(b).map(|(a, b)| a - b);
    for k in 0..=n_rules {
        let excluded = count(&|f| f == k);
        remaining = Count {
            all: remaining.all - excluded.all,
            development: sub(remaining.development, excluded.development),
            validation: sub(remaining.validation, excluded.validation),
        };
        let (label, rule, reasons) = if k < n_rules {
            let r = &rules[k];
            let reasons = r
                .reasons
                .iter()
                .enumerate()
                .filter_map(|(j, v)| {
                    let c = rule_counts[k].get(j).copied().unwrap_or(0);
                    (c > 0).then(|| Reason {
                        value: v.clone(),
                        excluded: c,
                    })
                })
                .collect();
            (r.spec.label.clone(), Some(k + 1), reasons)
        } else {
            let reasons = vars
                .iter()
                .zip(&cc_counts)
                .filter(|(_, &c)| c > 0)
                .map(|(v, &c)| Reason {
                    value: v.name.to_string(),
                    excluded: c,
                })
                .collect();
            (COMPLETE_CASE_LABEL.to_string(), None, reasons)
        };
        steps.push(AttritionStep {
            label,
            rule,
            excluded,
            remaining,
            reasons,
        });
    }
    let final_n = count(&|f| f == n_rules + 1);
    let split: Option<Vec<Split>> = split_of_export
        .as_ref()
        .map(|sp| kept.iter().map(|&i| sp[i as usize]).collect());
    let events = {
        let all = status.iter().filter(|&&e| e).count();
        match &split {
            None => Count {
                all,
                development: None,
                validation: None,
            },
            Some(sp) => {
                let d = status
                    .iter()
                    .zip(sp)
                    .filter(|(&e, &s)| e && s == Split::Development)
                    .count();
                Count {
                    all,
                    development: Some(d),
                    validation: Some(all - d),
                }
            }
        }
    };
    debug_assert_eq!(final_n.all, remaining.all);
    let causes = cause.as_ref().map(|c| {
        let mut k = [[0usize; 2]; 3];
        for (i, &x) in c.cause.iter().enumerate() {
            let s = split
                .as_ref()
                .map_or(0, |sp| usize::from(sp[i] == Split::Validation));
            k[x as usize][s] += 1;
        }
        CauseCounts {
            events: to_count(k[1]),
            competing: to_count(k[2]),
            censored: to_count(k[0]),
        }
    });

    let covariates = spec
        .covariates
        .iter()
        .zip(&vars[2..])
        .zip(outs)
        .map(|((c, v), o)| {
            let values = match o {
                OutCol::Numbers(x) => Values::Numbers(x),
                OutCol::Levels(codes) => Values::Levels {
                    levels: match &v.kind {
                        VarKind::Cov(r) => r.levels_out(),
                        _ => unreachable!(),
                    },
                    codes,
                },
            };
            CohortVariable {
                name: c.name.clone(),
                label: c.display().to_string(),
                column: c.column.clone(),
                values,
                reference: StudySpec::reference_of(c),
            }
        })
        .collect();
    let id = match (&spec.source.id, spec.id_name()) {
        (Some(column), Some(name)) => {
            let c = col(column)?;
            let values = if c.codes.is_empty() {
                Values::Numbers(kept.iter().map(|&i| c.value(i as usize)).collect())
            } else {
                let mut levels = c.labels.clone();
                let missing = levels.len() as u32;
                levels.push(String::new());
                Values::Levels {
                    levels,
                    codes: kept
                        .iter()
                        .map(|&i| match c.codes[i as usize] {
                            MISSING => missing,
                            x => x,
                        })
                        .collect(),
                }
            };
            Some((name.to_string(), values))
        }
        _ => None,
    };
    Ok(Cohort {
        export: table.path.clone(),
        sha256: table.sha256.clone(),
        lines: kept.iter().map(|&i| table.lines[i as usize]).collect(),
        id,
        time_name: t.name.clone(),
        time_unit: t.unit.clone(),
        time,
        event_name: e.name.clone(),
        status,
        cause,
        covariates,
        split,
        attrition: Attrition {
            export: table.path.clone(),
            start,
            steps,
            final_n,
            events,
            causes,
        },
    })
}

/// The cause of each kept row from `[competing_risks]`: 1 where `[outcome.event]` says event, 2
/// where it says censored and the competing column holds a competing label, 0 where that column
/// holds a censoring label. Any other label of a censored row is an error naming the row.
fn competing_causes(
    spec: &StudySpec,
    table: &Table,
    kept: &[u32],
    status: &[bool],
) -> Result<Option<CauseColumn>, RegistryError> {
    let Some(cr) = &spec.competing_risks else {
        return Ok(None);
    };
    let col = export_column(spec, table, &cr.column)?;
    let class = |label: &str| -> Option<u32> {
        if cr.competing.iter().any(|l| l == label) {
            Some(2)
        } else if cr.censor.iter().any(|l| l == label) {
            Some(0)
        } else {
            None
        }
    };
    // one decision per distinct label of the column
    let by_code: Vec<Option<u32>> = col.labels.iter().map(|l| class(l)).collect();
    let mut cause = Vec::with_capacity(kept.len());
    for (&i, &ev) in kept.iter().zip(status) {
        let i = i as usize;
        if ev {
            cause.push(1);
            continue;
        }
        let c = if col.codes.is_empty() {
            class(&row_label(col, i))
        } else {
            match col.codes[i] {
                MISSING => class(""),
                k => by_code[k as usize],
            }
        };
        match c {
            Some(c) => cause.push(c),
            None => {
                let value = row_label(col, i);
                let mut expected: Vec<String> = cr
                    .competing
                    .iter()
                    .map(|l| format!("'{l}' (competing event)"))
                    .collect();
                expected.extend(cr.censor.iter().map(|l| format!("'{l}' (censoring)")));
                return Err(RegistryError::Label(LabelError {
                    kind: LabelErrorKind::UnknownLabel,
                    path: table.path.clone(),
                    line: table.lines[i],
                    column: col.name.clone(),
                    value: value.clone(),
                    used_by: "competing_risks (a row censored by outcome.event)".into(),
                    expected,
                    spec: spec.path.clone(),
                    message: "a label the specification does not know".into(),
                    hint: format!(
                        "add '{value}' to competing_risks.competing or competing_risks.censor in {}, \
                         or correct the export",
                        spec.path
                    ),
                }));
            }
        }
    }
    Ok(Some(CauseColumn {
        name: cr.name.clone(),
        cause,
    }))
}

/// Per row, its split: as [`crate::model::validation::split_labels`] (the same shuffles, so the same
/// sets), with the rows bucketed by label in one pass.
pub(super) fn split_flags(labels: &[usize], train: f64, seed: u64) -> Vec<Split> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let n_groups = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); n_groups];
    for (i, &g) in labels.iter().enumerate() {
        buckets[g].push(i);
    }
    let mut out = vec![Split::Validation; labels.len()];
    for mut rows in buckets {
        for i in (1..rows.len()).rev() {
            let j = rng.random_range(0..=i);
            rows.swap(i, j);
        }
        let k = (train * rows.len() as f64).round() as usize;
        for &i in &rows[..k] {
            out[i] = Split::Development;
        }
    }
    out
}

pub(super) enum OutCol {
    Numbers(Vec<f64>),
    Levels(Vec<u32>),
}

impl CovReader<'_> {
    pub(super) fn levels_out(&self) -> Vec<String> {
        match &self.output {
            Output::Cut(_) => self.def.cut.as_ref().expect("cut").labels.clone(),
            _ => self.levels.clone(),
        }
    }
}

/// Appends `v` as [`format_number`] writes it, without allocating (whole numbers digit by digit).
pub(super) fn push_number(buf: &mut Vec<u8>, v: f64) {
    if v == v.trunc() && v.abs() < 1e15 {
        let x = v as i64;
        if x < 0 {
            buf.push(b'-');
        }
        let mut u = x.unsigned_abs();
        let mut digits = [0u8; 20];
        let mut k = digits.len();
        loop {
            k -= 1;
            digits[k] = b'0' + (u % 10) as u8;
            u /= 10;
            if u == 0 {
                break;
            }
        }
        buf.extend_from_slice(&digits[k..]);
    } else {
        use std::io::Write;
        let _ = write!(buf, "{v}");
    }
}

/// A CSV field, quoted when it holds a delimiter, a quote, a line end or outer spaces.
pub(super) fn csv_field(s: &str) -> Vec<u8> {
    let needs = s.is_empty()
        || s.bytes()
            .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r' | b';' | b'\t'))
        || s.trim() != s;
    if !needs {
        return s.as_bytes().to_vec();
    }
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
    out
}

impl Cohort {
    /// Number of rows.
    pub fn n(&self) -> usize {
        self.time.len()
    }

    /// Number of events.
    pub fn events(&self) -> usize {
        self.status.iter().filter(|&&e| e).count()
    }

    /// Rows of one split (all rows when there is no split).
    pub fn rows_in(&self, which: Split) -> Vec<usize> {
        match &self.split {
            None => (0..self.n()).collect(),
            Some(s) => (0..self.n()).filter(|&i| s[i] == which).collect(),
        }
    }

    /// The cohort restricted to `rows` (in that order), with the same attrition.
    pub fn subset(&self, rows: &[usize]) -> Cohort {
        let pick = |v: &Values| match v {
            Values::Numbers(x) => Values::Numbers(rows.iter().map(|&i| x[i]).collect()),
            Values::Levels { levels, codes } => Values::Levels {
                levels: levels.clone(),
                codes: rows.iter().map(|&i| codes[i]).collect(),
            },
        };
        Cohort {
            export: self.export.clone(),
            sha256: self.sha256.clone(),
            lines: rows.iter().map(|&i| self.lines[i]).collect(),
            id: self.id.as_ref().map(|(n, v)| (n.clone(), pick(v))),
            time_name: self.time_name.clone(),
            time_unit: self.time_unit.clone(),
            time: rows.iter().map(|&i| self.time[i]).collect(),
            event_name: self.event_name.clone(),
            status: rows.iter().map(|&i| self.status[i]).collect(),
            cause: self.cause.as_ref().map(|c| CauseColumn {
                name: c.name.clone(),
                cause: rows.iter().map(|&i| c.cause[i]).collect(),
            }),
            covariates: self
                .covariates
                .iter()
                .map(|c| CohortVariable {
                    values: pick(&c.values),
                    ..c.clone()
                })
                .collect(),
            split: self
                .split
                .as_ref()
                .map(|s| rows.iter().map(|&i| s[i]).collect()),
            attrition: self.attrition.clone(),
        }
    }

    /// Column names of the analysis file: id, time, event, cause (with `[competing_risks]`),
    /// covariates, split.
    pub fn header(&self) -> Vec<String> {
        let mut h = Vec::new();
        if let Some((name, _)) = &self.id {
            h.push(name.clone());
        }
        h.push(self.time_name.clone());
        h.push(self.event_name.clone());
        if let Some(c) = &self.cause {
            h.push(c.name.clone());
        }
        h.extend(self.covariates.iter().map(|c| c.name.clone()));
        if self.split.is_some() {
            h.push("split".into());
        }
        h
    }

    /// The analysis file: header, then one line per row; numbers as [`format_number`] writes
    /// them, the event as 1/0, levels as text, the split as `development`/`validation`.
    pub fn to_csv(&self) -> Vec<u8> {
        let header: Vec<Vec<u8>> = self.header().iter().map(|h| csv_field(h)).collect();
        let mut out = header.join(&b","[..]);
        out.push(b'\n');
        // per levelled column, each level's field once
        let quoted_levels = |v: &Values| -> Vec<Vec<u8>> {
            match v {
                Values::Levels { levels, .. } => levels.iter().map(|l| csv_field(l)).collect(),
                Values::Numbers(_) => Vec::new(),
            }
        };
        let id_levels = self.id.as_ref().map(|(_, v)| quoted_levels(v));
        let cov_levels: Vec<Vec<Vec<u8>>> = self
            .covariates
            .iter()
            .map(|c| quoted_levels(&c.values))
            .collect();
        let push_value = |buf: &mut Vec<u8>, v: &Values, q: &[Vec<u8>], i: usize| match v {
            Values::Numbers(x) => push_number(buf, x[i]),
            Values::Levels { codes, .. } => buf.extend_from_slice(&q[codes[i] as usize]),
        };
        const CHUNK: usize = 1 << 16;
        let n = self.n();
        let pieces: Vec<Vec<u8>> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|k| {
                let rows = k * CHUNK..((k + 1) * CHUNK).min(n);
                let mut buf = Vec::with_capacity(rows.len() * 32);
                for i in rows {
                    if let (Some((_, v)), Some(q)) = (&self.id, &id_levels) {
                        push_value(&mut buf, v, q, i);
                        buf.push(b',');
                    }
                    push_number(&mut buf, self.time[i]);
                    buf.push(b',');
                    buf.push(if self.status[i] { b'1' } else { b'0' });
                    if let Some(c) = &self.cause {
                        buf.push(b',');
                        buf.push(b'0' + c.cause[i] as u8);
                    }
                    for (c, q) in self.covariates.iter().zip(&cov_levels) {
                        buf.push(b',');
                        push_value(&mut buf, &c.values, q, i);
                    }
                    if let Some(s) = &self.split {
                        buf.push(b',');
                        buf.extend_from_slice(s[i].as_str().as_bytes());
                    }
                    buf.push(b'\n');
                }
                buf
            })
            .collect();
        out.reserve(pieces.iter().map(|p| p.len()).sum());
        for p in pieces {
            out.extend_from_slice(&p);
        }
        out
    }

    /// The cohort as a [`Table`] (as if its analysis file had been read), for
    /// [`crate::data::cohort::prepare`] with [`Cohort::fit_request`]. Lines are the export's.
    pub fn to_table(&self) -> Table {
        let dense = |name: &str, v: Vec<f64>| Column {
            name: name.to_string(),
            labels: Vec::new(),
            label_lines: Vec::new(),
            codes: Vec::new(),
            numbers: Some(Numbers::Dense(v)),
            missing: 0,
        };
        let levelled = |name: &str, levels: &[String], codes: &[u32]| {
            let mut label_lines = vec![0u64; levels.len()];
            let mut seen = vec![false; levels.len()];
            for (i, &c) in codes.iter().enumerate() {
                if !seen[c as usize] {
                    seen[c as usize] = true;
                    label_lines[c as usize] = self.lines[i];
                }
            }
            let numbers = levels
                .iter()
                .map(|l| parse_number(l))
                .collect::<Option<Vec<f64>>>()
                .map(Numbers::ByLabel);
            Column {
                name: name.to_string(),
                labels: levels.to_vec(),
                label_lines,
                codes: codes.to_vec(),
                numbers,
                missing: 0,
            }
        };
        let values_col = |name: &str, v: &Values| match v {
            Values::Numbers(x) => dense(name, x.clone()),
            Values::Levels { levels, codes } => levelled(name, levels, codes),
        };
        let mut columns = Vec::new();
        if let Some((name, v)) = &self.id {
            columns.push(values_col(name, v));
        }
        columns.push(dense(&self.time_name, self.time.clone()));
        columns.push(dense(
            &self.event_name,
            self.status
                .iter()
                .map(|&e| f64::from(u8::from(e)))
                .collect(),
        ));
        if let Some(c) = &self.cause {
            columns.push(dense(
                &c.name,
                c.cause.iter().map(|&x| f64::from(x)).collect(),
            ));
        }
        for c in &self.covariates {
            columns.push(values_col(&c.name, &c.values));
        }
        if let Some(s) = &self.split {
            let levels = vec!["development".to_string(), "validation".to_string()];
            let codes: Vec<u32> = s
                .iter()
                .map(|&x| u32::from(x == Split::Validation))
                .collect();
            columns.push(levelled("split", &levels, &codes));
        }
        Table {
            path: self.export.clone(),
            header: self.header(),
            columns,
            lines: self.lines.clone(),
            sha256: self.sha256.clone(),
        }
    }

    /// The fit request for the cohort's table: every covariate, categorical ones with their
    /// reference level, the event coded 1/0.
    pub fn fit_request(&self) -> FitRequest {
        let mut req = FitRequest {
            time: self.time_name.clone(),
            event: self.event_name.clone(),
            covariates: self.covariates.iter().map(|c| c.name.clone()).collect(),
            time_unit: self.time_unit.clone(),
            ..FitRequest::default()
        };
        for c in &self.covariates {
            if let (Values::Levels { .. }, Some(r)) = (&c.values, &c.reference) {
                req.categorical.push(c.name.clone());
                req.reference.insert(c.name.clone(), r.clone());
            }
        }
        req
    }
}
