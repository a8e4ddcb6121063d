//! The study specification's types: study, source, outcome, covariates and their readers,
//! inclusion rules, split, selection, validation and risk groups, with their defaults.

use super::*;

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
    /// `[competing_risks]`: a competing event among the rows `[outcome.event]` censors; turns on
    /// the competing-risks section of the study (default: none).
    #[serde(default)]
    pub competing_risks: Option<CompetingRisksSpec>,
    /// `[report]`: how the report prints numbers (default: journal style).
    #[serde(default)]
    pub report: ReportSpec,
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

pub(super) fn default_time_name() -> String {
    "time".into()
}
pub(super) fn default_event_name() -> String {
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
                self.visit_f64(v as f64)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MapValue, E> {
                self.visit_f64(v as f64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<MapValue, E> {
                // nan, inf and 1e300 would flow into the analysis file and the model's terms
                if !(v.is_finite() && v.abs() < 1e15) {
                    return Err(de::Error::custom(format!(
                        "the value {v} is not a usable number (finite, below 1e15 in size); \
                         a level name goes in quotes"
                    )));
                }
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

pub(super) fn default_fraction() -> f64 {
    0.7
}
pub(super) fn default_seed() -> u64 {
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

/// `[report]`: how the report's text and tables print numbers (the CSV files keep full
/// precision).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// How p-values are printed (default `journal`).
    #[serde(default)]
    pub p_values: PValues,
}

/// `[report] p_values`: the styles of `report::format::PStyle` by name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PValues {
    /// `<0.001`, 3 decimals below 0.01, 2 from there on (NEJM, JAMA, Lancet).
    #[default]
    Journal,
    /// 3 decimals down to `<0.001`.
    ThreeDecimals,
    /// 4 decimals down to `<0.0001`.
    FourDecimals,
}

impl PValues {
    /// The style's name, as written in the specification.
    pub fn name(self) -> &'static str {
        match self {
            PValues::Journal => "journal",
            PValues::ThreeDecimals => "three_decimals",
            PValues::FourDecimals => "four_decimals",
        }
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
    /// Names of the horizons in tables, figure titles and file names, one per horizon, e.g.
    /// `["1 year", "3 years", "5 years"]` (default: derived from the time unit, 12 months or
    /// 365 days being "1 year"; otherwise "36 months").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub horizon_labels: Vec<String>,
}

pub(super) fn default_bootstrap() -> usize {
    200
}
pub(super) fn default_groups() -> usize {
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

/// `[competing_risks]`: which of the rows censored by `[outcome.event]` had a competing event. A
/// row is of the event of interest where `[outcome.event]` says event; of the competing event
/// where it says censored and `column` holds a label of `competing`; censored where `column` holds
/// a label of `censor`. A row that `[outcome.event]` excludes (unknown cause of death) stays out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompetingRisksSpec {
    /// Export column telling the competing event apart, e.g. SEER's
    /// `"Vital status recode (study cutoff used)"` (required).
    pub column: String,
    /// Labels of `column` meaning the competing event, e.g. `["Dead"]` (required, at least one).
    pub competing: Vec<String>,
    /// Labels of `column` meaning censoring, e.g. `["Alive"]` (required, at least one).
    pub censor: Vec<String>,
    /// Name of the cause column of the analysis file: 0 censored, 1 the event of interest, 2 the
    /// competing event (default `"cause"`).
    #[serde(default = "default_cause_name")]
    pub name: String,
    /// Name of the event of interest in the report (default `"Event of interest"`).
    #[serde(default)]
    pub event_label: Option<String>,
    /// Name of the competing event in the report (default `"Competing event"`).
    #[serde(default)]
    pub competing_label: Option<String>,
}

pub(super) fn default_cause_name() -> String {
    "cause".into()
}

impl CompetingRisksSpec {
    /// The report's names of cause 1 and cause 2.
    pub fn cause_labels(&self) -> [String; 2] {
        [
            self.event_label
                .clone()
                .unwrap_or_else(|| "Event of interest".into()),
            self.competing_label
                .clone()
                .unwrap_or_else(|| "Competing event".into()),
        ]
    }
}
