//! The comparison's tables: CSV and JSON files, and the console table of headline numbers.

use std::fmt::Write as _;
use std::path::Path;

use crate::analysis::benchmark::ALL_DATASETS;
use crate::analysis::compare::Comparison;
use crate::analysis::metrics::Estimate;
use crate::error::{Error, Result};

/// Said instead of a kappa that would mean nothing.
const TOO_FEW: &str = "too few shared trials";

fn number(v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| format!("{v:.6}"))
}

fn estimate(e: &Estimate) -> [String; 3] {
    [number(e.value), number(e.low), number(e.high)]
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn write(dir: &Path, name: &str, content: &str) -> Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, content).map_err(|e| Error::io(&path, "write", e))
}

/// Writes summary.csv, summary.json, per_category.csv, per_condition.csv,
/// error_consistency.csv, benchmark.csv, benchmark.json and confusion.csv.
pub fn write_all(dir: &Path, c: &Comparison) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create the output folder", e))?;
    let mut s = String::from(
        "experiment,observer,kind,source,trials,shape_bias,shape_bias_low,shape_bias_high,shape_decisions,texture_decisions,other_decisions,conflict_trials,accuracy,accuracy_low,accuracy_high,no_answer_rate,rt_mean,rt_median,left_out_disturbed\n",
    );
    for r in &c.summaries {
        let [sb, sbl, sbh] = estimate(&r.shape_bias);
        let [acc, accl, acch] = estimate(&r.accuracy);
        let d = &r.decisions;
        let _ = writeln!(
            s,
            "{},{},{},{},{},{sb},{sbl},{sbh},{},{},{},{},{acc},{accl},{acch},{:.6},{},{},{}",
            csv_field(&r.experiment),
            csv_field(&r.observer),
            csv_field(&r.kind),
            csv_field(&r.source),
            r.trials,
            d.shape,
            d.texture,
            d.other,
            d.conflict_trials,
            r.no_answer_rate,
            number(r.rt_mean),
            number(r.rt_median),
            r.left_out_disturbed
        );
    }
    write(dir, "summary.csv", &s)?;
    let json = serde_json::to_string_pretty(&c.summaries)
        .map_err(|e| Error::new(format!("cannot encode summary.json: {e}")))?;
    write(dir, "summary.json", &json)?;

    let mut s = String::from(
        "experiment,observer,category,trials,accuracy,shape_bias_as_shape,shape_bias_as_texture\n",
    );
    for r in &c.categories {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{}",
            csv_field(&r.experiment),
            csv_field(&r.observer),
            r.category,
            r.trials,
            number(r.accuracy),
            number(r.shape_bias_as_shape),
            number(r.shape_bias_as_texture)
        );
    }
    write(dir, "per_category.csv", &s)?;

    let mut s = String::from("experiment,observer,condition,trials,accuracy\n");
    for r in &c.conditions {
        let _ = writeln!(
            s,
            "{},{},{},{},{:.6}",
            csv_field(&r.experiment),
            csv_field(&r.observer),
            csv_field(&r.condition),
            r.trials,
            r.accuracy
        );
    }
    write(dir, "per_condition.csv", &s)?;

    let mut s = String::from("experiment,observer_a,observer_b,pair,trials,conditions,observed_consistency,expected_consistency,kappa,note\n");
    for p in &c.pairs {
        let k = &p.consistency;
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{}",
            csv_field(&p.experiment),
            csv_field(&p.a),
            csv_field(&p.b),
            p.pair,
            k.trials,
            k.conditions,
            number(k.observed),
            number(k.expected),
            number(k.kappa),
            csv_field(&k.missing_reason(c.min_shared_trials).unwrap_or_default())
        );
    }
    for (experiment, kappa) in &c.ceilings {
        let note = if kappa.is_some() { "" } else { TOO_FEW };
        let _ = writeln!(
            s,
            "{},humans,humans,human-human mean (ceiling),,,,,{},{note}",
            csv_field(experiment),
            number(*kappa)
        );
    }
    write(dir, "error_consistency.csv", &s)?;

    write_benchmark(dir, c)?;

    let mut s = String::from("experiment,observer,category,response,count\n");
    for r in &c.confusion {
        let response = r.response.map_or("na", |c| c.name());
        let _ = writeln!(
            s,
            "{},{},{},{response},{}",
            csv_field(&r.experiment),
            csv_field(&r.observer),
            r.category,
            r.count
        );
    }
    write(dir, "confusion.csv", &s)
}

/// benchmark.csv and benchmark.json: model-vs-human's four metrics per dataset and overall.
fn write_benchmark(dir: &Path, c: &Comparison) -> Result<()> {
    let mut s = String::from("dataset,observer,datasets,compared_with,ood_accuracy,accuracy_difference,observed_consistency,error_consistency\n");
    for r in &c.benchmark.rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{}",
            csv_field(&r.dataset),
            csv_field(&r.observer),
            r.datasets,
            r.compared_with,
            number(r.ood_accuracy),
            number(r.accuracy_difference),
            number(r.observed_consistency),
            number(r.error_consistency)
        );
    }
    write(dir, "benchmark.csv", &s)?;
    let json = serde_json::to_string_pretty(&c.benchmark)
        .map_err(|e| Error::new(format!("cannot encode benchmark.json: {e}")))?;
    write(dir, "benchmark.json", &json)
}

/// The benchmark over all datasets as a console table (models, then the humans' ceiling).
pub fn benchmark_console(c: &Comparison) -> String {
    let mut out = String::new();
    let all: Vec<_> = c
        .benchmark
        .rows
        .iter()
        .filter(|r| r.dataset == ALL_DATASETS)
        .collect();
    if all.is_empty() {
        return out;
    }
    let datasets = c.benchmark.conditions.len();
    let _ = writeln!(
        out,
        "\nbenchmark (model-vs-human's metrics, mean over {datasets} datasets with humans)"
    );
    let _ = writeln!(
        out,
        "  {:<40} {:>8} {:>12} {:>12} {:>12} {:>12}",
        "observer", "datasets", "OOD acc.", "acc. diff.", "obs. cons.", "error cons."
    );
    let show = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
    for r in all {
        let _ = writeln!(
            out,
            "  {:<40} {:>8} {:>12} {:>12} {:>12} {:>12}",
            truncate(&r.observer, 40),
            r.datasets,
            show(r.ood_accuracy),
            show(r.accuracy_difference),
            show(r.observed_consistency),
            show(r.error_consistency)
        );
    }
    out
}

/// The headline numbers as a console table.
pub fn console(c: &Comparison) -> String {
    let mut out = String::new();
    let mut experiment = "";
    for r in &c.summaries {
        if r.experiment != experiment {
            experiment = &r.experiment;
            let _ = writeln!(out, "\n{experiment}");
            let _ = writeln!(
                out,
                "  {:<52} {:>6} {:>22} {:>22} {:>8} {:>7}",
                "observer",
                "trials",
                "shape bias [95% CI]",
                "accuracy [95% CI]",
                "no ans.",
                "rt med"
            );
            match c.ceilings.get(experiment) {
                Some(Some(k)) => {
                    let _ = writeln!(
                        out,
                        "  (mean error consistency between humans: kappa {k:.3})"
                    );
                }
                Some(None) => {
                    let _ = writeln!(
                        out,
                        "  (error consistency between humans: {TOO_FEW}, {} per condition needed)",
                        c.min_shared_trials
                    );
                }
                None => {}
            }
        }
        let show = |e: &Estimate| match (e.value, e.low, e.high) {
            (Some(v), Some(l), Some(h)) => format!("{v:.3} [{l:.3}, {h:.3}]"),
            (Some(v), _, _) => format!("{v:.3}"),
            _ => "-".into(),
        };
        let _ = writeln!(
            out,
            "  {:<52} {:>6} {:>22} {:>22} {:>7.1}% {:>7}",
            truncate(&r.observer, 52),
            r.trials,
            show(&r.shape_bias),
            show(&r.accuracy),
            100.0 * r.no_answer_rate,
            r.rt_median.map_or("-".into(), |v| format!("{v:.3}s"))
        );
        if r.left_out_disturbed > 0 {
            let _ = writeln!(
                out,
                "  {:<52} ({} disturbed trials left out)",
                "", r.left_out_disturbed
            );
        }
    }
    out
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let cut: String = text.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}
