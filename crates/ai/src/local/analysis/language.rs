//! Which language a story is written in, and the character classes the
//! other analysis modules share (kana, kanji, word characters).

use manga_domain::Language;

/// Hiragana, including the iteration marks.
pub(crate) fn is_hiragana(c: char) -> bool {
    ('\u{3041}'..='\u{309f}').contains(&c)
}

/// Katakana, including the long-vowel mark `ー` and the middle dot `・`.
pub(crate) fn is_katakana(c: char) -> bool {
    ('\u{30a1}'..='\u{30ff}').contains(&c) || ('\u{31f0}'..='\u{31ff}').contains(&c)
}

/// Kanji (CJK unified ideographs) and the repetition mark `々`.
pub(crate) fn is_kanji(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c) || c == '々' || c == '〆'
}

/// Any Japanese letter: kana or kanji.
pub(crate) fn is_japanese(c: char) -> bool {
    is_hiragana(c) || is_katakana(c) || is_kanji(c)
}

/// A character that belongs inside an English word.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_japanese(c)
}

/// Japanese when kana and kanji outnumber Latin letters, else English.
pub(crate) fn detect(text: &str) -> Language {
    let (mut japanese, mut latin) = (0usize, 0usize);
    for c in text.chars() {
        if is_japanese(c) {
            japanese += 1;
        } else if c.is_alphabetic() {
            latin += 1;
        }
    }
    if japanese > latin { Language::Ja } else { Language::En }
}

/// Whether `needle` occurs in `text` as a whole word (English) or at all (Japanese).
pub(crate) fn find_all(text: &str, needle: &str, lang: Language) -> Vec<usize> {
    if needle.is_empty() {
        return Vec::new();
    }
    text.match_indices(needle)
        .map(|(i, _)| i)
        .filter(|&i| lang == Language::Ja || is_whole_word(text, i, needle.len()))
        .collect()
}

/// Whether the bytes `start..start + len` of `text` are not glued to other word characters.
pub(crate) fn is_whole_word(text: &str, start: usize, len: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[start + len..].chars().next();
    !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)
}

/// `word` with its first letter in upper case (`minister` → `Minister`).
pub(crate) fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// What was found at byte positions of one text, in text order, each once.
pub(crate) fn in_text_order<T: PartialEq>(mut found: Vec<(usize, T)>) -> Vec<T> {
    found.sort_by_key(|(at, _)| *at);
    let mut out: Vec<T> = Vec::new();
    for (_, item) in found {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kana_and_kanji_make_a_story_japanese() {
        assert_eq!(detect("ある日の事でございます。Buddha"), Language::Ja);
        assert_eq!(detect("The keeper climbed the stairs. 灯台"), Language::En);
    }

    #[test]
    fn whole_words_do_not_match_inside_longer_words() {
        assert_eq!(find_all("Tom met Tommy and Tom's dog", "Tom", Language::En), vec![0, 18]);
    }
}
