//! Sizing a balloon for its text: which font size, which column length or
//! line width, and how big the balloon must be.
//!
//! The text is shaped once ([`Measure`]); every size and break is then tried
//! on scaled advances, and only the chosen one is laid out for drawing.

use manga_domain::BalloonKind;

use crate::balloon::Balloon;
use crate::fonts::{FontKind, font};
use crate::text::layout::is_cjk;
use crate::text::layout::{COLUMN_PITCH, LINE_HEIGHT, char_advances, wrap};
use crate::text::{ColumnBreaker, TextLayout, is_forbidden_at_end, is_forbidden_at_start};

/// A text shaped once, with per-character advances in font units.
pub(crate) struct Measure {
    pub text: String,
    pub font: FontKind,
    pub vertical: bool,
    chars: Vec<char>,
    advance: Vec<f32>,
    /// For vertical text, its break rules, worked out once for every column length tried.
    columns: Option<ColumnBreaker>,
}

/// How the text is broken.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Breaks {
    /// Vertical columns (already kinsoku-broken).
    Columns(Vec<String>),
    /// Horizontal lines wrapped at this width in pixels.
    Width(f32),
}

/// One way to set a text: size, breaks, and the balloon (at the origin) it needs.
#[derive(Debug, Clone)]
pub(crate) struct Fit {
    pub px: f32,
    pub breaks: Breaks,
    pub balloon: Balloon,
    /// The part of the text this fit sets (all of it unless truncated).
    pub text: String,
}

/// How much dearer columns broken mid-phrase are than columns ending at
/// phrases: a balloon up to this much larger is worth words read whole.
const TIGHT_COLUMNS_COST: f32 = 1.08;

/// Shouts up to this many characters are set in the display face.
const SHORT_SHOUT_CHARS: usize = 14;

/// Which fit at a size is best: the most compact near the preferred aspect,
/// the lowest, or the narrowest.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Preferred,
    Flat,
    Narrow,
}

/// The largest balloon allowed, in pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub w: f32,
    pub h: f32,
}

impl Measure {
    pub fn new(text: &str, kind: BalloonKind, vertical: bool) -> Measure {
        // The heavy display face suits a short cry; a long shouted sentence is easier to read in the dialogue face.
        let short = text.chars().filter(|c| !c.is_whitespace()).count() <= SHORT_SHOUT_CHARS;
        let font = if kind == BalloonKind::Shout && short { FontKind::Display } else { FontKind::Dialogue };
        Measure::in_face(text, font, vertical)
    }

    /// The text shaped in `font`.
    pub fn in_face(text: &str, font: FontKind, vertical: bool) -> Measure {
        let (chars, advance) = char_advances(font, text, vertical);
        let columns = vertical.then(|| ColumnBreaker::new(text));
        Measure { text: text.to_owned(), font, vertical, chars, advance, columns }
    }

    /// Whether `fit` sets every word whole (vertical text always does).
    pub fn keeps_words(&self, fit: &Fit) -> bool {
        match fit.breaks {
            Breaks::Columns(_) => true,
            Breaks::Width(w) => self.longest_word(fit.px) <= w,
        }
    }

    /// Text block size (w, h) in pixels for `breaks` at `px`.
    fn block(&self, px: f32, breaks: &Breaks) -> (f32, f32) {
        let s = font(self.font).px_per_unit(px);
        match breaks {
            Breaks::Columns(cols) => {
                let mut i = 0;
                let mut tallest = 0.0f32;
                for col in cols {
                    while i < self.chars.len() && self.chars[i] == '\n' {
                        i += 1;
                    }
                    let n = col.chars().count().min(self.chars.len() - i);
                    tallest = tallest.max(self.advance[i..i + n].iter().sum::<f32>() * s);
                    i += n;
                }
                let w = if cols.is_empty() { 0.0 } else { px + (cols.len() - 1) as f32 * px * COLUMN_PITCH };
                (w, tallest)
            }
            Breaks::Width(max) => {
                let adv: Vec<f32> = self.advance.iter().map(|a| a * s).collect();
                let lines = wrap(&self.chars, &adv, Some(*max));
                let w = lines.iter().map(|r| adv[r.clone()].iter().sum::<f32>()).fold(0.0, f32::max);
                (w, lines.len() as f32 * px * LINE_HEIGHT)
            }
        }
    }

    /// The laid-out text of a fit.
    pub fn layout(&self, fit: &Fit) -> TextLayout {
        match &fit.breaks {
            Breaks::Columns(cols) => TextLayout::vertical_columns(cols, self.font, fit.px),
            Breaks::Width(w) => TextLayout::horizontal(&fit.text, self.font, fit.px, Some(*w)),
        }
    }

    /// The break options worth trying at `px`, each with a factor on its cost.
    fn break_options(&self, px: f32, limits: Limits) -> Vec<(Breaks, f32)> {
        let n = self.chars.iter().filter(|&&c| c != '\n').count().max(1);
        if let Some(breaker) = &self.columns {
            let most = ((limits.h / px).floor() as usize).clamp(1, n);
            let mut options: Vec<(Breaks, f32)> = Vec::new();
            for c in 1..=most {
                let phrased = Breaks::Columns(breaker.columns(c, true));
                let tight = Breaks::Columns(breaker.columns(c, false));
                if tight != phrased {
                    options.push((tight, TIGHT_COLUMNS_COST));
                }
                options.push((phrased, 1.0));
            }
            options
        } else {
            let most = limits.w / std::f32::consts::SQRT_2;
            // Never narrower than the longest word, so words break only when nothing else fits.
            let longest_word = self.longest_word(px);
            let least = if longest_word <= most { (px * 3.0).max(longest_word) } else { (px * 3.0).min(most) };
            (0..=12).map(|k| (Breaks::Width(least + (most - least) * k as f32 / 12.0), 1.0)).collect()
        }
    }

    /// The width of the longest space-separated word at `px`.
    fn longest_word(&self, px: f32) -> f32 {
        let s = font(self.font).px_per_unit(px);
        let (mut longest, mut current) = (0.0f32, 0.0f32);
        for (c, a) in self.chars.iter().zip(&self.advance) {
            if c.is_whitespace() {
                current = 0.0;
            } else {
                current += a * s;
                longest = longest.max(current);
            }
        }
        // A little slack for rounding in the wrapper's own sums.
        longest + 0.5
    }

    /// The best-shaped fit at `px` within `limits`, if any.
    pub fn fit_at(&self, kind: BalloonKind, px: f32, limits: Limits) -> Option<Fit> {
        self.shaped_at(kind, px, limits, Shape::Preferred)
    }

    /// The fit at `px` within `limits` that is best by `shape`, if any.
    fn shaped_at(&self, kind: BalloonKind, px: f32, limits: Limits, shape: Shape) -> Option<Fit> {
        // Vertical text reads best in balloons a little taller than wide; horizontal in wider ones.
        let preferred = if self.vertical { 0.8 } else { 1.6 };
        // A flat or narrow balloon still reads: columns of two or three characters break every
        // phrase, so vertical text strays at most 3× from its aspect, a line of English 5×.
        let stray = if self.vertical { 3.0f32 } else { 5.0 };
        self.break_options(px, limits)
            .into_iter()
            .filter_map(|(breaks, factor)| {
                let (w, h) = self.block(px, &breaks);
                let balloon = Balloon::for_text(kind, w, h);
                let b = balloon.bounds;
                let readable = matches!(shape, Shape::Preferred) || (b.w / b.h / preferred).ln().abs() <= stray.ln();
                (b.w <= limits.w && b.h <= limits.h && readable).then(|| {
                    let cost = match shape {
                        Shape::Preferred => b.area() * (1.0 + 0.6 * (b.w / b.h / preferred).ln().abs()),
                        Shape::Flat => b.h + 0.01 * b.w,
                        Shape::Narrow => b.w + 0.01 * b.h,
                    };
                    (cost * factor, Fit { px, breaks, balloon, text: self.text.clone() })
                })
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, fit)| fit)
    }

    /// Fits in order of preference: the base size shrinking to the minimum
    /// within `normal`, then the same sizes within `grown`, then at each size
    /// the flattest and the narrowest balloon within `grown` (for a panel whose
    /// faces leave only a band above them or a strip beside them).
    pub fn variants(&self, kind: BalloonKind, base_px: f32, min_px: f32, normal: Limits, grown: Limits) -> Vec<Fit> {
        let mut sizes = Vec::new();
        let mut px = base_px;
        while px > min_px {
            sizes.push(px);
            px -= 2.0;
        }
        sizes.push(min_px);
        let mut whole_words: Vec<Fit> = Vec::new();
        let mut broken_words = Vec::new();
        let tries =
            [(normal, Shape::Preferred), (grown, Shape::Preferred), (grown, Shape::Flat), (grown, Shape::Narrow)];
        for (limits, shape) in tries {
            for &px in &sizes {
                let Some(fit) = self.shaped_at(kind, px, limits, shape) else { continue };
                let seen = |f: &Fit| f.px == fit.px && f.balloon.bounds == fit.balloon.bounds;
                if whole_words.iter().chain(&broken_words).any(seen) {
                    continue;
                }
                // A smaller size that keeps words whole reads better than a word cut in two.
                let breaks_a_word = !self.vertical && self.longest_word(px) > limits.w / std::f32::consts::SQRT_2;
                if breaks_a_word { broken_words.push(fit) } else { whole_words.push(fit) }
            }
        }
        whole_words.extend(broken_words);
        whole_words
    }

    /// As much of the text as fits at `px` within `limits`, for when nothing
    /// else does; the fit's `text` is the part kept.
    pub fn truncated(&self, kind: BalloonKind, px: f32, limits: Limits) -> Fit {
        let chars: Vec<char> = self.text.chars().collect();
        // Binary search on the kept prefix length.
        let (mut lo, mut hi) = (0usize, chars.len());
        let mut best: Option<Fit> = None;
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            let prefix: String = chars[..mid].iter().collect();
            let m = Measure::new(&prefix, kind, self.vertical);
            match m.fit_at(kind, px, limits) {
                Some(fit) => {
                    best = Some(Fit { text: prefix, ..fit });
                    lo = mid;
                }
                None => hi = mid - 1,
            }
        }
        best.unwrap_or_else(|| {
            let balloon = Balloon::for_text(kind, 0.0, 0.0);
            let breaks = if self.vertical { Breaks::Columns(Vec::new()) } else { Breaks::Width(0.0) };
            Fit { px, breaks, balloon, text: String::new() }
        })
    }
}

/// Splits a text in two near its middle, preferring a sentence end, then a
/// comma, then a space, and never leaving a forbidden character at the start
/// of the second part. `None` for texts too short to split.
pub(crate) fn split_in_two(text: &str) -> Option<(String, String)> {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    if n < 4 {
        return None;
    }
    let rank = |c: char| match c {
        '。' | '！' | '？' | '!' | '?' | '.' | '」' => 3.0,
        '、' | '，' | ',' | ';' | '；' | '…' => 2.0,
        ' ' | '\u{3000}' | '\n' => 1.5,
        _ => 0.0,
    };
    let mid = n as f32 / 2.0;
    let latin = !chars.iter().any(|&c| is_cjk(c));
    let allowed = |i: usize| {
        if latin { chars[i - 1] == ' ' } else { !is_forbidden_at_start(chars[i]) && !is_forbidden_at_end(chars[i - 1]) }
    };
    let score = |i: usize| {
        let before = chars[..i].iter().rev().find(|c| !c.is_whitespace()).copied().unwrap_or(' ');
        rank(before) - 4.0 * (i as f32 - mid).abs() / n as f32
    };
    let at = (1..n).filter(|&i| allowed(i)).max_by(|&a, &b| score(a).total_cmp(&score(b)))?;
    let first: String = chars[..at].iter().collect();
    let second: String = chars[at..].iter().collect();
    let (first, second) = (first.trim_end().to_owned(), second.trim_start().to_owned());
    (!first.is_empty() && !second.is_empty()).then_some((first, second))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_splits_at_a_sentence_end_near_its_middle() {
        let (a, b) = split_in_two("今日は晴れだね。明日も晴れるといいな。").unwrap();
        assert_eq!(a, "今日は晴れだね。");
        assert_eq!(b, "明日も晴れるといいな。");
        let (a, b) = split_in_two("I never thought it would end like this, not here").unwrap();
        assert!(a.ends_with(',') || !a.ends_with(' '));
        assert_eq!(format!("{a} {b}"), "I never thought it would end like this, not here");
    }

    #[test]
    fn smaller_fonts_fit_in_smaller_balloons() {
        let m = Measure::new("むかしむかし、あるところにおじいさんとおばあさんがいました。", BalloonKind::Speech, true);
        let big = m.fit_at(BalloonKind::Speech, 24.0, Limits { w: 1000.0, h: 300.0 }).unwrap();
        let small = m.fit_at(BalloonKind::Speech, 14.0, Limits { w: 1000.0, h: 300.0 }).unwrap();
        assert!(small.balloon.bounds.area() < big.balloon.bounds.area());
        let layout = m.layout(&big);
        let area = big.balloon.text_area();
        assert!(layout.width <= area.w + 0.01 && layout.height <= area.h + 0.01);
    }

    #[test]
    fn truncation_keeps_a_prefix_that_fits() {
        let m = Measure::new(&"あ".repeat(200), BalloonKind::Speech, true);
        let limits = Limits { w: 120.0, h: 150.0 };
        assert!(m.fit_at(BalloonKind::Speech, 14.0, limits).is_none());
        let fit = m.truncated(BalloonKind::Speech, 14.0, limits);
        assert!(!fit.text.is_empty() && fit.text.chars().count() < 200);
        assert!(fit.balloon.bounds.w <= 120.0 && fit.balloon.bounds.h <= 150.0);
    }

    #[test]
    fn english_words_are_not_broken_while_a_smaller_size_fits() {
        let m = Measure::new("Grandfather!", BalloonKind::Shout, false);
        let limits = Limits { w: 220.0, h: 200.0 };
        let fits = m.variants(BalloonKind::Shout, 24.0, 14.0, limits, limits);
        let first = fits.first().expect("some size fits");
        let layout = m.layout(first);
        assert_eq!(layout.line_texts.len(), 1, "one unbroken line at {} px: {:?}", first.px, layout.line_texts);
    }
}
