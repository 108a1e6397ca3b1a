//! Who a line calls by name: `遅いなあ、蓮くん。`, `うん。……あのさ、美咲`,
//! `Come on, Ken.`, `Ken, look!`. The one called is not the speaker, and
//! usually answers next ([`super::turns`]).

use manga_domain::{Language, NamedCharacter};

use super::mentions::locate;
use super::names_ja::HONORIFICS;

/// What may stand before a name said to someone: the start of the line or a pause.
const BEFORE: &[char] = &['、', '。', '！', '？', '…', '　', ',', '.', '!', '?', '—'];
/// What may follow it: a pause or the end of the line.
const AFTER: &[char] = &['、', '。', '！', '？', '…', '!', '?', ',', '.', '—', '」', '"'];

/// The character `line` (a quote's words, without its marks) calls by name, if any.
pub(super) fn addressee(line: &str, characters: &[NamedCharacter], lang: Language) -> Option<usize> {
    locate(line, characters, lang).into_iter().find_map(|hit| {
        let before = line[..hit.start].trim_end_matches(' ');
        let mut after = &line[hit.end..];
        if lang == Language::Ja {
            after = HONORIFICS.iter().find_map(|h| after.strip_prefix(h)).unwrap_or(after);
        }
        let opens = before.is_empty() || before.ends_with(BEFORE);
        // `Ken is here` names him; `…, Ken.` and `Ken, look` call him.
        let closes = after.trim_start().is_empty() || after.starts_with(AFTER);
        let english_pause = lang == Language::Ja || before.is_empty() || before.ends_with(',');
        (opens && closes && english_pause && !(before.is_empty() && after.trim_start().is_empty())).then_some(hit.who)
    })
}

#[cfg(test)]
mod tests {
    use manga_domain::{CharacterId, Language, NamedCharacter};

    use super::addressee;

    fn cast(names: &[&str]) -> Vec<NamedCharacter> {
        names
            .iter()
            .map(|n| NamedCharacter {
                id: CharacterId::from_name(n),
                name: (*n).into(),
                aliases: vec![],
                mentions: 2,
                first_sentence: 0,
                descriptors: vec![],
            })
            .collect()
    }

    #[test]
    fn a_name_set_off_by_a_pause_is_called_and_a_name_in_the_sentence_is_not() {
        let ja = cast(&["蓮", "美咲", "翔太"]);
        let called = |line: &str| addressee(line, &ja, Language::Ja).map(|i| ja[i].name.as_str());
        assert_eq!(called("遅いなあ、蓮くん。もう六時を過ぎてるよ"), Some("蓮"));
        assert_eq!(called("うん。……あのさ、美咲"), Some("美咲"));
        assert_eq!(called("翔太、あとで来いよ！"), Some("翔太"));
        assert_eq!(called("言い訳はいいから。翔太はまだ来てないの？"), None);
        assert_eq!(called("美咲"), None, "a name alone is an answer, not a call");

        let en = cast(&["Ken", "Mary"]);
        let called = |line: &str| addressee(line, &en, Language::En).map(|i| en[i].name.as_str());
        assert_eq!(called("Come on, Ken."), Some("Ken"));
        assert_eq!(called("Mary, look!"), Some("Mary"));
        assert_eq!(called("I saw Ken at the gate."), None);
        assert_eq!(called("Well, Ken said so."), None);
    }
}
