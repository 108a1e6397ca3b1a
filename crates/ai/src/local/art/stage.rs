//! The camera and light of one panel ([`Stage`]), and what every kind of
//! place paints with it: the sky, clouds and the ground.

use manga_domain::{Angle, Language, Mood, PanelPlan, Rgb, Shot, TimeOfDay};
use manga_render::tiny_skia::PathBuilder;

use super::effects::{self, Tones};
use super::pen::{self, INK, PAPER, Pen, shade};
use super::rng::Rng;

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
