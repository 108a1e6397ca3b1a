//! A whole figure: proportions from the character's look, a pose, and the
//! drawing order (back hair, far arm, legs and clothes, head, near arm).
//!
//! Figures are drawn in local units (an average adult is 100 tall, feet at
//! the origin, facing +x) and placed on the panel by one transform, so a
//! wide shot, a medium shot and a close-up are the same drawing at
//! different scales; the panel clips what falls outside.

use manga_domain::{AgeGroup, Look, Point, Rect};
use manga_render::tiny_skia::{Pixmap, Transform};

use super::body::Body;
use super::effects::Tones;
use super::head::{self, Expression};
use super::outfit;
use super::pen::{self, Pen};

/// What an arm does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arm {
    /// Hanging at the side.
    Rest,
    /// Hand on the hip.
    Hip,
    /// Reaching or pointing forward.
    Reach,
    /// Raised high.
    Raise,
    /// Hand at the chin, thinking.
    Chin,
    /// A fist in front of the chest.
    Fist,
}

impl Arm {
    /// Upper-arm and forearm angles from straight down, positive towards
    /// the facing side, for the arm on that side (`front`) or the other.
    fn angles(self, front: bool) -> (f32, f32) {
        let (u, f) = match self {
            Arm::Rest => (0.12, 0.05),
            Arm::Hip => (0.75, -0.95),
            Arm::Reach => (1.25, 1.5),
            Arm::Raise => (2.6, 2.95),
            Arm::Chin => (0.2, 2.75),
            Arm::Fist => (0.7, 2.3),
        };
        match (front, self) {
            (_, Arm::Reach | Arm::Chin | Arm::Fist) | (true, _) => (u, f),
            (false, _) => (-u, -f),
        }
    }
}

/// How a figure stands and looks.
#[derive(Debug, Clone, Copy)]
pub struct Pose {
    /// The arm on the facing side.
    pub front_arm: Arm,
    /// The other arm.
    pub back_arm: Arm,
    /// Head tilt in degrees (positive nods forward).
    pub tilt: f32,
    /// The face.
    pub expression: Expression,
    /// Feet apart (walking), in local units.
    pub stride: f32,
}

/// Where a figure stands on the panel.
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    /// Feet, in panel pixels.
    pub x: f32,
    /// Feet, in panel pixels.
    pub y: f32,
    /// Pixels per local unit.
    pub scale: f32,
    /// Facing right (`true`) or left.
    pub right: bool,
}

/// Where the figure ended up, in panel pixels (not clipped to the panel).
#[derive(Debug, Clone, Copy)]
pub struct Drawn {
    /// The whole figure.
    pub body: Rect,
    /// The head with its hair.
    pub face: Rect,
    /// The mouth.
    pub mouth: Point,
}

/// Where the head will be, before drawing (ignoring tilt and stoop).
pub fn face_estimate(look: &Look, at: &Placement) -> Rect {
    let (l, t, r, b) = Body::of(look).face_box(look);
    Rect::new(at.x + l * at.scale, at.y + t * at.scale, (r - l) * at.scale, (b - t) * at.scale)
}

/// Draws one figure and reports where its body, face and mouth are.
pub fn draw(pixmap: &mut Pixmap, look: &Look, at: &Placement, pose: &Pose, tones: &Tones) -> Drawn {
    let b = Body::of(look);
    let flip = if at.right { 1.0 } else { -1.0 };
    let base = Transform::from_translate(at.x, at.y).pre_scale(at.scale * flip, at.scale);
    // The old stoop: everything above the hips leans forward.
    let stoop = if look.age == AgeGroup::Old { -0.12 } else { 0.0 };
    let upper =
        base.pre_translate(0.0, b.hip_y).pre_concat(Transform::from_skew(stoop, 0.0)).pre_translate(0.0, -b.hip_y);
    let neck = b.head_y + b.head.b;
    let head_ts = upper.pre_translate(0.0, b.head_y).pre_concat(Transform::from_rotate_at(pose.tilt, 0.0, b.head.b));
    let ink = (0.85 * at.scale.sqrt()).clamp(1.0, 4.0);
    let mut pen = Pen { pixmap, ts: head_ts, px: at.scale };

    head::draw_back_hair(&mut pen, look, b.head, ink);
    pen.ts = upper;
    let sleeves = outfit::sleeves(look);
    let back_hand = draw_arm(&mut pen, look, &b, pose.back_arm, false, &sleeves, ink);
    let nw = b.head.a * 0.34;
    pen.shape(pen::rect(-nw, neck - b.head.b * 0.4, nw * 2.0, b.shoulder_y - neck + b.head.b * 0.45), look.skin, ink);
    outfit::draw_outfit(&mut pen, look, &b, pose.stride, tones, ink, base);
    pen.ts = head_ts;
    head::draw_face(&mut pen, look, b.head, pose.expression, tones, ink);
    head::draw_front_hair(&mut pen, look, b.head, tones, ink);
    if look.spectacles {
        head::draw_spectacles(&mut pen, b.head, ink);
    }
    pen.ts = upper;
    let front_hand = draw_arm(&mut pen, look, &b, pose.front_arm, true, &sleeves, ink);

    let (l, t, r, bt) = head::head_box(look, b.head);
    let face = bounds(head_ts, &[(l, t), (r, t), (l, bt), (r, bt)]);
    let (mx, my) = head::mouth_point(b.head);
    let mouth = bounds(head_ts, &[(mx, my)]);
    let reach = b.sw.max(b.hw * 1.6);
    let mut body = bounds(base, &[(-reach, 0.0), (reach, 0.0), (-reach, b.shoulder_y), (reach, b.shoulder_y)]);
    for p in [bounds(upper, &[back_hand, front_hand]), face] {
        body = union(body, p);
    }
    Drawn { body, face, mouth: Point { x: mouth.x, y: mouth.y } }
}

/// Draws an arm (sleeve, bare forearm, hand) and returns the hand's position.
fn draw_arm(
    pen: &mut Pen,
    look: &Look,
    b: &Body,
    arm: Arm,
    front: bool,
    sleeves: &outfit::Sleeves,
    ink: f32,
) -> (f32, f32) {
    let side = if front { 1.0 } else { -1.0 };
    let (u, f) = arm.angles(front);
    let shoulder = (side * (b.sw - b.arm_w * 0.45), b.shoulder_y + b.arm_w * 0.4);
    let elbow = (shoulder.0 + b.arm_len.0 * u.sin(), shoulder.1 + b.arm_len.0 * u.cos());
    let hand = (elbow.0 + b.arm_len.1 * f.sin(), elbow.1 + b.arm_len.1 * f.cos());
    if sleeves.short {
        pen.limb(&[elbow, hand], look.skin, b.arm_w * 0.85, ink);
        pen.limb(&[shoulder, elbow], sleeves.color, b.arm_w * 1.05, ink);
    } else {
        let cuff = (elbow.0 + (hand.0 - elbow.0) * 0.8, elbow.1 + (hand.1 - elbow.1) * 0.8);
        pen.limb(&[shoulder, elbow, cuff], sleeves.color, b.arm_w * sleeves.width, ink);
    }
    pen.shape(pen::ellipse(hand.0, hand.1, b.arm_w * 0.55, b.arm_w * 0.6), look.skin, ink);
    hand
}

/// The pixel bounding box of local points through a transform.
fn bounds(ts: Transform, points: &[(f32, f32)]) -> Rect {
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for &(x, y) in points {
        let mut p = manga_render::tiny_skia::Point::from_xy(x, y);
        ts.map_point(&mut p);
        (x0, y0, x1, y1) = (x0.min(p.x), y0.min(p.y), x1.max(p.x), y1.max(p.y));
    }
    Rect::new(x0, y0, x1 - x0, y1 - y0)
}

fn union(a: Rect, b: Rect) -> Rect {
    let (x, y) = (a.x.min(b.x), a.y.min(b.y));
    Rect::new(x, y, a.right().max(b.right()) - x, a.bottom().max(b.bottom()) - y)
}
