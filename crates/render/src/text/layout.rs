//! Shaped, positioned text: horizontal with word wrap, vertical with kinsoku.

use ab_glyph::Font as _;
use rustybuzz::{Direction, UnicodeBuffer};

use super::kinsoku::{break_columns, is_forbidden_at_end, is_forbidden_at_start};
use super::latin::{LatinSetting, latin_runs};
use crate::fonts::{FontKind, font};

/// Line height of horizontal text, in ems.
pub const LINE_HEIGHT: f32 = 1.3;
/// Distance between vertical columns' centres, in ems.
pub const COLUMN_PITCH: f32 = 1.45;

/// One glyph, positioned by its origin (left end of the baseline, as ab_glyph
/// draws it) in layout pixels, y downwards.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacedGlyph {
    /// Glyph id in the layout's font.
    pub id: u16,
    /// Origin x.
    pub x: f32,
    /// Origin y (the baseline).
    pub y: f32,
    /// Turned 90° clockwise about its origin: Latin text rotated to read
    /// downwards in a vertical column.
    pub rotated: bool,
    /// Horizontal scale (below 1 for tate-chū-yoko squeezed into one em).
    pub x_scale: f32,
}

impl PlacedGlyph {
    /// A glyph set as the font draws it: not rotated, not squeezed.
    pub fn plain(id: u16, x: f32, y: f32) -> PlacedGlyph {
        PlacedGlyph { id, x, y, rotated: false, x_scale: 1.0 }
    }
}

/// Height above the baseline, in ems, of the line a rotated or upright Latin
/// run is centred on in a column: between the middle of the capitals and of
/// the lower case.
const LATIN_CENTRE: f32 = 0.35;

/// Measured text: glyph ids and positions inside a logical box whose top-left
/// corner is (0, 0) in layout pixels.
///
/// The logical box is made of advances (em squares, line heights); the ink
/// (see [`TextLayout::ink_bounds`]) lies inside it up to a pixel or so,
/// except for glyphs drawn outside their em square.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLayout {
    /// The font.
    pub font: FontKind,
    /// Font size: pixels per em.
    pub px: f32,
    /// Whether the text is set in vertical columns.
    pub vertical: bool,
    /// The glyphs.
    pub glyphs: Vec<PlacedGlyph>,
    /// Logical width.
    pub width: f32,
    /// Logical height.
    pub height: f32,
    /// Number of lines (horizontal) or columns (vertical).
    pub lines: usize,
    /// Baseline of the first line (horizontal); 0 for vertical text.
    pub first_baseline: f32,
    /// The text of each line or column, in order.
    pub line_texts: Vec<String>,
}

/// Whether a character is set like CJK text: a line may break before or after it.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FFF | 0x3000..=0x30FF | 0x3100..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

/// Shaping output of one run: (glyph id, cluster byte offset, x advance, y advance, x offset, y offset) in font units.
struct Shaped {
    glyph: u16,
    cluster: usize,
    x_advance: f32,
    y_advance: f32,
    x_offset: f32,
    y_offset: f32,
}

fn shape(kind: FontKind, text: &str, direction: Direction) -> Vec<Shaped> {
    let mut buffer = UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.set_direction(direction);
    if direction == Direction::TopToBottom {
        buffer.set_script(rustybuzz::script::HAN);
    }
    let out = rustybuzz::shape(font(kind).face(), &[], buffer);
    out.glyph_infos()
        .iter()
        .zip(out.glyph_positions())
        .map(|(info, pos)| Shaped {
            glyph: info.glyph_id as u16,
            cluster: info.cluster as usize,
            x_advance: pos.x_advance as f32,
            y_advance: pos.y_advance as f32,
            x_offset: pos.x_offset as f32,
            y_offset: pos.y_offset as f32,
        })
        .collect()
}

/// Sums each glyph's advance (x, or y downwards when `vertical`) onto the character its cluster starts at.
fn per_char(shaped: &[Shaped], chars: &[(usize, char)], vertical: bool) -> Vec<f32> {
    let mut advance = vec![0.0f32; chars.len()];
    if chars.is_empty() {
        return advance;
    }
    for g in shaped {
        let i = chars.partition_point(|&(b, _)| b <= g.cluster).saturating_sub(1);
        advance[i] += if vertical { -g.y_advance } else { g.x_advance };
    }
    advance
}

/// Each character of `text` with its advance in font units (vertical:
/// downwards advance with vertical forms, Latin runs as [`vertical_columns`]
/// sets them), from shaping the whole text once. Lets line breaking be tried
/// at many sizes without reshaping.
///
/// [`vertical_columns`]: TextLayout::vertical_columns
pub(crate) fn char_advances(kind: FontKind, text: &str, vertical: bool) -> (Vec<char>, Vec<f32>) {
    let dir = if vertical { Direction::TopToBottom } else { Direction::LeftToRight };
    let indexed: Vec<(usize, char)> = text.char_indices().collect();
    let mut advance = per_char(&shape(kind, text, dir), &indexed, vertical);
    let chars: Vec<char> = indexed.iter().map(|&(_, c)| c).collect();
    if vertical {
        for run in latin_runs(&chars) {
            let run_text: String = chars[run.chars.clone()].iter().collect();
            let run_chars: Vec<(usize, char)> = run_text.char_indices().collect();
            let across = per_char(&shape(kind, &run_text, Direction::LeftToRight), &run_chars, false);
            for (k, i) in run.chars.clone().enumerate() {
                advance[i] = match run.setting {
                    LatinSetting::Upright if k == 0 => font(kind).units_per_em(),
                    LatinSetting::Upright => 0.0,
                    LatinSetting::Rotated => across[k],
                };
            }
        }
    }
    (chars, advance)
}

/// The glyph ids rustybuzz gives for `text` set horizontally or vertically.
pub fn shaped_glyph_ids(kind: FontKind, text: &str, vertical: bool) -> Vec<u16> {
    let dir = if vertical { Direction::TopToBottom } else { Direction::LeftToRight };
    shape(kind, text, dir).iter().map(|g| g.glyph).collect()
}

impl TextLayout {
    /// Sets `text` horizontally, wrapped to `max_width` pixels (no wrap if `None`), lines centred.
    ///
    /// Breaks at spaces; a word longer than a line breaks between characters;
    /// CJK text breaks between any two characters that kinsoku allows. A
    /// newline forces a break.
    pub fn horizontal(text: &str, kind: FontKind, px: f32, max_width: Option<f32>) -> TextLayout {
        let f = font(kind);
        let s = f.px_per_unit(px);
        let shaped = shape(kind, text, Direction::LeftToRight);
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let char_of_byte = |byte: usize| chars.partition_point(|&(b, _)| b <= byte).saturating_sub(1);
        let advance: Vec<f32> = per_char(&shaped, &chars, false).iter().map(|a| a * s).collect();
        let ranges = wrap(&chars.iter().map(|&(_, c)| c).collect::<Vec<_>>(), &advance, max_width);

        let ascent = f.outline().ascent_unscaled() * s;
        let descent = f.outline().descent_unscaled() * s;
        let line_height = px * LINE_HEIGHT;
        let first_baseline = (line_height - (ascent - descent)) / 2.0 + ascent;
        let widths: Vec<f32> = ranges.iter().map(|r| advance[r.clone()].iter().sum()).collect();
        let width = widths.iter().copied().fold(0.0, f32::max);
        let mut glyphs = Vec::with_capacity(shaped.len());
        for (line, range) in ranges.iter().enumerate() {
            let mut pen = (width - widths[line]) / 2.0;
            let baseline = first_baseline + line as f32 * line_height;
            for g in shaped.iter().filter(|g| range.contains(&char_of_byte(g.cluster))) {
                glyphs.push(PlacedGlyph::plain(g.glyph, pen + g.x_offset * s, baseline - g.y_offset * s));
                pen += g.x_advance * s;
            }
        }
        let line_texts = ranges.iter().map(|r| chars[r.clone()].iter().map(|&(_, c)| c).collect()).collect();
        TextLayout {
            font: kind,
            px,
            vertical: false,
            glyphs,
            width,
            height: ranges.len() as f32 * line_height,
            lines: ranges.len(),
            first_baseline,
            line_texts,
        }
    }

    /// Sets Japanese `text` vertically in columns of at most `max_chars`
    /// characters (kinsoku applied; see [`break_columns`]), right to left.
    pub fn vertical(text: &str, kind: FontKind, px: f32, max_chars: usize) -> TextLayout {
        TextLayout::vertical_columns(&break_columns(text, max_chars), kind, px)
    }

    /// Sets already-broken columns vertically, the first column on the right,
    /// all columns starting at the top. Latin runs are set upright across the
    /// column or rotated (see [`super::latin`]).
    pub fn vertical_columns(columns: &[String], kind: FontKind, px: f32) -> TextLayout {
        let s = font(kind).px_per_unit(px);
        let pitch = px * COLUMN_PITCH;
        let n = columns.len();
        let width = if n == 0 { 0.0 } else { px + (n - 1) as f32 * pitch };
        let mut glyphs = Vec::new();
        let mut height = 0.0f32;
        for (i, column) in columns.iter().enumerate() {
            let center_x = width - px / 2.0 - i as f32 * pitch;
            let down = set_column(column, kind, px, center_x, &mut glyphs);
            height = height.max(down * s);
        }
        TextLayout {
            font: kind,
            px,
            vertical: true,
            glyphs,
            width,
            height,
            lines: n,
            first_baseline: 0.0,
            line_texts: columns.to_vec(),
        }
    }
}

/// Sets one column centred on `center_x` from the top, appending its glyphs;
/// returns its length in font units.
fn set_column(column: &str, kind: FontKind, px: f32, center_x: f32, glyphs: &mut Vec<PlacedGlyph>) -> f32 {
    let f = font(kind);
    let s = f.px_per_unit(px);
    let em = f.units_per_em();
    let chars: Vec<char> = column.chars().collect();
    let mut down = 0.0f32;
    let set_upright = |text: &str, glyphs: &mut Vec<PlacedGlyph>, down: &mut f32| {
        for g in shape(kind, text, Direction::TopToBottom) {
            glyphs.push(PlacedGlyph::plain(g.glyph, center_x + g.x_offset * s, (*down - g.y_offset) * s));
            *down -= g.y_advance;
        }
    };
    let mut at = 0;
    for run in latin_runs(&chars) {
        let before: String = chars[at..run.chars.start].iter().collect();
        set_upright(&before, glyphs, &mut down);
        at = run.chars.end;
        let text: String = chars[run.chars.clone()].iter().collect();
        let shaped = shape(kind, &text, Direction::LeftToRight);
        let across: f32 = shaped.iter().map(|g| g.x_advance).sum();
        match run.setting {
            LatinSetting::Upright => {
                // Tate-chū-yoko: across the column, squeezed into one em.
                let x_scale = (em / across.max(1.0)).min(1.0);
                let left = center_x - across * x_scale * s / 2.0;
                let baseline = (down + em / 2.0 + LATIN_CENTRE * em) * s;
                let mut pen = 0.0;
                for g in &shaped {
                    let x = left + (pen + g.x_offset) * x_scale * s;
                    glyphs.push(PlacedGlyph { x_scale, ..PlacedGlyph::plain(g.glyph, x, baseline - g.y_offset * s) });
                    pen += g.x_advance;
                }
                down += em;
            }
            LatinSetting::Rotated => {
                // Turned clockwise: the line's "up" points right, its advance downwards.
                let baseline_x = center_x - LATIN_CENTRE * em * s;
                for g in &shaped {
                    let y = (down + g.x_offset) * s;
                    glyphs.push(PlacedGlyph {
                        rotated: true,
                        ..PlacedGlyph::plain(g.glyph, baseline_x + g.y_offset * s, y)
                    });
                    down += g.x_advance;
                }
            }
        }
    }
    let rest: String = chars[at..].iter().collect();
    set_upright(&rest, glyphs, &mut down);
    down
}

/// Greedy line breaking over per-character advances; returns char ranges, trailing spaces excluded.
pub(crate) fn wrap(chars: &[char], advance: &[f32], max_width: Option<f32>) -> Vec<std::ops::Range<usize>> {
    let n = chars.len();
    let max = max_width.unwrap_or(f32::INFINITY);
    let may_break_before = |k: usize| {
        let (a, b) = (chars[k - 1], chars[k]);
        if b.is_whitespace() {
            return false;
        }
        if a.is_whitespace() {
            return true;
        }
        (is_cjk(a) || is_cjk(b)) && !is_forbidden_at_start(b) && !is_forbidden_at_end(a)
    };
    let mut lines = Vec::new();
    let mut start = 0;
    while start < n {
        while start < n && chars[start].is_whitespace() && chars[start] != '\n' {
            start += 1;
        }
        if start < n && chars[start] == '\n' {
            start += 1;
            continue;
        }
        if start >= n {
            break;
        }
        let mut width = 0.0;
        let mut last_ok = None;
        let mut k = start;
        while k < n && chars[k] != '\n' {
            if k > start && may_break_before(k) {
                last_ok = Some(k);
            }
            if width + advance[k] > max && k > start && !chars[k].is_whitespace() {
                break;
            }
            width += advance[k];
            k += 1;
        }
        let end = if k >= n || chars[k] == '\n' { k } else { last_ok.unwrap_or(k) };
        let mut trimmed = end;
        while trimmed > start && chars[trimmed - 1].is_whitespace() {
            trimmed -= 1;
        }
        lines.push(start..trimmed);
        start = end;
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vertical_shaping_gives_vertical_forms_of_brackets_stops_and_the_long_vowel_mark() {
        for c in ["「", "」", "。", "、", "ー", "（", "…"] {
            let h = shaped_glyph_ids(FontKind::Dialogue, c, false);
            let v = shaped_glyph_ids(FontKind::Dialogue, c, true);
            assert_eq!(h.len(), 1);
            assert_ne!(h, v, "{c} has no vertical form");
        }
    }

    #[test]
    fn english_wraps_at_spaces_and_lines_fit_the_width() {
        let text = "The quick brown fox jumps over the lazy dog and keeps running";
        let layout = TextLayout::horizontal(text, FontKind::Dialogue, 20.0, Some(150.0));
        assert!(layout.lines >= 3);
        assert!(layout.width <= 150.0 + 0.01);
        for line in &layout.line_texts {
            assert!(!line.starts_with(' ') && !line.ends_with(' '));
        }
        let rejoined: Vec<&str> = layout.line_texts.iter().flat_map(|l| l.split(' ')).collect();
        assert_eq!(rejoined, text.split(' ').collect::<Vec<_>>());
    }

    #[test]
    fn a_word_longer_than_the_line_breaks_between_characters() {
        let layout = TextLayout::horizontal("Aaaaaaaaaaaaaaaaaaaaaaaaaaaargh!", FontKind::Dialogue, 20.0, Some(80.0));
        assert!(layout.lines > 2);
        assert!(layout.width <= 80.0 + 0.01);
    }

    #[test]
    fn vertical_columns_run_right_to_left_and_top_to_bottom() {
        let layout = TextLayout::vertical("あいうえおかきくけこ", FontKind::Dialogue, 20.0, 5);
        assert_eq!(layout.lines, 2);
        let first = layout.glyphs[0];
        let second = layout.glyphs[1];
        let sixth = layout.glyphs[5];
        assert!(second.y > first.y, "top to bottom");
        assert!(sixth.x < first.x - 20.0, "second column is to the left");
        assert!((layout.height - 100.0).abs() < 1.0, "five 1-em advances, got {}", layout.height);
    }

    #[test]
    fn a_long_latin_word_in_a_column_is_rotated_whole_and_reads_downwards() {
        let layout = TextLayout::vertical("看板にRESTAURANTとある", FontKind::Dialogue, 20.0, 6);
        assert!(layout.line_texts.iter().any(|c| c.contains("RESTAURANT")), "never broken: {:?}", layout.line_texts);
        let rotated: Vec<&PlacedGlyph> = layout.glyphs.iter().filter(|g| g.rotated).collect();
        assert_eq!(rotated.len(), 10);
        assert!(rotated.windows(2).all(|w| w[1].y > w[0].y && (w[1].x - w[0].x).abs() < 0.01), "one line, downwards");
        // Ten rotated capitals take about seven ems, not the ten of upright letters.
        let (chars, advance) = char_advances(FontKind::Dialogue, "RESTAURANT", true);
        let ems = advance.iter().sum::<f32>() / font(FontKind::Dialogue).units_per_em();
        assert_eq!(chars.len(), 10);
        assert!((5.0..8.0).contains(&ems), "{ems} ems");
    }

    #[test]
    fn two_digits_sit_across_one_em_of_the_column() {
        let layout = TextLayout::vertical("第12話", FontKind::Dialogue, 20.0, 10);
        assert_eq!(layout.lines, 1);
        assert!((layout.height - 60.0).abs() < 1.0, "three ems: {}", layout.height);
        let digits: Vec<&PlacedGlyph> =
            layout.glyphs.iter().filter(|g| !g.rotated && g.x_scale <= 1.0).skip(1).take(2).collect();
        assert!((digits[0].y - digits[1].y).abs() < 0.01, "side by side on one baseline");
        assert!(digits[1].x > digits[0].x);
        let ink = layout.ink_bounds(0.0, 0.0).unwrap();
        assert!(ink.w <= 21.0, "within the column's em: {ink:?}");
        let three = TextLayout::vertical("1234年", FontKind::Dialogue, 20.0, 10);
        assert!(three.glyphs.iter().take(4).all(|g| g.rotated), "four characters are rotated, not squeezed");
    }
}
