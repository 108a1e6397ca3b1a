//! Where quoted speech is: 「」 and 『』 (nested ones stay inside their outer
//! quote), “” and straight double quotes, ‘’ and single quotes that are not
//! apostrophes, and （） thoughts that open a sentence.

use std::ops::Range;

use manga_domain::Language;

/// One top-level quotation in a piece of text (byte positions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QuoteSpan {
    /// From the opening mark to just after the closing mark (or the end of the text when unclosed).
    pub outer: Range<usize>,
    /// The words between the marks.
    pub inner: Range<usize>,
    /// The opening mark.
    pub open: char,
}

impl QuoteSpan {
    /// Whether the quote is a thought in parentheses.
    pub(crate) fn is_parenthesised(&self) -> bool {
        matches!(self.open, '（' | '(')
    }
}

fn closer(open: char) -> Option<char> {
    Some(match open {
        '「' => '」',
        '『' => '』',
        '“' => '”',
        '（' => '）',
        '"' => '"',
        '‘' => '’',
        '\'' => '\'',
        _ => return None,
    })
}

/// Whether a `（` at this point starts a sentence, so that it is a thought rather than an aside.
fn starts_sentence(prev: Option<char>) -> bool {
    prev.is_none_or(|p| p.is_whitespace() || "。！？!?」』）".contains(p))
}

/// The top-level quotations of `text`, in order. Quotes never overlap.
pub(crate) fn spans(text: &str, lang: Language) -> Vec<QuoteSpan> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        let prev = i.checked_sub(1).map(|p| chars[p].1);
        let next = chars.get(i + 1).map(|&(_, n)| n);
        let opens = match c {
            '「' | '『' | '“' | '"' => true,
            '（' => starts_sentence(prev),
            '‘' | '\'' => lang == Language::En && single_opens(prev, next),
            _ => false,
        };
        let Some(close) = closer(c).filter(|_| opens) else {
            i += 1;
            continue;
        };
        let end = if matches!(c, '‘' | '\'') {
            find_single_close(&chars, i, close)
        } else {
            find_close(&chars, i, c, close)
        };
        match end {
            Some(j) => {
                let close_at = chars[j].0;
                out.push(QuoteSpan {
                    outer: at..close_at + close.len_utf8(),
                    inner: at + c.len_utf8()..close_at,
                    open: c,
                });
                i = j + 1;
            }
            // An unclosed single quote is an apostrophe; an unclosed bracket runs on to the end
            // (English puts no closing mark on a paragraph whose speech continues).
            None if matches!(c, '‘' | '\'') => i += 1,
            None => {
                out.push(QuoteSpan { outer: at..text.len(), inner: at + c.len_utf8()..text.len(), open: c });
                break;
            }
        }
    }
    out
}

fn single_opens(prev: Option<char>, next: Option<char>) -> bool {
    let boundary = prev.is_none_or(|p| p.is_whitespace() || "([{—–-“\"".contains(p));
    boundary && next.is_some_and(|n| !n.is_whitespace())
}

/// The matching closer, counting nested pairs of the same kind.
fn find_close(chars: &[(usize, char)], from: usize, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    for (j, &(_, c)) in chars.iter().enumerate().skip(from + 1) {
        if c == close {
            if depth == 0 {
                return Some(j);
            }
            depth -= 1;
        } else if c == open && open != close {
            depth += 1;
        }
    }
    None
}

/// A closing single quote ends a word and is not followed by a letter (so `don't` is no closer).
fn find_single_close(chars: &[(usize, char)], from: usize, close: char) -> Option<usize> {
    (from + 2..chars.len()).find(|&j| {
        let prev = chars[j - 1].1;
        let next = chars.get(j + 1).map(|&(_, n)| n);
        chars[j].1 == close && !prev.is_whitespace() && !next.is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inners(text: &str, lang: Language) -> Vec<&str> {
        spans(text, lang).into_iter().map(|s| &text[s.inner]).collect()
    }

    #[test]
    fn nested_double_brackets_stay_inside_the_outer_quote() {
        let text = "「母は『帰れ』と言った」と花子が言った。「はい」";
        assert_eq!(inners(text, Language::Ja), vec!["母は『帰れ』と言った", "はい"]);
    }

    #[test]
    fn apostrophes_are_not_quotes() {
        let text = "Tom's boat isn't here, 'it's gone,' she said, and the boys' hats flew.";
        assert_eq!(inners(text, Language::En), vec!["it's gone,"]);
    }

    #[test]
    fn a_parenthesis_is_a_thought_only_at_the_start_of_a_sentence() {
        assert_eq!(inners("犍陀多（かんだた）は笑った。（もう駄目だ）", Language::Ja), vec!["もう駄目だ"]);
    }

    #[test]
    fn an_unclosed_quote_runs_to_the_end() {
        assert_eq!(inners("He said, “Listen to me", Language::En), vec!["Listen to me"]);
    }
}
