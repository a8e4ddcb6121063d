//! From a registry extract (a SEER*Stat case listing, say) to an analysis-ready cohort, driven by a
//! study specification written without code: where time and event come from, how each covariate
//! is read from its labels, which labels mean "unknown", the inclusion rules in order, and the
//! choices of the later analysis (split, selection, validation, risk groups).
//!
//! The file format is described field by field in `docs/study-spec.md`; every field documented
//! here carries its default. The functions here do no printing; they read files only through the
//! functions that take a path and return a `Result`.
//!
//! The principle: nothing is recoded silently. A label that the specification does not name (as
//! a value, a missing value, or a label that a rule keeps or excludes) is an error naming the file,
//! line, column and value, and the labels that were expected.

use crate::data::cohort::FitRequest;
use crate::data::csv::{
    self as data, Column, DataError, DataErrorKind, Numbers, ReadOptions, Table, MISSING,
};
use crate::model::spec::{format_number, parse_number};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::path::{Path, PathBuf};
use thiserror::Error;

// =============================================================================================
// The specification
// =============================================================================================

/// A study specification: one TOML (or JSON) file in `models/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudySpec {
    /// `[study]`: names and description (required).
    pub study: StudyInfo,
    /// `[source]`: how to read the export (optional; every field has a default).
    #[serde(default)]
    pub source: SourceSpec,
    /// `[outcome]`: time and event (required).
    pub outcome: OutcomeSpec,
    /// `[[covariates]]`: the model's candidate factors, in term order (at least one).
    pub covariates: Vec<CovariateDef>,
    /// `[[include]]`: inclusion rules, applied in order (default: none).
    #[serde(default, rename = "include")]
    pub rules: Vec<RuleSpec>,
    /// `[split]`: development / validation split (default: no split).
    #[serde(default)]
    pub split: Option<SplitSpec>,
    /// `[selection]`: how factors are selected (default: all listed).
    #[serde(default)]
    pub selection: SelectionSpec,
    /// `[validation]`: horizons, bootstrap, calibration groups (default: none given).
    #[serde(default)]
    pub validation: Option<ValidationSpec>,
    /// `[risk_groups]`: risk-group rule (default: none).
    #[serde(default)]
    pub risk_groups: Option<RiskGroupSpec>,
    /// The file the specification was read from, for messages (not part of the file).
    #[serde(skip)]
    pub path: String,
}

/// `[study]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyInfo {
    /// Short identifier, e.g. `her2_bone_mets` (required, not empty).
    pub name: String,
    /// Title for reports (default: the name).
    #[serde(default)]
    pub title: Option<String>,
    /// Free text: population, registry, period (default: none).
    #[serde(default)]
    pub description: Option<String>,
}

/// `[source]`: the export file and its layout.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Default export file, relative to the specification's directory (default: none; the
    /// export is then named on the command line).
    #[serde(default)]
    pub file: Option<String>,
    /// Column with a patient identifier, copied to the analysis file (default: none).
    #[serde(default)]
    pub id: Option<String>,
    /// Name of the identifier column in the analysis file (default `"id"`).
    #[serde(default)]
    pub id_name: Option<String>,
    /// Field delimiter, one ASCII character (default: detected from the header line).
    #[serde(default)]
    pub delimiter: Option<String>,
}

/// `[outcome]`: `[outcome.time]` and `[outcome.event]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeSpec {
    pub time: TimeSpec,
    pub event: EventSpec,
}

/// `[outcome.time]`: follow-up time, a plain number >= 0 per row ("0010" is 10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeSpec {
    /// Source column (required).
    pub column: String,
    /// Unit, free text such as `months` or `days` (default: none).
    #[serde(default)]
    pub unit: Option<String>,
    /// Labels that mean the time is unknown, e.g. `["Unknown"]` (default: none).
    #[serde(default)]
    pub unknown: Vec<String>,
    /// Name of the time column in the analysis file (default `"time"`).
    #[serde(default = "default_time_name")]
    pub name: String,
}

fn default_time_name() -> String {
    "time".into()
}
fn default_event_name() -> String {
    "status".into()
}

/// `[outcome.event]`: the event indicator, from labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// Source column (required).
    pub column: String,
    /// Name of the 1/0 event column in the analysis file (default `"status"`).
    #[serde(default = "default_event_name")]
    pub name: String,
    /// Labels meaning the event (required, at least one).
    pub event: Vec<String>,
    /// Labels meaning censoring (required, at least one: no label is censoring by default).
    pub censor: Vec<String>,
    /// Labels meaning the outcome is unknown and the row is excluded, e.g.
    /// `["Dead (missing/unknown COD)"]` (default: none).
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// How a covariate's labels are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reader {
    /// The label is a plain number ("57", "0.5", "0010").
    Number,
    /// The first number inside the label: "57 years" is 57, "85+ years" is 85.
    NumberInLabel,
    /// A table from label to value (number or level).
    Map,
    /// The label is a numeric code; ranges of codes map to values.
    Codes,
}

/// Whether a covariate enters the model as one numeric term or as levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VarType {
    Numeric,
    Categorical,
}

/// A value of a `map` or `codes` entry: a number, or a level name.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MapValue {
    Number(f64),
    Level(String),
}

impl MapValue {
    /// As a level name ("1" for the number 1).
    pub fn as_level(&self) -> String {
        match self {
            MapValue::Number(v) => format_number(*v),
            MapValue::Level(s) => s.clone(),
        }
    }
}

impl<'de> Deserialize<'de> for MapValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = MapValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a level name (text)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MapValue, E> {
                Ok(MapValue::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MapValue, E> {
                Ok(MapValue::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<MapValue, E> {
                Ok(MapValue::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MapValue, E> {
                Ok(MapValue::Level(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A `map` table: label to value, in the order written in the file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelMap(pub Vec<(String, MapValue)>);

impl Serialize for LabelMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for LabelMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LabelMap;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table from label to value, e.g. { \"Yes\" = 1, \"No\" = 0 }")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<LabelMap, A::Error> {
                let mut out: Vec<(String, MapValue)> = Vec::new();
                while let Some((k, v)) = a.next_entry::<String, MapValue>()? {
                    if out.iter().any(|(x, _)| *x == k) {
                        return Err(de::Error::custom(format!("label '{k}' is mapped twice")));
                    }
                    out.push((k, v));
                }
                Ok(LabelMap(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// One range of a `codes` reader: codes `from` to `to` (both included) read as `value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRange {
    pub from: f64,
    pub to: f64,
    pub value: MapValue,
    /// How reports name a numeric `value`, e.g. `"None"` for surgery code 0 read as 0
    /// (default: the value itself). Ranges with the same value must not name it differently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// Cut-points that turn a number into groups: `at = [50, 70]` with three labels gives
/// [.., 50), [50, 70), [70, ..) (left-closed, as R's `cut(right = FALSE)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CutSpec {
    /// Cut-points, strictly increasing (at least one).
    pub at: Vec<f64>,
    /// Group labels, one more than cut-points.
    pub labels: Vec<String>,
}

/// `[[covariates]]`: one analysis variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CovariateDef {
    /// Column name in the analysis file and term name in the model (required).
    pub name: String,
    /// Display label (default: the name).
    #[serde(default)]
    pub label: Option<String>,
    /// Source column of the export (required).
    pub column: String,
    /// How to read the labels (required): `number`, `number_in_label`, `map` or `codes`.
    pub read: Reader,
    /// For `read = "map"`: label to value (required there, not empty).
    #[serde(default)]
    pub map: Option<LabelMap>,
    /// For `read = "codes"`: ranges of codes, not overlapping (required there, not empty).
    #[serde(default)]
    pub codes: Option<Vec<CodeRange>>,
    /// For number readers: a note that the top value stands for "this or more", e.g.
    /// `"85+ years: 85 or older, read as 85"` (default: none).
    #[serde(default)]
    pub top_coded: Option<String>,
    /// Labels that mean the value is missing, e.g. `["Unknown"]` (default: none).
    #[serde(default)]
    pub missing: Vec<String>,
    /// `numeric` or `categorical` (default: categorical with `cut` or with text values in
    /// `map`/`codes`, numeric otherwise).
    #[serde(default, rename = "type")]
    pub kind: Option<VarType>,
    /// Levels of a categorical covariate, in order (default: the order of first appearance
    /// in `map`/`codes`, or the `cut` labels; required for a categorical number reader).
    #[serde(default)]
    pub levels: Option<Vec<String>>,
    /// Reference level of a categorical covariate (default: the first level).
    #[serde(default)]
    pub reference: Option<String>,
    /// Cut-points into groups (default: none).
    #[serde(default)]
    pub cut: Option<CutSpec>,
}

impl CovariateDef {
    /// The display label.
    pub fn display(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }
}

/// What a rule does with labels it does not list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Others {
    /// An unlisted label is an error (the default: nothing is excluded silently).
    #[default]
    Error,
    /// Unlisted labels are kept.
    Keep,
    /// Unlisted labels are excluded.
    Exclude,
}

/// `[[include]]`: one inclusion rule. A row is kept when it satisfies the condition; the rules
/// apply in order and a row is counted under the first rule that excludes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Text for the attrition table (required).
    pub label: String,
    /// A source column whose labels the rule looks at (one of `column`, `variable`).
    #[serde(default)]
    pub column: Option<String>,
    /// An analysis variable (the time name, the event name or a covariate name) whose value
    /// the rule looks at (one of `column`, `variable`).
    #[serde(default)]
    pub variable: Option<String>,
    /// Keep rows with this label (column rules; same as `in` with one label).
    #[serde(default)]
    pub equals: Option<String>,
    /// Keep rows with one of these labels (column rules).
    #[serde(default, rename = "in")]
    pub in_labels: Option<Vec<String>>,
    /// Exclude rows with one of these labels (column rules).
    #[serde(default)]
    pub not_in: Option<Vec<String>>,
    /// Labels listed neither in `in`/`equals` nor in `not_in`: `error` (default), `keep` or
    /// `exclude` (column rules).
    #[serde(default)]
    pub others: Option<Others>,
    /// `true`: keep rows where the variable is known, i.e. not one of its missing labels
    /// (variable rules).
    #[serde(default)]
    pub known: Option<bool>,
    /// Keep rows whose number is at least this (included).
    #[serde(default)]
    pub min: Option<f64>,
    /// Keep rows whose number is at most this (included).
    #[serde(default)]
    pub max: Option<f64>,
}

/// How the split is stratified.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stratify {
    /// A simple random split of the cohort (default).
    #[default]
    None,
    /// Events and censored rows are split separately, keeping the event fraction.
    Event,
}

/// `[split]`: development / validation split of the cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitSpec {
    /// Fraction for development, in (0, 1) (default 0.7).
    #[serde(default = "default_fraction")]
    pub fraction: f64,
    /// Random seed (default 2021).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// `none` (default) or `event`.
    #[serde(default)]
    pub stratify: Stratify,
}

fn default_fraction() -> f64 {
    0.7
}
fn default_seed() -> u64 {
    2021
}

/// How factors are selected for the final model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectionMethod {
    /// Every listed covariate (default).
    #[default]
    All,
    /// Covariates whose univariable Cox p-value is below `p_threshold`.
    Univariable,
    /// Backward elimination by AIC from the full model.
    BackwardAic,
}

/// `[selection]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectionSpec {
    /// `all` (default), `univariable` or `backward_aic`.
    #[serde(default)]
    pub method: SelectionMethod,
    /// For `univariable`: keep covariates with p below this, in (0, 1] (default 0.05).
    #[serde(default)]
    pub p_threshold: Option<f64>,
    /// Covariates kept whatever the selection (default: none).
    #[serde(default)]
    pub force: Vec<String>,
}

impl SelectionSpec {
    /// The p-value threshold of univariable selection (0.05 unless given).
    pub fn threshold(&self) -> f64 {
        self.p_threshold.unwrap_or(0.05)
    }
}

/// `[validation]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationSpec {
    /// Horizons in the time unit, positive and increasing (required).
    pub horizons: Vec<f64>,
    /// Bootstrap resamples for optimism correction and calibration (default 200; 0 = none).
    #[serde(default = "default_bootstrap")]
    pub bootstrap: usize,
    /// Groups of the grouped calibration curve, at least 2 (default 5).
    #[serde(default = "default_groups")]
    pub groups: usize,
    /// Seed of the bootstrap (default 2021).
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_bootstrap() -> usize {
    200
}
fn default_groups() -> usize {
    5
}

/// How risk groups are formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskMethod {
    /// `n` groups of equal size on the development cohort (tertiles for n = 3).
    Quantiles,
    /// Fixed cut-offs.
    Cutoffs,
}

/// The score risk groups are formed on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskScale {
    /// Nomogram total points (default).
    #[default]
    Points,
    /// The linear predictor.
    Lp,
}

/// `[risk_groups]`: cut-offs are chosen on the development cohort and applied unchanged to
/// the validation cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskGroupSpec {
    /// `quantiles` or `cutoffs` (required).
    pub method: RiskMethod,
    /// For `quantiles`: number of groups, at least 2 (default 3).
    #[serde(default)]
    pub n: Option<usize>,
    /// For `cutoffs`: the cut-offs, strictly increasing (required there).
    #[serde(default)]
    pub cutoffs: Option<Vec<f64>>,
    /// `points` (default) or `lp`.
    #[serde(default)]
    pub on: RiskScale,
    /// Group labels, lowest risk first (default: `report::text::risk_group_labels`, e.g. `Low (points ≤ c1)`,
    /// `Intermediate (points c1–c2)`, `High (points > c2)` for three groups).
    #[serde(default)]
    pub labels: Option<Vec<String>>,
}

impl RiskGroupSpec {
    /// Number of groups.
    pub fn n_groups(&self) -> usize {
        match self.method {
            RiskMethod::Quantiles => self.n.unwrap_or(3),
            RiskMethod::Cutoffs => self.cutoffs.as_ref().map_or(0, |c| c.len() + 1),
        }
    }
}

// =============================================================================================
// Errors
// =============================================================================================

/// A problem with the specification file: which file, where, which field.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError {
    pub path: String,
    pub line: Option<usize>,
    pub field: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(l) = self.line {
            write!(f, ", line {l}")?;
        }
        if let Some(x) = &self.field {
            write!(f, ", field {x}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// What a [`LabelError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelErrorKind {
    /// A label the specification does not name.
    UnknownLabel,
    /// A label that reads but gives an impossible value (a negative time).
    BadValue,
}

/// A value of the export that the specification cannot read: file, line, column, value, the
/// specification entry that reads it and the labels it expected.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelError {
    pub kind: LabelErrorKind,
    /// The export file.
    pub path: String,
    pub line: u64,
    pub column: String,
    pub value: String,
    /// The specification entry, e.g. "covariate 'brain'" or "rule 1 'bone metastasis'".
    pub used_by: String,
    /// The labels (or kinds of label) that entry reads.
    pub expected: Vec<String>,
    /// The specification file.
    pub spec: String,
    pub message: String,
    pub hint: String,
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, line {}, column '{}', value '{}': {} ({})",
            self.path, self.line, self.column, self.value, self.message, self.used_by
        )?;
        if !self.expected.is_empty() {
            write!(f, "; expected {}", self.expected.join(", "))?;
        }
        write!(f, "\n  hint: {}", self.hint)
    }
}

/// Everything that can go wrong between a specification, an export and an analysis file.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RegistryError {
    /// The specification is unreadable or inconsistent.
    #[error("{0}")]
    Spec(SpecError),
    /// The export holds a label the specification does not know, or an impossible value.
    #[error("{0}")]
    Label(LabelError),
    /// The export cannot be read (missing file or column, malformed CSV).
    #[error(transparent)]
    Data(#[from] DataError),
}

fn spec_err(path: &str, field: impl Into<String>, message: impl Into<String>) -> RegistryError {
    RegistryError::Spec(SpecError {
        path: path.to_string(),
        line: None,
        field: Some(field.into()),
        message: message.into(),
        hint: None,
    })
}

fn spec_err_hint(
    path: &str,
    field: impl Into<String>,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> RegistryError {
    RegistryError::Spec(SpecError {
        path: path.to_string(),
        line: None,
        field: Some(field.into()),
        message: message.into(),
        hint: Some(hint.into()),
    })
}

fn quoted(labels: &[String]) -> String {
    labels
        .iter()
        .map(|l| format!("'{l}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

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
                message: e.message().trim().to_string(),
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
        Some(dir.join(p))
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
        let mut cols: Vec<&str> = Vec::new();
        for c in all {
            if !cols.contains(&c) {
                cols.push(c);
            }
        }
        cols
    }

    /// Where the specification names a column (for messages).
    fn column_user(&self, column: &str) -> String {
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
        // names
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
        for c in &self.covariates {
            check_covariate(p, c)?;
        }
        for (k, r) in self.rules.iter().enumerate() {
            self.check_rule(k, r)?;
        }
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
            if v.groups < 2 {
                return Err(spec_err(
                    p,
                    "validation.groups",
                    "at least 2 calibration groups",
                ));
            }
        }
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

    fn check_rule(&self, k: usize, r: &RuleSpec) -> Result<(), RegistryError> {
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

fn check_unique(p: &str, field: &str, list: &[String]) -> Result<(), RegistryError> {
    for (k, l) in list.iter().enumerate() {
        if list[..k].contains(l) {
            return Err(spec_err(p, field, format!("label '{l}' is listed twice")));
        }
    }
    Ok(())
}

fn check_increasing(p: &str, field: &str, v: &[f64]) -> Result<(), RegistryError> {
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
fn reads_numbers(c: &CovariateDef) -> bool {
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

fn is_categorical(c: &CovariateDef) -> bool {
    match c.kind {
        Some(VarType::Categorical) => true,
        Some(VarType::Numeric) => false,
        None => c.cut.is_some() || !reads_numbers(c),
    }
}

fn check_covariate(p: &str, c: &CovariateDef) -> Result<(), RegistryError> {
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

fn range_text(from: f64, to: f64) -> String {
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

// =============================================================================================
// Parsing helpers
// =============================================================================================

/// The first number inside a label: "57 years" is 57, "85+ years" is 85, "1.5 cm" is 1.5,
/// "0010" is 10; a minus sign directly before the digits at the start of the label (or after a
/// space) makes it negative. None when the label holds no digit.
pub fn number_in_label(label: &str) -> Option<f64> {
    let b = label.as_bytes();
    let start = b.iter().position(|c| c.is_ascii_digit())?;
    let mut end = start;
    while end < b.len() && b[end].is_ascii_digit() {
        end += 1;
    }
    if end + 1 < b.len() && b[end] == b'.' && b[end + 1].is_ascii_digit() {
        end += 1;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
    }
    let negative = start > 0 && b[start - 1] == b'-' && (start == 1 || b[start - 2] == b' ');
    let v: f64 = label[start..end].parse().ok()?;
    Some(if negative { -v } else { v })
}

/// The group of `v` for cut-points `at` (strictly increasing): 0 for v < at[0], k for
/// at[k-1] <= v < at[k], at.len() for v >= the last cut-point.
pub fn cut_group(at: &[f64], v: f64) -> usize {
    at.partition_point(|&a| a <= v)
}

/// How reports name the numeric value `v` of a covariate: its label in the `map`, or the
/// `label` of a code range that reads as `v`; None when the specification does not name it.
pub fn value_label(c: &CovariateDef, v: f64) -> Option<String> {
    let is_v = |mv: &MapValue| matches!(mv, MapValue::Number(n) if *n == v);
    match c.read {
        Reader::Map => c
            .map
            .as_ref()
            .and_then(|m| m.0.iter().find(|(_, mv)| is_v(mv)))
            .map(|(l, _)| l.clone()),
        Reader::Codes => c
            .codes
            .as_ref()
            .and_then(|r| r.iter().find(|r| is_v(&r.value) && r.label.is_some()))
            .and_then(|r| r.label.clone()),
        _ => None,
    }
}

/// The value of a code under `ranges` (both ends included), if it lies in one.
pub fn code_value(ranges: &[CodeRange], code: f64) -> Option<&MapValue> {
    ranges
        .iter()
        .find(|r| r.from <= code && code <= r.to)
        .map(|r| &r.value)
}

// =============================================================================================
// Reading the export
// =============================================================================================

/// How the export is read: every field is kept as a label (no missing-value tokens: the
/// specification says which labels are unknown), with the specification's delimiter.
pub fn export_read_options(spec: &StudySpec) -> ReadOptions {
    ReadOptions {
        na_tokens: Vec::new(),
        delimiter: spec.source.delimiter.as_ref().map(|d| d.as_bytes()[0]),
    }
}

/// Reads the columns of `path` that the specification uses.
pub fn read_export(spec: &StudySpec, path: &Path) -> Result<Table, RegistryError> {
    data::read_csv(path, &spec.columns(), &export_read_options(spec))
        .map_err(|e| export_error(spec, e))
}

/// As [`read_export`], from bytes in memory; `label` names them in messages.
pub fn read_export_bytes(
    spec: &StudySpec,
    bytes: &[u8],
    label: &str,
) -> Result<Table, RegistryError> {
    data::read_csv_bytes(bytes, label, &spec.columns(), &export_read_options(spec))
        .map_err(|e| export_error(spec, e))
}

/// Says which field of the specification names a missing column.
fn export_error(spec: &StudySpec, mut e: DataError) -> RegistryError {
    if e.kind == DataErrorKind::MissingColumn {
        if let Some(c) = e.column.clone() {
            e.message = format!(
                "there is no column '{c}' (named by {} in {})",
                spec.column_user(&c),
                spec.path
            );
        }
    }
    RegistryError::Data(e)
}

/// Reads the export at `path` and derives the cohort.
pub fn derive_cohort_from_path(spec: &StudySpec, path: &Path) -> Result<Cohort, RegistryError> {
    let table = read_export(spec, path)?;
    derive_cohort(spec, &table)
}

// =============================================================================================
// Evaluating labels
// =============================================================================================

const NO_LEVEL: u32 = u32::MAX;

/// What one label gives for an analysis variable.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// The number read (NaN for a level-valued covariate) and the level (NO_LEVEL for numeric).
    Value {
        num: f64,
        level: u32,
    },
    Missing,
    Unknown,
    Bad(&'static str),
}

#[derive(Debug, Clone, Copy)]
enum Raw {
    Num(f64),
    Level(u32),
}

enum Output {
    Numeric,
    Levels,
    Cut(Vec<f64>),
}

/// A covariate's reader, compiled.
struct CovReader<'s> {
    def: &'s CovariateDef,
    map: Vec<(&'s str, Raw)>,
    codes: Vec<(f64, f64, Raw)>,
    missing_nums: Vec<f64>,
    levels: Vec<String>,
    output: Output,
}

impl<'s> CovReader<'s> {
    fn new(def: &'s CovariateDef) -> CovReader<'s> {
        let levels = StudySpec::levels_of(def).unwrap_or_default();
        let as_levels = !levels.is_empty() && def.cut.is_none();
        let raw = |v: &MapValue| -> Raw {
            if as_levels {
                let l = v.as_level();
                Raw::Level(levels.iter().position(|x| *x == l).expect("checked level") as u32)
            } else {
                match v {
                    MapValue::Number(x) => Raw::Num(*x),
                    MapValue::Level(_) => unreachable!("checked: numbers only"),
                }
            }
        };
        let map = def
            .map
            .as_ref()
            .map(|m| m.0.iter().map(|(k, v)| (k.as_str(), raw(v))).collect())
            .unwrap_or_default();
        let codes = def
            .codes
            .as_ref()
            .map(|c| c.iter().map(|r| (r.from, r.to, raw(&r.value))).collect())
            .unwrap_or_default();
        let output = match (&def.cut, levels.is_empty()) {
            (Some(c), _) => Output::Cut(c.at.clone()),
            (None, true) => Output::Numeric,
            (None, false) => Output::Levels,
        };
        CovReader {
            def,
            map,
            codes,
            missing_nums: def.missing.iter().filter_map(|m| parse_number(m)).collect(),
            levels,
            output,
        }
    }

    fn finish(&self, raw: Raw) -> Slot {
        match raw {
            Raw::Level(l) => Slot::Value {
                num: f64::NAN,
                level: l,
            },
            Raw::Num(v) => match &self.output {
                Output::Numeric => Slot::Value {
                    num: v,
                    level: NO_LEVEL,
                },
                Output::Cut(at) => Slot::Value {
                    num: v,
                    level: cut_group(at, v) as u32,
                },
                Output::Levels => {
                    let l = format_number(v);
                    match self.levels.iter().position(|x| *x == l) {
                        Some(k) => Slot::Value {
                            num: v,
                            level: k as u32,
                        },
                        None => Slot::Unknown,
                    }
                }
            },
        }
    }

    fn code(&self, v: f64) -> Slot {
        match self.codes.iter().find(|(a, b, _)| *a <= v && v <= *b) {
            Some((_, _, raw)) => self.finish(*raw),
            None => Slot::Unknown,
        }
    }

    fn read_label(&self, label: &str) -> Slot {
        if self.def.missing.iter().any(|m| m == label) {
            return Slot::Missing;
        }
        match self.def.read {
            Reader::Number => match parse_number(label) {
                Some(v) if self.missing_nums.contains(&v) => Slot::Missing,
                Some(v) => self.finish(Raw::Num(v)),
                None => Slot::Unknown,
            },
            Reader::NumberInLabel => match number_in_label(label) {
                Some(v) => self.finish(Raw::Num(v)),
                None => Slot::Unknown,
            },
            Reader::Map => match self.map.iter().find(|(k, _)| *k == label) {
                Some((_, raw)) => self.finish(*raw),
                None => Slot::Unknown,
            },
            Reader::Codes => match parse_number(label) {
                Some(v) if self.missing_nums.contains(&v) => Slot::Missing,
                Some(v) => self.code(v),
                None => Slot::Unknown,
            },
        }
    }

    fn read_number(&self, v: f64) -> Slot {
        match self.def.read {
            Reader::Number | Reader::Codes if self.missing_nums.contains(&v) => Slot::Missing,
            Reader::Number => self.finish(Raw::Num(v)),
            Reader::Codes => self.code(v),
            Reader::NumberInLabel | Reader::Map => self.read_label(&format_number(v)),
        }
    }

    fn expected(&self) -> Vec<String> {
        let d = self.def;
        let mut e: Vec<String> = match d.read {
            Reader::Number => vec!["a number".into()],
            Reader::NumberInLabel => vec!["a label containing a number (e.g. '57 years')".into()],
            Reader::Map => d
                .map
                .as_ref()
                .map(|m| m.0.iter().map(|(k, _)| format!("'{k}'")).collect())
                .unwrap_or_default(),
            Reader::Codes => vec![format!(
                "a code in {}",
                d.codes
                    .as_ref()
                    .map(|c| c
                        .iter()
                        .map(|r| range_text(r.from, r.to))
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default()
            )],
        };
        if matches!(d.read, Reader::Number | Reader::NumberInLabel)
            && matches!(self.output, Output::Levels)
        {
            e[0] = format!("{} among the levels {}", e[0], quoted(&self.levels));
        }
        e.extend(d.missing.iter().map(|m| format!("'{m}' (missing)")));
        e
    }
}

/// An analysis variable compiled against the export: its column and, per label, its slot.
struct VarEval<'t, 's> {
    name: &'s str,
    used_by: String,
    field: String,
    col: &'t Column,
    kind: VarKind<'s>,
    by_code: Vec<Slot>,
    missing_code: Slot,
}

enum VarKind<'s> {
    Time(&'s TimeSpec),
    Event(&'s EventSpec),
    Cov(CovReader<'s>),
}

impl VarKind<'_> {
    fn read_label(&self, label: &str) -> Slot {
        match self {
            VarKind::Time(t) => {
                if t.unknown.iter().any(|u| u == label) {
                    return Slot::Missing;
                }
                match parse_number(label) {
                    Some(v) => time_slot(v),
                    None => Slot::Unknown,
                }
            }
            VarKind::Event(e) => {
                let num = if e.event.iter().any(|l| l == label) {
                    1.0
                } else if e.censor.iter().any(|l| l == label) {
                    0.0
                } else if e.exclude.iter().any(|l| l == label) {
                    return Slot::Missing;
                } else {
                    return Slot::Unknown;
                };
                Slot::Value {
                    num,
                    level: NO_LEVEL,
                }
            }
            VarKind::Cov(c) => c.read_label(label),
        }
    }

    fn read_number(&self, v: f64) -> Slot {
        match self {
            VarKind::Time(t) => {
                if t.unknown.iter().any(|u| parse_number(u) == Some(v)) {
                    Slot::Missing
                } else {
                    time_slot(v)
                }
            }
            VarKind::Event(_) => self.read_label(&format_number(v)),
            VarKind::Cov(c) => c.read_number(v),
        }
    }

    fn expected(&self) -> Vec<String> {
        match self {
            VarKind::Time(t) => {
                let mut e = vec!["a number >= 0".to_string()];
                e.extend(t.unknown.iter().map(|u| format!("'{u}' (unknown)")));
                e
            }
            VarKind::Event(e) => {
                let mut x: Vec<String> = e.event.iter().map(|l| format!("'{l}' (event)")).collect();
                x.extend(e.censor.iter().map(|l| format!("'{l}' (censoring)")));
                x.extend(e.exclude.iter().map(|l| format!("'{l}' (excluded)")));
                x
            }
            VarKind::Cov(c) => c.expected(),
        }
    }
}

fn time_slot(v: f64) -> Slot {
    if v < 0.0 {
        Slot::Bad("negative follow-up time")
    } else {
        Slot::Value {
            num: v,
            level: NO_LEVEL,
        }
    }
}

/// The label of row `i` as written (a number-only column gives the number's shortest text).
fn row_label(col: &Column, i: usize) -> String {
    if col.codes.is_empty() {
        return format_number(col.value(i));
    }
    match col.codes[i] {
        MISSING => String::new(),
        c => col.labels[c as usize].clone(),
    }
}

impl<'t, 's> VarEval<'t, 's> {
    fn new(
        name: &'s str,
        used_by: String,
        field: String,
        col: &'t Column,
        kind: VarKind<'s>,
    ) -> Self {
        let by_code = col.labels.iter().map(|l| kind.read_label(l)).collect();
        let missing_code = kind.read_label("");
        VarEval {
            name,
            used_by,
            field,
            col,
            kind,
            by_code,
            missing_code,
        }
    }

    #[inline]
    fn slot(&self, i: usize) -> Slot {
        if self.col.codes.is_empty() {
            return self.kind.read_number(self.col.value(i));
        }
        match self.col.codes[i] {
            MISSING => self.missing_code,
            c => self.by_code[c as usize],
        }
    }

    fn error(&self, table: &Table, spec: &StudySpec, i: usize, slot: Slot) -> RegistryError {
        let value = row_label(self.col, i);
        let (kind, message, hint) = match slot {
            Slot::Bad(m) => (
                LabelErrorKind::BadValue,
                m.to_string(),
                format!(
                    "correct the value, or list it as unknown in {} of {}",
                    self.field, spec.path
                ),
            ),
            _ => (
                LabelErrorKind::UnknownLabel,
                "a label the specification does not know".to_string(),
                format!(
                    "add '{value}' to {} in {} (as a value, or as missing), or correct the export",
                    self.field, spec.path
                ),
            ),
        };
        RegistryError::Label(LabelError {
            kind,
            path: table.path.clone(),
            line: table.lines[i],
            column: self.col.name.clone(),
            value,
            used_by: self.used_by.clone(),
            expected: self.kind.expected(),
            spec: spec.path.clone(),
            message,
            hint,
        })
    }
}

/// What a rule does with one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Keep,
    /// Excluded, with the index of the reason.
    Drop(u32),
    Unknown,
    Bad(&'static str),
}

/// A rule compiled against the export.
struct RuleEval<'t, 's> {
    spec: &'s RuleSpec,
    used_by: String,
    /// Column rules: the column; variable rules: the variable's index.
    col: &'t Column,
    var: Option<usize>,
    by_code: Vec<Decision>,
    missing_code: Decision,
    reasons: Vec<String>,
    reason_ix: FxHashMap<String, u32>,
}

/// Exclusion reasons met while deciding rows of a number-only column, beyond those of the
/// compiled rule (ids continue after the rule's own).
#[derive(Default)]
struct LocalReasons {
    ix: FxHashMap<String, u32>,
    names: Vec<String>,
}

/// The counts of deciding a range of export rows (their fates are written in place).
struct ChunkOut {
    /// Per rule: count per reason id; the names of ids beyond the rule's own.
    rule_counts: Vec<Vec<usize>>,
    local: Vec<LocalReasons>,
    cc_counts: Vec<usize>,
}

/// What a rule says about one label (column rules) or one slot (variable rules), with the
/// reason text of an exclusion.
enum Verdict {
    Keep,
    Drop(String),
    Unknown,
    Bad(&'static str),
}

impl<'t, 's> RuleEval<'t, 's> {
    fn verdict_label(&self, label: &str) -> Verdict {
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

    fn verdict_range(&self, v: f64) -> Verdict {
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

    fn verdict_slot(&self, slot: Slot, label: &str) -> Verdict {
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

    fn intern(&mut self, v: Verdict) -> Decision {
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

    fn new(
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
    fn decide(&self, i: usize, vars: &[VarEval], local: &mut LocalReasons) -> Decision {
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

    fn expected(&self, vars: &[VarEval]) -> Vec<String> {
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

    fn error(
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
    pub covariates: Vec<CohortVariable>,
    /// Per row, its split (when the specification has `[split]`).
    pub split: Option<Vec<Split>>,
    pub attrition: Attrition,
}

/// Derives the cohort from an export table read with [`read_export`] (every field a label).
/// A table read with missing-value tokens works too: a missing field reads as the empty label.
pub fn derive_cohort(spec: &StudySpec, table: &Table) -> Result<Cohort, RegistryError> {
    // a specification built in code has not been through `load`
    spec.check()?;
    let n = table.n_rows();
    let col = |name: &str| -> Result<&Column, RegistryError> {
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
    };
    let mut vars: Vec<VarEval> = Vec::with_capacity(spec.covariates.len() + 2);
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
    let mut rules: Vec<RuleEval> = spec
        .rules
        .iter()
        .enumerate()
        .map(|(k, r)| RuleEval::new(k, r, table, &vars))
        .collect();
    let n_rules = rules.len();
    // fate of each export row: the step that excluded it, or KEPT
    const KEPT: u16 = u16::MAX;
    assert!(n_rules < KEPT as usize - 1, "too many rules");
    // phase 1, in parallel pieces: the fate of every row (each piece stops at its first
    // problem; the problem of the earliest piece is the first in the file)
    let decide_piece = |start: usize, fate: &mut [u16]| -> Result<ChunkOut, RegistryError> {
        let mut o = ChunkOut {
            rule_counts: rules.iter().map(|r| vec![0; r.reasons.len()]).collect(),
            local: (0..n_rules).map(|_| LocalReasons::default()).collect(),
            cc_counts: vec![0; vars.len()],
        };
        let mut missing = vec![false; vars.len()];
        'rows: for (f, i) in fate.iter_mut().zip(start..) {
            for (k, r) in rules.iter().enumerate() {
                match r.decide(i, &vars, &mut o.local[k]) {
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
                    d => return Err(r.error(table, spec, &vars, i, d)),
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
        covariates,
        split,
        attrition: Attrition {
            export: table.path.clone(),
            start,
            steps,
            final_n,
            events,
        },
    })
}

/// Per row, its split: as [`crate::model::validation::split_labels`] (the same shuffles, so the same
/// sets), with the rows bucketed by label in one pass.
fn split_flags(labels: &[usize], train: f64, seed: u64) -> Vec<Split> {
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

enum OutCol {
    Numbers(Vec<f64>),
    Levels(Vec<u32>),
}

impl CovReader<'_> {
    fn levels_out(&self) -> Vec<String> {
        match &self.output {
            Output::Cut(_) => self.def.cut.as_ref().expect("cut").labels.clone(),
            _ => self.levels.clone(),
        }
    }
}

/// Appends `v` as [`format_number`] writes it, without allocating (whole numbers digit by digit).
fn push_number(buf: &mut Vec<u8>, v: f64) {
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
fn csv_field(s: &str) -> Vec<u8> {
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

    /// Column names of the analysis file: id, time, event, covariates, split.
    pub fn header(&self) -> Vec<String> {
        let mut h = Vec::new();
        if let Some((name, _)) = &self.id {
            h.push(name.clone());
        }
        h.push(self.time_name.clone());
        h.push(self.event_name.clone());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_in_label_reads_the_first_number() {
        assert_eq!(number_in_label("57 years"), Some(57.0));
        assert_eq!(number_in_label("85+ years"), Some(85.0));
        assert_eq!(number_in_label("0010"), Some(10.0));
        assert_eq!(number_in_label("00 years"), Some(0.0));
        assert_eq!(number_in_label("1.5 cm"), Some(1.5));
        assert_eq!(number_in_label("10-14 years"), Some(10.0));
        assert_eq!(number_in_label("age 3."), Some(3.0));
        assert_eq!(number_in_label("-5"), Some(-5.0));
        assert_eq!(number_in_label("grade -2"), Some(-2.0));
        assert_eq!(number_in_label("T-2"), Some(2.0));
        assert_eq!(number_in_label("Unknown"), None);
        assert_eq!(number_in_label(""), None);
    }

    fn range(from: f64, to: f64, v: f64) -> CodeRange {
        CodeRange {
            from,
            to,
            value: MapValue::Number(v),
            label: None,
        }
    }

    #[test]
    fn code_range_labels_name_values_and_must_agree() {
        let labelled = |from: f64, to: f64, v: f64, l: &str| CodeRange {
            label: Some(l.to_string()),
            ..range(from, to, v)
        };
        let ranges = vec![
            labelled(0.0, 0.0, 0.0, "None"),
            labelled(10.0, 80.0, 1.0, "Surgery"),
            range(90.0, 90.0, 1.0),
        ];
        assert!(check_code_ranges(&ranges).is_ok());
        let text = format!(
            "{MINIMAL}[[covariates]]\nname = \"surgery\"\ncolumn = \"s\"\nread = \"codes\"\n\
             codes = [{{ from = 0, to = 0, value = 0, label = \"None\" }}, \
             {{ from = 10, to = 90, value = 1, label = \"Surgery\" }}]\n"
        );
        let spec = StudySpec::from_toml(&text, "t.toml").unwrap();
        let c = &spec.covariates[1];
        assert_eq!(value_label(c, 0.0).as_deref(), Some("None"));
        assert_eq!(value_label(c, 1.0).as_deref(), Some("Surgery"));
        assert_eq!(value_label(c, 2.0), None);
        let e = check_code_ranges(&[
            labelled(10.0, 80.0, 1.0, "Surgery"),
            labelled(90.0, 90.0, 1.0, "Other"),
        ])
        .unwrap_err();
        assert!(e.contains("'Surgery' and 'Other'"), "{e}");
    }

    #[test]
    fn code_ranges_include_both_ends_and_must_not_overlap() {
        let r = vec![range(0.0, 0.0, 0.0), range(10.0, 90.0, 1.0)];
        assert!(check_code_ranges(&r).is_ok());
        assert_eq!(code_value(&r, 0.0), Some(&MapValue::Number(0.0)));
        assert_eq!(code_value(&r, 10.0), Some(&MapValue::Number(1.0)));
        assert_eq!(code_value(&r, 90.0), Some(&MapValue::Number(1.0)));
        assert_eq!(code_value(&r, 41.0), Some(&MapValue::Number(1.0)));
        assert_eq!(code_value(&r, 5.0), None);
        assert_eq!(code_value(&r, 99.0), None);
        let e = check_code_ranges(&[range(10.0, 90.0, 1.0), range(0.0, 10.0, 0.0)]).unwrap_err();
        assert_eq!(e, "code ranges 0-10 and 10-90 overlap");
        let e = check_code_ranges(&[range(9.0, 1.0, 1.0)]).unwrap_err();
        assert!(e.contains("from is above to"), "{e}");
        assert!(check_code_ranges(&[range(0.0, f64::INFINITY, 1.0)]).is_err());
    }

    #[test]
    fn cut_points_are_left_closed() {
        // age < 50 / 50-69 / >= 70
        let at = [50.0, 70.0];
        assert_eq!(cut_group(&at, 22.0), 0);
        assert_eq!(cut_group(&at, 49.0), 0);
        assert_eq!(cut_group(&at, 49.999), 0);
        assert_eq!(cut_group(&at, 50.0), 1);
        assert_eq!(cut_group(&at, 69.0), 1);
        assert_eq!(cut_group(&at, 69.5), 1);
        assert_eq!(cut_group(&at, 70.0), 2);
        assert_eq!(cut_group(&at, 95.0), 2);
    }

    #[test]
    fn label_maps_keep_the_written_order() {
        #[derive(Deserialize)]
        struct T {
            map: LabelMap,
        }
        let t: T = toml::from_str("map = { \"Yes\" = 1, \"No\" = 0, \"Maybe\" = \"m\" }").unwrap();
        assert_eq!(
            t.map.0,
            vec![
                ("Yes".to_string(), MapValue::Number(1.0)),
                ("No".to_string(), MapValue::Number(0.0)),
                ("Maybe".to_string(), MapValue::Level("m".into())),
            ]
        );
        let t: T = serde_json::from_str(r#"{"map": {"b": 2, "a": 1.5}}"#).unwrap();
        assert_eq!(t.map.0[0].0, "b");
        let e = serde_json::from_str::<T>(r#"{"map": {"a": 1, "a": 2}}"#)
            .err()
            .unwrap();
        assert!(e.to_string().contains("mapped twice"), "{e}");
        assert!(toml::from_str::<T>("map = { a = true }").is_err());
    }

    #[test]
    fn split_flags_equal_split_labels() {
        let labels: Vec<usize> = (0..1000).map(|i| (i * 7 + i / 13) % 4).collect();
        let flags = split_flags(&labels, 0.7, 2021);
        let (dev, val) = crate::model::validation::split_labels(&labels, 0.7, 2021);
        assert!(dev.iter().all(|&i| flags[i] == Split::Development));
        assert!(val.iter().all(|&i| flags[i] == Split::Validation));
    }

    #[test]
    fn numbers_are_written_as_format_number_writes_them() {
        for v in [
            0.0, -0.0, 7.0, -12.0, 106.0, 1e14, 0.5, -1.25, 1e-9, 123456.789, 1e15, 3e20,
        ] {
            let mut b = Vec::new();
            push_number(&mut b, v);
            assert_eq!(String::from_utf8(b).unwrap(), format_number(v), "{v}");
        }
    }

    #[test]
    fn fields_are_quoted_when_needed() {
        assert_eq!(csv_field("age"), b"age");
        assert_eq!(csv_field("<50"), b"<50");
        assert_eq!(csv_field("a,b"), b"\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), b"\"say \"\"hi\"\"\"");
        assert_eq!(csv_field(""), b"\"\"");
    }

    const MINIMAL: &str = r#"
[study]
name = "t"
[outcome.time]
column = "months"
[outcome.event]
column = "dead"
event = ["yes"]
censor = ["no"]
[[covariates]]
name = "age"
column = "age"
read = "number"
"#;

    #[test]
    fn defaults_are_filled_in() {
        let s = StudySpec::from_toml(MINIMAL, "t.toml").unwrap();
        assert_eq!(s.outcome.time.name, "time");
        assert_eq!(s.outcome.event.name, "status");
        assert_eq!(s.selection.method, SelectionMethod::All);
        assert_eq!(s.selection.threshold(), 0.05);
        assert!(s.split.is_none() && s.validation.is_none() && s.risk_groups.is_none());
        assert_eq!(s.columns(), vec!["months", "dead", "age"]);
        let s = StudySpec::from_toml(&format!("{MINIMAL}[split]\n[validation]\nhorizons = [1]\n[risk_groups]\nmethod = \"quantiles\"\n"), "t.toml").unwrap();
        let sp = s.split.unwrap();
        assert_eq!(
            (sp.fraction, sp.seed, sp.stratify),
            (0.7, 2021, Stratify::None)
        );
        let v = s.validation.unwrap();
        assert_eq!((v.bootstrap, v.groups, v.seed), (200, 5, 2021));
        let r = s.risk_groups.unwrap();
        assert_eq!(r.n_groups(), 3);
        assert_eq!(r.on, RiskScale::Points);
        assert_eq!(r.labels, None);
    }

    #[test]
    fn json_and_toml_give_the_same_spec() {
        let a = StudySpec::from_toml(MINIMAL, "t").unwrap();
        let j = serde_json::to_string(&a).unwrap();
        let b = StudySpec::from_json(&j, "t").unwrap();
        assert_eq!(a, b);
    }
}
