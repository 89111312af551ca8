# Reference coefficients and standard errors from R `survey::svyglm` (gaussian) for
# tests/test_regression.py.
#
# What it computes
#   For each data set in tests/reference/data/ the linear model
#     q6 ~ q1 + q2 + q3 + q4 + q5     (answers rescaled to 0..1: (answer - 1) / 4; blanks NA)
#   under svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE)
#   (no strata for unstratified.csv), with fpc = ~fpc as a second design for clusters.csv, and
#   for lonely.csv (a stratum with a single PSU) under each of survey.lonely.psu = "remove",
#   "certainty", "adjust" and "average". Rows with a blank in the model are dropped by svyglm.
#
#   Output: tests/reference/regression/expected.csv with columns
#     dataset, fpc, lonely, term, estimate, se
#   written with sprintf("%.17g").
#
# How to run (from the repository root)
#   Rscript tests/reference/regression/svyglm_reference.R

suppressPackageStartupMessages(library(survey))
options(survey.adjust.domain.lonely = FALSE, survey.replicates.mse = FALSE)

rescale <- function(x) (x - 1) / 4
fit <- function(data, stratified, fpc, lonely) {
  options(survey.lonely.psu = lonely)
  for (q in paste0("q", 1:6)) data[[q]] <- rescale(data[[q]])
  design <- if (stratified) {
    if (fpc) svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, fpc = ~fpc,
                       nest = TRUE, data = data)
    else svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = data)
  } else {
    svydesign(ids = ~psu, weights = ~weight, data = data)
  }
  model <- svyglm(q6 ~ q1 + q2 + q3 + q4 + q5, design = design)
  data.frame(term = names(coef(model)), estimate = unname(coef(model)),
             se = unname(sqrt(diag(vcov(model)))))
}

cases <- list(
  list("clusters", TRUE, FALSE, "fail"),
  list("clusters", TRUE, TRUE, "fail"),
  list("unstratified", FALSE, FALSE, "fail"),
  list("blanks", TRUE, FALSE, "fail"),
  list("lonely", TRUE, FALSE, "remove"),
  list("lonely", TRUE, FALSE, "certainty"),
  list("lonely", TRUE, FALSE, "adjust"),
  list("lonely", TRUE, FALSE, "average")
)
rows <- list()
for (case in cases) {
  data <- read.csv(file.path("tests/reference/data", paste0(case[[1]], ".csv")),
                   colClasses = c(stratum = "character", psu = "character"))
  result <- fit(data, case[[2]], case[[3]], case[[4]])
  result$dataset <- case[[1]]
  result$fpc <- if (case[[3]]) "yes" else "no"
  result$lonely <- case[[4]]
  rows[[length(rows) + 1]] <- result
}
out <- do.call(rbind, rows)
out <- out[, c("dataset", "fpc", "lonely", "term", "estimate", "se")]
out$estimate <- sprintf("%.17g", out$estimate)
out$se <- sprintf("%.17g", out$se)
write.csv(out, "tests/reference/regression/expected.csv", row.names = FALSE, quote = FALSE)
writeLines(c(R.version.string, paste("survey", packageVersion("survey"))),
           "tests/reference/regression/VERSIONS.txt")
