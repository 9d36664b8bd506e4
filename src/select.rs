//! Choosing items by comma-separated selectors, each a name or a glob (`*` stands for any run of
//! characters): strategies, Python peers and workloads alike.

/// A selector that matched nothing, with every name there is.
#[derive(Debug)]
pub struct Unmatched {
    pub selector: String,
    pub known: Vec<String>,
}

/// The items whose name matches any of the comma-separated `selectors`, in their own order;
/// a selector that matches none is an error that names it.
pub fn select<T>(
    items: impl IntoIterator<Item = T>,
    name: impl Fn(&T) -> &str,
    selectors: &str,
) -> Result<Vec<T>, Unmatched> {
    let items: Vec<T> = items.into_iter().collect();
    let patterns: Vec<&str> = selectors
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(p) = patterns
        .iter()
        .find(|p| !items.iter().any(|i| glob_match(p, name(i))))
    {
        return Err(Unmatched {
            selector: p.to_string(),
            known: items.iter().map(|i| name(i).to_owned()).collect(),
        });
    }
    Ok(items
        .into_iter()
        .filter(|i| patterns.iter().any(|p| glob_match(p, name(i))))
        .collect())
}

/// Matches `text` against `pattern`, where `*` stands for any run of characters.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(text) = text.strip_prefix(head) else {
                return false;
            };
            (0..=text.len()).any(|i| text.is_char_boundary(i) && glob_match(rest, &text[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_selector_must_match_and_order_is_the_items() {
        let items = ["n10", "n100", "n1000-lat10ms"];
        let got = select(items, |s| s, "n1000*, n10").unwrap();
        assert_eq!(got, ["n10", "n1000-lat10ms"]);
        let e = select(items, |s| s, "n10,n7").unwrap_err();
        assert_eq!(e.selector, "n7");
        assert_eq!(e.known, ["n10", "n100", "n1000-lat10ms"]);
        assert!(select(items, |s| s, "").unwrap().is_empty());
    }
}
