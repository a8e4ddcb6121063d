//! Inclusion rules compiled against the export: per row, keep or exclude with the reason.

use super::*;

/// What a rule does with one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decision {
    Keep,
    /// Excluded, with the index of the reason.
    Drop(u32),
    Unknown,
    Bad(&'static str),
}

/// A rule compiled against the export.
pub(super) struct RuleEval<'t, 's> {
    pub(super) spec: &'s RuleSpec,
    pub(super) used_by: String,
    /// Column rules: the column; variable rules: the variable's index.
    pub(super) col: &'t Column,
    pub(super) var: Option<usize>,
    pub(super) by_code: Vec<Decision>,
    pub(super) missing_code: Decision,
    pub(super) reasons: Vec<String>,
    pub(super) reason_ix: FxHashMap<String, u32>,
}

/// Exclusion reasons met while deciding rows of a number-only column, beyond those of the
/// compiled rule (ids continue after the rule's own).
#[derive(Default)]
pub(super) struct LocalReasons {
    pub(super) ix: FxHashMap<String, u32>,
    pub(super) names: Vec<String>,
}

/// The counts of deciding a range of export rows (their fates are written in place).
pub(super) struct ChunkOut {
    /// Per rule: count per reason id; the names of ids beyond the rule's own.
    pub(super) rule_counts: Vec<Vec<usize>>,
    pub(super) local: Vec<LocalReasons>,
    pub(super) cc_counts: Vec<usize>,
}

/// What a rule says about one label (column rules) or one slot (variable rules), with the
/// reason text of an exclusion.
pub(super) enum Verdict {
    Keep,
    Drop(String),
    Unknown,
    Bad(&'static str),
}

impl<'t, 's> RuleEval<'t, 's> {
    pub(super) fn verdict_label(&self, label: &str) -> Verdict {
        let r = self.spec;
        let keep = r.equals.iter().chain(r.in_labels.iter().flatten());
        let others = || match r.others.unwrap_or_default() {
            Others::Error => Verdict::Unknown,
            Others::Keep => Verdict::Keep,
            Others::Exclude => Verdict::Drop(format!("'{label}'")),
        };
        if r.not_in.iter().flatten().any(|l| l == label) {
            return Verdict::Drop(format!("'{label}'"));
        }
        if r.min.is_some() || r.max.is_some() {
            return match parse_number(label) {
                Some(v) => self.verdict_range(v),
                None => others(),
            };
        }
        if keep.clone().any(|l| l == label) {
            return Verdict::Keep;
        }
        others()
    }

    pub(super) fn verdict_range(&self, v: f64) -> Verdict {
        if let Some(m) = self.spec.min {
            if v < m {
                return Verdict::Drop(format!("below {}", format_number(m)));
            }
        }
        if let Some(m) = self.spec.max {
            if v > m {
                return Verdict::Drop(format!("above {}", format_number(m)));
            }
        }
        Verdict::Keep
    }

    pub(super) fn verdict_slot(&self, slot: Slot, label: &str) -> Verdict {
        match slot {
            Slot::Missing => Verdict::Drop(format!("'{label}'")),
            Slot::Unknown => Verdict::Unknown,
            Slot::Bad(m) => Verdict::Bad(m),
            Slot::Value { num, .. } => {
                if self.spec.known.is_some() {
                    Verdict::Keep
                } else {
                    self.verdict_range(num)
                }
            }
        }
    }

    pub(super) fn intern(&mut self, v: Verdict) -> Decision {
        match v {
            Verdict::Keep => Decision::Keep,
            Verdict::Unknown => Decision::Unknown,
            Verdict::Bad(m) => Decision::Bad(m),
            Verdict::Drop(reason) => {
                let next = self.reasons.len() as u32;
                let k = *self.reason_ix.entry(reason.clone()).or_insert(next);
                if k == next {
                    self.reasons.push(reason);
                }
                Decision::Drop(k)
            }
        }
    }

    pub(super) fn new(
        k: usize,
        spec: &'s RuleSpec,
        table: &'t Table,
        vars: &[VarEval<'t, 's>],
    ) -> RuleEval<'t, 's> {
        let var = spec.variable.as_ref().map(|v| {
            vars.iter()
                .position(|x| x.name == v)
                .expect("checked variable")
        });
        let col = match var {
            Some(j) => vars[j].col,
            None => table
                .column(spec.column.as_deref().expect("checked column"))
                .expect("column was read"),
        };
        let mut r = RuleEval {
            spec,
            used_by: format!("rule {} '{}'", k + 1, spec.label),
            col,
            var,
            by_code: Vec::new(),
            missing_code: Decision::Keep,
            reasons: Vec::new(),
            reason_ix: FxHashMap::default(),
        };
        let mut by_code = Vec::with_capacity(col.labels.len());
        for (c, label) in col.labels.iter().enumerate() {
            let v = match var {
                Some(j) => r.verdict_slot(vars[j].by_code[c], label),
                None => r.verdict_label(label),
            };
            by_code.push(r.intern(v));
        }
        let v = match var {
            Some(j) => r.verdict_slot(vars[j].missing_code, ""),
            None => r.verdict_label(""),
        };
        r.missing_code = r.intern(v);
        r.by_code = by_code;
        r
    }

    /// The decision for row `i`. A number-only column is judged per row; its exclusion reasons
    /// that were not known when the rule was compiled go to `local` (one per rule and chunk).
    #[inline]
    pub(super) fn decide(&self, i: usize, vars: &[VarEval], local: &mut LocalReasons) -> Decision {
        if self.col.codes.is_empty() {
            let v = self.col.value(i);
            let verdict = match self.var {
                Some(j) => self.verdict_slot(vars[j].slot(i), &format_number(v)),
                None => self.verdict_label(&format_number(v)),
            };
            return match verdict {
                Verdict::Keep => Decision::Keep,
                Verdict::Unknown => Decision::Unknown,
                Verdict::Bad(m) => Decision::Bad(m),
                Verdict::Drop(reason) => match self.reason_ix.get(&reason) {
                    Some(&k) => Decision::Drop(k),
                    None => {
                        let next = (self.reasons.len() + local.names.len()) as u32;
                        let k = *local.ix.entry(reason.clone()).or_insert(next);
                        if k == next {
                            local.names.push(reason);
                        }
                        Decision::Drop(k)
                    }
                },
            };
        }
        match self.col.codes[i] {
            MISSING => self.missing_code,
            c => self.by_code[c as usize],
        }
    }

    pub(super) fn expected(&self, vars: &[VarEval]) -> Vec<String> {
        if let Some(j) = self.var {
            return vars[j].kind.expected();
        }
        let r = self.spec;
        let mut e: Vec<String> = r
            .equals
            .iter()
            .chain(r.in_labels.iter().flatten())
            .map(|l| format!("'{l}' (kept)"))
            .collect();
        if r.min.is_some() || r.max.is_some() {
            e.push(format!(
                "a number (kept from {} to {})",
                r.min.map_or("-inf".into(), format_number),
                r.max.map_or("inf".into(), format_number)
            ));
        }
        e.extend(
            r.not_in
                .iter()
                .flatten()
                .map(|l| format!("'{l}' (excluded)")),
        );
        e
    }

    pub(super) fn error(
        &self,
        table: &Table,
        spec: &StudySpec,
        vars: &[VarEval],
        i: usize,
        d: Decision,
    ) -> RegistryError {
        if let Some(j) = self.var {
            let slot = match d {
                Decision::Bad(m) => Slot::Bad(m),
                _ => Slot::Unknown,
            };
            return vars[j].error(table, spec, i, slot);
        }
        let value = row_label(self.col, i);
        RegistryError::Label(LabelError {
            kind: LabelErrorKind::UnknownLabel,
            path: table.path.clone(),
            line: table.lines[i],
            column: self.col.name.clone(),
            value: value.clone(),
            used_by: self.used_by.clone(),
            expected: self.expected(vars),
            spec: spec.path.clone(),
            message: "a label the rule does not list".into(),
            hint: format!(
                "list '{value}' in in or not_in of this rule in {} (or set others = \"keep\" or \"exclude\"), or correct the export",
                spec.path
            ),
        })
    }
}
