//! Finds the line of a key in YAML text, so that checks made after parsing can still point at
//! the line the experimenter has to edit.

/// The 1-based line of the key at `path` (e.g. `["beep", "volume"]`) in block-style YAML.
///
/// Returns the line of the deepest enclosing key that was found when the full path is not
/// written out (e.g. flow-style mappings), and `None` when not even the first key is present.
pub fn line_of(text: &str, path: &[&str]) -> Option<usize> {
    let mut found = None;
    let mut parent_indent: Option<usize> = None;
    let mut lines = text.lines().enumerate();
    'keys: for key in path {
        for (number, line) in lines.by_ref() {
            let content = line.split('#').next().unwrap_or("").trim_end();
            let body = content.trim_start();
            if body.is_empty() {
                continue;
            }
            let indent = content.len() - body.len();
            if parent_indent.is_some_and(|p| indent <= p) {
                break 'keys;
            }
            if key_of(body) == Some(key) {
                found = Some(number + 1);
                parent_indent = Some(indent);
                continue 'keys;
            }
        }
        break;
    }
    found
}

/// The 1-based line of the `index`-th item of the list under `key`, or of the key itself when
/// the list is shorter.
pub fn line_of_item(text: &str, key: &str, index: usize) -> Option<usize> {
    let start = line_of(text, &[key])?;
    let mut seen = 0;
    let mut flow = false;
    for (number, line) in text.lines().enumerate().skip(start - 1) {
        let body = line.split('#').next().unwrap_or("").trim();
        let items = if number + 1 == start {
            match body.split_once('[') {
                Some((_, rest)) => {
                    flow = true;
                    rest
                }
                None => continue,
            }
        } else {
            body
        };
        if flow {
            seen += items
                .split(',')
                .filter(|item| !item.trim().trim_end_matches(']').trim().is_empty())
                .count();
            if seen > index {
                return Some(number + 1);
            }
            if items.contains(']') {
                break;
            }
        } else if body.starts_with('-') {
            if seen == index {
                return Some(number + 1);
            }
            seen += 1;
        } else if !body.is_empty() {
            break;
        }
    }
    Some(start)
}

/// The lines (1-based) of the first two `key:` lines at the same indent in the mapping that
/// starts at line `from`: where a key was given twice.
pub fn repeated_key(text: &str, from: usize, key: &str) -> Option<(usize, usize)> {
    let mut first: Option<(usize, usize)> = None;
    let mut mapping_indent: Option<usize> = None;
    for (number, line) in text.lines().enumerate().skip(from.saturating_sub(1)) {
        let content = line.split('#').next().unwrap_or("").trim_end();
        let body = content.trim_start().trim_start_matches("- ");
        if body.is_empty() {
            continue;
        }
        let indent = content.len() - body.len();
        let mapping = *mapping_indent.get_or_insert(indent);
        if indent < mapping {
            break;
        }
        if indent > mapping || key_of(body) != Some(key) {
            continue;
        }
        match first {
            None => first = Some((number + 1, indent)),
            Some((line, _)) => return Some((line, number + 1)),
        }
    }
    None
}

/// The key of a `key: value` line (already trimmed at the start).
pub fn key_of(body: &str) -> Option<&str> {
    let (key, _) = body.split_once(':')?;
    let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
    (!key.is_empty() && !key.starts_with('-')).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# top\nms_stim: 200\nbeep:\n  frequency_hz: 300 # low\n  volume: 2\nmask: {size: 5}\ncats:\n  - knife\n  - airplane\nlast: 1\n";

    #[test]
    fn finds_top_level_and_nested_keys() {
        assert_eq!(line_of(TEXT, &["ms_stim"]), Some(2));
        assert_eq!(line_of(TEXT, &["beep", "volume"]), Some(5));
        assert_eq!(line_of(TEXT, &["mask", "size"]), Some(6));
        assert_eq!(line_of(TEXT, &["nothing"]), None);
    }

    #[test]
    fn a_nested_key_is_not_found_outside_its_parent() {
        assert_eq!(line_of(TEXT, &["beep", "last"]), Some(3));
    }

    #[test]
    fn a_key_given_twice_is_found_in_its_own_mapping() {
        let text = "a: 1\nbeep:\n  volume: 1\n  x: 2\n  volume: 3\nvolume: 4\n";
        assert_eq!(repeated_key(text, 3, "volume"), Some((3, 5)));
        assert_eq!(repeated_key(text, 1, "volume"), None);
        assert_eq!(repeated_key("a: 1\nb: 2\na: 3\n", 1, "a"), Some((1, 3)));
    }

    #[test]
    fn finds_list_items() {
        assert_eq!(line_of_item(TEXT, "cats", 0), Some(8));
        assert_eq!(line_of_item(TEXT, "cats", 1), Some(9));
        assert_eq!(line_of_item(TEXT, "cats", 5), Some(7));
        let flow = "cats: ['a',\n   'b', 'c',\n   'd']\n";
        assert_eq!(line_of_item(flow, "cats", 0), Some(1));
        assert_eq!(line_of_item(flow, "cats", 2), Some(2));
        assert_eq!(line_of_item(flow, "cats", 3), Some(3));
    }
}
