//! Cutting a story into sentences: paragraphs from blank lines, headings
//! (`第一章`, `Chapter 2`, `* * *`, a short line alone), and sentence ends
//! (。！？ and . ! ?) that are never inside a quotation.

use manga_domain::{Language, Sentence};

use super::language::{is_hiragana, is_word_char};
use super::quotes::{self, QuoteSpan};

/// The sentences of a story, with where its lines begin.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Split {
    /// In story order, `index` counting from 0.
    pub sentences: Vec<Sentence>,
    /// Whether sentence `i` begins a line of the text (Japanese paragraphs are often single lines).
    pub starts_line: Vec<bool>,
}

/// Abbreviations whose full stop does not end an English sentence.
#[rustfmt::skip]
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "mt", "jr", "sr", "capt", "prof", "rev", "gen", "col", "lt", "sgt", "vs", "etc",
    "no",
];

/// Verbs that tie a quote to the words after it (`"Wait!" shouted Tom`, `"No." Tom said`).
#[rustfmt::skip]
const SAYING: &[&str] = &[
    "said", "says", "asked", "shouted", "yelled", "cried", "replied", "answered", "whispered", "called", "muttered",
    "murmured", "added", "thought", "wondered", "screamed", "roared", "snapped", "laughed", "exclaimed", "told",
    "continued", "began", "sighed", "breathed", "bellowed",
];

/// Cuts `text` into sentences.
pub(crate) fn split(text: &str, lang: Language) -> Split {
    let mut out = Split { sentences: Vec::new(), starts_line: Vec::new() };
    let mut paragraph = 0u32;
    for block in text.split("\n\n").map(str::trim).filter(|b| !b.is_empty()) {
        let lines: Vec<&str> = block.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        if lines.is_empty() {
            continue;
        }
        let alone = lines.len() == 1;
        let mut prose: Vec<&str> = Vec::new();
        for line in &lines {
            if is_heading(line, alone, lang) {
                flush(&mut out, &mut prose, paragraph, lang);
                push(&mut out, paragraph, heading_text(line), true, false, true);
            } else {
                prose.push(line);
            }
        }
        flush(&mut out, &mut prose, paragraph, lang);
        paragraph += 1;
    }
    out
}

fn push(out: &mut Split, paragraph: u32, text: String, heading: bool, dialogue: bool, starts_line: bool) {
    let index = out.sentences.len() as u32;
    out.sentences.push(Sentence { index, paragraph, text, heading, dialogue });
    out.starts_line.push(starts_line);
}

fn flush(out: &mut Split, prose: &mut Vec<&str>, paragraph: u32, lang: Language) {
    if prose.is_empty() {
        return;
    }
    let block = prose.join("\n");
    prose.clear();
    for (range, starts_line) in cut(&block, lang) {
        let raw = block[range].trim();
        let text = if lang == Language::Ja { raw.replace('\n', "") } else { raw.replace('\n', " ") };
        if text.is_empty() {
            continue;
        }
        let dialogue = mostly_quoted(&text, lang);
        push(out, paragraph, text, false, dialogue, starts_line);
    }
}

/// Whether quoted words make up at least half of the sentence.
fn mostly_quoted(text: &str, lang: Language) -> bool {
    let quoted: usize = quotes::spans(text, lang).iter().map(|s| text[s.outer.clone()].chars().count()).sum();
    let total = text.chars().filter(|c| !c.is_whitespace()).count();
    quoted > 0 && quoted * 2 >= total
}

/// The sentence ranges of one block of prose lines, and whether each begins a line.
fn cut(block: &str, lang: Language) -> Vec<(std::ops::Range<usize>, bool)> {
    let spans = quotes::spans(block, lang);
    let chars: Vec<(usize, char)> = block.char_indices().collect();
    let mut ends: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        if let Some(span) = spans.iter().find(|s| s.outer.start == at) {
            i = chars.iter().position(|&(b, _)| b >= span.outer.end).unwrap_or(chars.len());
            if ends_after_quote(block, span, lang) {
                ends.push(span.outer.end);
            }
            continue;
        }
        let next = chars.get(i + 1).map(|&(_, n)| n);
        let is_end = match c {
            '。' | '！' | '？' => true,
            '!' | '?' => lang == Language::Ja || next.is_none_or(|n| n.is_whitespace() || "\"”’)".contains(n)),
            '.' => lang == Language::En && full_stop_ends(block, at, next),
            '\n' => lang == Language::Ja || !next.is_some_and(char::is_lowercase),
            _ => false,
        };
        if is_end {
            // Keep runs like `！？` and closing brackets with the sentence they end.
            let mut j = i + 1;
            while j < chars.len() && "。！？!?）)".contains(chars[j].1) && c != '\n' {
                j += 1;
            }
            ends.push(chars.get(j).map_or(block.len(), |&(b, _)| b));
            i = j;
            continue;
        }
        i += 1;
    }
    ends.push(block.len());
    let mut out = Vec::new();
    let mut start = 0;
    for end in ends {
        if end > start {
            let starts_line = block[..start].trim_end_matches([' ', '\t', '\u{3000}']).ends_with('\n') || start == 0;
            out.push((start..end, starts_line));
            start = end;
        }
    }
    out
}

/// Whether a sentence ends right after a closing quote.
fn ends_after_quote(block: &str, span: &QuoteSpan, lang: Language) -> bool {
    let after = &block[span.outer.end..];
    let rest = after.trim_start_matches([' ', '\t', '\u{3000}']);
    let Some(next) = rest.chars().next() else { return true };
    if next == '\n' || "「『（".contains(next) {
        return true;
    }
    if lang == Language::Ja {
        return false;
    }
    let inner = block[span.inner.clone()].trim_end();
    let finished = inner.ends_with(['.', '!', '?', '…']);
    if !finished {
        return false;
    }
    if "\"“‘'".contains(next) {
        return true;
    }
    if !next.is_uppercase() {
        return false;
    }
    // `"No." Tom said` keeps the attribution with its quote.
    let words: Vec<String> =
        rest.split_whitespace().take(4).map(|w| w.trim_matches(|c: char| !c.is_alphabetic()).to_lowercase()).collect();
    !words.iter().any(|w| SAYING.contains(&w.as_str()))
}

/// Whether the `.` at byte `at` ends an English sentence.
fn full_stop_ends(block: &str, at: usize, next: Option<char>) -> bool {
    if !next.is_none_or(|n| n.is_whitespace() || "\"”’)".contains(n)) {
        return false; // 3.5, e.g., an ellipsis still running
    }
    let before = &block[..at];
    if before.ends_with('.') {
        return false; // an ellipsis "..." does not end a sentence
    }
    let word: String = before.chars().rev().take_while(|&c| is_word_char(c)).collect();
    let word: String = word.chars().rev().collect();
    let lower = word.to_lowercase();
    if ABBREVIATIONS.contains(&lower.as_str()) && word.chars().next().is_some_and(char::is_uppercase) {
        return false;
    }
    // A single capital is an initial (J. R. Smith).
    !(word.chars().count() == 1 && word.chars().all(char::is_uppercase))
}

/// Whether a line is a title or chapter heading rather than prose.
pub(crate) fn is_heading(line: &str, alone: bool, lang: Language) -> bool {
    if line.starts_with('#') || is_chapter_marker(line) {
        return true;
    }
    if !alone || line.chars().any(|c| "「」『』“”\"（）".contains(c)) {
        return false;
    }
    let last = line.chars().next_back().unwrap_or('。');
    if "。！？!?.,、，;:…".contains(last) {
        return false;
    }
    match lang {
        Language::Ja => {
            line.chars().count() <= 20 && !(is_hiragana(last) && "たでだるすいうんぬくよねわ".contains(last))
        }
        Language::En => {
            line.split_whitespace().count() <= 8
                && line.chars().next().is_some_and(|c| c.is_uppercase() || c.is_numeric())
        }
    }
}

/// `第一章`, `Chapter 2`, `Part II`, `三`, `* * *`, `◇`.
pub(crate) fn is_chapter_marker(line: &str) -> bool {
    let t = line.trim().trim_end_matches(['.', '．']);
    let count = t.chars().count();
    if count == 0 {
        return false;
    }
    if t.chars().all(|c| c.is_whitespace() || "*＊◇◆■□○●☆★※-—~〜・".contains(c)) {
        return true;
    }
    let numeral = |c: char| {
        c.is_ascii_digit() || "一二三四五六七八九十百〇零壱弐参".contains(c) || "０１２３４５６７８９".contains(c)
    };
    if t.chars().all(numeral) || (count <= 6 && t.chars().all(|c| "IVXLC".contains(c))) {
        return true;
    }
    if t.starts_with('第') && count <= 12 && t.chars().any(|c| "章話部節幕".contains(c)) {
        return true;
    }
    let first = t.split_whitespace().next().unwrap_or("").to_lowercase();
    ["chapter", "part", "book", "prologue", "epilogue"].contains(&first.as_str()) && t.split_whitespace().count() <= 6
}

fn heading_text(line: &str) -> String {
    line.trim_start_matches('#').trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str, lang: Language) -> Vec<String> {
        split(text, lang).sentences.into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn japanese_sentences_do_not_split_inside_quotes() {
        let got = texts("「待て。行くな！」と太郎が叫んだ。花子は黙った。", Language::Ja);
        assert_eq!(got, vec!["「待て。行くな！」と太郎が叫んだ。", "花子は黙った。"]);
    }

    #[test]
    fn a_quote_alone_on_its_line_is_its_own_sentence_with_its_closing_bracket() {
        let got = texts("「おはよう。」\n「おはよう」と花子が言った。", Language::Ja);
        assert_eq!(got, vec!["「おはよう。」", "「おはよう」と花子が言った。"]);
    }

    #[test]
    fn english_sentences_keep_titles_and_quotes_whole() {
        let got =
            texts("Mr. Smith came in. \"It's late. Go home!\" shouted Tom. \"No.\" Mary left... slowly.", Language::En);
        assert_eq!(
            got,
            vec!["Mr. Smith came in.", "\"It's late. Go home!\" shouted Tom.", "\"No.\"", "Mary left... slowly."]
        );
    }

    #[test]
    fn headings_and_paragraphs_are_marked() {
        let split = split("# The Keeper\n\nChapter 1\nThe sea was grey.\n\n* * *\n\nMorning came.", Language::En);
        let marks: Vec<(bool, u32)> = split.sentences.iter().map(|s| (s.heading, s.paragraph)).collect();
        assert_eq!(marks, vec![(true, 0), (true, 1), (false, 1), (true, 2), (false, 3)]);
        assert_eq!(split.sentences[0].text, "The Keeper");
    }

    #[test]
    fn mostly_quoted_sentences_are_dialogue() {
        let split = split("「どうしたの？」と花子が尋ねた。村は静かだった。", Language::Ja);
        assert!(split.sentences[0].dialogue);
        assert!(!split.sentences[1].dialogue);
    }
}
