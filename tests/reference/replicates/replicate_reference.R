# Replicate-design reference numbers from the R `survey` package: item standard errors
# (`sipas estimate --item-se replicate`) and the standard errors of the composites (components
# and index), for the files in tests/reference/data/.
#
# What it computes
#   Designs are as.svrepdesign() of
#     svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE [, fpc = ~fpc])
#   (no strata for the single-stratum file):
#     clusters      JKn, without and with fpc (population PSUs per stratum)
#     unstratified  JK1, without and with fpc
#     blanks        JKn
#     lonely        JKn under each survey.lonely.psu rule: remove, adjust, average, certainty
#   and, because a bootstrap cannot be drawn the same way in R, sipas's own Rao–Wu bootstrap
#   factors (bootstrap_<dataset>.csv, written by bootstrap_factors.py: 50 replicates, seed
#   20241; one row per PSU, a factor per replicate) given to
#     svrepdesign(data, repweights = factor of each row's PSU, weights = ~weight, type = "bootstrap",
#                 combined.weights = FALSE, scale = 1 / (50 - 1), rscales = 1)
#     clusters      bootstrap
#     lonely        bootstrap, rules remove and adjust (the factors and R's replicate variance
#                   do not depend on the rule: the lonely PSU's factor is 1 in every replicate)
#   survey.replicates.mse = FALSE (centred on the replicates' mean) and
#   survey.adjust.domain.lonely = FALSE, the defaults, are set explicitly.
#   Scoring rules as in ../survey_reference.R: top2 (4 or 5 = 1, 1..3 = 0) and rescaled
#   ((answer - 1) / 4), blanks NA.
#   Domains: the whole sample ("all"), `province` and `sex`.
#   Indicators
#     q1..q6  svyby(~y, ~by, rdes, svymean, na.rm = TRUE) (or svymean for "all"); if svyby fails as a
#             whole, svymean on the domain's subset, domain by domain (the same computation)
#     a, b    components: the unweighted mean of the item shares of q1..q3 (a) and q4..q6 (b),
#             an item with no valid answer in the domain left out
#     ALL     the index: the unweighted mean of a and b
#     The composites are computed with withReplicates(rdes, theta), theta computing the shares
#     from the replicate weights, so their variances are survey's svrVar (replicates whose
#     value is undefined, a domain with no weight left, are dropped as svrVar drops them).
#   Output: expected.csv with columns
#     dataset, design, lonely, fpc, rule, by, domain, indicator, estimate, se
#   on the 0..1 scale, written with sprintf("%.17g"). Cells R cannot estimate (an error, or a
#   non-finite estimate or standard error) are left out and listed in omitted.csv with the reason.
#
# How to run (from the repository root)
#   PYTHONPATH=src .venv/bin/python tests/reference/replicates/bootstrap_factors.py
#   Rscript tests/reference/replicates/replicate_reference.R
#
# Versions used for the committed numbers: see VERSIONS.txt beside this script.

options(
  survey.lonely.psu = "fail",
  survey.adjust.domain.lonely = FALSE,
  survey.replicates.mse = FALSE,
  warn = 1
)
suppressPackageStartupMessages(library(survey))

data_dir <- file.path("tests", "reference", "data")
out_dir <- file.path("tests", "reference", "replicates")
if (!dir.exists(data_dir)) {
  stop("Run from the repository root: Rscript tests/reference/replicates/replicate_reference.R")
}

items <- paste0("q", 1:6)
components <- list(a = paste0("q", 1:3), b = paste0("q", 4:6))
rules <- list(
  top2 = function(a) ifelse(is.na(a), NA_real_, as.numeric(a >= 4)),
  rescaled = function(a) (a - 1) / 4
)
domains <- c("all", "province", "sex")
scenarios <- rbind(
  data.frame(dataset = "clusters", design = "jkn", lonely = "fail", fpc = c("no", "yes")),
  data.frame(dataset = "unstratified", design = "jk1", lonely = "fail", fpc = c("no", "yes")),
  data.frame(dataset = "blanks", design = "jkn", lonely = "fail", fpc = "no"),
  data.frame(dataset = "lonely", design = "jkn",
             lonely = c("remove", "adjust", "average", "certainty"), fpc = "no"),
  data.frame(dataset = "clusters", design = "bootstrap", lonely = "fail", fpc = "no"),
  data.frame(dataset = "lonely", design = "bootstrap", lonely = c("remove", "adjust"), fpc = "no")
)

num <- function(x) sprintf("%.17g", as.numeric(x))

read_dataset <- function(name) {
  classes <- c(row_id = "integer", stratum = "character", psu = "character",
               weight = "numeric", fpc = "numeric", province = "character",
               sex = "character")
  classes[items] <- "integer"
  read.csv(file.path(data_dir, paste0(name, ".csv")), colClasses = classes, na.strings = "")
}

replicate_design <- function(d, design, fpc, dataset) {
  if (design == "bootstrap") {
    f <- read.csv(file.path(out_dir, paste0("bootstrap_", dataset, ".csv")),
                  colClasses = c(stratum = "character", psu = "character"))
    rows <- match(paste(d$stratum, d$psu), paste(f$stratum, f$psu))
    factors <- as.matrix(f[rows, grep("^r[0-9]+$", names(f))])
    return(svrepdesign(data = d, repweights = factors, weights = ~weight,
                       type = "bootstrap", combined.weights = FALSE,
                       scale = 1 / (ncol(factors) - 1), rscales = rep(1, ncol(factors))))
  }
  fpc_formula <- if (fpc == "yes") ~fpc else NULL
  des <- if (length(unique(d$stratum)) > 1) {
    svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, fpc = fpc_formula,
              nest = TRUE, data = d)
  } else {
    svydesign(ids = ~psu, weights = ~weight, fpc = fpc_formula, data = d)
  }
  as.svrepdesign(des, type = if (design == "jkn") "JKn" else "JK1")
}

# Item shares, components and index of one domain from one set of weights (a vector).
composite_values <- function(w, data, in_domain, rule) {
  share <- sapply(items, function(item) {
    y <- rules[[rule]](data[[item]])
    valid <- in_domain & !is.na(y)
    den <- sum(w[valid])
    if (den > 0) sum(w[valid] * y[valid]) / den else NaN
  })
  nanmean <- function(v) if (all(is.nan(v))) NaN else mean(v[!is.nan(v)])
  comp <- sapply(components, function(k) nanmean(share[k]))
  c(comp, ALL = nanmean(comp))
}

item_means <- function(rdes, rule, item, by) {
  formula <- as.formula(paste0("~", rule, "_", item))
  if (by == "all") {
    r <- tryCatch(svymean(formula, rdes, na.rm = TRUE), error = function(e) conditionMessage(e))
    if (is.character(r)) return(list(all = r))
    return(list(all = c(unname(coef(r))[1], unname(SE(r))[1])))
  }
  levels <- sort(unique(rdes$variables[[by]]))
  r <- tryCatch(svyby(formula, as.formula(paste0("~", by)), rdes, svymean, na.rm = TRUE),
                error = function(e) e)
  out <- lapply(levels, function(lev) {
    if (!inherits(r, "error")) {
      i <- match(lev, as.character(r[[by]]))
      if (is.na(i)) return("domain missing from svyby output")
      return(c(unname(coef(r))[i], unname(SE(r))[i]))
    }
    s <- tryCatch(svymean(formula, rdes[rdes$variables[[by]] == lev, ], na.rm = TRUE),
                  error = function(e) conditionMessage(e))
    if (is.character(s)) s else c(unname(coef(s))[1], unname(SE(s))[1])
  })
  names(out) <- levels
  out
}

rows <- list()
omitted <- list()
for (s in seq_len(nrow(scenarios))) {
  sc <- scenarios[s, ]
  options(survey.lonely.psu = sc$lonely)
  d <- read_dataset(sc$dataset)
  for (rule in names(rules)) {
    for (item in items) d[[paste0(rule, "_", item)]] <- rules[[rule]](d[[item]])
  }
  rdes <- replicate_design(d, sc$design, sc$fpc, sc$dataset)
  key <- data.frame(dataset = sc$dataset, design = sc$design, lonely = sc$lonely, fpc = sc$fpc)
  add <- function(rule, by, domain, indicator, value) {
    if (is.character(value)) {
      reason <- value
    } else if (!all(is.finite(value))) {
      reason <- paste("estimate", value[1], "se", value[2])
    } else {
      rows[[length(rows) + 1]] <<- data.frame(key, rule = rule, by = by, domain = domain,
        indicator = indicator, estimate = num(value[1]), se = num(value[2]))
      return(invisible())
    }
    omitted[[length(omitted) + 1]] <<- data.frame(key, rule = rule, by = by, domain = domain,
      indicator = indicator, reason = reason)
  }
  for (rule in names(rules)) {
    for (by in domains) {
      for (item in items) {
        res <- item_means(rdes, rule, item, by)
        for (dom in names(res)) add(rule, by, dom, item, res[[dom]])
      }
      levels <- if (by == "all") "all" else sort(unique(d[[by]]))
      for (dom in levels) {
        in_domain <- if (by == "all") rep(TRUE, nrow(d)) else d[[by]] == dom
        r <- withReplicates(rdes, function(w, data) composite_values(w, data, in_domain, rule))
        for (j in seq_along(coef(r))) {
          add(rule, by, dom, names(coef(r))[j], c(unname(coef(r))[j], unname(SE(r))[j]))
        }
      }
    }
  }
}
options(survey.lonely.psu = "fail")
write.csv(do.call(rbind, rows), file.path(out_dir, "expected.csv"), row.names = FALSE,
          quote = FALSE)
omitted_columns <- c("dataset", "design", "lonely", "fpc", "rule", "by", "domain", "indicator",
                     "reason")
omitted <- if (length(omitted)) do.call(rbind, omitted) else
  setNames(data.frame(matrix(character(), 0, length(omitted_columns))), omitted_columns)
write.csv(omitted[, omitted_columns], file.path(out_dir, "omitted.csv"), row.names = FALSE)
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out_dir, "VERSIONS.txt"))
cat(sprintf("%d rows, %d omitted\n", length(rows), nrow(omitted)))
