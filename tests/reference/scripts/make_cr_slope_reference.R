# Calibration slope of a Fine-Gray model, and observed/expected cumulative incidence, on the three
# competing-risks reference cohorts of tests/reference/competing_risks/ (cmprsk 2.2-11):
# - apparent: the Fine-Gray model of cause 1 on all complete rows (crr's defaults, R's design as in
#   make_cr_reference.R), its linear predictor lp = X %*% coef, and the slope
#   crr(time, cause, cov1 = lp, failcode = 1, cencode = 0) with its se and 95% Wald limits (1 up to
#   crr's convergence); per horizon the mean predicted cumulative incidence (expected) and the
#   Aalen-Johansen cumulative incidence of everybody (observed, cuminc + timepoints);
# - split: the complete rows in file order, odd positions (1st, 3rd, ...) the development set and
#   even positions the validation set; the Fine-Gray model fitted on development, its linear
#   predictor on validation and the slope there, and per horizon the validation set's mean
#   predict.crr cumulative incidence and its Aalen-Johansen cumulative incidence.
# Usage (from the repository root):
#   Rscript tests/reference/scripts/make_cr_slope_reference.R tests/reference/competing_risks
suppressMessages({library(survival); library(cmprsk); library(jsonlite)})
dir <- commandArgs(TRUE)[1]
ref <- fromJSON(file.path(dir, "competing_risks.json"), simplifyVector = FALSE)
num <- function(x) unname(as.numeric(x))
step_at <- function(tt, yy, at) sapply(at, function(a) { i <- which(tt <= a); if (length(i)) yy[max(i)] else 0 })
slope_of <- function(time, cause, lp) {
  f <- crr(time, cause, cov1 = lp, failcode = 1, cencode = 0)
  se <- sqrt(f$var[1, 1]); z <- qnorm(0.975)
  list(slope = num(f$coef), se = se, lower = num(f$coef) - z * se, upper = num(f$coef) + z * se,
       converged = f$converged)
}
expected_observed <- function(fit, X, d, times) {
  pr <- predict(fit, X)
  cif <- sapply(2:ncol(pr), function(i) step_at(pr[, 1], pr[, i], times))
  if (is.null(dim(cif))) cif <- matrix(cif, nrow = length(times))
  tp <- timepoints(cuminc(d$time, d$cause), times)
  list(expected = num(rowMeans(cif)), observed = num(tp$est["1 1", ]))
}
out <- list()
for (nm in names(ref)) {
  r <- ref[[nm]]
  d <- read.csv(file.path(dir, "datasets", r$file), stringsAsFactors = FALSE)
  for (f in names(r$factor_reference)) d[[f]] <- relevel(factor(d[[f]]), ref = r$factor_reference[[f]])
  cov <- unlist(r$covariates)
  cc <- d[complete.cases(d[, c("time", "cause", cov)]), ]
  X <- model.matrix(as.formula(paste("~", paste(cov, collapse = " + "))), cc)[, -1, drop = FALSE]
  times <- unlist(r$times)
  fg <- crr(cc$time, cc$cause, X, failcode = 1, cencode = 0)
  lp <- drop(X %*% fg$coef)
  app <- c(slope_of(cc$time, cc$cause, lp), expected_observed(fg, X, cc, times))
  dev <- seq(1, nrow(cc), by = 2); val <- seq(2, nrow(cc), by = 2)
  fd <- crr(cc$time[dev], cc$cause[dev], X[dev, , drop = FALSE], failcode = 1, cencode = 0)
  lpv <- drop(X[val, , drop = FALSE] %*% fd$coef)
  spl <- c(list(n_development = length(dev), n_validation = length(val), coef_development = num(fd$coef)),
           slope_of(cc$time[val], cc$cause[val], lpv),
           expected_observed(fd, X[val, , drop = FALSE], cc[val, ], times))
  out[[nm]] <- list(times = times, apparent = app, split = spl)
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(dir, "slope.json"))
cat("wrote slope.json for", length(out), "cohorts\n")
