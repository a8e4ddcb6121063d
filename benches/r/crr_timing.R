# Times cmprsk::crr on a CSV written by `prognosis simulate --format competing` (columns age, brain,
# liver, lung, pr, surgery, chemo, time, cause), for the comparison in docs/benchmarks.md:
#   prognosis simulate --rows 20000 --format competing --out fg20k.csv
#   Rscript benches/r/crr_timing.R fg20k.csv
# Prints the elapsed seconds of the fit and its coefficients (to check both programs fit the same
# model).
suppressPackageStartupMessages(library(cmprsk))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
x <- as.matrix(d[, c("age", "brain", "liver", "lung", "pr", "surgery", "chemo")])
t <- system.time(fit <- crr(d$time, d$cause, x, failcode = 1, cencode = 0))
cat(sprintf("elapsed %.3f s (cmprsk %s, %d rows)\n", t[["elapsed"]], packageVersion("cmprsk"), nrow(d)))
print(signif(fit$coef, 10))
