# Reference numbers for `prognosis validate --recalibrate` (Steyerberg's updating of a Cox model
# for a new population), on the Rotterdam -> GBSG example of docs/usage.md.
#
# Run from the repository root:
#   Rscript tests/reference/recalibration/recalibration.R
# It writes tests/reference/recalibration/recalibration_rotterdam_gbsg.json.
suppressPackageStartupMessages(library(survival))

rott <- read.csv("datasets/rotterdam.csv")
gbsg <- read.csv("datasets/gbsg.csv")

# the original model: recurrence-free survival on Rotterdam (Efron ties, as prognosis fit)
fit <- coxph(Surv(rfs_days, recur) ~ age + meno + grade + nodes + pgr + er + hormon, data = rott)
beta <- coef(fit)
X <- as.matrix(gbsg[, names(beta)])
lp <- drop(X %*% beta)           # uncentred linear predictor x'beta on GBSG
gbsg$lp <- lp
horizons <- c(1095, 1825)

# step value of a cumulative hazard table at t (0 before the first time)
at <- function(bh, t) sapply(t, function(u) {
    k <- which(bh$time <= u)
    if (length(k) == 0) 0 else bh$hazard[max(k)]
})

# original: the Rotterdam baseline at x = 0
h_orig <- at(basehaz(fit, centered = FALSE), horizons)

# recalibration-in-the-large: coefficients fixed (offset), new baseline on GBSG
fit_large <- coxph(Surv(rfs_days, status) ~ offset(lp), data = gbsg)
bh_large <- survfit(fit_large, newdata = data.frame(lp = 0))
h_large <- sapply(horizons, function(u) {
    k <- which(bh_large$time <= u)
    if (length(k) == 0) 0 else bh_large$cumhaz[max(k)]
})

# logistic-style slope recalibration: Cox model of GBSG on the old linear predictor alone
fit_slope <- coxph(Surv(rfs_days, status) ~ lp, data = gbsg)
h_slope <- at(basehaz(fit_slope, centered = FALSE), horizons)

# predicted survival of three GBSG patients under each model at the horizons
rows <- c(1, 2, 100)
pred <- function(H, b) sapply(seq_along(horizons), function(k) exp(-H[k] * exp(b * lp[rows])))

# mean predicted risk and Kaplan-Meier observed risk at the horizons
km <- survfit(Surv(rfs_days, status) ~ 1, data = gbsg)
obs <- 1 - summary(km, times = horizons)$surv
mean_risk <- function(H, b) sapply(seq_along(horizons), function(k) mean(1 - exp(-H[k] * exp(b * lp))))

out <- list(
    horizons = horizons,
    n = nrow(gbsg), events = sum(gbsg$status),
    original = list(cumhaz0 = h_orig, survival = pred(h_orig, 1), mean_risk = mean_risk(h_orig, 1)),
    in_the_large = list(cumhaz0 = h_large, survival = pred(h_large, 1),
                        mean_risk = mean_risk(h_large, 1),
                        loglik = fit_large$loglik),
    slope = list(slope = unname(coef(fit_slope)), se = unname(sqrt(vcov(fit_slope)[1, 1])),
                 cumhaz0 = h_slope, survival = pred(h_slope, unname(coef(fit_slope))),
                 mean_risk = mean_risk(h_slope, unname(coef(fit_slope))),
                 loglik = fit_slope$loglik, score = unname(fit_slope$score)),
    rows = rows,
    observed_risk = obs
)
digits <- function(x) if (is.list(x)) lapply(x, digits) else x
json <- function(x, ind = "") {
    if (is.list(x)) {
        inner <- paste0(ind, "  ", '"', names(x), '": ', sapply(x, json, ind = paste0(ind, "  ")))
        return(paste0("{\n", paste(inner, collapse = ",\n"), "\n", ind, "}"))
    }
    v <- formatC(x, digits = 17, format = "g")
    if (length(x) == 1) v else paste0("[", paste(v, collapse = ", "), "]")
}
writeLines(json(out), "tests/reference/recalibration/recalibration_rotterdam_gbsg.json")
