//! Where characters are named in a text: every written form of each, the
//! longest winning where forms overlap.

use manga_domain::{Language, NamedCharacter};

use super::language::find_all;

/// One place where a character is named in a text (byte positions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    /// Index into the character list.
    pub who: usize,
    /// Start of the name.
    pub start: usize,
    /// Just after the name.
    pub end: usize,
}

/// Every written form of a character, longest first.
fn forms(character: &NamedCharacter) -> Vec<&str> {
    let mut all: Vec<&str> =
        std::iter::once(character.name.as_str()).chain(character.aliases.iter().map(String::as_str)).collect();
    all.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    all.dedup();
    all
}

/// Where `characters` are named in `text`, in order; the longest form wins where forms overlap.
pub(crate) fn locate(text: &str, characters: &[NamedCharacter], lang: Language) -> Vec<Hit> {
    let mut all: Vec<(&str, usize)> =
        characters.iter().enumerate().flat_map(|(who, c)| forms(c).into_iter().map(move |f| (f, who))).collect();
    all.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
    let mut hits: Vec<Hit> = Vec::new();
    for (form, who) in all {
        for start in find_all(text, form, lang) {
            let end = start + form.len();
            if hits.iter().all(|h| end <= h.start || start >= h.end) {
                hits.push(Hit { who, start, end });
            }
        }
    }
    hits.sort_by_key(|h| h.start);
    hits
}

#[cfg(test)]
mod tests {
    use manga_domain::CharacterId;

    use super::*;

    #[test]
    fn the_longest_form_wins_when_locating_names() {
        let text = "Captain Reyes and Reyes";
        let c = NamedCharacter {
            id: CharacterId::from_name("Captain Reyes"),
            name: "Captain Reyes".into(),
            aliases: vec!["Reyes".into()],
            mentions: 0,
            first_sentence: 0,
            descriptors: vec![],
        };
        let hits = locate(text, &[c], Language::En);
        assert_eq!(hits.iter().map(|h| &text[h.start..h.end]).collect::<Vec<_>>(), vec!["Captain Reyes", "Reyes"]);
    }
}
