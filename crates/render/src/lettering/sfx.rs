//! Sound effects: large display lettering, black with a thick white outline,
//! slightly rotated, in free space away from faces and balloons.

use manga_domain::Rect;
use tiny_skia::{Color, FillRule, LineJoin, Paint, PathBuilder, Pixmap, Stroke, Transform};

use super::place::{Scene, Wants};
use crate::balloon::fnv1a;
use crate::fonts::FontKind;
use crate::text::TextLayout;

/// Smallest size a sound effect shrinks to when space is short.
const MIN_PX: f32 = 28.0;

/// Letters one sound effect; returns the box of its ink (`None` for blank text).
pub(crate) fn letter_sfx(pixmap: &mut Pixmap, scene: &Scene<'_>, text: &str, index: usize) -> Option<Rect> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let short = scene.width.min(scene.height);
    let base = (short * 0.13).clamp(48.0, 90.0);
    // A stable tilt of 4–10 degrees, alternating direction.
    let hash = fnv1a(format!("{text}/{index}/{}", scene.attempt).as_bytes());
    let magnitude = 4.0 + (hash % 600) as f32 / 100.0;
    let degrees = if (hash >> 16) & 1 == 0 { magnitude } else { -magnitude };
    let (sin, cos) = degrees.to_radians().sin_cos();

    let wants = Wants { speaker: None, previous: None, continues: None, corner_weight: 0.0, prefer_top: false };
    // The first size with a spot free of faces and balloons; else the least bad.
    let mut chosen: Option<(TextLayout, Rect, f32, f32)> = None;
    let mut px = base;
    loop {
        let layout = TextLayout::horizontal(text, FontKind::Display, px, None);
        let halo = px * 0.16;
        // The rotated box, plus the outline.
        let w = layout.width * cos.abs() + layout.height * sin.abs() + 2.0 * halo;
        let h = layout.width * sin.abs() + layout.height * cos.abs() + 2.0 * halo;
        if let Some(spot) = scene.best_spot(w, h, &wants) {
            let free = spot.violation == 0.0;
            if chosen.as_ref().is_none_or(|c| free || spot.violation < c.3) {
                chosen = Some((layout, spot.rect, halo, spot.violation));
            }
            if free {
                break;
            }
        }
        if px <= MIN_PX {
            break;
        }
        px = (px * 0.85).max(MIN_PX);
    }
    let (layout, rect, halo, _) = chosen?;
    let mut builder = PathBuilder::new();
    layout.append_outlines(&mut builder, -layout.width / 2.0, -layout.height / 2.0);
    let path = builder.finish()?;
    let c = rect.center();
    let transform = Transform::from_translate(c.x, c.y).pre_rotate(degrees);
    let mut white = Paint { anti_alias: true, ..Paint::default() };
    white.set_color(Color::WHITE);
    let stroke = Stroke { width: halo * 2.0, line_join: LineJoin::Round, ..Stroke::default() };
    pixmap.stroke_path(&path, &white, &stroke, transform, None);
    let mut black = Paint { anti_alias: true, ..Paint::default() };
    black.set_color(Color::BLACK);
    pixmap.fill_path(&path, &black, FillRule::Winding, transform, None);
    let b = path.transform(transform)?.bounds();
    let ink = Rect::new(b.left() - halo, b.top() - halo, b.width() + 2.0 * halo, b.height() + 2.0 * halo);
    let panel = Rect::new(0.0, 0.0, scene.width, scene.height);
    panel.intersection(&ink)
}
