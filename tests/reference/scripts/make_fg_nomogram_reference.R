# Reference numbers of the Fine-Gray nomogram (tests/nomogram_fine_gray.rs): cmprsk::crr on the
# development rows of the flagship study and predict.crr for a few patients at 12, 36 and 60 months.
#
#   prognosis cohort --spec models/her2_bone_mets.toml --out /tmp/analysis.csv
#   Rscript tests/reference/scripts/make_fg_nomogram_reference.R /tmp/analysis.csv \
#       tests/reference/fg_nomogram/fg_nomogram.json
#
# R 4.2, cmprsk 2.2-11. The analysis file is the cohort the study derives from
# datasets/bone_mets_synthetic_seer.csv (columns id, time, status, cause, the seven factors, split).
suppressPackageStartupMessages(library(cmprsk))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
dev <- d[d$split == "development", ]
vars <- c("age", "brain", "liver", "lung", "pr", "surgery", "chemo")
X <- as.matrix(dev[, vars])
fit <- crr(dev$time, dev$cause, X, failcode = 1, cencode = 0)
# patients: the first five development rows, the lowest- and the highest-risk profiles
prof <- rbind(
  X[1:5, ],
  c(22, 0, 0, 0, 1, 1, 1),
  c(85, 1, 1, 1, 0, 0, 0)
)
times <- c(12, 36, 60)
p <- predict(fit, prof)
# predict.crr: first column the event times, then one column per patient; read at or before t
at <- function(t) p[max(which(p[, 1] <= t)), -1]
cif <- t(sapply(times, at))
num <- function(x) trimws(formatC(x, digits = 17, format = "g"))
rows <- apply(prof, 1, function(r) paste0("[", paste(num(r), collapse = ", "), "]"))
cifs <- apply(cif, 2, function(r) paste0("[", paste(num(r), collapse = ", "), "]"))
json <- paste0(
  "{\n",
  '  "source": "cmprsk::crr + predict.crr on the development rows of models/her2_bone_mets.toml",\n',
  '  "terms": [', paste0('"', vars, '"', collapse = ", "), "],\n",
  '  "coef": [', paste(num(fit$coef), collapse = ", "), "],\n",
  '  "times": [', paste(num(times), collapse = ", "), "],\n",
  '  "patients": [', paste(rows, collapse = ", "), "],\n",
  '  "cif": [', paste(cifs, collapse = ", "), "]\n",
  "}\n"
)
cat(json, file = args[2])
