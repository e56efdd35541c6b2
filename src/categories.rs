//! The 16 entry-level categories of the texture-vs-shape experiment and their ImageNet classes.

use std::fmt;
use std::str::FromStr;

/// One of the 16 categories a participant can choose (alphabetical order is the canonical order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// airplane
    Airplane,
    /// bear
    Bear,
    /// bicycle
    Bicycle,
    /// bird
    Bird,
    /// boat
    Boat,
    /// bottle
    Bottle,
    /// car
    Car,
    /// cat
    Cat,
    /// chair
    Chair,
    /// clock
    Clock,
    /// dog
    Dog,
    /// elephant
    Elephant,
    /// keyboard
    Keyboard,
    /// knife
    Knife,
    /// oven
    Oven,
    /// truck
    Truck,
}

/// All 16 categories in alphabetical order.
pub const ALL: [Category; 16] = [
    Category::Airplane,
    Category::Bear,
    Category::Bicycle,
    Category::Bird,
    Category::Boat,
    Category::Bottle,
    Category::Car,
    Category::Cat,
    Category::Chair,
    Category::Clock,
    Category::Dog,
    Category::Elephant,
    Category::Keyboard,
    Category::Knife,
    Category::Oven,
    Category::Truck,
];

const NAMES: [&str; 16] = [
    "airplane", "bear", "bicycle", "bird", "boat", "bottle", "car", "cat", "chair", "clock", "dog",
    "elephant", "keyboard", "knife", "oven", "truck",
];

/// ImageNet-1k class indices of each category, as inclusive ranges, in the order of [`ALL`]
/// (from the paper's `imagenet-16-class-indices.json`).
const IMAGENET_RANGES: [&[(usize, usize)]; 16] = [
    // airplane: 1 classes
    &[(404, 404)],
    // bear: 4 classes
    &[(294, 297)],
    // bicycle: 2 classes
    &[(444, 444), (671, 671)],
    // bird: 49 classes
    &[
        (8, 8),
        (10, 16),
        (18, 20),
        (22, 24),
        (80, 83),
        (87, 96),
        (98, 100),
        (127, 133),
        (135, 145),
    ],
    // boat: 5 classes
    &[(472, 472), (554, 554), (625, 625), (814, 814), (914, 914)],
    // bottle: 7 classes
    &[
        (440, 440),
        (720, 720),
        (737, 737),
        (898, 899),
        (901, 901),
        (907, 907),
    ],
    // car: 3 classes
    &[(436, 436), (511, 511), (817, 817)],
    // cat: 6 classes
    &[(281, 286)],
    // chair: 4 classes
    &[(423, 423), (559, 559), (765, 765), (857, 857)],
    // clock: 3 classes
    &[(409, 409), (530, 530), (892, 892)],
    // dog: 109 classes
    &[
        (152, 191),
        (193, 203),
        (205, 226),
        (228, 241),
        (243, 250),
        (252, 257),
        (259, 259),
        (261, 263),
        (265, 268),
    ],
    // elephant: 2 classes
    &[(385, 386)],
    // keyboard: 2 classes
    &[(508, 508), (878, 878)],
    // knife: 1 classes
    &[(499, 499)],
    // oven: 1 classes
    &[(766, 766)],
    // truck: 8 classes
    &[
        (555, 555),
        (569, 569),
        (656, 656),
        (675, 675),
        (717, 717),
        (734, 734),
        (864, 864),
        (867, 867),
    ],
];

impl Category {
    /// Position in [`ALL`] (0..16).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The lower-case name used in files and CSVs.
    pub fn name(self) -> &'static str {
        NAMES[self.index()]
    }

    /// The ImageNet-1k class indices that make up this category.
    pub fn imagenet_indices(self) -> impl Iterator<Item = usize> {
        IMAGENET_RANGES[self.index()]
            .iter()
            .flat_map(|&(first, last)| first..=last)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The text was not one of the 16 category names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCategory(pub String);

impl fmt::Display for UnknownCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown category '{}' (expected one of: {})",
            self.0,
            NAMES.join(", ")
        )
    }
}

impl FromStr for Category {
    type Err = UnknownCategory;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The first byte rules out most names without a string comparison.
        let first = s.as_bytes().first();
        NAMES
            .iter()
            .position(|&n| n.as_bytes().first() == first && n == s)
            .map(|i| ALL[i])
            .ok_or_else(|| UnknownCategory(s.to_string()))
    }
}

/// How the probabilities of a category's ImageNet classes are combined into one score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregation {
    /// The mean probability (the paper's choice).
    #[default]
    Mean,
    /// The summed probability.
    Sum,
    /// The largest single probability.
    Max,
}

/// Maps 1000 ImageNet probabilities to 16 category scores.
///
/// Returns `None` when `probabilities` does not have exactly 1000 entries.
pub fn aggregate(probabilities: &[f32], how: Aggregation) -> Option<[f32; 16]> {
    if probabilities.len() != 1000 {
        return None;
    }
    let mut scores = [0.0f32; 16];
    for (score, category) in scores.iter_mut().zip(ALL) {
        let values = category.imagenet_indices().map(|i| probabilities[i]);
        *score = match how {
            Aggregation::Mean => {
                let (sum, n) = values.fold((0.0f64, 0usize), |(s, n), p| (s + f64::from(p), n + 1));
                (sum / n as f64) as f32
            }
            Aggregation::Sum => values.map(f64::from).sum::<f64>() as f32,
            Aggregation::Max => values.fold(f32::NEG_INFINITY, f32::max),
        };
    }
    Some(scores)
}

/// The category with the highest score (the first one on ties, as numpy's argmax).
pub fn decision(scores: &[f32; 16]) -> Category {
    let mut best = 0;
    for (i, &s) in scores.iter().enumerate() {
        if s > scores[best] {
            best = i;
        }
    }
    ALL[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in ALL {
            assert_eq!(c.name().parse::<Category>(), Ok(c));
        }
        assert!("Bird".parse::<Category>().is_err());
    }

    #[test]
    fn categories_cover_207_distinct_imagenet_classes() {
        let mut all: Vec<usize> = ALL.iter().flat_map(|c| c.imagenet_indices()).collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "a class belongs to two categories");
        assert_eq!(n, 207);
        assert!(all.iter().all(|&i| i < 1000));
    }

    #[test]
    fn mean_aggregation_averages_a_categorys_classes() {
        let mut p = vec![0.0f32; 1000];
        p[294] = 0.4; // bear
        p[295] = 0.2; // bear
        p[404] = 0.3; // airplane
        let mean = aggregate(&p, Aggregation::Mean).expect("1000 classes");
        assert!((mean[Category::Bear.index()] - 0.15).abs() < 1e-7);
        assert_eq!(decision(&mean), Category::Airplane);
        let sum = aggregate(&p, Aggregation::Sum).expect("1000 classes");
        assert_eq!(decision(&sum), Category::Bear);
        let max = aggregate(&p, Aggregation::Max).expect("1000 classes");
        assert_eq!(max[Category::Bear.index()], 0.4);
        assert!(aggregate(&p[..999], Aggregation::Mean).is_none());
    }
}
