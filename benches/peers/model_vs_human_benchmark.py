"""Peer for benches/compare.rs and the benchmark check: model-vs-human's own benchmark code.

Usage: model_vs_human_benchmark.py CHECKOUT RAW_DATA OUT_JSON

CHECKOUT is a checkout of the bethgelab/model-vs-human repository (nothing of it is copied
here); RAW_DATA a folder in its layout (`<dataset>/<dataset>_<subj>_session_1.csv`), with at
least one model per dataset (its benchmark refuses datasets without one). Only the analysis
and plotting modules are imported: the package's own `__init__` (torch, tensorflow) and its
dataset downloader are bypassed. Needs pandas 1.x (it calls DataFrame.append), numpy,
matplotlib, seaborn and tqdm (scripts/setup-peers installs them).

Writes, per dataset and over all datasets ("all"), each model's and the humans' four metrics
as model-vs-human computes them (get_mean_over_datasets for OOD accuracy, get_raw_benchmark_df
and format_benchmark_df for the other three, its condition exclusions on), and the seconds
the benchmark over all datasets took (reading the CSVs included).
"""
import importlib
import json
import os
import sys
import time
import types

checkout, raw_data, out = sys.argv[1:4]
package_dir = os.path.join(checkout, "modelvshuman")


def namespace(name, path):
    """A package whose __init__ is not run (it imports the deep-learning frameworks)."""
    module = types.ModuleType(name)
    module.__path__ = [path]
    sys.modules[name] = module
    return module


namespace("modelvshuman", package_dir)
namespace("modelvshuman.datasets", os.path.join(package_dir, "datasets"))
utils = types.ModuleType("modelvshuman.utils")
utils.load_dataset = None  # only the model evaluation uses it
sys.modules["modelvshuman.utils"] = utils

constants = importlib.import_module("modelvshuman.constants")
constants.RAW_DATA_DIR = raw_data
plot = importlib.import_module("modelvshuman.plotting.plot")
dm = importlib.import_module("modelvshuman.plotting.decision_makers")
helper = importlib.import_module("modelvshuman.helper.plotting_helper")
experiments = importlib.import_module("modelvshuman.datasets.experiments")

names = sorted(d for d in os.listdir(raw_data) if os.path.isdir(os.path.join(raw_data, d)))
METRICS = ["accuracy difference", "observed consistency", "error consistency"]


def decision_makers(df):
    humans = [dm.DecisionMaker(name_pattern="subject-*", color="red", plotting_name="humans", df=df)]
    models = sorted(s for s in df.subj.unique() if not s.startswith("subject-"))
    return humans + [dm.DecisionMaker(name_pattern=m, color="grey", plotting_name=m, df=df) for m in models]


def benchmark(dataset_names):
    """{observer: {metric: value}} over the datasets, as model-vs-human's benchmark plots it."""
    datasets = experiments.get_experiments(dataset_names)
    accuracy = plot.get_mean_over_datasets(
        colname="OOD accuracy",
        metric_fun=plot.METRICS["OOD accuracy"][0],
        metric_name="16-class-accuracy",
        datasets=datasets,
        decision_maker_fun=decision_makers,
    )
    raw = plot.get_raw_benchmark_df(
        datasets=experiments.get_experiments(dataset_names),
        metric_names=METRICS,
        decision_maker_fun=decision_makers,
        include_humans=True,
    )
    makers = decision_makers(helper.get_experimental_data(datasets[0]))
    formatted = plot.format_benchmark_df(df=raw, decision_makers=makers, metric_names=METRICS, include_humans=True)
    result = {}
    for _, row in accuracy.iterrows():
        result.setdefault(row["plotting_name"], {})["OOD accuracy"] = float(row["OOD accuracy"])
    for _, row in formatted.iterrows():
        for metric in METRICS:
            result.setdefault(row["plotting_name"], {})[metric] = float(row[metric])
    return result


# Timed: the benchmark over all datasets, as model-vs-human makes its tables and bar plots
# (every per-dataset value is computed on the way). The per-dataset tables are not timed.
start = time.perf_counter()
results = {"all": benchmark(names)}
elapsed = time.perf_counter() - start
results.update({name: benchmark([name]) for name in names})
with open(out, "w") as f:
    json.dump({"seconds": elapsed, "results": results}, f, indent=1, sort_keys=True)
print(f"{elapsed:.6f}")
