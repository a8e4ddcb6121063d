# Cox residuals and cox.zph from R survival 3.5.3 (R 4.2.2) for fits with strata and case weights,
# and cox.zph's plotted residuals (x, y, var) for a model with a two-column factor term.
# Usage, from the repository root: Rscript tests/reference/scripts/make_zph_reference.R
# Writes tests/reference/zph/<case>_<ties>_{rows.csv,schoenfeld.csv,zph.json} (rotterdam_os: the
# zph.json of the Efron fit only; its residuals are in tests/reference/residuals_rotterdam_os.csv).
suppressMessages({library(survival); library(jsonlite)})
out <- "tests/reference/zph"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
num <- function(x) unname(as.numeric(x))
mat <- function(m) lapply(seq_len(nrow(m)), function(i) num(m[i, ]))

run <- function(name, d, time, event, cov, strata = NULL, wfun = NULL, factors = list(),
                ties_methods = c("efron", "breslow"), write_rows = TRUE) {
  for (f in names(factors)) d[[f]] <- relevel(factor(d[[f]]), ref = factors[[f]])
  cc <- d[complete.cases(d[, c(time, event, cov, strata)]), ]
  cc$w <- if (is.null(wfun)) rep(1, nrow(cc)) else wfun(seq_len(nrow(cc)))
  rhs <- paste(cov, collapse = " + ")
  if (!is.null(strata)) rhs <- paste0(rhs, " + strata(", strata, ")")
  form <- as.formula(paste0("Surv(", time, ", ", event, ") ~ ", rhs))
  for (ties in ties_methods) {
    fit <- coxph(form, data = cc, ties = ties, weights = w, x = TRUE)
    X <- fit$x
    cn <- colnames(X)
    st <- if (is.null(strata)) rep(0L, nrow(cc)) else as.integer(factor(cc[[strata]])) - 1L
    rows <- data.frame(time = cc[[time]], status = cc[[event]], stratum = st, weight = cc$w)
    xs <- as.data.frame(X); colnames(xs) <- paste0("x_", seq_along(cn))
    db <- residuals(fit, "dfbeta"); colnames(db) <- paste0("dfbeta_", seq_along(cn))
    sc <- residuals(fit, "score"); colnames(sc) <- paste0("score_", seq_along(cn))
    rows <- cbind(rows, xs, martingale = residuals(fit, "martingale"),
                  deviance = residuals(fit, "deviance"), db, sc)
    if (write_rows) write.csv(rows, file.path(out, paste0(name, "_", ties, "_rows.csv")), row.names = FALSE)
    sch <- residuals(fit, "schoenfeld"); ssch <- residuals(fit, "scaledsch")
    if (is.null(dim(sch))) { sch <- matrix(sch, ncol = 1); ssch <- matrix(ssch, ncol = 1) }
    colnames(sch) <- paste0("schoenfeld_", seq_along(cn)); colnames(ssch) <- paste0("scaled_", seq_along(cn))
    if (write_rows) write.csv(data.frame(time = as.numeric(rownames(residuals(fit, "schoenfeld"))), sch, ssch),
              file.path(out, paste0(name, "_", ties, "_schoenfeld.csv")), row.names = FALSE)
    zs <- lapply(c(km = "km", rank = "rank", identity = "identity"), function(tr) {
      z <- cox.zph(fit, transform = tr)
      list(terms = rownames(z$table), chisq = num(z$table[, 1]), df = num(z$table[, 2]),
           p = num(z$table[, 3]), x = num(z$x))
    })
    # the scaled residuals cox.zph plots, and their variance, do not depend on the transform
    z <- cox.zph(fit)
    res <- list(columns = cn, assign = lapply(fit$assign, function(a) a - 1L),
                coef = num(coef(fit)), var = mat(fit$var), zph = zs, time = num(z$time),
                y = mat(z$y), y_var = mat(z$var))
    writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = FALSE, na = "null"),
               file.path(out, paste0(name, "_", ties, "_zph.json")))
  }
}

g <- read.csv("datasets/gbsg.csv")
run("gbsg_strata_weights", g, "rfs_days", "status", c("age", "size", "nodes", "pgr", "hormon"),
    strata = "grade", wfun = function(i) 0.5 + ((i - 1) %% 4) / 4)
b <- read.csv("datasets/bone_mets_synthetic.csv")
run("bone_strata_weights", b, "time", "status", c("age", "brain", "liver", "lung", "pr", "chemo"),
    strata = "surgery", wfun = function(i) 1 + ((i - 1) %% 3) / 2)
r <- read.csv("datasets/rotterdam.csv", stringsAsFactors = FALSE)
run("rotterdam_os", r, "os_days", "death",
    c("age", "meno", "size", "grade", "nodes", "pr", "er", "hormon", "chemo"), factors = list(size = "<=20"), ties_methods = "efron", write_rows = FALSE)
cat("ok\n")
