//! Procedural panel art for the offline provider.
//!
//! A panel is drawn in layers on paper white: the place ([`background`],
//! [`scenery`], [`interior`]) under the time of day's light and the mood's
//! tone, speed lines, the cast ([`staging`] places them, [`figure`],
//! [`head`] and [`outfit`] draw them), what the action names besides people
//! ([`props`]: weather, animals, fire, what is held), the night's tint.
//! Everything is tiny-skia fills and strokes; screentone is a repeated dot
//! tile ([`effects`]). Randomness comes from [`rng`], seeded by the job's
//! seed, the attempt and the panel, so the same request gives the same PNG.

pub mod background;
pub mod body;
pub mod effects;
pub mod figure;
pub mod head;
pub mod interior;
pub mod outfit;
pub mod pen;
pub mod portrait;
pub mod props;
pub mod rng;
pub mod scenery;
pub mod stage;
pub mod staging;

#[cfg(test)]
mod tests;

use manga_domain::{Effect, Figure, Mood, Point, Rect, TimeOfDay};
use manga_render::image_io::{PngSpeed, encode_png, new_pixmap};
use manga_render::tiny_skia::Pixmap;

use crate::local::analysis::Setting;
use crate::{AiError, DrawnImage, PanelRequest};
use effects::Tones;
use pen::{PAPER, Pen};
use rng::{Rng, hash_str};
use stage::Stage;

pub use portrait::draw_portrait;

const PROVIDER: &str = "local";

/// Draws one panel of the storyboard and says where each figure's body,
/// face and mouth are, in panel pixels.
///
/// # Errors
/// [`AiError::Rejected`] for an impossible size; [`AiError::Malformed`] if
/// the PNG cannot be encoded.
pub fn draw_panel(request: &PanelRequest) -> Result<DrawnImage, AiError> {
    let panel = &request.panel;
    let mut pixmap = blank(request.width, request.height)?;
    let (w, h) = (request.width as f32, request.height as f32);
    let rng = Rng::new(request.seed ^ u64::from(request.attempt).wrapping_mul(0xA24B_AED4_963E_E407))
        .fork(hash_str(&panel.id.to_string()));
    let tones = Tones::new(w.min(h));
    let actors = staging::stage_cast(panel, &request.characters, w, h, &rng);
    let mut scene_rng = rng.fork(1);
    let things = props::planned(panel);
    let mut stage = Stage::new(w, h, panel, actors.is_empty(), &mut scene_rng);
    stage.wants_view = things.iter().any(|t| t.setting() == Setting::Everywhere);
    let people: Vec<props::Spot> =
        actors.iter().map(|a| props::Spot { x: a.placement.x, person: a.placement.scale * 100.0 }).collect();

    let mut pen = Pen::new(&mut pixmap);
    let outside = background::draw(&mut pen, &stage, panel.place_kind, &mut scene_rng, &tones);
    if panel.effect == Effect::SpeedLines {
        let angle = match scene_rng.below(3) {
            0 => 0.0,
            1 => -0.35,
            _ => 0.35,
        };
        pen.fill_a(pen::rect(0.0, 0.0, w, h), PAPER, 0.45);
        effects::speed_lines(&mut pen, w, h, angle, &mut scene_rng);
    }

    if panel.effect == Effect::FocusLines {
        // Behind the figures, so the lines frame the focus instead of crossing it.
        let target = actors.iter().find(|a| a.focus).or(actors.first());
        let (centre, radii) = match target {
            Some(a) => {
                let face = figure::face_estimate(&a.look, &a.placement);
                ((face.center().x, face.center().y), (face.w * 0.5, face.h * 0.45))
            }
            None => ((w / 2.0, h / 2.0), (w * 0.25, h * 0.25)),
        };
        let dark = panel.place_kind == manga_domain::PlaceKind::Hell
            || panel.time_of_day == TimeOfDay::Night
            || panel.mood == Mood::Dark;
        effects::focus_lines(&mut pen, (w, h), centre, radii, dark, &mut rng.fork(2));
    }

    props::draw_behind(&mut pen, panel, &things, (&people, outside), &mut rng.fork(4));

    let mut order: Vec<usize> = (0..actors.len()).collect();
    order.sort_by(|&a, &b| actors[b].depth.total_cmp(&actors[a].depth).then(actors[a].focus.cmp(&actors[b].focus)));
    let mut drawn = vec![None; actors.len()];
    for i in order {
        let a = &actors[i];
        drawn[i] = Some(figure::draw(pen.pixmap, &a.look, &a.placement, &a.pose, &tones));
    }
    let mut pen = Pen::new(&mut pixmap);
    let holder = actors.iter().zip(&drawn).find(|(a, _)| a.focus).or(actors.iter().zip(&drawn).next());
    if let Some((a, Some(d))) = holder {
        props::draw_in_hand(&mut pen, &things, d.face, a.placement.right);
    }
    light(&mut pen, w, h, panel.time_of_day, panel.mood);

    let panel_rect = Rect::new(0.0, 0.0, w, h);
    let figures: Vec<Figure> = actors
        .iter()
        .zip(&drawn)
        .filter_map(|(a, d)| {
            let d = d.as_ref()?;
            let body = d.body.intersection(&panel_rect)?;
            let face = d.face.intersection(&body)?;
            let mouth = Point { x: d.mouth.x.clamp(face.x, face.right()), y: d.mouth.y.clamp(face.y, face.bottom()) };
            Some(Figure { character: a.id.clone(), body, face, mouth })
        })
        .collect();

    finish(&pixmap, figures)
}

/// A paper-white pixmap of the requested size.
fn blank(width: u32, height: u32) -> Result<Pixmap, AiError> {
    let mut pixmap = new_pixmap(width, height)
        .map_err(|e| AiError::Rejected { provider: PROVIDER.into(), message: e.to_string() })?;
    pixmap.fill(pen::color(PAPER, 1.0));
    Ok(pixmap)
}

/// The light over everything, figures included: night blue, evening
/// orange, and a little darkness for dark moods.
fn light(pen: &mut Pen, w: f32, h: f32, time: TimeOfDay, mood: Mood) {
    let all = pen::rect(0.0, 0.0, w, h);
    match time {
        TimeOfDay::Night => pen.fill_a(all.clone(), manga_domain::Rgb(20, 30, 75), 0.25),
        TimeOfDay::Evening => pen.fill_a(all.clone(), manga_domain::Rgb(240, 140, 70), 0.1),
        _ => {}
    }
    if mood == Mood::Dark {
        pen.fill_a(all, pen::INK, 0.12);
    }
}

/// Encodes the pixmap and packs the result.
fn finish(pixmap: &Pixmap, figures: Vec<Figure>) -> Result<DrawnImage, AiError> {
    let png = encode_png(pixmap, PngSpeed::Fast)
        .map_err(|e| AiError::Malformed { provider: PROVIDER.into(), message: e.to_string() })?;
    Ok(DrawnImage {
        png: png.into(),
        width: pixmap.width(),
        height: pixmap.height(),
        figures,
        provider: "local".into(),
        figures_estimated: false,
    })
}
