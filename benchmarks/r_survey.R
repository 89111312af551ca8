# R `survey` side of the benchmark: domain means of the 0/1 items y01..y33 by province.
#
# Usage: Rscript benchmarks/r_survey.R DATA.csv MODE [ITEMS] [REPEATS] [REPLICATES]
#   MODE      taylor     svydesign + one svyby(svymean) per item (Taylor linearisation)
#             replicate  as.svrepdesign(type = "subbootstrap") + one svyby(svymean) per item
#             taylor_best, replicate_best  R's best form: ONE svyby call over all items. Every
#                        item has blanks of its own, so its share is the ratio of a 0/1 satisfied
#                        column (0 for a blank) over a 0/1 valid column; within each province one
#                        svytotal of all 2 x ITEMS columns, then the ITEMS ratios s/v: Taylor by
#                        svycontrast, replicates as the ratio of each replicate's totals spread
#                        by svrVar. This is exact: the same estimates and SEs as the per-item
#                        svymean(na.rm = TRUE). (svyratio with ITEMS numerators and
#                        ITEMS denominators would compute all ITEMS^2 pairs, one at a time.)
#   ITEMS     how many items to estimate, from y01 (default: all columns named yNN)
#   REPEATS   timed repetitions (default 3); the seconds of each are reported
#   REPLICATES bootstrap replicates for MODE replicate (default 500)
#
# Only estimation is timed (design building included, reading the file not). Prints one JSON
# object to stdout: versions, seconds per repeat (total, design building, item estimation),
# domains and the standard errors of the last repeat (item -> one SE per domain, in domain order).

options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE,
        survey.replicates.mse = FALSE, warn = 1)
suppressPackageStartupMessages(library(survey))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 2) stop("usage: r_survey.R DATA.csv MODE [ITEMS] [REPEATS] [REPLICATES]")
path <- args[1]
mode <- args[2]
d <- read.csv(path, colClasses = c(stratum = "character", village = "character",
                                   province = "character"))
items <- grep("^y[0-9]+$", names(d), value = TRUE)
if (length(args) >= 3 && args[3] != "all") items <- items[seq_len(as.integer(args[3]))]
repeats <- if (length(args) >= 4) as.integer(args[4]) else 3L
replicates <- if (length(args) >= 5) as.integer(args[5]) else 500L

if (!mode %in% c("taylor", "replicate", "taylor_best", "replicate_best")) {
  stop("MODE must be taylor, replicate, taylor_best or replicate_best")
}
best <- mode %in% c("taylor_best", "replicate_best")
if (best) {  # the 0/1 columns are data preparation, made before the clock as reading the file is
  for (y in items) {
    d[[paste0("s", y)]] <- ifelse(is.na(d[[y]]), 0, d[[y]])
    d[[paste0("v", y)]] <- as.numeric(!is.na(d[[y]]))
  }
  both <- as.formula(paste("~", paste(c(paste0("s", items), paste0("v", items)), collapse = "+")))
  ratios <- lapply(items, function(y) parse(text = sprintf("s%s/v%s", y, y))[[1]])
  names(ratios) <- items
  # one domain's item shares: all totals (and their replicates) at once, then the ratios
  shares <- function(formula, design, ...) {
    if (!inherits(design, "svyrep.design")) return(svycontrast(svytotal(formula, design), ratios))
    # replicates: the ratio of each replicate's totals, spread by survey's own svrVar (what
    # svycontrast does, without evaluating each expression once per replicate)
    totals <- svytotal(formula, design, return.replicates = TRUE)
    k <- length(items)
    full <- coef(totals)[1:k] / coef(totals)[k + 1:k]
    reps <- totals$replicates[, 1:k, drop = FALSE] / totals$replicates[, k + 1:k, drop = FALSE]
    v <- svrVar(reps, design$scale, design$rscales, mse = design$mse, coef = full)
    names(full) <- items
    structure(full, var = v, statistic = "ratio", class = "svrepstat")
  }
}
elapsed <- function() proc.time()[["elapsed"]]

design_seconds <- numeric(repeats)  # svydesign (+ as.svrepdesign)
items_seconds <- numeric(repeats)  # the svyby calls
for (i in seq_len(repeats)) {
  gc()
  start <- elapsed()
  des <- svydesign(ids = ~village, strata = ~stratum, weights = ~weight, nest = TRUE, data = d)
  if (mode %in% c("replicate", "replicate_best")) {
    set.seed(20241)
    des <- as.svrepdesign(des, type = "subbootstrap", replicates = replicates)
  }
  built <- elapsed()
  if (best) {
    all_items <- svyby(both, ~province, des, shares)
  } else {
    out <- lapply(items, function(y) {
      svyby(as.formula(paste0("~", y)), ~province, des, svymean, na.rm = TRUE)
    })
  }
  design_seconds[i] <- built - start
  items_seconds[i] <- elapsed() - built
}
seconds <- design_seconds + items_seconds

num <- function(x) paste(sprintf("%.17g", x), collapse = ",")
quoted <- function(x) paste0('"', x, '"', collapse = ",")
if (best) {
  domains <- as.character(all_items$province)
  se_all <- SE(all_items)  # one row per domain, one column per item
  ses <- vapply(seq_along(items), function(k) {
    sprintf('"%s":[%s]', items[k], num(se_all[, k]))
  }, "")
} else {
  domains <- as.character(out[[1]]$province)
  ses <- vapply(seq_along(items), function(k) {
    se <- SE(out[[k]])
    stopifnot(identical(as.character(out[[k]]$province), domains))
    sprintf('"%s":[%s]', items[k], num(se))
  }, "")
}
cat(sprintf(paste0('{"mode":"%s","r_version":"%s","survey_version":"%s","rows":%d,',
                   '"items":[%s],"repeats":%d,"replicates":%d,"seconds":[%s],',
                   '"design_seconds":[%s],"items_seconds":[%s],"domains":[%s],"se":{%s}}\n'),
            mode, paste(R.version$major, R.version$minor, sep = "."),
            as.character(packageVersion("survey")), nrow(d), quoted(items), repeats,
            if (mode %in% c("replicate", "replicate_best")) replicates else 0L, num(seconds), num(design_seconds),
            num(items_seconds), quoted(domains), paste(ses, collapse = ",")))
