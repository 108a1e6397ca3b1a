//! A head: face shape, eyes, brows, nose, mouth, hair and spectacles, drawn
//! in a figure's local units around the head's centre, facing right (the
//! figure's transform mirrors it to face left).

use manga_domain::{AgeGroup, HairStyle, Look, Rgb};
use manga_render::tiny_skia::{Path, PathBuilder};

use super::effects::Tones;
use super::pen::{self, INK, Pen, shade};

/// How the face looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expression {
    /// A closed, straight mouth.
    Neutral,
    /// A smile, eyes closed in happy arcs.
    Smile,
    /// A gentle smile with open eyes.
    Content,
    /// A frown, knitted brows.
    Frown,
    /// A sad look, brows raised inside.
    Sad,
    /// Speaking: the mouth open.
    Talking,
    /// Shouting or shocked: a wide mouth, knitted brows.
    Shout,
}

/// A head's half-width `a` and half-height `b` in local units.
#[derive(Debug, Clone, Copy)]
pub struct HeadSize {
    /// Half the width.
    pub a: f32,
    /// Half the height (crown to chin).
    pub b: f32,
}

/// How far hair rises above the skull, in multiples of `b`.
pub fn hair_rise(style: HairStyle) -> f32 {
    match style {
        HairStyle::Spiky => 0.55,
        HairStyle::Bun => 0.75,
        HairStyle::Bald => 0.0,
        HairStyle::Long | HairStyle::Bob => 0.16,
        HairStyle::Short | HairStyle::Ponytail => 0.12,
    }
}

/// The box of the head with its hair (not hanging locks), relative to the
/// head's centre: `(left, top, right, bottom)`.
pub fn head_box(look: &Look, s: HeadSize) -> (f32, f32, f32, f32) {
    let side = if look.hair_style == HairStyle::Bald { 1.05 } else { 1.18 };
    (-s.a * side, -s.b * (1.0 + hair_rise(look.hair_style)), s.a * side, s.b)
}

/// The mouth's centre relative to the head's centre.
pub fn mouth_point(s: HeadSize) -> (f32, f32) {
    (s.a * 0.3, s.b * 0.62)
}

/// Hair behind the head and body (long hair, ponytail, bun, bob's back).
pub fn draw_back_hair(pen: &mut Pen, look: &Look, s: HeadSize, ink: f32) {
    let (a, b) = (s.a, s.b);
    let hair = look.hair_color;
    let path = match look.hair_style {
        HairStyle::Long => pen::blob(&[
            (-a * 1.25, -b * 0.9),
            (a * 0.9, -b * 1.2),
            (a * 1.25, b * 0.4),
            (a * 1.05, b * 2.9),
            (a * 0.1, b * 3.2),
            (-a * 1.4, b * 3.0),
            (-a * 1.5, b * 0.6),
        ]),
        HairStyle::Bob => pen::blob(&[
            (-a * 1.3, -b * 0.8),
            (a * 1.0, -b * 1.25),
            (a * 1.3, b * 0.5),
            (a * 0.9, b * 1.05),
            (-a * 1.3, b * 1.1),
            (-a * 1.4, b * 0.3),
        ]),
        HairStyle::Ponytail => {
            let tail = pen::blob(&[
                (-a * 0.7, -b * 0.75),
                (-a * 1.6, -b * 0.6),
                (-a * 2.0, b * 0.6),
                (-a * 1.7, b * 1.9),
                (-a * 1.35, b * 0.5),
                (-a * 0.9, -b * 0.2),
            ]);
            pen.shape(tail, hair, ink);
            pen.shape(pen::ellipse(-a * 1.0, -b * 0.55, a * 0.17, b * 0.16), look.accent_color, ink * 0.8);
            None
        }
        HairStyle::Bun => pen::ellipse(-a * 0.25, -b * 1.3, a * 0.5, b * 0.42),
        HairStyle::Short | HairStyle::Spiky | HairStyle::Bald => None,
    };
    pen.shape(path, hair, ink);
}

/// The face: skin, ear, eyes, brows, nose and mouth.
pub fn draw_face(pen: &mut Pen, look: &Look, s: HeadSize, expression: Expression, tones: &Tones, ink: f32) {
    let (a, b) = (s.a, s.b);
    // Ear on the far side of the face (the back, for a face turned right).
    pen.shape(pen::ellipse(-a * 0.82, b * 0.12, a * 0.16, b * 0.2), look.skin, ink * 0.8);
    pen.shape(face_outline(s), look.skin, ink);
    // Shade under the hairline and at the back of the jaw.
    pen.fill_shader(
        pen::polygon(&[(-a * 0.9, b * 0.1), (-a * 0.55, b * 0.2), (-a * 0.35, b * 0.75), (-a * 0.65, b * 0.55)]),
        tones.light.shader(0.6),
    );
    let c = a * 0.22; // the face's centre line, turned towards +x
    let eye_h = match look.age {
        AgeGroup::Child => 0.5,
        AgeGroup::Young => 0.44,
        AgeGroup::Adult => 0.32,
        AgeGroup::Old => 0.2,
    } * b;
    let ey = b * 0.12;
    let brow_tilt = match expression {
        Expression::Frown | Expression::Shout => 0.18,
        Expression::Sad => -0.16,
        _ => 0.0,
    } * b;
    for (ex, ew) in [(c - a * 0.42, a * 0.2), (c + a * 0.4, a * 0.15)] {
        let inner = if ex < c { 1.0 } else { -1.0 }; // direction towards the nose
        draw_eye(pen, look, ex, ey, ew, eye_h, expression, ink);
        let by = ey - eye_h * 0.75 - b * 0.1;
        pen.ink(
            pen::curve(
                (ex - inner * ew * 1.1, by + brow_tilt * -0.3),
                (ex, by - b * 0.06),
                (ex + inner * ew * 1.1, by + brow_tilt),
            )
            .as_ref(),
            ink * 1.2,
        );
        if look.age == AgeGroup::Old {
            let wx = ex - inner * ew * 1.4;
            pen.ink(
                pen::curve((wx, ey), (wx - inner * a * 0.04, ey + b * 0.06), (wx, ey + b * 0.12)).as_ref(),
                ink * 0.5,
            );
        }
    }
    // Nose: a small tick towards the turned side.
    pen.ink(
        pen::polyline(&[(c + a * 0.08, b * 0.3), (c + a * 0.16, b * 0.44), (c + a * 0.06, b * 0.46)]).as_ref(),
        ink * 0.7,
    );
    draw_mouth(pen, s, expression, ink);
    if matches!(expression, Expression::Smile | Expression::Content) || look.age == AgeGroup::Child {
        let blush = pen::ellipse(c - a * 0.42, b * 0.45, a * 0.16, b * 0.06);
        pen.fill_a(blush, Rgb(235, 120, 120), 0.35);
    }
}

/// The skin outline of the head: a round skull, a jaw tapering to a chin
/// that is turned towards +x.
fn face_outline(s: HeadSize) -> Option<Path> {
    let (a, b) = (s.a, s.b);
    let mut pb = PathBuilder::new();
    pb.move_to(-a, -b * 0.05);
    pb.cubic_to(-a, -b * 1.33, a, -b * 1.33, a, -b * 0.05);
    pb.quad_to(a * 1.02, b * 0.55, a * 0.3, b);
    pb.quad_to(-a * 0.55, b * 0.95, -a * 0.92, b * 0.35);
    pb.close();
    pb.finish()
}

/// One eye: white, iris in the eye colour, pupil, highlight and lashes.
#[allow(clippy::too_many_arguments)]
fn draw_eye(pen: &mut Pen, look: &Look, x: f32, y: f32, w: f32, h: f32, expression: Expression, ink: f32) {
    if expression == Expression::Smile {
        // Happy eyes: closed upward arcs.
        pen.ink(pen::curve((x - w, y + h * 0.15), (x, y - h * 0.6), (x + w, y + h * 0.15)).as_ref(), ink * 1.4);
        return;
    }
    let open = if expression == Expression::Shout { 1.1 } else { 1.0 };
    pen.fill(pen::ellipse(x, y, w, h * 0.5 * open), Rgb(255, 255, 255));
    let iris_w = w * if expression == Expression::Shout { 0.45 } else { 0.7 };
    pen.fill(pen::ellipse(x + w * 0.1, y + h * 0.04, iris_w, h * 0.48 * open), look.eye_color);
    pen.fill(pen::ellipse(x + w * 0.1, y - h * 0.12, iris_w, h * 0.22), shade(look.eye_color, 0.35));
    pen.fill(pen::ellipse(x + w * 0.1, y + h * 0.06, iris_w * 0.45, h * 0.22), INK);
    pen.fill(pen::ellipse(x - w * 0.15, y - h * 0.15, w * 0.2, h * 0.12), Rgb(255, 255, 255));
    // Upper lash line, heavier, and a thin lower line.
    let lash = pen::curve((x - w * 1.15, y + h * 0.05), (x, y - h * 0.75 * open), (x + w * 1.1, y - h * 0.05));
    pen.ink(lash.as_ref(), ink * 2.0);
    pen.ink(pen::curve((x - w * 0.7, y + h * 0.5), (x, y + h * 0.62), (x + w * 0.7, y + h * 0.48)).as_ref(), ink * 0.6);
}

fn draw_mouth(pen: &mut Pen, s: HeadSize, expression: Expression, ink: f32) {
    let (mx, my) = mouth_point(s);
    let (a, b) = (s.a, s.b);
    match expression {
        Expression::Neutral => {
            pen.ink(pen::curve((mx - a * 0.12, my), (mx, my + b * 0.01), (mx + a * 0.1, my)).as_ref(), ink)
        }
        Expression::Smile | Expression::Content => pen.ink(
            pen::curve((mx - a * 0.18, my - b * 0.03), (mx, my + b * 0.1), (mx + a * 0.15, my - b * 0.04)).as_ref(),
            ink,
        ),
        Expression::Frown | Expression::Sad => pen.ink(
            pen::curve((mx - a * 0.15, my + b * 0.04), (mx, my - b * 0.05), (mx + a * 0.13, my + b * 0.04)).as_ref(),
            ink,
        ),
        Expression::Talking | Expression::Shout => {
            let (w, h) = if expression == Expression::Shout { (a * 0.2, b * 0.16) } else { (a * 0.13, b * 0.08) };
            let mut pb = PathBuilder::new();
            pb.move_to(mx - w, my - h * 0.4);
            pb.quad_to(mx, my - h * 0.7, mx + w, my - h * 0.4);
            pb.quad_to(mx + w * 0.3, my + h * 1.5, mx - w, my - h * 0.4);
            pb.close();
            pen.shape(pb.finish(), Rgb(150, 50, 60), ink);
        }
    }
}

/// Hair over the face: the cap, fringe or spikes, and front locks.
pub fn draw_front_hair(pen: &mut Pen, look: &Look, s: HeadSize, tones: &Tones, ink: f32) {
    let (a, b) = (s.a, s.b);
    let hair = look.hair_color;
    if look.hair_style == HairStyle::Bald {
        pen.fill_a(pen::ellipse(a * 0.15, -b * 0.7, a * 0.25, b * 0.1), Rgb(255, 255, 255), 0.5);
        return;
    }
    let rise = hair_rise(look.hair_style).min(0.2);
    let mut pb = PathBuilder::new();
    let nape = match look.hair_style {
        HairStyle::Short | HairStyle::Spiky => b * 0.3,
        _ => b * 0.6,
    };
    pb.move_to(-a * 1.08, nape);
    if look.hair_style == HairStyle::Spiky {
        let n = 7;
        for i in 0..=n {
            let t = i as f32 / n as f32;
            let ang = std::f32::consts::PI * (1.05 + 0.9 * t);
            let (r, spike) = (1.08, if i % 2 == 0 { 1.0 } else { 1.55 });
            let lean = if i % 2 == 0 { 0.0 } else { -a * 0.25 };
            pb.line_to(ang.cos() * a * r * spike + lean, ang.sin() * b * r * spike - b * 0.05);
        }
    } else {
        let top = -b * (1.5 + rise * 1.33);
        pb.cubic_to(-a * 1.3, top, a * 1.25, top, a * 1.08, -b * 0.05);
    }
    // Front side lock down the temple, then the fringe back across the brow.
    let temple = match look.hair_style {
        HairStyle::Long | HairStyle::Bob => b * 0.55,
        _ => b * 0.05,
    };
    pb.line_to(a * 1.02, temple);
    pb.line_to(a * 0.78, -b * 0.25);
    let tips = 5;
    for i in 0..tips {
        let t = (i as f32 + 0.5) / tips as f32;
        let x = a * 0.78 - t * a * 1.6;
        let deep = if look.hair_style == HairStyle::Bob { -b * 0.22 } else { -b * 0.18 - (i % 2) as f32 * b * 0.12 };
        pb.line_to(x + a * 0.12, deep);
        pb.line_to(x - a * 0.06, -b * 0.5);
    }
    pb.line_to(-a * 0.72, -b * 0.3);
    pb.line_to(-a * 0.8, b * 0.05);
    pb.close();
    let cap = pb.finish();
    pen.fill(cap.clone(), hair);
    // Shade the back of the hair with tone, then the shine ring.
    pen.fill_shader(
        pen::polygon(&[
            (-a * 1.0, b * 0.15),
            (-a * 0.95, -b * 0.4),
            (-a * 0.6, -b * 0.75),
            (-a * 0.5, -b * 0.5),
            (-a * 0.6, 0.0),
        ]),
        tones.medium.shader(0.45),
    );
    pen.ink(cap.as_ref(), ink);
    // The shine: a broken ring of short highlights, not a band.
    for (x0, x1) in [(-0.4, -0.22), (-0.1, 0.2), (0.33, 0.52)] {
        let y = |x: f32| -b * (0.98 - 0.35 * (x - 0.06) * (x - 0.06));
        let shine = pen::curve((a * x0, y(x0)), (a * (x0 + x1) / 2.0, y((x0 + x1) / 2.0) - b * 0.02), (a * x1, y(x1)));
        pen.stroke_a(shine.as_ref(), pen::PAPER, ink * 2.0, 0.6);
    }
    if look.hair_style == HairStyle::Long {
        // A lock falling in front of the near shoulder.
        let lock = pen::blob(&[
            (a * 0.95, b * 0.1),
            (a * 1.25, b * 0.6),
            (a * 1.2, b * 2.3),
            (a * 0.9, b * 2.0),
            (a * 0.95, b * 0.7),
        ]);
        pen.shape(lock, hair, ink);
        // And a wider fall over the far shoulder.
        let fall = pen::blob(&[
            (-a * 0.8, -b * 0.2),
            (-a * 1.35, b * 0.4),
            (-a * 1.6, b * 2.6),
            (-a * 1.0, b * 2.4),
            (-a * 0.85, b * 0.9),
        ]);
        pen.shape(fall, hair, ink);
    }
}

/// Round glasses over both eyes.
pub fn draw_spectacles(pen: &mut Pen, s: HeadSize, ink: f32) {
    let (a, b) = (s.a, s.b);
    let c = a * 0.22;
    let (ey, r) = (b * 0.12, a * 0.26);
    let left = pen::ellipse(c - a * 0.42, ey, r, r * 0.85);
    let right = pen::ellipse(c + a * 0.42, ey, r * 0.8, r * 0.85);
    pen.fill_a(left.clone(), Rgb(220, 235, 245), 0.25);
    pen.fill_a(right.clone(), Rgb(220, 235, 245), 0.25);
    pen.ink(left.as_ref(), ink * 1.1);
    pen.ink(right.as_ref(), ink * 1.1);
    pen.ink(pen::polyline(&[(c - a * 0.16, ey - r * 0.2), (c + a * 0.1, ey - r * 0.2)]).as_ref(), ink);
    pen.ink(pen::polyline(&[(c - a * 0.68, ey - r * 0.1), (-a * 0.85, ey - r * 0.25)]).as_ref(), ink);
}
