# Reference estimates from the R `survey` package for the files in tests/reference/data/.
#
# What it computes
#   For every CSV in tests/reference/data/ and every item q1..q6, under two scoring rules
#     top2      y = 1 if the answer is 4 or 5, 0 if 1..3, NA if blank
#     rescaled  y = (answer - 1) / 4, NA if blank
#   the weighted mean of y (0..1 scale), its standard error and (Taylor only) the design
#   effect, for the whole sample (by = "all", svymean) and for the domains `province` and
#   `sex` (svyby, one call per item so that blanks in other items never drop rows).
#
#   Designs (column `design`):
#     taylor  svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE)
#             (no strata for a single-stratum file); fpc = "yes" adds fpc = ~fpc
#             (population number of PSUs in the stratum); deff = R's deff = TRUE
#             ("not replace" formula)
#     jkn     as.svrepdesign(<taylor design without fpc>, type = "JKn"), stratified files
#     jk1     as.svrepdesign(<taylor design without fpc>, type = "JK1"), single-stratum files
#   Column `lonely` is the survey.lonely.psu option in force: "fail" (the default) for files
#   without a single-PSU stratum; for a file with one, each of "remove", "adjust",
#   "average", "certainty" (Taylor without fpc, and JKn).
#   survey.adjust.domain.lonely = FALSE and survey.replicates.mse = FALSE (the defaults)
#   are set explicitly below.
#
#   Output: tests/reference/expected/<dataset>.csv with columns
#     dataset, design, lonely, fpc, rule, by, domain, item, estimate, se, deff
#   Numbers are written with sprintf("%.17g") so they read back as the exact doubles R
#   computed. deff is "NA" for replicate designs (not computed); "NaN" would mean R
#   computed it and it is undefined. Cells R cannot estimate (an error, a non-finite
#   estimate or standard error, or a domain with no valid answer, where Taylor svymean
#   quietly returns estimate 0 and se 0) are left out of that file and listed, with the
#   reason, in tests/reference/expected/omitted.csv.
#   tests/reference/expected/VERSIONS.txt records the R and survey versions used.
#
# How to run (from the repository root)
#   Rscript tests/reference/survey_reference.R
#
# Versions used to produce the committed numbers: R 4.2.2 Patched (2022-11-10 r83330),
# survey 4.1.1 (see expected/VERSIONS.txt).

options(
  survey.lonely.psu = "fail",
  survey.adjust.domain.lonely = FALSE,
  survey.replicates.mse = FALSE,
  digits = 17,
  warn = 1
)
suppressPackageStartupMessages(library(survey))

ref_dir <- file.path("tests", "reference")
if (!dir.exists(file.path(ref_dir, "data"))) {
  stop("Run from the repository root: Rscript tests/reference/survey_reference.R")
}
data_dir <- file.path(ref_dir, "data")
out_dir <- file.path(ref_dir, "expected")
dir.create(out_dir, showWarnings = FALSE)

items <- paste0("q", 1:6)
rules <- list(
  top2 = function(a) ifelse(is.na(a), NA_real_, as.numeric(a >= 4)),
  rescaled = function(a) (a - 1) / 4
)
domains <- c("all", "province", "sex")
lonely_options <- c("remove", "adjust", "average", "certainty")
out_columns <- c("dataset", "design", "lonely", "fpc", "rule", "by", "domain", "item",
                 "estimate", "se", "deff")

num <- function(x) {
  x <- as.numeric(x)
  ifelse(is.na(x) & !is.nan(x), "NA", sprintf("%.17g", x))
}

read_dataset <- function(path) {
  classes <- c(row_id = "integer", stratum = "character", psu = "character",
               weight = "numeric", fpc = "numeric", province = "character",
               sex = "character")
  classes[items] <- "integer"
  d <- read.csv(path, colClasses = classes, na.strings = "")
  for (rule in names(rules)) {
    for (item in items) {
      d[[paste0(rule, "_", item)]] <- rules[[rule]](d[[item]])
    }
  }
  d
}

make_design <- function(d, design, fpc) {
  stratified <- length(unique(d$stratum)) > 1
  fpc_formula <- if (fpc == "yes") ~fpc else NULL
  des <- if (stratified) {
    svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, fpc = fpc_formula,
              nest = TRUE, data = d)
  } else {
    svydesign(ids = ~psu, weights = ~weight, fpc = fpc_formula, data = d)
  }
  switch(design,
    taylor = des,
    jkn = as.svrepdesign(des, type = "JKn"),
    jk1 = as.svrepdesign(des, type = "JK1")
  )
}

scenarios_for <- function(d) {
  stratified <- length(unique(d$stratum)) > 1
  psus_per_stratum <- tapply(d$psu, d$stratum, function(p) length(unique(p)))
  if (any(psus_per_stratum == 1)) {
    rbind(
      data.frame(design = "taylor", lonely = lonely_options, fpc = "no"),
      data.frame(design = "jkn", lonely = lonely_options, fpc = "no")
    )
  } else if (stratified) {
    data.frame(design = c("taylor", "taylor", "jkn"), lonely = "fail",
               fpc = c("no", "yes", "no"))
  } else {
    data.frame(design = c("taylor", "taylor", "jk1"), lonely = "fail",
               fpc = c("no", "yes", "no"))
  }
}

# One estimate: a list(estimate, se, deff) or a character reason it could not be computed.
one_mean <- function(formula, des, want_deff) {
  tryCatch({
    r <- svymean(formula, des, na.rm = TRUE, deff = want_deff)
    list(estimate = unname(coef(r))[1], se = unname(SE(r))[1],
         deff = if (want_deff) unname(deff(r))[1] else NA_real_)
  }, error = function(e) conditionMessage(e))
}

# Domain estimates, one svyby call; if svyby fails as a whole (one bad domain), fall back
# to the same computation svyby does, domain by domain: svymean on des[by == level, ].
by_means <- function(formula, by, des, want_deff) {
  levels <- sort(unique(des$variables[[by]]))
  r <- tryCatch(
    svyby(formula, as.formula(paste0("~", by)), des, svymean, na.rm = TRUE,
          deff = want_deff),
    error = function(e) e
  )
  if (!inherits(r, "error")) {
    key <- as.character(r[[by]])
    est <- unname(coef(r))
    se <- unname(SE(r))
    df <- if (want_deff) unname(deff(r)) else rep(NA_real_, length(est))
    res <- lapply(levels, function(lev) {
      i <- match(lev, key)
      if (is.na(i)) return("domain missing from svyby output")
      list(estimate = est[i], se = se[i], deff = df[i])
    })
  } else {
    message("  svyby failed (", conditionMessage(r), "); computing domains one by one")
    res <- lapply(levels, function(lev) {
      one_mean(formula, des[des$variables[[by]] == lev, ], want_deff)
    })
  }
  names(res) <- levels
  res
}

run_dataset <- function(path) {
  dataset <- sub("\\.csv$", "", basename(path))
  d <- read_dataset(path)
  scen <- scenarios_for(d)
  rows <- list()
  omitted <- list()
  for (s in seq_len(nrow(scen))) {
    sc <- scen[s, ]
    options(survey.lonely.psu = sc$lonely)
    want_deff <- sc$design == "taylor"
    des <- tryCatch(make_design(d, sc$design, sc$fpc), error = function(e) e)
    key <- list(dataset = dataset, design = sc$design, lonely = sc$lonely, fpc = sc$fpc)
    if (inherits(des, "error")) {
      message(dataset, " ", sc$design, "/", sc$lonely, "/fpc=", sc$fpc,
              ": design failed: ", conditionMessage(des))
      omitted[[length(omitted) + 1]] <- data.frame(key, rule = "*", by = "*",
        domain = "*", item = "*", reason = conditionMessage(des))
      next
    }
    for (rule in names(rules)) {
      for (by in domains) {
        for (item in items) {
          formula <- as.formula(paste0("~", rule, "_", item))
          res <- if (by == "all") {
            list(all = one_mean(formula, des, want_deff))
          } else {
            by_means(formula, by, des, want_deff)
          }
          for (dom in names(res)) {
            r <- res[[dom]]
            in_domain <- if (by == "all") TRUE else d[[by]] == dom
            n_valid <- sum(in_domain & !is.na(d[[paste0(rule, "_", item)]]))
            reason <- if (is.character(r)) {
              r
            } else if (n_valid == 0) {
              sprintf("no valid answer in the domain (R returns estimate %s, se %s)",
                      num(r$estimate), num(r$se))
            } else if (!is.finite(r$estimate)) {
              paste("estimate is", r$estimate)
            } else if (!is.finite(r$se)) {
              paste("standard error is", r$se)
            } else {
              NULL
            }
            if (!is.null(reason)) {
              omitted[[length(omitted) + 1]] <- data.frame(key, rule = rule, by = by,
                domain = dom, item = item, reason = reason)
              next
            }
            rows[[length(rows) + 1]] <- data.frame(key, rule = rule, by = by,
              domain = dom, item = item, estimate = num(r$estimate), se = num(r$se),
              deff = if (want_deff) num(r$deff) else "NA")
          }
        }
      }
    }
  }
  options(survey.lonely.psu = "fail")
  out <- do.call(rbind, rows)[, out_columns]
  write.table(out, file.path(out_dir, paste0(dataset, ".csv")), sep = ",",
              quote = FALSE, row.names = FALSE, na = "NA")
  cat(sprintf("%s: %d rows, %d omitted\n", dataset, nrow(out), length(omitted)))
  if (length(omitted)) do.call(rbind, omitted) else NULL
}

files <- sort(list.files(data_dir, pattern = "\\.csv$", full.names = TRUE))
omitted <- do.call(rbind, lapply(files, run_dataset))
omitted_columns <- c("dataset", "design", "lonely", "fpc", "rule", "by", "domain", "item",
                     "reason")
if (is.null(omitted)) {
  omitted <- setNames(data.frame(matrix(character(), 0, length(omitted_columns))),
                      omitted_columns)
}
write.csv(omitted[, omitted_columns], file.path(out_dir, "omitted.csv"), row.names = FALSE)

writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out_dir, "VERSIONS.txt"))
