# riskRegression's product-limit absolute risk where the all-cause hazard increments of one time
# sum to more than 1 (docs/methods-competing-risks.md, "Increments above 1"): a patient for whom
# this happens at 265 months, near the end of MGUS2's follow-up (R gives a probability there), and
# one for whom it happens from the first event time (R gives numbers below 0 and above 1).
# Run from the repository root: Rscript tests/reference/scripts/csc_increment_above_one.R
suppressMessages({library(riskRegression); library(survival)})
d <- read.csv("tests/reference/competing_risks/datasets/mgus2_cr.csv")
d$sex <- factor(d$sex, levels = c("F", "M"))
d <- na.omit(d)
f <- CSC(Hist(time, cause) ~ age + sex + hgb + creat + mspike, data = d, cause = 1)
nd <- data.frame(age = c(90, 150), sex = factor(c("M", "M"), levels = c("F", "M")),
                 hgb = c(8, 6), creat = c(5, 20), mspike = c(3, 3))
p <- predict(f, newdata = nd, times = c(12, 60, 240, 265, 300, 400), cause = 1,
             product.limit = TRUE)
print(p$absRisk)
