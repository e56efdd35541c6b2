//! What one `classify` command does: every model on every stimulus set, one raw-data file per
//! model and set, and the share of that work one shard (one of N independent processes, e.g.
//! the tasks of a cluster job array) takes.

use std::path::{Path, PathBuf};

use super::preprocess::Preprocess;
use crate::error::{Error, Result};
use crate::stimuli::StimulusSet;

/// The path of a model's raw-data file: `<out>/<experiment>-trained-CNNs/<experiment>_<name>_session-1.csv`.
pub fn data_path(out: &Path, experiment: &str, name: &str) -> PathBuf {
    out.join(format!("{experiment}-trained-CNNs"))
        .join(format!("{experiment}_{name}_session-1.csv"))
}

/// A model to classify with: its ONNX file, observer name and preprocessing.
#[derive(Debug, Clone)]
pub struct Model {
    /// The ONNX file.
    pub path: PathBuf,
    /// The observer name written as `subj` and in the file name.
    pub name: String,
    /// How images are prepared for it.
    pub preprocess: Preprocess,
    /// The sidecar it has not, when it took the default preprocessing for want of one.
    pub sidecar_missing: Option<PathBuf>,
}

/// A stimulus set and the experiment its human data belong to.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The stimuli.
    pub set: StimulusSet,
    /// The experiment name (the paper's folder name, or model-vs-human's dataset name).
    pub experiment: String,
    /// The experiment code inside image names.
    pub code: String,
}

/// One model on one stimulus set: one raw-data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Index into the models.
    pub model: usize,
    /// Index into the datasets.
    pub dataset: usize,
    /// The raw-data file it writes.
    pub data: PathBuf,
    /// Images in the set.
    pub images: usize,
}

/// Which of N processes this one is: `K/N`, K counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This process, 1..=count.
    pub index: usize,
    /// How many processes share the work.
    pub count: usize,
}

impl Shard {
    /// The whole work in one process.
    pub const ALL: Shard = Shard { index: 1, count: 1 };
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Shard, String> {
        let usage = "give K/N with 1 <= K <= N, e.g. --shard 1/4";
        let (k, n) = text
            .split_once('/')
            .filter(|(_, n)| !n.contains('/'))
            .ok_or_else(|| format!("'{text}' is not K/N; {usage}"))?;
        let number = |part: &str| {
            part.trim()
                .parse::<usize>()
                .map_err(|_| format!("'{part}' is not a whole number; {usage}"))
        };
        let (index, count) = (number(k)?, number(n)?);
        if index == 0 || count == 0 || index > count {
            return Err(format!("shard {index} of {count} does not exist; {usage}"));
        }
        Ok(Shard { index, count })
    }
}

/// The experiment name and code of the paper's stimulus folders, so that a model's file lands
/// beside the people who saw the same images (`compare` pairs them by experiment).
const PAPER_SETS: [(&str, &str, &str); 3] = [
    (
        "style-transfer-preprocessed-512",
        "style-transfer-512-nomask-experiment",
        "s5n",
    ),
    ("edges", "edge-experiment", "edg"),
    ("filled-silhouettes", "silhouette-filled-experiment", "sif"),
];

/// The experiment and code of a stimulus folder the paper used, by its folder name.
pub fn paper_experiment(folder: &Path) -> Option<(&'static str, &'static str)> {
    let name = folder.file_name()?.to_str()?;
    PAPER_SETS
        .iter()
        .find(|(dir, _, _)| *dir == name)
        .map(|&(_, experiment, code)| (experiment, code))
}

/// The experiment a stimulus folder's files belong to, by one rule whatever else the command
/// line names and however the folder's path is written (`.`, `../edges`, a symbolic link: the
/// folder it resolves to): the paper's name for the paper's folders, the config's experiment
/// for the config's own stimulus folder (the images its participants saw), else the folder's
/// name (model-vs-human's dataset folders are named after their datasets).
pub fn experiment_of(folder: &Path, config_stimuli: &Path, config_experiment: &str) -> String {
    let folder = resolved(folder);
    if let Some((experiment, _)) = paper_experiment(&folder) {
        return experiment.to_string();
    }
    if folder == resolved(config_stimuli) {
        return config_experiment.to_string();
    }
    folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The folder a path names, with links and `.`/`..` resolved (as written when it cannot be).
pub fn resolved(folder: &Path) -> PathBuf {
    folder
        .canonicalize()
        .unwrap_or_else(|_| folder.to_path_buf())
}

/// The models named on the command line: `.onnx` files, and folders whose `.onnx` files are all
/// taken, sorted by name. Each gets `preprocess` if given, else its `.json` sidecar, else
/// torchvision's ImageNet preprocessing (the same rule for a file named alone or found in a
/// folder; [`Model::sidecar_missing`] says which took the default). `name` renames a single
/// model; otherwise a model is named after its file.
pub fn find_models(
    paths: &[PathBuf],
    name: Option<&str>,
    preprocess: Option<&Preprocess>,
) -> Result<Vec<Model>> {
    let mut models = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries =
                std::fs::read_dir(path).map_err(|e| Error::io(path, "list the model folder", e))?;
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "onnx"))
                .collect();
            if files.is_empty() {
                return Err(Error::in_file(path, "the folder has no .onnx models"));
            }
            files.sort();
            for file in files {
                models.push(model(file, preprocess)?);
            }
        } else {
            models.push(model(path.clone(), preprocess)?);
        }
    }
    if let Some(name) = name {
        match models.as_mut_slice() {
            [only] => {
                crate::names::check_name_part(name)
                    .map_err(|e| Error::new(format!("--name: {e}")))?;
                only.name = name.to_string();
            }
            _ => {
                return Err(Error::new(format!(
                    "--name: names one model, but {} are given; models are named after their files",
                    models.len()
                )))
            }
        }
    }
    for m in &models {
        crate::names::check_name_part(&m.name).map_err(|e| {
            Error::in_file(
                &m.path,
                format!("the model name {e}; rename the file or give --name"),
            )
        })?;
    }
    models.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(pair) = models.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(Error::new(format!(
            "two models are named '{}': {} and {}",
            pair[0].name,
            pair[0].path.display(),
            pair[1].path.display()
        )));
    }
    Ok(models)
}

/// A model named after its file, prepared by `preprocess`, else by its sidecar, else by
/// torchvision's ImageNet preprocessing.
fn model(path: PathBuf, preprocess: Option<&Preprocess>) -> Result<Model> {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sidecar = path.with_extension("json");
    let (preprocess, sidecar_missing) = match preprocess {
        Some(p) => (p.clone(), None),
        None if sidecar.exists() => (Preprocess::from_sidecar(&sidecar)?, None),
        None => (Preprocess::imagenet(), Some(sidecar)),
    };
    Ok(Model {
        path,
        name,
        preprocess,
        sidecar_missing,
    })
}

/// Every model on every dataset, models in name order and each model's sets in the given order.
/// Two datasets of one experiment would write the same files, so they are refused.
pub fn tasks(models: &[Model], datasets: &[Dataset], out: &Path) -> Result<Vec<Task>> {
    for (i, a) in datasets.iter().enumerate() {
        if let Some(b) = datasets[..i].iter().find(|b| b.experiment == a.experiment) {
            return Err(Error::new(format!(
                "{} and {} are both experiment '{}'; give each stimulus set once",
                b.set.root.display(),
                a.set.root.display(),
                a.experiment
            )));
        }
    }
    Ok(models
        .iter()
        .enumerate()
        .flat_map(|(m, model)| {
            datasets.iter().enumerate().map(move |(d, dataset)| Task {
                model: m,
                dataset: d,
                data: data_path(out, &dataset.experiment, &model.name),
                images: dataset.set.stimuli.len(),
            })
        })
        .collect())
}

/// The tasks of one shard. Every process computes the same split from the same command line,
/// with no coordination: the largest tasks first, each to the shard with the fewest images so
/// far (the lowest-numbered on a tie). Each shard's tasks stay in model order, so a model is
/// loaded once.
pub fn share(tasks: &[Task], shard: Shard) -> Vec<Task> {
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    // Stable: equal sizes keep their model and set order.
    order.sort_by_key(|&i| std::cmp::Reverse(tasks[i].images));
    let mut load = vec![0usize; shard.count];
    let mut mine = Vec::new();
    for i in order {
        let lightest = (0..shard.count).min_by_key(|&s| (load[s], s)).unwrap_or(0);
        load[lightest] += tasks[i].images.max(1);
        if lightest + 1 == shard.index {
            mine.push(i);
        }
    }
    mine.sort_unstable();
    mine.into_iter().map(|i| tasks[i].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(model: usize, dataset: usize, images: usize) -> Task {
        Task {
            model,
            dataset,
            data: PathBuf::from(format!("{model}-{dataset}.csv")),
            images,
        }
    }

    #[test]
    fn shards_are_k_of_n_counted_from_one() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        for bad in ["3/2", "0/2", "1/0", "2", "a/2"] {
            let err = bad.parse::<Shard>().expect_err(bad);
            assert!(err.contains("K/N"), "{err}");
        }
        assert_eq!(
            "1/2/3".parse::<Shard>(),
            Err("'1/2/3' is not K/N; give K/N with 1 <= K <= N, e.g. --shard 1/4".into())
        );
    }

    #[test]
    fn every_task_goes_to_exactly_one_shard_and_the_loads_are_even() {
        let sizes = [1280, 160, 160];
        let all: Vec<Task> = (0..4)
            .flat_map(|m| (0..3).map(move |d| task(m, d, sizes[d])))
            .collect();
        for count in 1..=5 {
            let shards: Vec<Vec<Task>> = (1..=count)
                .map(|index| share(&all, Shard { index, count }))
                .collect();
            let mut union: Vec<Task> = shards.concat();
            union.sort_by_key(|t| (t.model, t.dataset));
            assert_eq!(union, all, "{count} shards");
            let loads: Vec<usize> = shards
                .iter()
                .map(|s| s.iter().map(|t| t.images).sum())
                .collect();
            let (min, max) = (loads.iter().min(), loads.iter().max());
            assert!(
                count > 4 || max.zip(min).is_some_and(|(a, b)| a - b <= 1280),
                "{loads:?}"
            );
        }
        assert_eq!(share(&all, Shard::ALL), all);
    }

    #[test]
    fn a_folder_is_named_by_one_rule_alone_or_with_others() {
        let dir = tempfile::tempdir().expect("temp dir");
        let own = dir.path().join("stimuli");
        let other = dir.path().join("cue-conflict");
        let edges = dir.path().join("edges");
        for d in [&own, &other, &edges] {
            std::fs::create_dir(d).expect("made");
        }
        let name = |folder: &Path| experiment_of(folder, &own, "my-study");
        assert_eq!(name(&own), "my-study");
        assert_eq!(name(&dir.path().join(".").join("stimuli")), "my-study");
        assert_eq!(name(&other), "cue-conflict");
        assert_eq!(name(&dir.path().join("cue-conflict/.")), "cue-conflict");
        assert_eq!(name(&edges), "edge-experiment");
        assert_eq!(name(&own.join("../edges/.")), "edge-experiment");
        #[cfg(unix)]
        {
            let link = dir.path().join("my-edges");
            std::os::unix::fs::symlink(&edges, &link).expect("linked");
            assert_eq!(name(&link), "edge-experiment");
        }
    }

    #[test]
    fn the_papers_folders_name_their_experiments() {
        assert_eq!(
            paper_experiment(Path::new("stimuli/edges")),
            Some(("edge-experiment", "edg"))
        );
        assert_eq!(paper_experiment(Path::new("stimuli/cue-conflict")), None);
    }

    #[test]
    fn a_model_without_a_sidecar_takes_imagenet_whether_named_alone_or_found_in_a_folder() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("b-net.onnx"), b"x").expect("written");
        std::fs::write(dir.path().join("a-net.onnx"), b"x").expect("written");
        std::fs::write(
            dir.path().join("b-net.json"),
            r#"{"input": {"value_scaling": "raw", "normalisation": {"mean": [127, 127, 127], "std": [128, 128, 128]}}}"#,
        )
        .expect("written");
        let folder = [dir.path().to_path_buf()];
        let alone = [dir.path().join("a-net.onnx"), dir.path().join("b-net.onnx")];
        for paths in [&folder[..], &alone[..]] {
            let models = find_models(paths, None, None).expect("found");
            let names: Vec<&str> = models.iter().map(|m| m.name.as_str()).collect();
            assert_eq!(names, ["a-net", "b-net"]);
            assert_eq!(models[0].preprocess, Preprocess::imagenet());
            assert_eq!(
                models[0].sidecar_missing,
                Some(dir.path().join("a-net.json"))
            );
            assert_ne!(models[1].preprocess, Preprocess::imagenet());
            assert_eq!(models[1].sidecar_missing, None);
        }
        let models = find_models(&folder, None, Some(&Preprocess::inception())).expect("found");
        assert!(models.iter().all(|m| m.sidecar_missing.is_none()));
        let err = find_models(&folder, Some("x"), Some(&Preprocess::inception()))
            .expect_err("--name with two models");
        assert!(
            err.to_string().starts_with("--name: names one model"),
            "{err}"
        );
    }
}
