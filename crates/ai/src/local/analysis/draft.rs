//! A quoted line in the making ([`Draft`]): what its own sentence says
//! about it, before [`super::turns`] settles the speakers the sentence
//! leaves open; and what both read off a sentence: the names outside its
//! quotes and where its saying verbs stand.

use manga_domain::{Language, LineKind};

use super::gender::Pronoun;
use super::mentions::Hit;
use super::names_ja;
use super::quotes::QuoteSpan;

/// English saying verbs (beyond those that tie quotes together in `sentences`).
#[rustfmt::skip]
const EN_SAYING: &[&str] = &[
    "said", "says", "asked", "asks", "shouted", "yelled", "cried", "replied", "answered", "whispered", "called",
    "muttered", "murmured", "added", "thought", "wondered", "screamed", "roared", "snapped", "laughed", "exclaimed",
    "told", "continued", "began", "sighed", "breathed", "bellowed", "grunted", "growled", "pleaded", "insisted",
];
/// A line found in a sentence, before speakers are settled.
pub(super) struct Draft {
    /// Index into the sentence list.
    pub sentence: usize,
    pub text: String,
    pub kind: LineKind,
    /// Index into the character list.
    pub speaker: Option<usize>,
    /// Whether the speaker was stated rather than guessed (a stated `None` is someone unnamed).
    pub stated: bool,
    /// `she said`, `said he`, `they said`: the speaker is the character (or group) it stands for.
    pub pronoun: Option<Pronoun>,
    /// The character the line calls by name (`…、蓮くん`), who is not its speaker.
    pub addressee: Option<usize>,
}

/// The hits that are not inside a quote.
pub(super) fn outside(hits: &[Hit], spans: &[QuoteSpan]) -> Vec<Hit> {
    hits.iter().copied().filter(|h| !spans.iter().any(|s| s.outer.start <= h.start && h.start < s.outer.end)).collect()
}

/// Byte positions of saying verbs outside quotes.
pub(super) fn verb_positions(text: &str, spans: &[QuoteSpan], lang: Language) -> Vec<usize> {
    let mut out: Vec<usize> = match lang {
        Language::Ja => names_ja::SAYING.iter().flat_map(|v| text.match_indices(v).map(|(i, _)| i)).collect(),
        Language::En => {
            let lower = text.to_lowercase();
            if lower.len() != text.len() {
                return Vec::new();
            }
            EN_SAYING.iter().flat_map(|v| super::language::find_all(&lower, v, lang)).collect()
        }
    };
    out.retain(|&i| !spans.iter().any(|s| s.outer.contains(&i)));
    out.sort_unstable();
    out.dedup();
    out
}

/// The sentence with each quote replaced by `gap`.
pub(super) fn without_quotes(text: &str, spans: &[QuoteSpan], gap: char) -> String {
    let mut out = String::new();
    let mut at = 0;
    for s in spans {
        out.push_str(&text[at..s.outer.start]);
        out.push(gap);
        at = s.outer.end;
    }
    out.push_str(&text[at..]);
    out
}
