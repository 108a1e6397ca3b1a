//! The stage behind the figures: the camera (horizon by shot and angle),
//! lighting by time of day and mood, the sky, and the dispatch to each
//! kind of place ([`super::scenery`], [`super::interior`]).

use manga_domain::{Mood, PlaceKind, Rect, Rgb, Shot};

use super::effects::{self, Tones};

use super::pen::{self, INK, Pen};
use super::rng::Rng;
use super::stage::{Stage, sky_colors};
use super::{interior, scenery};

/// Draws the background of `place` (an abstract backdrop for close-ups) and
/// says where it shows the outside, for the weather: the whole panel out of
/// doors, a window indoors.
pub fn draw(pen: &mut Pen, stage: &Stage, place: PlaceKind, rng: &mut Rng, tones: &Tones) -> Rect {
    let mut outside = Rect::new(0.0, 0.0, stage.w, stage.h);
    if stage.shot == Shot::CloseUp {
        backdrop(pen, stage, place, rng, tones);
    } else {
        match place {
            PlaceKind::Sky => scenery::sky_scene(pen, stage, rng, tones),
            PlaceKind::Water => scenery::water(pen, stage, rng, tones),
            PlaceKind::Forest => scenery::forest(pen, stage, rng, tones),
            PlaceKind::Street => scenery::street(pen, stage, rng, tones),
            PlaceKind::Mountain => scenery::mountain(pen, stage, rng, tones),
            PlaceKind::Field => scenery::field(pen, stage, rng, tones),
            PlaceKind::Hell => scenery::hell(pen, stage, rng, tones),
            PlaceKind::Heaven => scenery::heaven(pen, stage, rng, tones),
            PlaceKind::Room => outside = interior::room(pen, stage, rng, tones),
            PlaceKind::School => outside = interior::school(pen, stage, rng, tones),
            PlaceKind::Unknown => unknown(pen, stage, rng, tones),
        }
    }
    mood_shading(pen, stage, tones);
    outside
}

/// A close-up's backdrop: the place's colours, softly, with tone and a
/// hint of the place (flames, glints, blurred lights).
fn backdrop(pen: &mut Pen, stage: &Stage, place: PlaceKind, rng: &mut Rng, tones: &Tones) {
    let (top, bottom) = match place {
        PlaceKind::Hell => (Rgb(30, 6, 8), Rgb(150, 30, 20)),
        PlaceKind::Heaven => (Rgb(255, 246, 215), Rgb(245, 225, 170)),
        PlaceKind::Forest => (Rgb(150, 190, 140), Rgb(70, 110, 70)),
        PlaceKind::Water => (Rgb(170, 210, 230), Rgb(70, 130, 170)),
        PlaceKind::Room | PlaceKind::School => (Rgb(235, 225, 205), Rgb(190, 170, 140)),
        PlaceKind::Street => (Rgb(200, 205, 215), Rgb(150, 150, 165)),
        PlaceKind::Unknown => (Rgb(235, 232, 225), Rgb(190, 190, 200)),
        _ => sky_colors(stage),
    };
    let lit = |c: Rgb| if place == PlaceKind::Hell { stage.lit(c) } else { stage.bg(c) };
    effects::vertical_gradient(pen, (0.0, 0.0, stage.w, stage.h), lit(top), lit(bottom));
    effects::tone_gradient(pen, &tones.medium, (0.0, 0.0, stage.w, stage.h), 0.5, false);
    let s = stage.w.min(stage.h);
    match place {
        PlaceKind::Hell => scenery::flames(pen, stage, stage.h, s * 0.35, rng),
        PlaceKind::Heaven => {
            let g: Vec<(f32, f32, f32)> = (0..14)
                .map(|_| (rng.range(0.0, stage.w), rng.range(0.0, stage.h), rng.range(0.01, 0.03) * s))
                .collect();
            pen.fill_a(effects::glints(&g), Rgb(255, 255, 240), 0.9);
        }
        _ => {
            for _ in 0..7 {
                let r = s * rng.range(0.04, 0.12);
                pen.fill_a(
                    pen::ellipse(rng.range(0.0, stage.w), rng.range(0.0, stage.h), r, r),
                    Rgb(255, 255, 250),
                    0.22,
                );
            }
        }
    }
}

/// A neutral background for unknown places: a soft gradient, tone, and a
/// few drifting strokes.
fn unknown(pen: &mut Pen, stage: &Stage, rng: &mut Rng, tones: &Tones) {
    effects::vertical_gradient(
        pen,
        (0.0, 0.0, stage.w, stage.h),
        stage.bg(Rgb(238, 236, 230)),
        stage.bg(Rgb(200, 198, 205)),
    );
    effects::tone_gradient(pen, &tones.light, (0.0, stage.h * 0.4, stage.w, stage.h * 0.6), 0.6, false);
    for _ in 0..6 {
        let y = rng.range(0.1, 0.9) * stage.h;
        let path = pen::curve((0.0, y), (stage.w * 0.5, y + rng.range(-0.1, 0.1) * stage.h), (stage.w, y));
        pen.stroke_a(path.as_ref(), INK, stage.ink() * 0.6, 0.25);
    }
}

/// Mood over the whole background: dark moods get a heavy tone from the
/// top, tense ones hard diagonal shadows, mysterious ones a vignette.
fn mood_shading(pen: &mut Pen, stage: &Stage, tones: &Tones) {
    let (w, h) = (stage.w, stage.h);
    match stage.mood {
        Mood::Dark => effects::tone_gradient(pen, &tones.dark, (0.0, 0.0, w, h * 0.6), 0.7, true),
        Mood::Tense => {
            effects::tone_gradient(pen, &tones.dark, (0.0, 0.0, w, h * 0.35), 0.6, true);
            effects::vignette(pen, w, h, 0.45);
        }
        Mood::Mysterious | Mood::Melancholy => effects::vignette(pen, w, h, 0.3),
        _ => {}
    }
}
