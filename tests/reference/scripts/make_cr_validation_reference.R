# Competing-risks validation references beyond competing_risks.json, for the Fine-Gray predictions
# stored there (predicted_cif, one column per horizon) and, to exercise tied predictions, for the
# same predictions rounded to two decimals:
# - the truncated concordance index of Wolbers et al. (2009) as pec::cindex(..., cause = 1)
#   computes it (pec 2022.05.04, marginal Kaplan-Meier censoring weights);
# - riskRegression::Score (2022.11.28) AUC with its standard error and Brier score of the rounded
#   predictions (the unrounded ones are in competing_risks.json).
# Usage (from the repository root; needs Debian's r-cran-pec and r-cran-riskregression):
#   Rscript tests/reference/scripts/make_cr_validation_reference.R tests/reference/competing_risks
suppressMessages({library(survival); library(pec); library(prodlim); library(riskRegression); library(jsonlite)})
dir <- commandArgs(TRUE)[1]
ref <- fromJSON(file.path(dir, "competing_risks.json"), simplifyVector = FALSE)
out <- list()
for (nm in names(ref)) {
  r <- ref[[nm]]
  d <- read.csv(file.path(dir, "datasets", r$file), stringsAsFactors = FALSE)
  cc <- d[complete.cases(d[, c("time", "cause", unlist(r$covariates))]), ]
  times <- unlist(r$times)
  pred <- sapply(r$predicted_cif$values, function(v) unlist(v))
  stopifnot(nrow(pred) == nrow(cc))
  cidx <- function(p) {
    ci <- pec::cindex(list(FG = p), formula = Hist(time, cause) ~ 1, data = cc, cause = 1,
                      eval.times = times, pred.times = times, cens.model = "marginal", verbose = FALSE)
    unname(as.numeric(ci$AppCindex$FG))
  }
  p2 <- round(pred, 2)
  sc <- Score(list(FG = p2), formula = Hist(time, cause) ~ 1, data = cc, cause = 1, times = times,
              metrics = c("auc", "brier"), null.model = TRUE, conf.int = TRUE, split.method = "none")
  auc <- as.data.frame(sc$AUC$score); br <- as.data.frame(sc$Brier$score)
  out[[nm]] <- list(times = times, cindex = cidx(pred), cindex_rounded2 = cidx(p2),
                    score_rounded2 = list(auc = auc$AUC[auc$model == "FG"], auc_se = auc$se[auc$model == "FG"],
                                          brier = br$Brier[br$model == "FG"],
                                          brier_null = br$Brier[br$model == "Null model"]))
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(dir, "validation_extra.json"))
cat("wrote validation_extra.json for", length(out), "cohorts\n")
