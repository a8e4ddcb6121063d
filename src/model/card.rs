//! What a model file may carry for people besides the numbers: the study's title and description,
//! display labels of the covariates and their values, the development cohort's period, how well
//! the model validated, and its risk-group cut-offs. `prognosis study` fills it; the clinician
//! calculator shows it. Every field is optional, so a model file without a card still loads.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The model card: descriptive information about a model, none of it needed for prediction.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelCard {
    /// What the model is for, e.g. "Cancer-specific survival of HER2-positive breast cancer with
    /// bone metastases" (default: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Free text: population, registry, period (default: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Display labels by covariate or stratification column name, e.g. `age` -> "Age (years)"
    /// (default: none; the name is shown).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Labels of values by covariate name: for a 0/1 factor `[{value: "0", label: "No"}, ...]`,
    /// for a categorical covariate by level (default: none; the values are shown).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub value_labels: BTreeMap<String, Vec<ValueLabel>>,
    /// The development cohort's period of diagnosis or inclusion, free text (default: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// Discrimination and calibration in the sets the model was evaluated on (default: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validation: Vec<ValidationCard>,
    /// Risk groups by cut-offs on the nomogram's total points or the linear predictor (default:
    /// none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_groups: Option<RiskGroupCard>,
}

/// A display label of one value of a covariate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueLabel {
    /// The value as `score --set` takes it ("1", or a level).
    pub value: String,
    pub label: String,
}

/// Discrimination and calibration of the model in one set of patients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationCard {
    /// "development", "validation" or a cohort's name.
    pub set: String,
    pub n: usize,
    pub events: usize,
    pub harrell_c: f64,
    pub harrell_c_lower: f64,
    pub harrell_c_upper: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uno_c: Option<f64>,
    /// Bootstrap optimism-corrected Harrell's C, when resampled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected_c: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub horizons: Vec<HorizonCard>,
    /// Median follow-up with its interquartile range by reverse Kaplan-Meier, in the model's
    /// time unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<crate::stats::km::FollowUpQuartiles>,
}

/// Measures at one horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HorizonCard {
    pub time: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auc: Option<f64>,
    /// Integrated calibration index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ici: Option<f64>,
    pub calibration_slope: f64,
    pub observed_expected: f64,
}

/// The scale risk groups are cut on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskScale {
    /// The nomogram's total points.
    Points,
    /// The linear predictor as `score` reports it.
    Lp,
}

/// Risk groups: cut-offs c_1 < ... < c_{k-1} make k groups (-inf, c_1], (c_1, c_2], ...,
/// (c_{k-1}, inf), as `prognosis risk-groups`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskGroupCard {
    pub on: RiskScale,
    pub cutoffs: Vec<f64>,
    /// One label per group, lowest scores first.
    pub labels: Vec<String>,
}

impl ValidationCard {
    /// The card entry of a validation report on the set named `set`.
    pub fn from_report(
        set: &str,
        r: &crate::model::validation::ValidationReport,
    ) -> ValidationCard {
        ValidationCard {
            set: set.to_string(),
            n: r.n,
            events: r.events,
            harrell_c: r.harrell_c.c,
            harrell_c_lower: r.harrell_c.lower,
            harrell_c_upper: r.harrell_c.upper,
            uno_c: r.uno_c.c.is_finite().then_some(r.uno_c.c),
            corrected_c: r.bootstrap.as_ref().map(|b| b.corrected.harrell_c),
            horizons: r
                .horizons
                .iter()
                .map(|h| HorizonCard {
                    time: h.time,
                    auc: h.auc,
                    ici: h.calibration.ici,
                    calibration_slope: h.calibration.slope,
                    observed_expected: h.calibration.observed_expected,
                })
                .collect(),
            follow_up: None,
        }
    }

    /// This card with the reverse Kaplan-Meier follow-up of the set's outcome `surv`.
    pub fn with_follow_up(mut self, surv: &crate::stats::surv::Surv) -> ValidationCard {
        self.follow_up = Some(crate::stats::km::reverse_km_follow_up(surv));
        self
    }
}
