//! Drawing laid-out text: ab_glyph coverage blended into a pixmap, or glyph
//! outlines as tiny-skia paths (for stroked, rotated display text).

use ab_glyph::{Font as _, GlyphId, OutlineCurve, PxScale, point};
use manga_domain::Rect;
use tiny_skia::{Color, PathBuilder, Pixmap};

use super::layout::{PlacedGlyph, TextLayout};
use crate::fonts::{Font, FontKind, font};

/// Coverage below this is not counted as ink.
const INK_THRESHOLD: f32 = 0.05;

/// Blends `color` at `coverage` into one premultiplied RGBA pixel.
fn blend(dst: &mut [u8], color: [f32; 4], coverage: f32) {
    let a = color[3] * coverage;
    if a <= 0.0 {
        return;
    }
    let keep = 1.0 - a;
    for i in 0..3 {
        let v = color[i] * a * 255.0 + f32::from(dst[i]) * keep;
        dst[i] = v.round().clamp(0.0, 255.0) as u8;
    }
    dst[3] = (a * 255.0 + f32::from(dst[3]) * keep).round().clamp(0.0, 255.0) as u8;
}

/// Grows `acc` to cover the pixel (x, y).
fn cover(acc: &mut Option<(i32, i32, i32, i32)>, x: i32, y: i32) {
    *acc = Some(match *acc {
        None => (x, y, x, y),
        Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
    });
}

fn to_rect(acc: Option<(i32, i32, i32, i32)>) -> Option<Rect> {
    acc.map(|(x0, y0, x1, y1)| Rect::new(x0 as f32, y0 as f32, (x1 - x0 + 1) as f32, (y1 - y0 + 1) as f32))
}

impl TextLayout {
    /// Draws the text with its logical box's top-left corner at (`x`, `y`),
    /// blending `color` by glyph coverage. Pixels outside `clip` (if given)
    /// or the pixmap are not touched.
    ///
    /// Returns the box of the pixels actually inked, `None` if nothing was.
    pub fn draw(&self, pixmap: &mut Pixmap, x: f32, y: f32, color: Color, clip: Option<Rect>) -> Option<Rect> {
        let f = font(self.font);
        let scale = f.px_scale(self.px);
        let (width, height) = (pixmap.width() as i32, pixmap.height() as i32);
        let (cx0, cy0, cx1, cy1) = match clip {
            Some(c) => (c.x.floor() as i32, c.y.floor() as i32, c.right().ceil() as i32, c.bottom().ceil() as i32),
            None => (0, 0, width, height),
        };
        let (x0, y0, x1, y1) = (cx0.max(0), cy0.max(0), cx1.min(width), cy1.min(height));
        let rgba = [color.red(), color.green(), color.blue(), color.alpha()];
        let stride = width as usize * 4;
        let data = pixmap.data_mut();
        let mut ink = None;
        for g in &self.glyphs {
            each_pixel(f, g, scale, x, y, |px, py, coverage| {
                if px < x0 || py < y0 || px >= x1 || py >= y1 || coverage <= 0.0 {
                    return;
                }
                let i = py as usize * stride + px as usize * 4;
                blend(&mut data[i..i + 4], rgba, coverage.min(1.0));
                if coverage >= INK_THRESHOLD {
                    cover(&mut ink, px, py);
                }
            });
        }
        to_rect(ink)
    }

    /// The box the ink would occupy with the logical box at (`x`, `y`), from
    /// the glyphs' pixel bounds (rounded outwards); `None` for blank text.
    pub fn ink_bounds(&self, x: f32, y: f32) -> Option<Rect> {
        let f = font(self.font);
        let scale = f.px_scale(self.px);
        let mut acc: Option<(f32, f32, f32, f32)> = None;
        for g in &self.glyphs {
            let Some(b) = glyph_bounds(f, g, scale, x, y) else { continue };
            acc = Some(match acc {
                None => b,
                Some((a, c, d, e)) => (a.min(b.0), c.min(b.1), d.max(b.2), e.max(b.3)),
            });
        }
        acc.map(|(x0, y0, x1, y1)| Rect::new(x0, y0, x1 - x0, y1 - y0))
    }

    /// Appends the glyph outlines, with the logical box at (`x`, `y`), to a path builder.
    pub fn append_outlines(&self, builder: &mut PathBuilder, x: f32, y: f32) {
        let f = font(self.font);
        let s = f.px_per_unit(self.px);
        for g in &self.glyphs {
            let Some(outline) = f.outline().outline(GlyphId(g.id)) else { continue };
            let map = |p: ab_glyph::Point| {
                let (dx, dy) = (p.x * s * g.x_scale, -p.y * s);
                let (dx, dy) = if g.rotated { (-dy, dx) } else { (dx, dy) };
                (x + g.x + dx, y + g.y + dy)
            };
            let mut last: Option<ab_glyph::Point> = None;
            for curve in &outline.curves {
                let start = match curve {
                    OutlineCurve::Line(a, _) | OutlineCurve::Quad(a, _, _) | OutlineCurve::Cubic(a, _, _, _) => *a,
                };
                if last != Some(start) {
                    if last.is_some() {
                        builder.close();
                    }
                    let (sx, sy) = map(start);
                    builder.move_to(sx, sy);
                }
                match curve {
                    OutlineCurve::Line(_, b) => {
                        let (bx, by) = map(*b);
                        builder.line_to(bx, by);
                        last = Some(*b);
                    }
                    OutlineCurve::Quad(_, c, b) => {
                        let ((cx, cy), (bx, by)) = (map(*c), map(*b));
                        builder.quad_to(cx, cy, bx, by);
                        last = Some(*b);
                    }
                    OutlineCurve::Cubic(_, c1, c2, b) => {
                        let ((ax, ay), (cx, cy), (bx, by)) = (map(*c1), map(*c2), map(*b));
                        builder.cubic_to(ax, ay, cx, cy, bx, by);
                        last = Some(*b);
                    }
                }
            }
            if last.is_some() {
                builder.close();
            }
        }
    }
}

/// The glyph's scale: the layout's, squeezed across when the glyph is.
fn glyph_scale(g: &PlacedGlyph, scale: PxScale) -> PxScale {
    PxScale { x: scale.x * g.x_scale, y: scale.y }
}

/// Calls `visit(x, y, coverage)` for each pixel of the glyph placed with the
/// layout's box at (`x`, `y`). A rotated glyph is drawn upright at its origin
/// and each pixel turned a quarter clockwise about it, which is exact.
fn each_pixel(f: &Font, g: &PlacedGlyph, scale: PxScale, x: f32, y: f32, mut visit: impl FnMut(i32, i32, f32)) {
    let scale = glyph_scale(g, scale);
    if g.rotated {
        let (ox, oy) = ((x + g.x).round() as i32, (y + g.y).round() as i32);
        let Some(outlined) = f.outline().outline_glyph(GlyphId(g.id).with_scale_and_position(scale, point(0.0, 0.0)))
        else {
            return;
        };
        let bounds = outlined.px_bounds();
        let (bx, by) = (bounds.min.x as i32, bounds.min.y as i32);
        // The pixel at (u, v) from the origin turns to (-v - 1, u).
        outlined.draw(|gx, gy, coverage| visit(ox - (by + gy as i32) - 1, oy + bx + gx as i32, coverage));
    } else {
        let glyph = GlyphId(g.id).with_scale_and_position(scale, point(x + g.x, y + g.y));
        let Some(outlined) = f.outline().outline_glyph(glyph) else { return };
        let bounds = outlined.px_bounds();
        let (bx, by) = (bounds.min.x as i32, bounds.min.y as i32);
        outlined.draw(|gx, gy, coverage| visit(bx + gx as i32, by + gy as i32, coverage));
    }
}

/// The glyph's pixel bounds (x0, y0, x1, y1) with the layout's box at (`x`, `y`).
fn glyph_bounds(f: &Font, g: &PlacedGlyph, scale: PxScale, x: f32, y: f32) -> Option<(f32, f32, f32, f32)> {
    let scale = glyph_scale(g, scale);
    if g.rotated {
        let (ox, oy) = ((x + g.x).round(), (y + g.y).round());
        let outlined = f.outline().outline_glyph(GlyphId(g.id).with_scale_and_position(scale, point(0.0, 0.0)))?;
        let b = outlined.px_bounds();
        Some((ox - b.max.y, oy + b.min.x, ox - b.min.y, oy + b.max.x))
    } else {
        let outlined =
            f.outline().outline_glyph(GlyphId(g.id).with_scale_and_position(scale, point(x + g.x, y + g.y)))?;
        let b = outlined.px_bounds();
        Some((b.min.x, b.min.y, b.max.x, b.max.y))
    }
}

/// Draws one line of text, unwrapped, centred on `center_x` with its baseline
/// at `baseline_y` (for page numbers and titles).
pub fn draw_text_line(
    pixmap: &mut Pixmap,
    text: &str,
    font: FontKind,
    px: f32,
    center_x: f32,
    baseline_y: f32,
    color: Color,
) {
    let layout = TextLayout::horizontal(text, font, px, None);
    layout.draw(pixmap, center_x - layout.width / 2.0, baseline_y - layout.first_baseline, color, None);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dark_pixels(pixmap: &Pixmap) -> Vec<(u32, u32)> {
        let w = pixmap.width();
        pixmap
            .pixels()
            .iter()
            .enumerate()
            .filter(|(_, p)| p.red() < 128 && p.alpha() > 200)
            .map(|(i, _)| (i as u32 % w, i as u32 / w))
            .collect()
    }

    #[test]
    fn a_text_line_is_drawn_centred_above_its_baseline() {
        let mut pixmap = Pixmap::new(200, 60).unwrap();
        pixmap.fill(Color::WHITE);
        draw_text_line(&mut pixmap, "12", FontKind::Dialogue, 24.0, 100.0, 40.0, Color::BLACK);
        let dark = dark_pixels(&pixmap);
        assert!(dark.len() > 20);
        let (min_x, max_x) = (dark.iter().map(|p| p.0).min().unwrap(), dark.iter().map(|p| p.0).max().unwrap());
        let max_y = dark.iter().map(|p| p.1).max().unwrap();
        let min_y = dark.iter().map(|p| p.1).min().unwrap();
        assert!(((min_x + max_x) as f32 / 2.0 - 100.0).abs() <= 3.0, "centred: {min_x}..{max_x}");
        assert!((37..=40).contains(&max_y), "sits on the baseline: {max_y}");
        assert!(min_y >= 40 - 24, "digits are under an em tall: {min_y}");
    }

    #[test]
    fn drawing_respects_the_clip_and_reports_the_ink() {
        let layout = TextLayout::horizontal("ああああ", FontKind::Dialogue, 20.0, None);
        let mut pixmap = Pixmap::new(120, 40).unwrap();
        pixmap.fill(Color::WHITE);
        let clip = Rect::new(0.0, 0.0, 40.0, 40.0);
        let ink = layout.draw(&mut pixmap, 5.0, 5.0, Color::BLACK, Some(clip)).unwrap();
        assert!(clip.contains_rect(&ink, 0.0));
        assert!(dark_pixels(&pixmap).iter().all(|&(x, _)| x < 40));
        let estimate = layout.ink_bounds(5.0, 5.0).unwrap();
        assert!(estimate.right() > 60.0, "unclipped ink extends further");
    }

    #[test]
    fn rotated_latin_is_inked_down_the_column_where_its_bounds_say() {
        let layout = TextLayout::vertical("WILDCAT", FontKind::Dialogue, 24.0, 20);
        let mut pixmap = Pixmap::new(80, 260).unwrap();
        pixmap.fill(Color::WHITE);
        let ink = layout.draw(&mut pixmap, 20.0, 10.0, Color::BLACK, None).unwrap();
        assert!(ink.h > 3.0 * ink.w, "a tall, narrow line: {ink:?}");
        assert!(ink.x >= 20.0 && ink.right() <= 20.0 + layout.width + 1.0, "inside the column: {ink:?}");
        let estimate = layout.ink_bounds(20.0, 10.0).unwrap();
        for (a, b) in [
            (ink.x, estimate.x),
            (ink.y, estimate.y),
            (ink.right(), estimate.right()),
            (ink.bottom(), estimate.bottom()),
        ] {
            assert!((a - b).abs() <= 2.0, "drawn {ink:?}, estimated {estimate:?}");
        }
    }
}
