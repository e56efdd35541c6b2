//! The files a lab needs besides the program: the licence texts Cargo.toml names, and
//! CITATION.cff saying how to cite shapelab and the paper whose experiment it runs.

use std::path::Path;

fn read(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn each_licence_cargo_toml_names_has_its_text() {
    let manifest = read("Cargo.toml");
    assert!(manifest.contains("license = \"MIT OR Apache-2.0\""));
    assert!(read("LICENSE-MIT").contains("Permission is hereby granted, free of charge"));
    let apache = read("LICENSE-APACHE");
    assert!(apache.contains("Apache License") && apache.contains("Version 2.0, January 2004"));
}

#[test]
fn the_citation_file_names_shapelab_and_the_paper() {
    let cff: serde_yaml_ng::Value = serde_yaml_ng::from_str(&read("CITATION.cff")).expect("YAML");
    let text =
        |v: &serde_yaml_ng::Value, key: &str| v[key].as_str().unwrap_or_default().to_string();
    assert_eq!(text(&cff, "cff-version"), "1.2.0");
    assert!(text(&cff, "title").starts_with("shapelab"));
    assert_eq!(text(&cff, "version"), env!("CARGO_PKG_VERSION"));
    assert!(!text(&cff, "message").is_empty());
    assert!(cff["authors"].as_sequence().is_some_and(|a| !a.is_empty()));
    let licences: Vec<&str> = cff["license"]
        .as_sequence()
        .expect("licences")
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    assert_eq!(licences.join(" OR "), env!("CARGO_PKG_LICENSE"));
    let paper = &cff["references"][0];
    assert!(text(paper, "title").starts_with("ImageNet-trained CNNs are biased towards texture"));
    assert_eq!(paper["year"].as_u64(), Some(2019));
    assert_eq!(text(&paper["authors"][0], "family-names"), "Geirhos");
}
