//! Clothes by [`OutfitKind`]: the torso shape, legs or long hems, sleeves,
//! and the details that tell outfits apart (sash, tie, plates, torn hem).

use manga_domain::{Build, Look, OutfitKind, Rgb};
use manga_render::tiny_skia::{Path, PathBuilder, Transform};

use super::body::Body;
use super::effects::Tones;
use super::pen::{self, Pen, shade};

/// How an outfit dresses the arms.
pub struct Sleeves {
    /// Sleeve colour.
    pub color: Rgb,
    /// Sleeve width as a multiple of the arm's.
    pub width: f32,
    /// Bare forearms (short sleeves).
    pub short: bool,
}

/// The sleeves of `look`'s outfit.
pub fn sleeves(look: &Look) -> Sleeves {
    let (width, short) = match look.outfit {
        OutfitKind::Kimono | OutfitKind::Robe => (1.7, false),
        OutfitKind::Armor => (1.25, false),
        OutfitKind::Casual | OutfitKind::Rags | OutfitKind::Dress => (1.0, true),
        OutfitKind::Suit | OutfitKind::Uniform => (1.0, false),
    };
    Sleeves { color: look.outfit_color, width, short }
}

/// Where the garment's hem is (local y) and how wide, and whether legs show.
fn hem(look: &Look, b: &Body) -> (f32, f32, bool) {
    let flare = if matches!(look.build, Build::Heavy) { 1.1 } else { 1.0 };
    match look.outfit {
        OutfitKind::Kimono => (-b.h * 0.03, b.hw * 1.05 * flare, false),
        OutfitKind::Robe => (-b.h * 0.02, b.hw * 1.4 * flare, false),
        OutfitKind::Dress => (b.knee_y + b.h * 0.04, b.hw * 1.6 * flare, true),
        OutfitKind::Rags => (b.hip_y + (b.knee_y - b.hip_y) * 0.55, b.hw * 1.15 * flare, true),
        OutfitKind::Suit | OutfitKind::Uniform | OutfitKind::Armor => (b.hip_y + b.h * 0.03, b.hw * 1.02, true),
        OutfitKind::Casual => (b.hip_y + b.h * 0.01, b.hw, true),
    }
}

/// Legs and feet (through `legs`, which does not stoop), then the torso
/// garment and its details (through the pen's own transform).
#[allow(clippy::too_many_arguments)]
pub fn draw_outfit(pen: &mut Pen, look: &Look, b: &Body, stride: f32, tones: &Tones, ink: f32, legs: Transform) {
    let (hem_y, hem_w, legs_show) = hem(look, b);
    let torso_ts = std::mem::replace(&mut pen.ts, legs);
    let a = b.head.a;
    let feet = [(-b.hw * 0.45 - stride, 0.0), (b.hw * 0.45 + stride, 0.0)];
    if legs_show {
        let leg_color = match look.outfit {
            OutfitKind::Suit | OutfitKind::Uniform => shade(look.outfit_color, 0.35),
            OutfitKind::Casual => look.accent_color.mix(Rgb(60, 80, 120), 0.5),
            OutfitKind::Armor => shade(look.outfit_color, 0.2),
            OutfitKind::Rags | OutfitKind::Dress => look.skin,
            OutfitKind::Kimono | OutfitKind::Robe => look.outfit_color,
        };
        for (i, &(fx, _)) in feet.iter().enumerate() {
            let side = if i == 0 { -1.0 } else { 1.0 };
            let hip = (side * b.hw * 0.48, b.hip_y);
            let knee = ((hip.0 + fx) / 2.0 + a * 0.05, b.knee_y);
            pen.limb(&[hip, knee, (fx, -b.h * 0.04)], leg_color, b.leg_w, ink);
        }
    }
    let shoe = match look.outfit {
        OutfitKind::Rags => look.skin,
        OutfitKind::Kimono | OutfitKind::Robe => Rgb(120, 85, 60),
        _ => Rgb(45, 38, 40),
    };
    for &(fx, _) in &feet {
        pen.shape(pen::ellipse(fx + a * 0.18, -b.h * 0.018, a * 0.42, b.h * 0.022), shoe, ink);
    }
    pen.ts = torso_ts;
    let body = torso(b, hem_y, hem_w, look.outfit == OutfitKind::Rags);
    pen.shape(body, look.outfit_color, ink);
    // Shadow on the side turned away from the light, in screentone.
    pen.fill_shader(
        pen::polygon(&[
            (-b.sw * 0.95, b.shoulder_y + b.h * 0.03),
            (-b.sw * 0.55, b.shoulder_y + b.h * 0.02),
            (-b.ww * 0.5, b.waist_y),
            (-hem_w * 0.55, hem_y - b.h * 0.01),
            (-hem_w * 0.95, hem_y - b.h * 0.01),
            (-b.ww * 0.97, b.waist_y),
        ]),
        tones.medium.shader(0.5),
    );
    draw_details(pen, look, b, hem_y, hem_w, ink);
}

/// The garment's outline: shoulders, waist, and a hem that is straight or torn.
fn torso(b: &Body, hem_y: f32, hem_w: f32, torn: bool) -> Option<Path> {
    let sy = b.shoulder_y;
    let drop = b.h * 0.035;
    let mut pb = PathBuilder::new();
    pb.move_to(-b.sw * 0.6, sy - b.h * 0.01);
    pb.line_to(b.sw * 0.6, sy - b.h * 0.01);
    pb.quad_to(b.sw, sy - b.h * 0.005, b.sw, sy + drop);
    pb.line_to(b.ww, b.waist_y);
    pb.line_to(hem_w, hem_y);
    if torn {
        let n = 7;
        for i in 1..n {
            let t = i as f32 / n as f32;
            let dy = if i % 2 == 0 { -b.h * 0.015 } else { b.h * 0.025 };
            pb.line_to(hem_w - 2.0 * hem_w * t, hem_y + dy);
        }
    }
    pb.line_to(-hem_w, hem_y);
    pb.line_to(-b.ww, b.waist_y);
    pb.line_to(-b.sw, sy + drop);
    pb.quad_to(-b.sw, sy - b.h * 0.005, -b.sw * 0.6, sy - b.h * 0.01);
    pb.close();
    pb.finish()
}

fn draw_details(pen: &mut Pen, look: &Look, b: &Body, hem_y: f32, hem_w: f32, ink: f32) {
    let a = b.head.a;
    let sy = b.shoulder_y;
    let accent = look.accent_color;
    let line = |pen: &mut Pen, pts: &[(f32, f32)], w: f32| pen.ink(pen::polyline(pts).as_ref(), w);
    match look.outfit {
        OutfitKind::Kimono | OutfitKind::Robe => {
            // Crossed collar, left over right, with the white under-collar.
            let collar = [(-a * 0.4, sy - b.h * 0.01), (a * 0.35, b.waist_y - b.h * 0.02), (a * 0.45, sy - b.h * 0.01)];
            pen.shape(pen::polygon(&collar), Rgb(244, 240, 230), ink);
            pen.limb(
                &[(-a * 0.45, sy - b.h * 0.005), (a * 0.3, b.waist_y - b.h * 0.02)],
                accent.mix(look.outfit_color, 0.3),
                a * 0.12,
                ink * 0.7,
            );
            if look.outfit == OutfitKind::Kimono {
                let (top, bot) = (b.waist_y - b.h * 0.03, b.waist_y + b.h * 0.035);
                pen.shape(
                    pen::polygon(&[(-b.ww * 1.03, top), (b.ww * 1.03, top), (b.ww * 1.06, bot), (-b.ww * 1.06, bot)]),
                    accent,
                    ink,
                );
                line(pen, &[(a * 0.2, b.waist_y + b.h * 0.035), (a * 0.1, hem_y)], ink * 0.7);
            } else {
                // A monk's kesa: a band from the shoulder across the chest.
                let band = [
                    (-b.sw * 0.9, sy + b.h * 0.01),
                    (-b.sw * 0.5, sy),
                    (b.ww * 1.0, b.hip_y),
                    (b.ww * 0.7, b.hip_y + b.h * 0.06),
                ];
                pen.shape(pen::polygon(&band), accent, ink);
                pen.limb(&[(-b.ww, b.waist_y), (b.ww, b.waist_y)], shade(accent, 0.3), a * 0.08, ink * 0.6);
            }
        }
        OutfitKind::Suit => {
            let v = [(-a * 0.35, sy - b.h * 0.01), (a * 0.35, sy - b.h * 0.01), (0.0, b.waist_y - b.h * 0.02)];
            pen.shape(pen::polygon(&v), Rgb(246, 246, 242), ink);
            pen.shape(
                pen::polygon(&[
                    (-a * 0.08, sy),
                    (a * 0.08, sy),
                    (a * 0.1, b.waist_y - b.h * 0.06),
                    (0.0, b.waist_y - b.h * 0.03),
                    (-a * 0.1, b.waist_y - b.h * 0.06),
                ]),
                accent,
                ink * 0.8,
            );
            line(pen, &[(-a * 0.55, sy), (-a * 0.15, b.waist_y)], ink * 0.8);
            line(pen, &[(a * 0.55, sy), (a * 0.15, b.waist_y)], ink * 0.8);
            line(pen, &[(0.0, b.waist_y - b.h * 0.02), (0.0, hem_y)], ink * 0.7);
            for k in 0..2 {
                pen.shape(
                    pen::ellipse(a * 0.08, b.waist_y + b.h * (0.01 + 0.045 * k as f32), a * 0.06, a * 0.06),
                    shade(look.outfit_color, 0.5),
                    ink * 0.5,
                );
            }
        }
        OutfitKind::Uniform => {
            pen.shape(
                pen::polygon(&[
                    (-a * 0.42, sy - b.h * 0.03),
                    (a * 0.42, sy - b.h * 0.03),
                    (a * 0.4, sy + b.h * 0.01),
                    (-a * 0.4, sy + b.h * 0.01),
                ]),
                shade(look.outfit_color, 0.25),
                ink,
            );
            line(pen, &[(0.0, sy + b.h * 0.01), (0.0, hem_y)], ink * 0.7);
            for k in 0..4 {
                let y = sy + b.h * 0.035 + (b.waist_y - sy) * 0.3 * k as f32;
                pen.shape(pen::ellipse(a * 0.12, y, a * 0.07, a * 0.07), accent, ink * 0.5);
            }
            pen.limb(
                &[(-b.ww * 1.02, b.waist_y + b.h * 0.02), (b.ww * 1.02, b.waist_y + b.h * 0.02)],
                shade(look.outfit_color, 0.45),
                a * 0.14,
                ink * 0.6,
            );
        }
        OutfitKind::Casual => {
            pen.shape(
                pen::curve((-a * 0.35, sy - b.h * 0.01), (0.0, sy + b.h * 0.03), (a * 0.35, sy - b.h * 0.01)),
                look.skin,
                ink * 0.8,
            );
            pen.limb(
                &[(-b.ww * 0.95, b.waist_y - b.h * 0.05), (b.ww * 0.95, b.waist_y - b.h * 0.05)],
                accent,
                a * 0.14,
                ink * 0.5,
            );
        }
        OutfitKind::Armor => {
            for k in 1..4 {
                let y = sy + (b.waist_y - sy) * k as f32 / 4.0;
                line(pen, &[(-b.ww * 1.05, y), (0.0, y + b.h * 0.01), (b.ww * 1.05, y)], ink * 0.8);
            }
            pen.limb(
                &[(-b.ww * 1.05, b.waist_y + b.h * 0.01), (b.ww * 1.05, b.waist_y + b.h * 0.01)],
                accent,
                a * 0.16,
                ink * 0.7,
            );
            for side in [-1.0, 1.0] {
                pen.shape(
                    pen::ellipse(side * b.sw * 0.95, sy + b.h * 0.015, b.sw * 0.42, b.h * 0.035),
                    shade(look.outfit_color, -0.15),
                    ink,
                );
                let tx = side * b.ww * 0.55;
                pen.shape(
                    pen::polygon(&[
                        (tx - a * 0.35, b.waist_y + b.h * 0.025),
                        (tx + a * 0.35, b.waist_y + b.h * 0.025),
                        (tx + a * 0.45, b.hip_y + b.h * 0.06),
                        (tx - a * 0.45, b.hip_y + b.h * 0.06),
                    ]),
                    shade(look.outfit_color, 0.1),
                    ink,
                );
            }
        }
        OutfitKind::Rags => {
            line(pen, &[(-b.ww * 0.5, b.waist_y - b.h * 0.04), (-b.ww * 0.1, b.waist_y - b.h * 0.01)], ink * 0.6);
            pen.shape(
                pen::polygon(&[
                    (a * 0.1, sy + b.h * 0.05),
                    (a * 0.45, sy + b.h * 0.06),
                    (a * 0.42, sy + b.h * 0.1),
                    (a * 0.08, sy + b.h * 0.09),
                ]),
                shade(look.outfit_color, -0.25),
                ink * 0.6,
            );
            pen.limb(
                &[(-b.ww * 1.0, b.waist_y), (a * 0.1, b.waist_y + b.h * 0.01), (b.ww * 1.0, b.waist_y - b.h * 0.01)],
                Rgb(140, 110, 80),
                a * 0.1,
                ink * 0.5,
            );
        }
        OutfitKind::Dress => {
            pen.shape(
                pen::curve((-a * 0.4, sy - b.h * 0.01), (0.0, sy + b.h * 0.05), (a * 0.4, sy - b.h * 0.01)),
                look.skin,
                ink * 0.8,
            );
            pen.limb(&[(-b.ww * 1.02, b.waist_y), (b.ww * 1.02, b.waist_y)], accent, a * 0.16, ink * 0.6);
            pen.shape(pen::ellipse(b.ww * 0.7, b.waist_y, a * 0.18, a * 0.12), accent, ink * 0.6);
            for k in [-0.5, 0.0, 0.5] {
                line(pen, &[(k * b.ww, b.waist_y + b.h * 0.03), (k * hem_w * 1.2, hem_y - b.h * 0.01)], ink * 0.5);
            }
        }
    }
}
