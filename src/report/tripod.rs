//! The TRIPOD+AI checklist (Collins et al., BMJ 2024;385:e078378): the items of the reporting
//! guideline for clinical prediction models, in short words of our own, for the report's last
//! section and `tripod_checklist.csv`.

/// One item of the checklist: its number ("12c"), the part of the paper it belongs to and what
/// it asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    pub id: &'static str,
    pub topic: &'static str,
    pub asks: &'static str,
}

const fn item(id: &'static str, topic: &'static str, asks: &'static str) -> Item {
    Item { id, topic, asks }
}

/// Every item of TRIPOD+AI (2024), in the guideline's order.
pub const ITEMS: &[Item] = &[
    item("1", "Title", "Name the study as developing or evaluating a multivariable prediction model, with its population and outcome."),
    item("2", "Abstract", "Follow the TRIPOD+AI for Abstracts checklist."),
    item("3a", "Background", "The clinical context, whether the model is diagnostic or prognostic, the rationale, and existing models."),
    item("3b", "Background", "The target population and the model's intended use and users in the care pathway."),
    item("3c", "Background", "Known health inequalities between sociodemographic groups."),
    item("4", "Objectives", "The objectives, including whether the study develops or validates a model, or both."),
    item("5a", "Data", "Sources of the development and evaluation data, why they were used, and how representative they are."),
    item("5b", "Data", "Dates of data collection: start and end of accrual and, where relevant, of follow-up."),
    item("6a", "Participants", "The setting (primary or secondary care, general population), with number and location of centres."),
    item("6b", "Participants", "Eligibility criteria."),
    item("6c", "Participants", "Treatments received and how they were handled in development or evaluation."),
    item("7", "Data preparation", "Pre-processing and quality checks, and whether they were alike across sociodemographic groups."),
    item("8a", "Outcome", "Definition of the outcome and its time horizon, how and when it was assessed, and why it was chosen."),
    item("8b", "Outcome", "Qualifications and demographics of outcome assessors where assessment is subjective."),
    item("8c", "Outcome", "Blinding of outcome assessment."),
    item("9a", "Predictors", "How the candidate predictors were chosen and any pre-selection before modelling."),
    item("9b", "Predictors", "Definition of every predictor, how and when it was measured, and any blinding."),
    item("9c", "Predictors", "Qualifications and demographics of predictor assessors where measurement is subjective."),
    item("10", "Sample size", "How the study size was arrived at, for development and evaluation, and why it suffices."),
    item("11", "Missing data", "How missing data were handled, and why data were left out."),
    item("12a", "Analytical methods", "How the data were used for development and evaluation, including any partitioning."),
    item("12b", "Analytical methods", "How predictors were handled: functional form, rescaling, transformation, standardisation."),
    item("12c", "Analytical methods", "Type of model and why, every model-building step, tuning, and the method of internal validation."),
    item("12d", "Analytical methods", "How heterogeneity across clusters (centres, countries) was handled and quantified."),
    item("12e", "Analytical methods", "Every performance measure and plot (discrimination, calibration, clinical utility) and why."),
    item("12f", "Analytical methods", "Any model updating (recalibration) arising from the evaluation."),
    item("12g", "Analytical methods", "How predictions were calculated in the evaluation (formula, code, object, interface)."),
    item("13", "Class imbalance", "Whether and how class-imbalance methods were used, and any recalibration after them."),
    item("14", "Fairness", "Approaches used to address fairness, and why."),
    item("15", "Model output", "What the model outputs (probabilities, classes), and how any thresholds were chosen."),
    item("16", "Training versus evaluation", "Differences between development and evaluation data in setting, eligibility, outcome and predictors."),
    item("17", "Ethical approval", "The ethics committee and the consent or its waiver."),
    item("18a", "Funding", "Sources of funding and the funders' role."),
    item("18b", "Conflicts of interest", "Conflicts of interest and financial disclosures of all authors."),
    item("18c", "Protocol", "Where the protocol can be read, or that there was none."),
    item("18d", "Registration", "Registry and registration number, or that the study was not registered."),
    item("18e", "Data sharing", "Availability of the study data."),
    item("18f", "Code sharing", "Availability of the analysis code."),
    item("19", "Patient and public involvement", "Patient and public involvement in any stage of the study, or none."),
    item("20a", "Participants", "Flow of participants, with and without the outcome, and follow-up; a diagram may help."),
    item("20b", "Participants", "Characteristics overall and per source or setting: dates, predictors, treatments, sample size, events, follow-up, missing data."),
    item("20c", "Participants", "For evaluation: the distribution of important predictors compared with the development data."),
    item("21", "Model development", "Number of participants and outcome events in each analysis."),
    item("22", "Model specification", "The full model (formula, code, object, interface) so that others can predict for new individuals, and any restriction on its use."),
    item("23a", "Model performance", "Performance estimates with confidence intervals, including for key subgroups."),
    item("23b", "Model performance", "Heterogeneity of performance across clusters, where examined."),
    item("24", "Model updating", "Results of any model updating, with the updated model and its performance."),
    item("25", "Interpretation", "Overall interpretation of the results, including fairness, against the objectives and earlier studies."),
    item("26", "Limitations", "Limitations (representativeness, sample size, overfitting, missing data) and their effect on bias, uncertainty and generalisability."),
    item("27a", "Usability", "How poor-quality or unavailable inputs should be assessed and handled when the model is used."),
    item("27b", "Usability", "Whether users interact with the input data or the model, and the expertise they need."),
    item("27c", "Usability", "Next steps of research, with a view to applicability and generalisability."),
];

/// What the study did about an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The report holds it, at `where`.
    Filled,
    /// The report holds part of it, at `where`; the author writes the rest (in `note`).
    Partly,
    /// The author must write it.
    Author,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Filled => "filled",
            Status::Partly => "partly",
            Status::Author => "author",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_unique_and_complete() {
        let mut ids: Vec<&str> = ITEMS.iter().map(|i| i.id).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
        // 27 numbered items; 52 with their parts
        assert_eq!(n, 52);
        for k in 1..=27 {
            let k = k.to_string();
            assert!(
                ITEMS
                    .iter()
                    .any(|i| i.id == k || i.id.trim_end_matches(char::is_alphabetic) == k),
                "item {k} missing"
            );
        }
    }
}
