# R side of the sampling benchmark: drawing the national sample (package `sampling`) and raking
# (package `survey`), on the files benchmarks/sampling.py writes.
#
# Usage: Rscript benchmarks/r_sampling.R DIR [REPEATS]
#   DIR      holds frame.csv, respondents.csv and margins.csv
#   REPEATS  timed repetitions of each (default 3), after one warm-up run
#
# Drawing (only when the `sampling` package is installed): per province, the communes' sizes
# (households summed over their villages), inclusionprobabilities(size, 6) and UPsystematic on the
# communes in a random order; per selected commune, srswor(3, villages); then each village's
# probability p_commune * p_village * min(32, households) / households and its weight.
# Raking: rake(design, list(~sex, ~age_band, ~urban_rural), <population totals>,
# control = list(maxit = 100, epsilon = 1e-10)) on svydesign(ids = ~1, weights = ~w), the design
# built before the clock starts; the raked weights are written to DIR/weights_r.csv.
# Prints one JSON object to stdout.

options(warn = 1)
suppressPackageStartupMessages(library(survey))
have_sampling <- suppressPackageStartupMessages(requireNamespace("sampling", quietly = TRUE))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: r_sampling.R DIR [REPEATS]")
dir <- args[1]
repeats <- if (length(args) >= 2) as.integer(args[2]) else 3L
elapsed <- function() proc.time()[["elapsed"]]

timed <- function(f) {
  f()  # warm-up
  seconds <- numeric(repeats)
  out <- NULL
  for (i in seq_len(repeats)) {
    gc()
    start <- elapsed()
    out <- f()
    seconds[i] <- elapsed() - start
  }
  list(seconds = seconds, out = out)
}

# ---------------------------------------------------------------- drawing

draw_national <- function(frame) {
  communes <- aggregate(households ~ province + commune, data = frame, FUN = sum)
  chosen <- lapply(split(communes, communes$province), function(part) {
    pik <- sampling::inclusionprobabilities(part$households, 6)
    order <- sample.int(nrow(part))  # systematic on a random order, as sipas does
    s <- integer(nrow(part))
    s[order] <- sampling::UPsystematic(pik[order])
    data.frame(commune = part$commune[s == 1], p_commune = pik[s == 1])
  })
  chosen <- do.call(rbind, chosen)
  villages <- frame[frame$commune %in% chosen$commune, ]
  picked <- lapply(split(villages, villages$commune), function(part) {
    n <- nrow(part)
    s <- sampling::srswor(min(3, n), n)
    data.frame(village = part$village[s == 1], p_village = min(3, n) / n)
  })
  picked <- do.call(rbind, picked)
  out <- merge(frame[frame$village %in% picked$village, ], picked, by = "village")
  out <- merge(out, chosen, by = "commune")
  out$take <- pmin(32, out$households)
  out$probability <- out$p_commune * out$p_village * out$take / out$households
  out$design_weight <- 1 / out$probability
  out
}

draw <- NULL
if (have_sampling) {
  frame <- read.csv(file.path(dir, "frame.csv"),
                    colClasses = c(province = "character", commune = "character",
                                   village = "character", households = "numeric"))
  set.seed(1)
  draw <- timed(function() draw_national(frame))
}

# ---------------------------------------------------------------- raking

people <- read.csv(file.path(dir, "respondents.csv"),
                   colClasses = c(province = "character", sex = "character",
                                  age_band = "character", urban_rural = "character"))
margins <- read.csv(file.path(dir, "margins.csv"), colClasses = c(level = "character"))
population <- lapply(c("sex", "age_band", "urban_rural"), function(v) {
  rows <- margins[margins$variable == v, ]
  out <- data.frame(rows$level, rows$total)
  names(out) <- c(v, "Freq")
  out
})
des <- svydesign(ids = ~1, weights = ~w, data = people)
raked <- timed(function() {
  r <- rake(des, list(~sex, ~age_band, ~urban_rural), population,
            control = list(maxit = 100, epsilon = 1e-10))
  weights(r)
})
write.csv(data.frame(id = people$id, w = sprintf("%.17g", raked$out)),
          file.path(dir, "weights_r.csv"), row.names = FALSE, quote = FALSE)

num <- function(x) paste(sprintf("%.17g", x), collapse = ",")
draw_json <- if (is.null(draw)) "null" else {
  d <- draw$out
  sprintf('{"seconds":[%s],"villages":%d,"communes":%d,"villages_estimated":%.17g}',
          num(draw$seconds), nrow(d), length(unique(d$commune)),
          sum(1 / (d$p_commune * d$p_village)))
}
cat(sprintf(paste0('{"r_version":"%s","survey_version":"%s","sampling_version":%s,',
                   '"draw":%s,"rake":{"seconds":[%s],"respondents":%d}}\n'),
            paste(R.version$major, R.version$minor, sep = "."),
            as.character(packageVersion("survey")),
            if (have_sampling) sprintf('"%s"', packageVersion("sampling")) else "null",
            draw_json, num(raked$seconds), nrow(people)))
