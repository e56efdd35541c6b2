# The paper's loader on one data folder: get.expt.data, in data-analysis/data-analysis-helper.R
# of github.com/rgeirhos/texture-vs-shape. With TEXTURE_VS_SHAPE_CHECKOUT set to a checkout of
# that repository, the function itself is read from there (the rest of the file is not run:
# it needs ggplot2 and friends) and called as the paper's scripts call it; without it, its
# loading rule: every file of the folder ending in ".csv", read.csv, rbind, and a person is a
# subj containing "subject" (is.human). Prints rows, subj codes and the subj codes it takes
# for people's.
folder <- normalizePath(commandArgs(TRUE)[1])
checkout <- Sys.getenv("TEXTURE_VS_SHAPE_CHECKOUT")
if (nzchar(checkout)) {
  helper <- parse(file.path(checkout, "data-analysis", "data-analysis-helper.R"), keep.source = FALSE)
  defines <- function(e, name) {
    is.call(e) && is.name(e[[1]]) && as.character(e[[1]]) %in% c("=", "<-") && identical(e[[2]], as.name(name))
  }
  found <- Filter(function(e) defines(e, "get.expt.data"), as.list(helper))
  if (length(found) != 1) stop("no get.expt.data in the checkout's data-analysis-helper.R")
  eval(found[[1]])
  DATAPATH <- paste0(dirname(folder), "/")
  dat <- get.expt.data(basename(folder))
} else {
  dat <- NULL
  for (f in list.files(folder)) {
    if (endsWith(f, ".csv")) dat <- rbind(dat, read.csv(file.path(folder, f)))
  }
  dat$is.human <- grepl("subject", dat$subj)
}
cat(nrow(dat), length(unique(dat$subj)), length(unique(dat$subj[dat$is.human])), "\n")
