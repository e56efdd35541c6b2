//! Commands printed for the experimenter to type next: they name shapelab as it can be started
//! from this shell (`shapelab` when that is on PATH, else the program's own path, e.g. after
//! `cargo run`), so that every hint works when copied.

use std::path::{Path, PathBuf};

/// How to start this program from a shell: `shapelab` when PATH finds this very program,
/// else its full path.
pub fn program() -> String {
    match std::env::current_exe() {
        Ok(me) => program_at(&me),
        Err(_) => "shapelab".into(),
    }
}

/// How to start the shapelab program at `me` from a shell: `shapelab` when PATH finds it,
/// else its path.
pub fn program_at(me: &Path) -> String {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<PathBuf>>())
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join("shapelab"))
        .find(|candidate| candidate.is_file());
    match on_path {
        Some(found) if same_file(&found, me) => "shapelab".into(),
        _ => quoted(me),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A path as one shell word (quoted when it holds spaces or quotes).
pub fn quoted(path: &Path) -> String {
    let text = path.display().to_string();
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// The command that continues an unfinished session.
pub fn resume_command(config: &Path, subject: &str, session: u32) -> String {
    format!(
        "{} run {} --subject {subject} --session {session} --resume",
        program(),
        quoted(config)
    )
}
