# Reference calibration weights from the R `survey` package for the samples in
# tests/reference/weighting/data/.
#
# What it computes
#   For every case (respondents_<case>.csv with margins_<case>.csv) the design
#     des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = d)
#   (one stratum per file) is calibrated to the population totals in the margins file, with
#   three methods (column `method`):
#     rake     rake(des, sample.margins = list(~sex, ~age_band, ...),
#                   population.margins = list(data.frame(sex = ..., Freq = ...), ...),
#                   control = list(maxit = 1000, epsilon = 1e-12))
#              iterative proportional fitting; rake() stops when no cell of the cross table
#              of all margin variables moves by more than epsilon * sum(design weights)
#     linear   calibrate(des, formula = ~sex + age_band + ..., population = totals,
#                        calfun = "linear")
#              (a direct solve of the normal equations). When the model matrix is rank
#              deficient (case twoway: the sex margin is implied by sex_age) that solve is
#              singular, so calfun = cal.linear is used instead, which iterates with a
#              Moore-Penrose inverse; the calibrated weights are unique either way.
#     raking   calibrate(des, formula, population = totals, calfun = "raking",
#                        maxit = 1000, epsilon = 1e-12)
#   `totals` is the named vector c("(Intercept)" = N, sexmale = ..., ...) built from the
#   margins: factor levels are sorted in C-locale order, the first (reference) level of each
#   factor is dropped because the intercept carries N, and names follow model.matrix
#   (e.g. "age_band60+", "sex_agemale:35-49").
#
#   Checks, printed and enforced (the script stops if one fails): every method reproduces
#   every population total (max abs deviation < 1e-6), rake and calibrate(raking) agree
#   (max relative difference < 1e-8), calfun = "linear" and cal.linear agree, and every
#   design weight read back prints to the exact text in the CSV.
#
#   Output: tests/reference/weighting/expected/<case>.csv with columns
#     row_id, method, weight
#   (calibrated weight of each respondent; methods in the order rake, linear, raking, rows
#   by row_id), written with sprintf("%.17g") so they read back as the exact doubles R
#   computed. tests/reference/weighting/expected/VERSIONS.txt records the versions used.
#
# How to run (from the repository root)
#   .venv/bin/python tests/reference/weighting/generate.py   # only if data/ must change
#   Rscript tests/reference/weighting/calibrate_reference.R
#
# Versions used to produce the committed numbers: R 4.2.2 Patched (2022-11-10 r83330),
# survey 4.1.1 (see expected/VERSIONS.txt).

options(digits = 17, warn = 1)
suppressPackageStartupMessages(library(survey))

ref_dir <- file.path("tests", "reference", "weighting")
if (!dir.exists(file.path(ref_dir, "data"))) {
  stop("Run from the repository root: Rscript tests/reference/weighting/calibrate_reference.R")
}
data_dir <- file.path(ref_dir, "data")
out_dir <- file.path(ref_dir, "expected")
dir.create(out_dir, showWarnings = FALSE)

cases <- c("small", "unequal", "twoway")
methods <- c("rake", "linear", "raking")
maxit <- 1000
epsilon <- 1e-12
margin_tolerance <- 1e-6
agreement_tolerance <- 1e-8

num <- function(x) sprintf("%.17g", x)

# Any warning inside a calibration (non-convergence, reordered totals, ...) is an error.
strict <- function(expr) {
  withCallingHandlers(expr, warning = function(w) {
    stop("unexpected warning: ", conditionMessage(w), call. = FALSE)
  })
}

c_sort <- function(x) sort(unique(x), method = "radix")

read_case <- function(case) {
  path <- file.path(data_dir, paste0("respondents_", case, ".csv"))
  raw <- read.csv(path, colClasses = "character")
  d <- raw
  d$row_id <- as.integer(raw$row_id)
  d$weight <- as.numeric(raw$weight)
  bad <- sum(num(d$weight) != raw$weight)
  if (bad > 0) stop(case, ": ", bad, " design weights do not round-trip through %.17g")
  d <- d[order(d$row_id), ]
  margins <- read.csv(file.path(data_dir, paste0("margins_", case, ".csv")),
                      colClasses = c("character", "character", "numeric"))
  variables <- unique(margins$variable)
  for (v in variables) {
    levels <- c_sort(margins$level[margins$variable == v])
    if (!setequal(levels, unique(d[[v]]))) {
      stop(case, ": levels of ", v, " differ between sample and margins")
    }
    d[[v]] <- factor(d[[v]], levels = levels)
  }
  population <- unique(as.vector(tapply(margins$total, margins$variable, sum)))
  if (length(population) != 1) stop(case, ": margins do not share one population size")
  list(d = d, margins = margins, variables = variables, population = population)
}

# Named totals vector matching the columns of model.matrix(formula, d).
population_totals <- function(cs, formula) {
  totals <- c("(Intercept)" = cs$population)
  for (v in cs$variables) {
    m <- cs$margins[cs$margins$variable == v, ]
    reference <- levels(cs$d[[v]])[1]
    keep <- m$level != reference
    totals <- c(totals, setNames(m$total[keep], paste0(v, m$level[keep])))
  }
  columns <- colnames(model.matrix(formula, cs$d))
  if (!setequal(names(totals), columns) || length(totals) != length(columns)) {
    stop("totals do not match model.matrix columns: ",
         paste(setdiff(union(names(totals), columns), intersect(names(totals), columns)),
               collapse = ", "))
  }
  totals[columns]
}

population_margins <- function(cs) {
  lapply(cs$variables, function(v) {
    m <- cs$margins[cs$margins$variable == v, ]
    pm <- data.frame(factor(m$level, levels = levels(cs$d[[v]])), Freq = m$total)
    names(pm)[1] <- v
    pm
  })
}

max_margin_deviation <- function(cs, w) {
  deviations <- mapply(function(v, level, total) sum(w[cs$d[[v]] == level]) - total,
                       cs$margins$variable, cs$margins$level, cs$margins$total)
  max(abs(deviations))
}

# Smallest maxit for which `run(maxit)` finishes without a warning or an error (rake()
# only warns when it has not converged; calibrate() warns and then stops).
iterations_needed <- function(run, upper) {
  for (k in seq_len(upper)) {
    warned <- FALSE
    ok <- tryCatch(
      withCallingHandlers({ run(k); TRUE }, warning = function(w) {
        warned <<- TRUE
        invokeRestart("muffleWarning")
      }),
      error = function(e) FALSE
    )
    if (ok && !warned) return(k)
  }
  NA_integer_
}

run_case <- function(case) {
  cs <- read_case(case)
  d <- cs$d
  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = d)
  sample_margins <- lapply(cs$variables, function(v) as.formula(paste0("~", v)))
  pop_margins <- population_margins(cs)
  formula <- as.formula(paste("~", paste(cs$variables, collapse = " + ")))
  totals <- population_totals(cs, formula)
  mm <- model.matrix(formula, d)
  full_rank <- qr(mm)$rank == ncol(mm)

  cat(sprintf("\n== %s: %d respondents, N = %s, sum of design weights = %s\n", case,
              nrow(d), num(cs$population), num(sum(weights(des)))))
  cat("   formula:", deparse(formula), "\n")
  cat("   population totals (model.matrix names):\n")
  print(totals)
  cat(sprintf("   model matrix: %d columns, rank %d\n", ncol(mm), qr(mm)$rank))

  do_rake <- function(k) {
    rake(des, sample.margins = sample_margins, population.margins = pop_margins,
         control = list(maxit = k, epsilon = epsilon))
  }
  do_linear <- function() {
    if (full_rank) {
      calibrate(des, formula = formula, population = totals, calfun = "linear")
    } else {
      calibrate(des, formula = formula, population = totals, calfun = cal.linear,
                maxit = maxit, epsilon = epsilon)
    }
  }
  do_raking <- function(k) {
    calibrate(des, formula = formula, population = totals, calfun = "raking",
              maxit = k, epsilon = epsilon)
  }

  w <- list(
    rake = weights(strict(do_rake(maxit))),
    linear = weights(strict(do_linear())),
    raking = weights(strict(do_raking(maxit)))
  )
  w0 <- weights(des)

  for (m in methods) {
    deviation <- max_margin_deviation(cs, w[[m]])
    g <- w[[m]] / w0
    cat(sprintf("   %-7s max |margin deviation| = %.3g; g = w / design weight in [%.4f, %.4f]\n",
                m, deviation, min(g), max(g)))
    if (!(deviation < margin_tolerance)) stop(case, "/", m, ": margins not reproduced")
    if (any(w[[m]] <= 0)) cat("   note: ", m, " gives non-positive weights\n")
  }

  rake_vs_raking <- max(abs(w$rake - w$raking) / abs(w$raking))
  cat(sprintf("   rake vs calibrate(raking): max relative difference %.3g\n", rake_vs_raking))
  if (!(rake_vs_raking < agreement_tolerance)) stop(case, ": rake and raking disagree")

  # Cross-check of the linear weights by the other route.
  if (full_rank) {
    other <- weights(strict(calibrate(des, formula = formula, population = totals,
                                      calfun = cal.linear, maxit = maxit, epsilon = epsilon)))
    label <- "calfun = \"linear\" vs cal.linear"
  } else {
    # drop every margin whose columns are spanned by the others, then solve directly
    keep <- cs$variables
    for (v in cs$variables) {
      trial <- setdiff(keep, v)
      f <- as.formula(paste("~", paste(trial, collapse = " + ")))
      m2 <- model.matrix(f, d)
      if (qr(m2)$rank == qr(mm)$rank) keep <- trial
    }
    reduced <- as.formula(paste("~", paste(keep, collapse = " + ")))
    cs_reduced <- cs
    cs_reduced$variables <- keep
    other <- weights(strict(calibrate(des, formula = reduced,
                                      population = population_totals(cs_reduced, reduced),
                                      calfun = "linear")))
    label <- sprintf("cal.linear on %s vs calfun = \"linear\" on %s", deparse(formula),
                     deparse(reduced))
    cat("   calfun = \"linear\" on the full formula: ",
        tryCatch({
          calibrate(des, formula = formula, population = totals, calfun = "linear")
          "succeeded"
        }, error = function(e) paste("error:", conditionMessage(e))), "\n")
  }
  linear_check <- max(abs(w$linear - other) / abs(other))
  cat(sprintf("   linear, %s: max relative difference %.3g\n", label, linear_check))
  if (!(linear_check < agreement_tolerance)) stop(case, ": linear routes disagree")

  cat(sprintf("   iterations: rake %d passes, calibrate(raking) %d Newton steps\n",
              iterations_needed(do_rake, maxit), iterations_needed(do_raking, maxit)))

  out <- do.call(rbind, lapply(methods, function(m) {
    data.frame(row_id = d$row_id, method = m, weight = num(w[[m]]))
  }))
  write.table(out, file.path(out_dir, paste0(case, ".csv")), sep = ",", quote = FALSE,
              row.names = FALSE)
  cat(sprintf("   wrote expected/%s.csv: %d rows\n", case, nrow(out)))
}

for (case in cases) run_case(case)

writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out_dir, "VERSIONS.txt"))
