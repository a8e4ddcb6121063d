//! Loading a specification (TOML or JSON) and checking it: every field's range, every name
//! used once and known, code ranges that do not overlap, rules that can be evaluated.

use super::*;

// =============================================================================================
// Loading and checking
// =============================================================================================

impl StudySpec {
    /// Reads a specification: JSON when the file name ends in `.json`, TOML otherwise; then
    /// checks it ([`StudySpec::check`]).
    pub fn load(path: &Path) -> Result<StudySpec, RegistryError> {
        let label = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            RegistryError::Spec(SpecError {
                path: label.clone(),
                line: None,
                field: None,
                message: format!("cannot read the specification: {e}"),
                hint: Some("check the path given with --spec".into()),
            })
        })?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if is_json {
            StudySpec::from_json(&text, &label)
        } else {
            StudySpec::from_toml(&text, &label)
        }
    }

    /// Parses and checks a TOML specification; `label` names it in messages.
    pub fn from_toml(text: &str, label: &str) -> Result<StudySpec, RegistryError> {
        let mut spec: StudySpec = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            RegistryError::Spec(SpecError {
                path: label.to_string(),
                line,
                field: None,
                message: match e.message().trim() {
                    "" => "the file ends early or is not valid TOML here".to_string(),
                    m => m.to_string(),
                },
                hint: Some("the fields are described in docs/study-spec.md".into()),
            })
        })?;
        spec.path = label.to_string();
        spec.check()?;
        Ok(spec)
    }

    /// Parses and checks a JSON specification (the same fields as TOML).
    pub fn from_json(text: &str, label: &str) -> Result<StudySpec, RegistryError> {
        let mut spec: StudySpec = serde_json::from_str(text).map_err(|e| {
            RegistryError::Spec(SpecError {
                path: label.to_string(),
                line: Some(e.line()),
                field: None,
                message: e.to_string(),
                hint: Some("the fields are described in docs/study-spec.md".into()),
            })
        })?;
        spec.path = label.to_string();
        spec.check()?;
        Ok(spec)
    }

    /// The analysis name of the identifier column, when there is one.
    pub fn id_name(&self) -> Option<&str> {
        self.source
            .id
            .as_ref()
            .map(|_| self.source.id_name.as_deref().unwrap_or("id"))
    }

    /// The default export file (`source.file`), relative to the specification's directory.
    pub fn source_file(&self) -> Option<PathBuf> {
        let f = self.source.file.as_ref()?;
        let p = Path::new(f);
        if p.is_absolute() {
            return Some(p.to_path_buf());
        }
        let dir = Path::new(&self.path).parent().unwrap_or(Path::new(""));
        Some(normalise(&dir.join(p)))
    }

    /// The analysis variable names: time, event, covariates.
    pub fn variable_names(&self) -> Vec<&str> {
        let mut v = vec![
            self.outcome.time.name.as_str(),
            self.outcome.event.name.as_str(),
        ];
        v.extend(self.covariates.iter().map(|c| c.name.as_str()));
        v
    }

    /// The export columns the specification reads, each once, in order of first mention.
    pub fn columns(&self) -> Vec<&str> {
        let mut all: Vec<&str> = Vec::new();
        all.extend(self.source.id.as_deref());
        all.push(&self.outcome.time.column);
        all.push(&self.outcome.event.column);
        all.extend(self.covariates.iter().map(|c| c.column.as_str()));
        all.extend(self.rules.iter().filter_map(|r| r.column.as_deref()));
        all.extend(self.competing_risks.as_ref().map(|c| c.column.as_str()));
        let mut cols: Vec<&str> = Vec::new();
        for c in all {
            if !cols.contains(&c) {
                cols.push(c);
            }
        }
        cols
    }

    /// Where the specification names a column (for messages).
    pub(super) fn column_user(&self, column: &str) -> String {
        if self.source.id.as_deref() == Some(column) {
            return "source.id".into();
        }
        if self.outcome.time.column == column {
            return "outcome.time.column".into();
        }
        if self.outcome.event.column == column {
            return "outcome.event.column".into();
        }
        if let Some(c) = self.covariates.iter().find(|c| c.column == column) {
            return format!("covariates[{}].column", c.name);
        }
        if let Some(k) = self
            .rules
            .iter()
            .position(|r| r.column.as_deref() == Some(column))
        {
            return format!("include[{}].column", k + 1);
        }
        if self.competing_risks.as_ref().map(|c| c.column.as_str()) == Some(column) {
            return "competing_risks.column".into();
        }
        "the specification".into()
    }

    /// The levels of a categorical covariate (cut labels, `levels`, or the `map`/`codes` values
    /// in order of first appearance); None for a numeric covariate.
    pub fn levels_of(c: &CovariateDef) -> Option<Vec<String>> {
        if let Some(cut) = &c.cut {
            return Some(cut.labels.clone());
        }
        if !is_categorical(c) {
            return None;
        }
        if let Some(l) = &c.levels {
            return Some(l.clone());
        }
        let values: Vec<&MapValue> = match c.read {
            Reader::Map => c
                .map
                .as_ref()
                .map(|m| m.0.iter().map(|(_, v)| v).collect())
                .unwrap_or_default(),
            Reader::Codes => c
                .codes
                .as_ref()
                .map(|r| r.iter().map(|r| &r.value).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let mut levels: Vec<String> = Vec::new();
        for v in values {
            let l = v.as_level();
            if !levels.contains(&l) {
                levels.push(l);
            }
        }
        Some(levels)
    }

    /// The reference level of a categorical covariate (given, or the first level).
    pub fn reference_of(c: &CovariateDef) -> Option<String> {
        let levels = StudySpec::levels_of(c)?;
        Some(c.reference.clone().unwrap_or_else(|| levels[0].clone()))
    }

    /// Checks the specification for consistency; the error names the file and the field.
    pub fn check(&self) -> Result<(), RegistryError> {
        self.check_source_and_outcome()?;
        self.check_names()?;
        self.check_covariates_and_rules()?;
        self.check_split()?;
        self.check_selection()?;
        self.check_validation()?;
        self.check_risk_groups()?;
        self.check_competing_risks()?;
        Ok(())
    }

    /// The competing-risks section: a column, labels for the competing event and for censoring,
    /// none in both.
    fn check_competing_risks(&self) -> Result<(), RegistryError> {
        let p = self.path.as_str();
        let Some(c) = &self.competing_risks else {
            return Ok(());
        };
        if c.column.trim().is_empty() {
            return Err(spec_err_hint(
                p,
                "competing_risks.column",
                "the column is empty",
                "name the export column that tells the competing event, e.g. \
                 column = \"Vital status recode (study cutoff used)\"",
            ));
        }
        if c.competing.is_empty() {
            return Err(spec_err_hint(
                p,
                "competing_risks.competing",
                "no label means the competing event",
                "list the labels of the column that mean the competing event, e.g. competing = [\"Dead\"]",
            ));
        }
        if c.censor.is_empty() {
            return Err(spec_err_hint(
                p,
                "competing_risks.censor",
                "no label means censoring",
                "list the labels of the column that mean censoring, e.g. censor = [\"Alive\"]",
            ));
        }
        check_unique(p, "competing_risks.competing", &c.competing)?;
        check_unique(p, "competing_risks.censor", &c.censor)?;
        if let Some(l) = c.competing.iter().find(|l| c.censor.contains(l)) {
            return Err(spec_err(
                p,
                "competing_risks.censor",
                format!("label '{l}' is listed in both competing and censor"),
            ));
        }
        for (field, l) in [
            ("competing_risks.event_label", &c.event_label),
            ("competing_risks.competing_label", &c.competing_label),
        ] {
            if l.as_ref().is_some_and(|l| l.trim().is_empty()) {
                return Err(spec_err(p, field, "the label is empty"));
            }
        }
        Ok(())
    }

    /// The study name, the source's delimiter and id, and the outcome's time and event coding.
    fn check_source_and_outcome(&self) -> Result<(), RegistryError> {
        let p = self.path.as_str();
        if self.study.name.trim().is_empty() {
            return Err(spec_err(p, "study.name", "the study needs a name"));
        }
        if let Some(d) = &self.source.delimiter {
            if d.len() != 1 || !d.is_ascii() {
                return Err(spec_err_hint(
                    p,
                    "source.delimiter",
                    format!("'{d}' is not one ASCII character"),
                    "write e.g. delimiter = \",\" or delimiter = \"\\t\"",
                ));
            }
        }
        if self.source.id_name.is_some() && self.source.id.is_none() {
            return Err(spec_err(
                p,
                "source.id_name",
                "id_name is given without source.id",
            ));
        }
        let t = &self.outcome.time;
        if t.column.trim().is_empty() {
            return Err(spec_err(p, "outcome.time.column", "the column is empty"));
        }
        let e = &self.outcome.event;
        if e.column.trim().is_empty() {
            return Err(spec_err(p, "outcome.event.column", "the column is empty"));
        }
        if e.event.is_empty() {
            return Err(spec_err_hint(
                p,
                "outcome.event.event",
                "no label means the event",
                "list the labels that mean the event, e.g. event = [\"Dead (attributable to this cancer dx)\"]",
            ));
        }
        if e.censor.is_empty() {
            return Err(spec_err_hint(
                p,
                "outcome.event.censor",
                "no label means censoring",
                "list the labels that mean censoring; no label is censoring by default",
            ));
        }
        check_unique(p, "outcome.time.unknown", &t.unknown)?;
        for (field, list) in [
            ("outcome.event.event", &e.event),
            ("outcome.event.censor", &e.censor),
            ("outcome.event.exclude", &e.exclude),
        ] {
            check_unique(p, field, list)?;
        }
        for (fa, a, fb, b) in [
            ("event", &e.event, "censor", &e.censor),
            ("event", &e.event, "exclude", &e.exclude),
            ("censor", &e.censor, "exclude", &e.exclude),
        ] {
            if let Some(l) = a.iter().find(|l| b.contains(l)) {
                return Err(spec_err(
                    p,
                    format!("outcome.event.{fb}"),
                    format!("label '{l}' is listed in both {fa} and {fb}"),
                ));
            }
        }
        Ok(())
    }

    /// Every analysis column name is a name and is used once.
    fn check_names(&self) -> Result<(), RegistryError> {
        let p = self.path.as_str();
        let (t, e) = (&self.outcome.time, &self.outcome.event);
        if self.covariates.is_empty() {
            return Err(spec_err(
                p,
                "covariates",
                "no covariates: add at least one [[covariates]] entry",
            ));
        }
        let mut names: Vec<(String, String)> = vec![
            (t.name.clone(), "outcome.time.name".into()),
            (e.name.clone(), "outcome.event.name".into()),
        ];
        if let Some(id) = self.id_name() {
            names.push((id.to_string(), "source.id_name".into()));
        }
        if self.split.is_some() {
            names.push((
                "split".into(),
                "split (the analysis file's split column)".into(),
            ));
        }
        for c in &self.covariates {
            names.push((c.name.clone(), format!("covariates[{}].name", c.name)));
        }
        if let Some(c) = &self.competing_risks {
            names.push((c.name.clone(), "competing_risks.name".into()));
        }
        for (k, (n, field)) in names.iter().enumerate() {
            if n.trim().is_empty() || n.trim() != n {
                return Err(spec_err(
                    p,
                    field.clone(),
                    format!("'{n}' is not a column name: empty, or with spaces at its ends"),
                ));
            }
            if let Some((_, other)) = names[..k].iter().find(|(m, _)| m == n) {
                return Err(spec_err(
                    p,
                    field.clone(),
                    format!("the analysis column name '{n}' is also used by {other}"),
                ));
            }
        }
        Ok(())
    }

    /// Each covariate's reader and each inclusion rule.
    fn check_covariates_and_rules(&self) -> Result<(), RegistryError> {
        let p = self.path.as_str();
        for c in &self.covariates {
            check_covariate(p, c)?;
        }
        for (k, r) in self.rules.iter().enumerate() {
            self.check_rule(k, r)?;
        }
        Ok(())
    }

    /// The split fraction.
    fn check_split(&self) -> Result<(), RegistryError> {
        let p = self.path.as_str();
        if let Some(s) = &self.split {
            if !(s.fraction > 0.0 && s.fraction < 1.0) {
                return Err(spec_err(
                    p,
                    "split.fraction",
                    format!(
                        "{} is not a fraction between 0 and 1 (exclusive)",
                        s.fraction
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The factor selection: threshold for its method, forced factors that exist.
    fn check_selection(&self) -> Result<(), RegistryError> {
        let p = self.path.as_str();
        let sel = &self.selection;
        if let Some(t) = sel.p_threshold {
            if sel.method != SelectionMethod::Univariable {
                return Err(spec_err(
                    p,
                    "selection.p_threshold",
                    "p_threshold applies only to method = \"univariable\"",
                ));
            }
            if !(t > 0.0 && t <= 1.0) {
                return Err(spec_err(
                    p,
                    "selection.p_threshold",
                    format!("{t} is not a p-value threshold in (0, 1]"),
                ));
            }
        }
        for f in &sel.force {
            if !self.covariates.iter().any(|c| c.name == *f) {
                return Err(spec_err_hint(
                    p,
                    "selection.force",
                    format!("'{f}' is not a covariate"),
                    format!(
                        "the covariates are: {}",
                        self.covariates
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Horizons, bootstrap and calibration groups.
    fn check_validation(&self) -> Result<(), RegistryError> {
        let p = self.path.as_str();
        if let Some(v) = &self.validation {
            if v.horizons.is_empty() {
                return Err(spec_err(
                    p,
                    "validation.horizons",
                    "no horizons: give e.g. horizons = [12, 36, 60]",
                ));
            }
            for (k, h) in v.horizons.iter().enumerate() {
                if !(h.is_finite() && *h > 0.0) {
                    return Err(spec_err(
                        p,
                        "validation.horizons",
                        format!("horizon {h} is not a positive time"),
                    ));
                }
                if k > 0 && *h <= v.horizons[k - 1] {
                    return Err(spec_err(
                        p,
                        "validation.horizons",
                        format!(
                            "horizons must increase: {} then {h}",
                            format_number(v.horizons[k - 1])
                        ),
                    ));
                }
            }
            if !v.horizon_labels.is_empty() && v.horizon_labels.len() != v.horizons.len() {
                return Err(spec_err(
                    p,
                    "validation.horizon_labels",
                    format!(
                        "{} labels for {} horizons: give one label per horizon, in order",
                        v.horizon_labels.len(),
                        v.horizons.len()
                    ),
                ));
            }
            if let Some(l) = v.horizon_labels.iter().find(|l| l.trim().is_empty()) {
                return Err(spec_err(
                    p,
                    "validation.horizon_labels",
                    format!("empty label '{l}': name every horizon, e.g. \"1 year\""),
                ));
            }
            if v.groups < 2 {
                return Err(spec_err(
                    p,
                    "validation.groups",
                    "at least 2 calibration groups",
                ));
            }
        }
        Ok(())
    }

    /// Risk groups: quantiles or cut-offs, and their labels.
    fn check_risk_groups(&self) -> Result<(), RegistryError> {
        let p = self.path.as_str();
        if let Some(r) = &self.risk_groups {
            match r.method {
                RiskMethod::Quantiles => {
                    if r.cutoffs.is_some() {
                        return Err(spec_err(
                            p,
                            "risk_groups.cutoffs",
                            "cutoffs apply only to method = \"cutoffs\"",
                        ));
                    }
                    if r.n_groups() < 2 {
                        return Err(spec_err(p, "risk_groups.n", "at least 2 groups"));
                    }
                }
                RiskMethod::Cutoffs => {
                    if r.n.is_some() {
                        return Err(spec_err(
                            p,
                            "risk_groups.n",
                            "n applies only to method = \"quantiles\"; cutoffs give the groups",
                        ));
                    }
                    let c = r.cutoffs.as_deref().unwrap_or(&[]);
                    if c.is_empty() {
                        return Err(spec_err(
                            p,
                            "risk_groups.cutoffs",
                            "method = \"cutoffs\" needs cutoffs = [...]",
                        ));
                    }
                    check_increasing(p, "risk_groups.cutoffs", c)?;
                }
            }
            if let Some(l) = &r.labels {
                if l.len() != r.n_groups() {
                    return Err(spec_err(
                        p,
                        "risk_groups.labels",
                        format!("{} labels for {} groups", l.len(), r.n_groups()),
                    ));
                }
                check_unique(p, "risk_groups.labels", l)?;
            }
        }
        Ok(())
    }

    pub(super) fn check_rule(&self, k: usize, r: &RuleSpec) -> Result<(), RegistryError> {
        let p = self.path.as_str();
        let f = |x: &str| format!("include[{}].{x}", k + 1);
        if r.label.trim().is_empty() {
            return Err(spec_err(
                p,
                f("label"),
                "the rule needs a label for the attrition table",
            ));
        }
        let labels = r.equals.is_some() || r.in_labels.is_some() || r.not_in.is_some();
        let range = r.min.is_some() || r.max.is_some();
        match (&r.column, &r.variable) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(spec_err(
                    p,
                    f("column"),
                    format!(
                        "rule '{}' needs exactly one of column (a source column) and variable (an analysis variable)",
                        r.label
                    ),
                ))
            }
            (Some(c), None) => {
                if c.trim().is_empty() {
                    return Err(spec_err(p, f("column"), "the column is empty"));
                }
                if r.known.is_some() {
                    return Err(spec_err_hint(
                        p,
                        f("known"),
                        "known applies to a variable, whose missing labels the specification lists",
                        "write variable = \"NAME\" with the analysis name, or list the excluded labels in not_in",
                    ));
                }
                if !labels && !range {
                    return Err(spec_err(
                        p,
                        f("column"),
                        format!(
                            "rule '{}' has no condition: give equals, in, not_in, min or max",
                            r.label
                        ),
                    ));
                }
                if range && (r.equals.is_some() || r.in_labels.is_some()) {
                    return Err(spec_err(
                        p,
                        f("min"),
                        "a rule is either on labels (equals, in) or on a range (min, max)",
                    ));
                }
                if r.equals.is_some() && r.in_labels.is_some() {
                    return Err(spec_err(p, f("equals"), "give equals or in, not both"));
                }
            }
            (None, Some(v)) => {
                if !self.variable_names().contains(&v.as_str()) {
                    return Err(spec_err_hint(
                        p,
                        f("variable"),
                        format!("'{v}' is not an analysis variable"),
                        format!(
                            "the variables are: {}; to look at a source column write column = \"...\"",
                            self.variable_names().join(", ")
                        ),
                    ));
                }
                if labels || r.others.is_some() {
                    return Err(spec_err_hint(
                        p,
                        f("variable"),
                        "equals, in, not_in and others compare the labels of a source column",
                        "write column = \"...\" for a rule on labels",
                    ));
                }
                match (r.known, range) {
                    (Some(_), true) => {
                        return Err(spec_err(
                            p,
                            f("known"),
                            "give known or min/max, not both (a range excludes unknown values too)",
                        ))
                    }
                    (None, false) => {
                        return Err(spec_err(
                            p,
                            f("variable"),
                            format!(
                                "rule '{}' has no condition: give known = true, min or max",
                                r.label
                            ),
                        ))
                    }
                    (Some(false), _) => {
                        return Err(spec_err(
                            p,
                            f("known"),
                            "known = false is not a rule: write known = true or leave the rule out",
                        ))
                    }
                    _ => {}
                }
                if range {
                    let numeric = *v == self.outcome.time.name
                        || self
                            .covariates
                            .iter()
                            .find(|c| c.name == *v)
                            .is_some_and(reads_numbers);
                    if !numeric {
                        return Err(spec_err(
                            p,
                            f("min"),
                            format!("variable '{v}' is not read as a number, so min/max do not apply"),
                        ));
                    }
                }
            }
        }
        if let (Some(a), Some(b)) = (r.min, r.max) {
            if a > b {
                return Err(spec_err(p, f("max"), format!("min {a} is above max {b}")));
            }
        }
        for (x, v) in [("min", r.min), ("max", r.max)] {
            if v.is_some_and(|v| !v.is_finite()) {
                return Err(spec_err(p, f(x), "not a finite number"));
            }
        }
        let keep: Vec<String> = r
            .equals
            .iter()
            .cloned()
            .chain(r.in_labels.iter().flatten().cloned())
            .collect();
        check_unique(p, &f("in"), &keep)?;
        if let Some(n) = &r.not_in {
            check_unique(p, &f("not_in"), n)?;
            if let Some(l) = keep.iter().find(|l| n.contains(l)) {
                return Err(spec_err(
                    p,
                    f("not_in"),
                    format!("label '{l}' is both kept and excluded"),
                ));
            }
        }
        if r.in_labels.as_ref().is_some_and(|l| l.is_empty()) {
            return Err(spec_err(p, f("in"), "an empty list keeps no row"));
        }
        Ok(())
    }
}

pub(super) fn check_unique(p: &str, field: &str, list: &[String]) -> Result<(), RegistryError> {
    for (k, l) in list.iter().enumerate() {
        if list[..k].contains(l) {
            return Err(spec_err(p, field, format!("label '{l}' is listed twice")));
        }
    }
    Ok(())
}

pub(super) fn check_increasing(p: &str, field: &str, v: &[f64]) -> Result<(), RegistryError> {
    for (k, x) in v.iter().enumerate() {
        if !x.is_finite() {
            return Err(spec_err(p, field, format!("{x} is not a finite number")));
        }
        if k > 0 && *x <= v[k - 1] {
            return Err(spec_err(
                p,
                field,
                format!(
                    "values must increase strictly: {} then {}",
                    format_number(v[k - 1]),
                    format_number(*x)
                ),
            ));
        }
    }
    Ok(())
}

/// Whether the covariate's reader yields numbers (before any cut).
pub(super) fn reads_numbers(c: &CovariateDef) -> bool {
    match c.read {
        Reader::Number | Reader::NumberInLabel => true,
        Reader::Map => c
            .map
            .as_ref()
            .is_some_and(|m| m.0.iter().all(|(_, v)| matches!(v, MapValue::Number(_)))),
        Reader::Codes => c
            .codes
            .as_ref()
            .is_some_and(|r| r.iter().all(|r| matches!(r.value, MapValue::Number(_)))),
    }
}

pub(super) fn is_categorical(c: &CovariateDef) -> bool {
    match c.kind {
        Some(VarType::Categorical) => true,
        Some(VarType::Numeric) => false,
        None => c.cut.is_some() || !reads_numbers(c),
    }
}

pub(super) fn check_covariate(p: &str, c: &CovariateDef) -> Result<(), RegistryError> {
    let f = |x: &str| format!("covariates[{}].{x}", c.name);
    if c.column.trim().is_empty() {
        return Err(spec_err(p, f("column"), "the column is empty"));
    }
    match c.read {
        Reader::Map => {
            if c.codes.is_some() {
                return Err(spec_err(p, f("codes"), "codes apply to read = \"codes\""));
            }
            let m = c.map.as_ref().ok_or_else(|| {
                spec_err_hint(
                    p,
                    f("map"),
                    "read = \"map\" needs a map",
                    "e.g. map = { \"Yes\" = 1, \"No\" = 0 }",
                )
            })?;
            if m.0.is_empty() {
                return Err(spec_err(p, f("map"), "the map is empty"));
            }
            if let Some((l, _)) = m.0.iter().find(|(l, _)| c.missing.contains(l)) {
                return Err(spec_err(
                    p,
                    f("missing"),
                    format!("label '{l}' is both mapped and missing"),
                ));
            }
        }
        Reader::Codes => {
            if c.map.is_some() {
                return Err(spec_err(p, f("map"), "map applies to read = \"map\""));
            }
            let r = c.codes.as_ref().ok_or_else(|| {
                spec_err_hint(
                    p,
                    f("codes"),
                    "read = \"codes\" needs codes",
                    "e.g. codes = [{ from = 0, to = 0, value = 0 }, { from = 10, to = 90, value = 1 }]",
                )
            })?;
            if r.is_empty() {
                return Err(spec_err(p, f("codes"), "no code ranges"));
            }
            check_code_ranges(r).map_err(|m| spec_err(p, f("codes"), m))?;
            for l in &c.missing {
                if let Some(v) = parse_number(l) {
                    if let Some(rg) = r.iter().find(|rg| rg.from <= v && v <= rg.to) {
                        return Err(spec_err(
                            p,
                            f("missing"),
                            format!(
                                "missing code '{l}' lies in the range {}",
                                range_text(rg.from, rg.to)
                            ),
                        ));
                    }
                }
            }
        }
        Reader::Number | Reader::NumberInLabel => {
            if c.map.is_some() || c.codes.is_some() {
                return Err(spec_err(
                    p,
                    f("read"),
                    "map and codes apply to read = \"map\" and read = \"codes\"",
                ));
            }
        }
    }
    if c.top_coded.is_some() && !matches!(c.read, Reader::Number | Reader::NumberInLabel) {
        return Err(spec_err(
            p,
            f("top_coded"),
            "top_coded applies to number and number_in_label readers",
        ));
    }
    check_unique(p, &f("missing"), &c.missing)?;
    let categorical = is_categorical(c);
    if c.kind == Some(VarType::Numeric) {
        if c.cut.is_some() {
            return Err(spec_err(
                p,
                f("cut"),
                "a cut makes groups: the covariate is categorical (leave type out)",
            ));
        }
        if !reads_numbers(c) {
            return Err(spec_err(
                p,
                f("type"),
                "type = \"numeric\" but some values are level names",
            ));
        }
    }
    if let Some(cut) = &c.cut {
        if !reads_numbers(c) {
            return Err(spec_err(
                p,
                f("cut"),
                "a cut needs numbers, but the values are level names",
            ));
        }
        if cut.at.is_empty() {
            return Err(spec_err(p, f("cut.at"), "no cut-points"));
        }
        check_increasing(p, &f("cut.at"), &cut.at)?;
        if cut.labels.len() != cut.at.len() + 1 {
            return Err(spec_err(
                p,
                f("cut.labels"),
                format!(
                    "{} cut-points make {} groups, but {} labels are given",
                    cut.at.len(),
                    cut.at.len() + 1,
                    cut.labels.len()
                ),
            ));
        }
        if c.levels.is_some() {
            return Err(spec_err(
                p,
                f("levels"),
                "with a cut the levels are the cut labels",
            ));
        }
    }
    if !categorical {
        if c.levels.is_some() {
            return Err(spec_err(
                p,
                f("levels"),
                "levels apply to a categorical covariate",
            ));
        }
        if let Some(r) = &c.reference {
            return Err(spec_err_hint(
                p,
                f("reference"),
                format!(
                    "'{}' is numeric, so it has no reference level ('{r}')",
                    c.name
                ),
                "give type = \"categorical\" or a cut to make levels",
            ));
        }
        return Ok(());
    }
    if matches!(c.read, Reader::Number | Reader::NumberInLabel)
        && c.cut.is_none()
        && c.levels.is_none()
    {
        return Err(spec_err_hint(
            p,
            f("levels"),
            "a categorical covariate read as numbers needs its levels",
            "e.g. levels = [\"1\", \"2\", \"3\"]",
        ));
    }
    let levels = StudySpec::levels_of(c).expect("categorical");
    let field = if c.cut.is_some() {
        f("cut.labels")
    } else {
        f("levels")
    };
    check_unique(p, &field, &levels)?;
    for l in &levels {
        if l.trim().is_empty() || l.trim() != l || l == "NA" {
            return Err(spec_err(
                p,
                field.clone(),
                format!("'{l}' cannot be a level: the analysis file would read it as missing or trim it"),
            ));
        }
    }
    if c.levels.is_some() && matches!(c.read, Reader::Map | Reader::Codes) {
        let produced: Vec<String> = match c.read {
            Reader::Map => c
                .map
                .as_ref()
                .expect("map")
                .0
                .iter()
                .map(|(_, v)| v.as_level())
                .collect(),
            _ => c
                .codes
                .as_ref()
                .expect("codes")
                .iter()
                .map(|r| r.value.as_level())
                .collect(),
        };
        if let Some(v) = produced.iter().find(|v| !levels.contains(v)) {
            return Err(spec_err(
                p,
                f("levels"),
                format!("value '{v}' is not among the levels {}", quoted(&levels)),
            ));
        }
        if let Some(l) = levels.iter().find(|l| !produced.contains(l)) {
            return Err(spec_err(
                p,
                f("levels"),
                format!("level '{l}' is the value of no label"),
            ));
        }
    }
    if levels.len() < 2 {
        return Err(spec_err(
            p,
            field,
            format!(
                "a categorical covariate needs at least 2 levels, found {}",
                quoted(&levels)
            ),
        ));
    }
    if let Some(r) = &c.reference {
        if !levels.contains(r) {
            return Err(spec_err_hint(
                p,
                f("reference"),
                format!("the reference '{r}' is not a level"),
                format!("the levels are: {}", quoted(&levels)),
            ));
        }
    }
    Ok(())
}

pub(super) fn range_text(from: f64, to: f64) -> String {
    if from == to {
        format_number(from)
    } else {
        format!("{}-{}", format_number(from), format_number(to))
    }
}

/// Checks code ranges: finite, `from <= to`, no two overlapping.
pub fn check_code_ranges(ranges: &[CodeRange]) -> Result<(), String> {
    for r in ranges {
        if !(r.from.is_finite() && r.to.is_finite()) {
            return Err("code ranges need finite numbers".into());
        }
        if r.from > r.to {
            return Err(format!(
                "range from {} to {}: from is above to",
                format_number(r.from),
                format_number(r.to)
            ));
        }
    }
    for (i, a) in ranges.iter().enumerate() {
        for b in &ranges[i + 1..] {
            if let (Some(la), Some(lb)) = (&a.label, &b.label) {
                if a.value == b.value && la != lb {
                    return Err(format!(
                        "code ranges {} and {} read as the same value but are labelled '{la}' and '{lb}'",
                        range_text(a.from, a.to),
                        range_text(b.from, b.to)
                    ));
                }
            }
        }
    }
    let mut sorted: Vec<&CodeRange> = ranges.iter().collect();
    sorted.sort_by(|a, b| a.from.total_cmp(&b.from));
    for w in sorted.windows(2) {
        if w[1].from <= w[0].to {
            return Err(format!(
                "code ranges {} and {} overlap",
                range_text(w[0].from, w[0].to),
                range_text(w[1].from, w[1].to)
            ));
        }
    }
    Ok(())
}

/// `path` with `.` left out and `dir/..` taken away where `dir` is a plain name, without looking
/// at the file system: `models/../datasets/x.csv` is `datasets/x.csv`, as people read it.
fn normalise(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_people_write_them() {
        let n = |p: &str| normalise(Path::new(p)).to_string_lossy().into_owned();
        assert_eq!(n("models/../datasets/x.csv"), "datasets/x.csv");
        assert_eq!(n("./a/./b.csv"), "a/b.csv");
        assert_eq!(n("../datasets/x.csv"), "../datasets/x.csv");
        assert_eq!(n("/srv/models/../x.csv"), "/srv/x.csv");
        assert_eq!(n("models/.."), ".");
    }
}
