//! Where figures probably are in art that came without figure boxes (remote
//! models), and where the drawing is quiet enough for a balloon.
//!
//! Two steps. [`estimate_figures`] places figures by the frame's layout
//! alone: one strip per cast member, in reading order. [`DetailMap`] then
//! measures the drawn picture's edge density on a coarse grid; lettering
//! prefers low-detail spots for balloons, and [`DetailMap::locate_figures`]
//! moves each estimated figure onto the busiest part of its strip, so faces
//! are kept clear where the ink actually is and tails point at it.

use manga_domain::{CharacterId, Figure, Point, Rect};
use tiny_skia::Pixmap;

/// Figures for `cast` in a `width`×`height` panel; the first cast member is rightmost when `right_to_left`.
pub fn estimate_figures(width: u32, height: u32, cast: &[CharacterId], right_to_left: bool) -> Vec<Figure> {
    let (w, h) = (width as f32, height as f32);
    let strip = w / cast.len().max(1) as f32;
    cast.iter()
        .enumerate()
        .map(|(i, character)| {
            let slot = if right_to_left { cast.len() - 1 - i } else { i };
            let x = slot as f32 * strip;
            figure(character.clone(), Rect { x: x + strip * 0.2, y: h * 0.2, w: strip * 0.6, h: h * 0.75 })
        })
        .collect()
}

/// A figure whose face is the upper middle of its body.
fn figure(character: CharacterId, body: Rect) -> Figure {
    let face = Rect { x: body.x + body.w * 0.2, y: body.y, w: body.w * 0.6, h: body.h * 0.3 };
    let mouth = Point { x: face.x + face.w / 2.0, y: face.y + face.h * 0.75 };
    Figure { character, body, face, mouth }
}

/// Side of one grid cell in pixels.
const CELL: u32 = 16;

/// Edge density per grid cell, 0 (flat) to 1 (the busiest cell of the panel).
#[derive(Debug, Clone)]
pub struct DetailMap {
    columns: usize,
    rows: usize,
    cells: Vec<f32>,
}

impl DetailMap {
    /// Measures `pixmap`: the mean luminance gradient of each cell, scaled by the busiest cell's.
    pub fn measure(pixmap: &Pixmap) -> Self {
        let (width, height) = (pixmap.width() as usize, pixmap.height() as usize);
        let (columns, rows) = (width.div_ceil(CELL as usize).max(1), height.div_ceil(CELL as usize).max(1));
        let luma: Vec<f32> = pixmap
            .pixels()
            .iter()
            .map(|p| {
                let c = p.demultiply();
                0.299 * f32::from(c.red()) + 0.587 * f32::from(c.green()) + 0.114 * f32::from(c.blue())
            })
            .collect();
        let mut sums = vec![0.0f32; columns * rows];
        let mut counts = vec![0u32; columns * rows];
        for y in 0..height.saturating_sub(1) {
            for x in 0..width.saturating_sub(1) {
                let i = y * width + x;
                let gradient = (luma[i + 1] - luma[i]).abs() + (luma[i + width] - luma[i]).abs();
                let cell = (y / CELL as usize) * columns + x / CELL as usize;
                sums[cell] += gradient;
                counts[cell] += 1;
            }
        }
        let mut cells: Vec<f32> =
            sums.iter().zip(&counts).map(|(s, n)| if *n == 0 { 0.0 } else { s / *n as f32 }).collect();
        let busiest = cells.iter().copied().fold(0.0f32, f32::max);
        if busiest > 0.0 {
            cells.iter_mut().for_each(|c| *c /= busiest);
        }
        Self { columns, rows, cells }
    }

    /// The mean detail under `rect` (panel pixels), 0..=1.
    pub fn busy(&self, rect: &Rect) -> f32 {
        let (c0, c1, r0, r1) = self.span(rect);
        let mut total = 0.0;
        for r in r0..r1 {
            for c in c0..c1 {
                total += self.cells[r * self.columns + c];
            }
        }
        total / ((c1 - c0) * (r1 - r0)).max(1) as f32
    }

    /// The cells `rect` covers, clamped to the grid and never empty.
    fn span(&self, rect: &Rect) -> (usize, usize, usize, usize) {
        let cell = CELL as f32;
        let clamp = |v: f32, n: usize| (v.max(0.0) as usize).min(n - 1);
        let (c0, r0) = (clamp(rect.x / cell, self.columns), clamp(rect.y / cell, self.rows));
        let c1 = clamp((rect.right() / cell).ceil() - 1.0, self.columns).max(c0) + 1;
        let r1 = clamp((rect.bottom() / cell).ceil() - 1.0, self.rows).max(r0) + 1;
        (c0, c1, r0, r1)
    }

    /// Moves each of `estimated` onto the busiest part of its own strip of the
    /// panel: the columns and rows whose detail stands out from the strip's
    /// quiet background. A strip with nothing standing out keeps its estimate.
    pub fn locate_figures(&self, estimated: &[Figure]) -> Vec<Figure> {
        let cell = CELL as f32;
        estimated
            .iter()
            .map(|f| {
                // The strip is the estimate's body widened back to its slot (the body is its middle 60 %).
                let strip =
                    Rect { x: f.body.x - f.body.w / 3.0, y: 0.0, w: f.body.w * 5.0 / 3.0, h: self.rows as f32 * cell };
                let (c0, c1, r0, r1) = self.span(&strip);
                let column =
                    |c: usize| (r0..r1).map(|r| self.cells[r * self.columns + c]).sum::<f32>() / (r1 - r0) as f32;
                let row = |r: usize| (c0..c1).map(|c| self.cells[r * self.columns + c]).sum::<f32>() / (c1 - c0) as f32;
                let (cols, rows): (Vec<f32>, Vec<f32>) = ((c0..c1).map(column).collect(), (r0..r1).map(row).collect());
                match (standing_out(&cols), standing_out(&rows)) {
                    (Some((a, b)), Some((top, bottom))) if b > a && bottom > top => {
                        let body = Rect {
                            x: (c0 + a) as f32 * cell,
                            y: (r0 + top) as f32 * cell,
                            w: (b - a) as f32 * cell,
                            h: (bottom - top) as f32 * cell,
                        };
                        figure(f.character.clone(), body)
                    }
                    _ => f.clone(),
                }
            })
            .collect()
    }
}

/// The first and one-past-last index whose value is well above the profile's quiet level.
fn standing_out(profile: &[f32]) -> Option<(usize, usize)> {
    let mut sorted = profile.to_vec();
    sorted.sort_by(f32::total_cmp);
    let quiet = sorted[sorted.len() / 4];
    let peak = *sorted.last()?;
    if peak - quiet < 0.08 {
        return None;
    }
    let threshold = quiet + (peak - quiet) * 0.35;
    let first = profile.iter().position(|v| *v >= threshold)?;
    let last = profile.iter().rposition(|v| *v >= threshold)?;
    Some((first, last + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiny_skia::{Color, Paint, PathBuilder, Stroke, Transform};

    #[test]
    fn figures_follow_reading_order_with_faces_in_their_upper_part() {
        let cast = [CharacterId::from_name("ami"), CharacterId::from_name("ken")];
        let rtl = estimate_figures(1000, 800, &cast, true);
        assert!(rtl[0].body.x > 500.0 && rtl[1].body.right() <= 500.0, "first speaker on the right");
        let ltr = estimate_figures(1000, 800, &cast, false);
        assert!(ltr[0].body.right() <= 500.0);
        for f in &ltr {
            assert!(f.body.contains_rect(&f.face, 0.1) && f.face.bottom() < f.body.y + f.body.h / 2.0);
        }
        assert!(estimate_figures(100, 100, &[], false).is_empty());
    }

    /// A white panel with a hatched figure in `body`.
    fn drawing(width: u32, height: u32, body: Rect) -> Pixmap {
        let mut pixmap = Pixmap::new(width, height).unwrap();
        pixmap.fill(Color::WHITE);
        let mut paint = Paint::default();
        paint.set_color(Color::BLACK);
        let mut path = PathBuilder::new();
        let mut x = body.x;
        while x < body.right() {
            path.move_to(x, body.y);
            path.line_to(x, body.bottom());
            x += 6.0;
        }
        let stroke = Stroke { width: 2.0, ..Stroke::default() };
        pixmap.stroke_path(&path.finish().unwrap(), &paint, &stroke, Transform::identity(), None);
        pixmap
    }

    #[test]
    fn the_map_is_busy_where_the_ink_is_and_quiet_elsewhere() {
        let body = Rect::new(40.0, 120.0, 120.0, 240.0);
        let map = DetailMap::measure(&drawing(480, 400, body));
        assert!(map.busy(&body) > 0.5, "{}", map.busy(&body));
        assert!(map.busy(&Rect::new(260.0, 20.0, 180.0, 120.0)) < 0.05);
        let flat = Pixmap::new(64, 64).unwrap();
        assert_eq!(DetailMap::measure(&flat).busy(&Rect::new(0.0, 0.0, 64.0, 64.0)), 0.0);
    }

    #[test]
    fn a_figure_moves_onto_the_ink_in_its_strip_and_keeps_its_estimate_on_a_blank_strip() {
        // Two speakers, left to right; the drawn figure stands at the far left of the first strip.
        let body = Rect::new(16.0, 160.0, 96.0, 224.0);
        let pixmap = drawing(640, 400, body);
        let cast = [CharacterId::from_name("ami"), CharacterId::from_name("ken")];
        let estimated = estimate_figures(640, 400, &cast, false);
        let located = DetailMap::measure(&pixmap).locate_figures(&estimated);
        let found = located[0].body;
        assert!((found.x - body.x).abs() <= 16.0 && (found.right() - body.right()).abs() <= 16.0, "{found:?}");
        assert!((found.y - body.y).abs() <= 16.0, "{found:?}");
        assert!(found.contains_rect(&located[0].face, 0.1));
        assert_eq!(located[1], estimated[1], "nothing drawn in the second strip");
    }
}
