//! Latin letters and digits inside vertical Japanese text.
//!
//! Set one upright letter a row, "RESTAURANT" becomes a ten-storey tower and a
//! column break can land mid-word. Japanese typesetting does two things
//! instead, and so do we:
//!
//! - **Tate-chū-yoko** (縦中横): a run of at most [`MAX_UPRIGHT`] characters
//!   with no space ("12", "OK", "3D") is set horizontally inside one em of
//!   the column, squeezed to fit.
//! - **Rotated**: a longer run ("RESTAURANT", "some ramen") is set as a
//!   horizontal line turned 90° clockwise, reading downwards.
//!
//! A column may break at a space inside a run, never inside a word. Pure and
//! font-free, like the kinsoku rules it feeds.

use std::ops::Range;

use super::layout::is_cjk;

/// Longest run set upright across the column (tate-chū-yoko).
pub const MAX_UPRIGHT: usize = 3;

/// The column length, in ems, a rotated Latin character is counted as when
/// breaking columns: half-width letters are about half an em wide.
pub const ROTATED_CELLS_PER_CHAR: f32 = 0.55;

/// How a run of Latin text sits in a vertical column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatinSetting {
    /// Across the column inside one em (tate-chū-yoko).
    Upright,
    /// Turned 90° clockwise, reading downwards.
    Rotated,
}

/// A run of Latin text: character indices and how it is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatinRun {
    /// Character indices (not bytes) into the text.
    pub chars: Range<usize>,
    /// Upright or rotated.
    pub setting: LatinSetting,
}

/// Whether `c` is part of a Latin word: an ASCII or Latin-script letter or digit.
fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphanumeric() || (c.is_alphabetic() && !is_cjk(c) && (c as u32) < 0x2E80)
}

/// Whether `c` may sit inside a Latin run next to letters: half-width
/// punctuation ("Mr.", "don't", "U-boat", "RESTAURANT!").
fn is_latin_mark(c: char) -> bool {
    c.is_ascii_punctuation() || matches!(c, '’' | '‘')
}

/// The Latin runs of `chars`, in order. A run starts and ends with a letter
/// or mark, holds at least one letter, and may hold single spaces between
/// words.
pub fn latin_runs(chars: &[char]) -> Vec<LatinRun> {
    let part = |c: char| is_latin_letter(c) || is_latin_mark(c);
    let mut runs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !part(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        let mut k = i;
        while k < chars.len() {
            if part(chars[k]) {
                k += 1;
                end = k;
            } else if chars[k] == ' ' && chars.get(k + 1).is_some_and(|&c| part(c)) {
                k += 1;
            } else {
                break;
            }
        }
        if chars[start..end].iter().any(|&c| is_latin_letter(c)) {
            let upright = end - start <= MAX_UPRIGHT && !chars[start..end].contains(&' ');
            let setting = if upright { LatinSetting::Upright } else { LatinSetting::Rotated };
            runs.push(LatinRun { chars: start..end, setting });
        }
        i = end.max(start + 1);
    }
    runs
}

/// Per character, the run it belongs to (index into `runs`), if any.
pub fn run_of_each(len: usize, runs: &[LatinRun]) -> Vec<Option<usize>> {
    let mut of = vec![None; len];
    for (r, run) in runs.iter().enumerate() {
        for slot in &mut of[run.chars.clone()] {
            *slot = Some(r);
        }
    }
    of
}

/// Whether a column may break between `chars[at - 1]` and `chars[at]` as far
/// as Latin runs go: anywhere outside a run, and inside one only after a space.
pub fn may_break_in_runs(chars: &[char], run_of: &[Option<usize>], at: usize) -> bool {
    if at == 0 || at >= chars.len() {
        return true;
    }
    match (run_of[at - 1], run_of[at]) {
        (Some(a), Some(b)) if a == b => chars[at - 1] == ' ',
        _ => true,
    }
}

/// How much of a column's length (in ems) each character takes: 1 for a
/// character set upright, the first character of an upright run 1 and the
/// rest 0, a rotated character [`ROTATED_CELLS_PER_CHAR`].
pub fn cells(chars: &[char], runs: &[LatinRun]) -> Vec<f32> {
    let mut cells = vec![1.0f32; chars.len()];
    for run in runs {
        for (k, i) in run.chars.clone().enumerate() {
            cells[i] = match run.setting {
                LatinSetting::Upright => {
                    if k == 0 {
                        1.0
                    } else {
                        0.0
                    }
                }
                LatinSetting::Rotated => ROTATED_CELLS_PER_CHAR,
            };
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs_of(text: &str) -> Vec<(String, LatinSetting)> {
        let chars: Vec<char> = text.chars().collect();
        latin_runs(&chars).into_iter().map(|r| (chars[r.chars].iter().collect(), r.setting)).collect()
    }

    #[test]
    fn short_runs_stand_upright_and_long_ones_are_rotated() {
        use LatinSetting::{Rotated, Upright};
        assert_eq!(runs_of("第12話"), vec![("12".to_owned(), Upright)]);
        assert_eq!(runs_of("OKだよ"), vec![("OK".to_owned(), Upright)]);
        assert_eq!(runs_of("「RESTAURANT」と書いてある"), vec![("RESTAURANT".to_owned(), Rotated)]);
        assert_eq!(runs_of("今日はsome ramenを食べた"), vec![("some ramen".to_owned(), Rotated)]);
        assert_eq!(runs_of("a b"), vec![("a b".to_owned(), Rotated)], "a space makes it a phrase");
        assert_eq!(runs_of("むかしむかし"), vec![]);
        assert_eq!(runs_of("！？"), vec![], "full-width marks are Japanese");
        assert_eq!(runs_of("...。"), vec![], "marks alone are no word");
    }

    #[test]
    fn a_column_breaks_inside_a_run_only_after_a_space() {
        let chars: Vec<char> = "はWILD CATだ".chars().collect();
        let runs = latin_runs(&chars);
        let of = run_of_each(chars.len(), &runs);
        let allowed: Vec<usize> = (1..chars.len()).filter(|&at| may_break_in_runs(&chars, &of, at)).collect();
        assert_eq!(allowed, vec![1, 6, 9]);
    }

    #[test]
    fn an_upright_run_takes_one_cell_and_rotated_letters_half_of_one() {
        let chars: Vec<char> = "第12話WILDCAT".chars().collect();
        let c = cells(&chars, &latin_runs(&chars));
        assert_eq!(&c[..4], &[1.0, 1.0, 0.0, 1.0]);
        assert!((c[4..].iter().sum::<f32>() - 7.0 * ROTATED_CELLS_PER_CHAR).abs() < 1e-4);
    }
}
