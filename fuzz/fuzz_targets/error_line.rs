//! What every refused input must produce: one line that names the file and, when it names a
//! line, a line of the input.

/// Panics unless `message` is one line starting with `file` and any `file:N:` has
/// 1 <= N <= the input's line count + 1, counting CRLF, LF, a lone CR, NEL, LS and PS each as
/// a break (as the YAML parser does).
pub fn check(message: &str, file: &str, text: &str) {
    assert!(!message.contains('\n'), "more than one line: {message:?}");
    let rest = message
        .strip_prefix(file)
        .unwrap_or_else(|| panic!("does not name {file}: {message:?}"));
    if let Some(line) = rest
        .strip_prefix(':')
        .and_then(|r| r.split_once(':'))
        .and_then(|(n, _)| n.parse::<usize>().ok())
    {
        let lines = text
            .replace("\r\n", "\n")
            .replace(['\r', '\u{85}', '\u{2028}', '\u{2029}'], "\n")
            .lines()
            .count()
            + 1;
        assert!(
            (1..=lines).contains(&line),
            "line {line} of a {lines}-line input: {message:?}"
        );
    }
}
