//! The stage behind the figures: the camera (horizon by shot and angle),
//! lighting by time of day and mood, the sky, and the dispatch to each
//! kind of place ([`super::scenery`], [`super::interior`]).

use manga_domain::{Angle, Language, Mood, PanelPlan, PlaceKind, Rect, Rgb, Shot, TimeOfDay};

use super::effects::{self, Tones};
use manga_render::tiny_skia::PathBuilder;

use super::pen::{self, INK, PAPER, Pen, shade};
use super::rng::Rng;
use super::{interior, scenery};

/// The camera and light of one panel.
#[derive(Debug, Clone, Copy)]
pub struct Stage {
    /// Panel width in pixels.
    pub w: f32,
    /// Panel height in pixels.
    pub h: f32,
    /// The horizon's y in pixels (may lie outside the panel).
    pub horizon: f32,
    /// The vanishing point's x.
    pub vanish_x: f32,
    /// Camera distance.
    pub shot: Shot,
    /// Camera height.
    pub angle: Angle,
    /// Lighting.
    pub time: TimeOfDay,
    /// Tone and darkness.
    pub mood: Mood,
    /// No figures: an establishing shot, drawn with more detail.
    pub empty: bool,
    /// A Japanese story: rooms have shoji and tatami. Chosen by the text, so
    /// one story's rooms do not change style from panel to panel.
    pub japanese: bool,
    /// The weather matters to the panel: an indoor place shows the outside.
    pub wants_view: bool,
}

impl Stage {
    /// The stage for a panel: the horizon is high when looking down, low
    /// when looking up, and closer shots push it further.
    pub fn new(w: f32, h: f32, panel: &PanelPlan, empty: bool, rng: &mut Rng) -> Self {
        let (shot, angle, time, mood) = (panel.shot, panel.angle, panel.time_of_day, panel.mood);
        let base = match (shot, angle) {
            (Shot::Wide, Angle::Eye) => 0.52,
            (Shot::Wide, Angle::High) => 0.2,
            (Shot::Wide, Angle::Low) => 0.8,
            (_, Angle::Eye) => 0.6,
            (_, Angle::High) => 0.3,
            (_, Angle::Low) => 0.88,
        };
        let horizon = h * (base + rng.range(-0.04, 0.04));
        let japanese = crate::local::analysis::language_of(&panel.action) == Language::Ja;
        let vanish_x = w * rng.range(0.35, 0.65);
        Self { w, h, horizon, vanish_x, shot, angle, time, mood, empty, japanese, wants_view: false }
    }

    /// A colour as lit by the time of day and coloured by the mood.
    pub fn lit(&self, c: Rgb) -> Rgb {
        let c = match self.time {
            TimeOfDay::Night => c.mix(Rgb(22, 30, 70), 0.6),
            TimeOfDay::Evening => c.mix(Rgb(235, 130, 70), 0.28),
            TimeOfDay::Morning => c.mix(Rgb(255, 238, 215), 0.15),
            TimeOfDay::Day | TimeOfDay::Unknown => c,
        };
        match self.mood {
            Mood::Dark => c.mix(Rgb(10, 6, 12), 0.35),
            Mood::Melancholy => c.mix(Rgb(120, 125, 140), 0.3),
            Mood::Mysterious => c.mix(Rgb(70, 50, 110), 0.22),
            Mood::Tense => c.mix(Rgb(20, 16, 26), 0.12),
            Mood::Warm => c.mix(Rgb(250, 215, 170), 0.12),
            Mood::Calm | Mood::Comic => c,
        }
    }

    /// A background colour: lit, then softened towards paper (less at night
    /// and in dark moods) so the inked figures stand out in front.
    pub fn bg(&self, c: Rgb) -> Rgb {
        let soft = match (self.time, self.mood) {
            (TimeOfDay::Night, _) | (_, Mood::Dark) => 0.0,
            (_, Mood::Tense) => 0.1,
            _ => 0.25,
        };
        self.lit(c).mix(PAPER, soft)
    }

    /// Whether it is night.
    pub fn night(&self) -> bool {
        self.time == TimeOfDay::Night
    }

    /// Ink line width for scenery, scaled with the panel.
    pub fn ink(&self) -> f32 {
        (self.w.min(self.h) / 400.0).clamp(0.8, 2.2)
    }
}

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

/// Sky colours (top, bottom) for the time of day.
pub fn sky_colors(stage: &Stage) -> (Rgb, Rgb) {
    match stage.time {
        TimeOfDay::Night => (Rgb(8, 12, 36), Rgb(40, 52, 100)),
        TimeOfDay::Evening => (Rgb(80, 80, 150), Rgb(250, 160, 95)),
        TimeOfDay::Morning => (Rgb(140, 185, 228), Rgb(250, 228, 205)),
        TimeOfDay::Day | TimeOfDay::Unknown => (Rgb(110, 165, 222), Rgb(214, 232, 246)),
    }
}

/// The sky down to `bottom`: gradient, then stars and moon at night, a low
/// sun in the evening, clouds by day.
pub fn sky(pen: &mut Pen, stage: &Stage, bottom: f32, rng: &mut Rng, tones: &Tones) {
    if bottom <= 0.0 {
        return;
    }
    let (top, low) = sky_colors(stage);
    let mood = |c: Rgb| Stage { time: TimeOfDay::Day, ..*stage }.bg(c);
    effects::vertical_gradient(pen, (0.0, 0.0, stage.w, bottom), mood(top), mood(low));
    let ink = stage.ink();
    match stage.time {
        TimeOfDay::Night => {
            let stars: Vec<(f32, f32, f32)> = (0..(stage.w * bottom / 2500.0) as usize)
                .map(|_| (rng.range(0.0, stage.w), rng.range(0.0, bottom * 0.9), rng.range(1.0, 3.5) * ink))
                .collect();
            pen.fill_a(effects::glints(&stars), Rgb(255, 250, 220), 0.9);
            let r = stage.w.min(stage.h) * 0.07;
            let (mx, my) = (stage.w * rng.range(0.15, 0.85), bottom.min(stage.h) * rng.range(0.15, 0.4));
            pen.fill_a(pen::ellipse(mx, my, r * 1.8, r * 1.8), Rgb(255, 245, 200), 0.12);
            pen.shape(pen::ellipse(mx, my, r, r), Rgb(250, 240, 200), ink);
        }
        TimeOfDay::Evening => {
            let r = stage.w.min(stage.h) * 0.09;
            let sx = stage.w * rng.range(0.2, 0.8);
            pen.fill_a(pen::ellipse(sx, bottom, r * 2.0, r * 2.0), Rgb(255, 220, 150), 0.3);
            pen.fill(pen::ellipse(sx, bottom, r, r), Rgb(255, 200, 120));
            clouds(pen, stage, bottom, 3, rng, tones);
        }
        _ => clouds(pen, stage, bottom, if stage.empty { 5 } else { 3 }, rng, tones),
    }
}

/// Puffy clouds: a flat-bottomed heap of round bumps. All bumps are inked
/// first and filled after, so only the heap's outer outline shows.
pub fn clouds(pen: &mut Pen, stage: &Stage, bottom: f32, count: usize, rng: &mut Rng, tones: &Tones) {
    let color = stage.bg(Rgb(255, 255, 255));
    for _ in 0..count {
        let cx = rng.range(-0.1, 1.1) * stage.w;
        let cy = rng.range(0.1, 0.75) * bottom;
        let s = stage.w.max(stage.h) * rng.range(0.025, 0.05);
        let mut pb = PathBuilder::new();
        if let Some(base) = manga_render::tiny_skia::Rect::from_xywh(cx - s * 3.0, cy - s * 0.6, s * 6.0, s * 1.2) {
            pb.push_oval(base);
        }
        let bumps = 4 + rng.below(3);
        for i in 0..bumps {
            let t = (i as f32 + 0.5) / bumps as f32;
            let r = s * rng.range(0.8, 1.3) * (1.0 - (t - 0.5).abs());
            pb.push_circle(cx + (t - 0.5) * s * 5.0, cy - r * 0.6 - (1.0 - (t - 0.5).abs() * 2.0) * s * 0.5, r * 1.4);
        }
        let Some(path) = pb.finish() else { continue };
        pen.stroke_a(Some(&path), INK, stage.ink() * 2.0, 0.7);
        pen.fill(Some(path), color);
        pen.fill_shader(pen::ellipse(cx, cy + s * 0.1, s * 2.6, s * 0.4), tones.light.shader(0.6));
    }
}

/// Ground from the horizon down, in a flat colour with a tone fade.
pub fn ground(pen: &mut Pen, stage: &Stage, color: Rgb, tones: &Tones) {
    let top = stage.horizon.max(0.0);
    if top >= stage.h {
        return;
    }
    effects::vertical_gradient(pen, (0.0, top, stage.w, stage.h - top), stage.bg(shade(color, -0.2)), stage.bg(color));
    effects::tone_gradient(pen, &tones.light, (0.0, top, stage.w, stage.h - top), 0.35, false);
    pen.ink(pen::polyline(&[(0.0, stage.horizon), (stage.w, stage.horizon)]).as_ref(), stage.ink());
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
