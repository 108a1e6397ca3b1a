//! Kinsoku shori: the Japanese line-break rules, as a pure function over characters.
//!
//! Some characters may not begin a column (closing brackets, small kana, the
//! long vowel mark, most punctuation) and some may not end one (opening
//! brackets). A break that would violate a rule is moved: the comma or full
//! stop may hang one past the column's length (burasage), otherwise the
//! column gives up characters to the next one (oidashi), and only when that is
//! impossible does it take more than its share (oikomi). A Latin word is
//! never broken, and a column ends early at the end of a phrase (BudouX's
//! model) rather than mid-word when it stays mostly full.

use super::latin::{cells, latin_runs, may_break_in_runs, run_of_each};
use super::layout::is_cjk;

/// Characters that may not begin a column (or a line).
const NO_START: &str = "。、，．,.」』）］｝〉》】〕〗〙〛”’ー〜～・：；？！?!:;ゃゅょっぁぃぅぇぉゎゕゖャュョッァィゥェォヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ…‥々ゝゞヽヾ)]}";

/// Characters that may not end a column (or a line).
const NO_END: &str = "「『（［｛〈《【〔〖〘〚“‘([{";

/// Characters that may hang below a full column rather than move.
const HANGING: &str = "。、，．,.";

/// Whether `c` is forbidden at the start of a column or line.
pub fn is_forbidden_at_start(c: char) -> bool {
    NO_START.contains(c)
}

/// Whether `c` is forbidden at the end of a column or line.
pub fn is_forbidden_at_end(c: char) -> bool {
    NO_END.contains(c)
}

/// Whether `c` may hang past the end of a full column (burasage).
pub fn may_hang(c: char) -> bool {
    HANGING.contains(c)
}

/// A column may end early, at a phrase boundary, if it keeps at least this
/// share of its length: "健一と/美紀は" rather than "健/一と美紀は".
const MIN_PHRASE_FILL: f32 = 0.6;

/// The break rules of one paragraph: kinsoku, whole Latin words, phrases.
struct Paragraph {
    chars: Vec<char>,
    run_of: Vec<Option<usize>>,
    /// Each character's share of the column length, in ems.
    cells: Vec<f32>,
    /// Whether a phrase (BudouX) starts at each index, the end included.
    phrase_start: Vec<bool>,
}

/// Where BudouX's Japanese model starts a phrase, per character index (and
/// at the end): the places a reader is not stopped mid-word by a break.
fn phrase_starts(chars: &[char]) -> Vec<bool> {
    let mut starts = vec![false; chars.len() + 1];
    starts[0] = true;
    starts[chars.len()] = true;
    if !chars.iter().any(|&c| is_cjk(c)) {
        return starts;
    }
    let text: String = chars.iter().collect();
    let mut at = 0;
    for phrase in budoux::parse(budoux::models::default_japanese_model(), &text) {
        at += phrase.chars().count();
        if let Some(slot) = starts.get_mut(at) {
            *slot = true;
        }
    }
    starts
}

impl Paragraph {
    fn new(text: &str) -> Paragraph {
        let chars: Vec<char> = text.chars().filter(|&c| c != '\r').collect();
        let runs = latin_runs(&chars);
        let run_of = run_of_each(chars.len(), &runs);
        let cells = cells(&chars, &runs);
        let phrase_start = phrase_starts(&chars);
        Paragraph { chars, run_of, cells, phrase_start }
    }

    /// Whether a break between `chars[at - 1]` and `chars[at]` keeps the rules.
    fn may_break_at(&self, at: usize) -> bool {
        let chars = &self.chars;
        at == 0
            || at >= chars.len()
            || (!is_forbidden_at_start(chars[at])
                && !is_forbidden_at_end(chars[at - 1])
                && may_break_in_runs(chars, &self.run_of, at))
    }

    /// Where the column starting at `start` ends (exclusive): where kinsoku
    /// puts it, or a little earlier at the end of a phrase.
    fn next_break(&self, start: usize, max: f32, phrases: bool) -> usize {
        let at = self.kinsoku_break(start, max);
        if !phrases || self.phrase_start[at] {
            return at;
        }
        let least = max * MIN_PHRASE_FILL;
        (start + 1..at)
            .rev()
            .take_while(|&b| self.cells[start..b].iter().sum::<f32>() >= least)
            .find(|&b| self.phrase_start[b] && self.may_break_at(b))
            .unwrap_or(at)
    }

    /// Where kinsoku ends the column starting at `start` (exclusive).
    fn kinsoku_break(&self, start: usize, max: f32) -> usize {
        let n = self.chars.len();
        // The longest stretch whose cells fit the column (at least one character).
        let mut natural = start + 1;
        let mut used = self.cells[start];
        while natural < n && used + self.cells[natural] <= max + 1e-3 {
            used += self.cells[natural];
            natural += 1;
        }
        if self.may_break_at(natural) {
            return natural;
        }
        // Burasage: a single comma or full stop hangs below the column.
        if may_hang(self.chars[natural]) && self.may_break_at(natural + 1) {
            return natural + 1;
        }
        // Oidashi: give characters to the next column.
        if let Some(at) = (start + 1..natural).rev().find(|&at| self.may_break_at(at)) {
            return at;
        }
        // Oikomi: take characters from the next column until a break is allowed.
        (natural + 1..=n).find(|&at| self.may_break_at(at)).unwrap_or(n)
    }
}

/// Breaks `text` into columns (or lines) of at most `max_chars` ems, keeping
/// kinsoku and whole Latin words, and ending a column at a phrase boundary
/// when that keeps most of it filled.
///
/// - A character takes one em of the column, except Latin text: a short run
///   set upright across the column takes one em in all, rotated letters about
///   half an em each (see [`super::latin`]).
/// - A column may be one longer than `max_chars` when it ends in a hanging
///   `。` or `、`.
/// - Otherwise a column that would start with a forbidden character gives its
///   last characters to the next column; only if every break inside it is
///   forbidden (e.g. a run of `ー`, or a Latin word, longer than a column)
///   does it grow instead.
/// - A newline forces a break and is not part of any column.
/// - Concatenating the columns gives back `text` (without newlines).
///
/// `max_chars` of 0 is treated as 1.
pub fn break_columns(text: &str, max_chars: usize) -> Vec<String> {
    ColumnBreaker::new(text).columns(max_chars, true)
}

/// A text's paragraphs with their break rules worked out once (Latin runs,
/// BudouX's phrases), to be broken at many column lengths as a balloon is fitted.
pub(crate) struct ColumnBreaker {
    paragraphs: Vec<Paragraph>,
}

impl ColumnBreaker {
    pub(crate) fn new(text: &str) -> ColumnBreaker {
        ColumnBreaker { paragraphs: text.split('\n').map(Paragraph::new).collect() }
    }

    /// The columns of at most `max_chars` ems, as [`break_columns`] gives them
    /// when `phrases`; without, every column as full as kinsoku allows.
    pub(crate) fn columns(&self, max_chars: usize, phrases: bool) -> Vec<String> {
        let max = max_chars.max(1) as f32;
        let mut out = Vec::new();
        for paragraph in &self.paragraphs {
            let mut start = 0;
            while start < paragraph.chars.len() {
                let end = paragraph.next_break(start, max, phrases);
                out.push(paragraph.chars[start..end].iter().collect());
                start = end;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, max: usize) -> Vec<String> {
        let tight = ColumnBreaker::new(text).columns(max, false);
        assert_eq!(tight.concat(), text.replace('\n', ""));
        let cols = break_columns(text, max);
        assert_eq!(cols.concat(), text.replace('\n', ""), "columns must concatenate to the input");
        for (i, col) in cols.iter().enumerate() {
            let first = col.chars().next().unwrap();
            let last = col.chars().last().unwrap();
            if i > 0 {
                assert!(!is_forbidden_at_start(first), "column {i} {col:?} of {cols:?} starts with {first}");
            }
            if i + 1 < cols.len() {
                assert!(!is_forbidden_at_end(last), "column {i} {col:?} of {cols:?} ends with {last}");
            }
        }
        cols
    }

    #[test]
    fn columns_never_start_with_closing_punctuation_or_end_with_an_opening_bracket() {
        let texts = [
            "「おはよう。」と彼は言った。",
            "あいう。」えお、かき「くけ」こ",
            "あい。。。。。うえお",
            "ああああ」」」」いいい",
            "そうだよーーーーーー！",
            "ちょっと待って……「え？」",
            "きゃっ！　なにっ？！",
            "あ「「「「いうえお",
            "ケーキ、コーヒー、ジュース。",
            "わたしは、きょう、がっこうへ、いった。",
        ];
        for text in texts {
            for max in 1..=8 {
                check(text, max);
            }
        }
    }

    #[test]
    fn a_full_stop_at_the_boundary_hangs_below_the_column() {
        assert_eq!(check("あいう。えお", 3), vec!["あいう。", "えお"]);
    }

    #[test]
    fn a_closing_bracket_at_the_boundary_pushes_a_character_to_the_next_column() {
        assert_eq!(check("あいう」えお", 3), vec!["あい", "う」え", "お"]);
    }

    #[test]
    fn an_opening_bracket_moves_to_the_next_column() {
        assert_eq!(check("あい「うえ」", 3), vec!["あい", "「う", "え」"]);
    }

    #[test]
    fn short_text_is_one_column_and_newlines_force_breaks() {
        assert_eq!(check("はい", 5), vec!["はい"]);
        assert_eq!(break_columns("はい\nいいえ", 5), vec!["はい", "いいえ"]);
        assert!(break_columns("", 5).is_empty());
    }

    #[test]
    fn columns_are_at_most_one_longer_than_asked_on_ordinary_text() {
        let text = "むかしむかし、あるところに、おじいさんとおばあさんがすんでいました。「いってきます」";
        for max in 3..=10 {
            for col in check(text, max) {
                assert!(col.chars().count() <= max + 1, "{col:?} too long for {max}");
            }
        }
    }

    #[test]
    fn latin_words_are_never_broken_and_short_runs_count_as_one_em() {
        let text = "看板には「WILDCAT HOUSE」、その下にsome ramenと書いてあった。第12話";
        for max in 1..=12 {
            let cols = check(text, max);
            let words: Vec<&str> = cols
                .iter()
                .flat_map(|c| c.split(|ch: char| !ch.is_ascii_alphanumeric()))
                .filter(|w| !w.is_empty())
                .collect();
            assert_eq!(words, ["WILDCAT", "HOUSE", "some", "ramen", "12"], "at {max}: {cols:?}");
        }
        assert_eq!(check("第12話です", 4), vec!["第12話で", "す"], "two digits take one em");
    }

    #[test]
    fn a_column_ends_at_a_phrase_rather_than_inside_a_name() {
        let text = "秋の山道で、健一と美紀は道に迷っていた。";
        for max in 4..=9 {
            let cols = check(text, max);
            assert!(!cols.iter().any(|c| c.ends_with('健')), "健一 broken at {max}: {cols:?}");
            assert!(cols.iter().all(|c| c.chars().count() <= max + 1), "{cols:?}");
        }
        assert_eq!(check("今日は天気です。", 4), vec!["今日は", "天気です。"]);
    }
}
