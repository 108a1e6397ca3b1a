//! Outdoor places: sky, water, forest, street, mountain, field, and the
//! two other worlds, hell (fire, needle mountain, blood pool) and heaven
//! (golden light, lotus pond).

use manga_domain::Rgb;
use manga_render::tiny_skia::{PathBuilder, Rect};

use super::effects::{self, Tones};
use super::pen::{self, INK, Pen, shade};
use super::rng::Rng;
use super::stage::{Stage, clouds, ground, sky};

/// Open sky: the horizon sinks to the bottom, clouds fill the panel.
pub fn sky_scene(pen: &mut Pen, stage: &Stage, rng: &mut Rng, tones: &Tones) {
    let st = Stage { horizon: stage.horizon.max(stage.h * 0.85), ..*stage };
    sky(pen, &st, st.h, rng, tones);
    clouds(pen, &st, st.h, if st.empty { 4 } else { 2 }, rng, tones);
    // Birds: small ink ticks.
    for _ in 0..rng.below(5) {
        let (x, y, s) = (rng.range(0.1, 0.9) * st.w, rng.range(0.1, 0.5) * st.h, st.w * 0.015);
        pen.ink(pen::polyline(&[(x - s, y - s * 0.4), (x, y), (x + s, y - s * 0.5)]).as_ref(), st.ink());
    }
}

/// Sea or pond: sky, water bands getting wider towards the viewer,
/// ripples; a pond gets a wooded far shore and lotus leaves.
pub fn water(pen: &mut Pen, stage: &Stage, rng: &mut Rng, tones: &Tones) {
    let pond = rng.chance(0.5);
    sky(pen, stage, stage.horizon, rng, tones);
    if pond {
        treeline(pen, stage, stage.horizon, Rgb(80, 120, 80), rng);
    }
    water_surface(pen, stage, Rgb(70, 135, 180), rng, tones);
    if pond {
        lotus(pen, stage, rng, false);
    }
}

/// The water below the horizon: gradient, bands and ripples.
fn water_surface(pen: &mut Pen, stage: &Stage, color: Rgb, rng: &mut Rng, tones: &Tones) {
    let top = stage.horizon.max(0.0);
    let (w, h) = (stage.w, stage.h);
    effects::vertical_gradient(pen, (0.0, top, w, h - top), stage.bg(shade(color, -0.35)), stage.bg(color));
    effects::tone_gradient(pen, &tones.light, (0.0, top, w, h - top), 0.4, false);
    let mut y = top + 3.0;
    let mut gap = 4.0;
    let mut pb = PathBuilder::new();
    while y < h {
        let x = rng.range(-0.1, 0.9) * w;
        let len = rng.range(0.1, 0.4) * w;
        pb.move_to(x, y);
        pb.line_to(x + len, y);
        y += gap;
        gap *= 1.18;
    }
    if let Some(p) = pb.finish() {
        pen.stroke_a(Some(&p), stage.bg(shade(color, -0.6)), stage.ink() * 1.2, 0.8);
    }
    for _ in 0..3 {
        let (x, y) = (rng.range(0.1, 0.9) * w, rng.range(top + (h - top) * 0.3, h));
        for k in 1..4 {
            let r = k as f32 * w * 0.03;
            pen.stroke_a(pen::ellipse(x, y, r, r * 0.25).as_ref(), INK, stage.ink() * 0.7, 0.5);
        }
    }
    pen.ink(pen::polyline(&[(0.0, stage.horizon), (w, stage.horizon)]).as_ref(), stage.ink());
}

/// Lotus leaves (and in heaven, flowers) floating on the water.
fn lotus(pen: &mut Pen, stage: &Stage, rng: &mut Rng, flowers: bool) {
    let top = stage.horizon.max(0.0);
    let n = if stage.empty { 9 } else { 6 };
    let mut leaves: Vec<(f32, f32)> = (0..n).map(|_| (rng.range(0.0, 1.0) * stage.w, rng.range(0.1, 1.0))).collect();
    leaves.sort_by(|a, b| a.1.total_cmp(&b.1));
    for (x, depth) in leaves {
        let y = top + (stage.h - top) * depth;
        let r = stage.w.min(stage.h) * (0.03 + 0.08 * depth);
        let mut pb = PathBuilder::new();
        pb.move_to(x, y);
        pb.line_to(x + r * 0.3, y - r * 0.3 * 0.35);
        pb.cubic_to(x + r * 1.4, y - r * 0.5, x + r * 1.2, y + r * 0.5, x, y + r * 0.35);
        pb.cubic_to(x - r * 1.4, y + r * 0.4, x - r * 1.3, y - r * 0.45, x - r * 0.1, y - r * 0.35);
        pb.close();
        pen.shape(pb.finish(), stage.bg(Rgb(90, 150, 80)), stage.ink());
        if flowers && rng.chance(0.5) {
            let fr = r * 0.5;
            for (dx, tip) in [(-0.5, 0.9), (0.5, 0.9), (0.0, 1.3)] {
                let petal = pen::blob(&[
                    (x + dx * fr - fr * 0.3, y),
                    (x + dx * fr * 1.6, y - fr * tip),
                    (x + dx * fr + fr * 0.3, y),
                ]);
                pen.shape(petal, stage.bg(Rgb(245, 170, 190)), stage.ink() * 0.8);
            }
        }
    }
}

/// A line of rounded tree tops along the horizon.
fn treeline(pen: &mut Pen, stage: &Stage, base: f32, color: Rgb, rng: &mut Rng) {
    // Round crowns: inked together, then filled, so only the outline shows.
    let mut pb = PathBuilder::new();
    let mut x = -10.0;
    while x < stage.w + 10.0 {
        let r = stage.w.max(stage.h) * rng.range(0.02, 0.04);
        pb.push_circle(x, base - r * rng.range(0.3, 1.2), r);
        x += r * 1.3;
    }
    if let Some(r) = Rect::from_ltrb(-10.0, base - stage.h * 0.02, stage.w + 10.0, base + 1.0) {
        pb.push_rect(r);
    }
    let crowns = pb.finish();
    pen.stroke(crowns.as_ref(), INK, stage.ink() * 2.0);
    pen.fill(crowns, stage.bg(color));
}

/// Forest: canopy layers, trunks near and far, undergrowth.
pub fn forest(pen: &mut Pen, stage: &Stage, rng: &mut Rng, tones: &Tones) {
    sky(pen, stage, stage.horizon, rng, tones);
    treeline(pen, stage, stage.horizon, Rgb(120, 160, 120), rng);
    ground(pen, stage, Rgb(110, 140, 80), tones);
    let layers = if stage.empty { 3 } else { 2 };
    for layer in 0..layers {
        let near = layer as f32 / (layers as f32 - 0.5);
        let trunk = stage.bg(shade(Rgb(120, 90, 60), near * 0.4));
        let count = 7 - layer * 2;
        for _ in 0..count {
            let x = rng.range(0.0, 1.0) * stage.w;
            let tw = stage.w * (0.015 + 0.035 * near) * rng.range(0.8, 1.2);
            let foot = stage.horizon + (stage.h - stage.horizon).max(0.0) * (0.05 + 0.4 * near);
            let path = pen::polygon(&[(x - tw, foot), (x - tw * 0.7, -5.0), (x + tw * 0.7, -5.0), (x + tw, foot)]);
            pen.shape(path, trunk, stage.ink());
            pen.fill_shader(pen::rect(x + tw * 0.1, 0.0, tw * 0.6, foot), tones.medium.shader(0.5));
        }
        // Canopy: a band of foliage across the top.
        let mut pts = vec![(-20.0, -20.0), (stage.w + 20.0, -20.0)];
        let mut x = stage.w + 20.0;
        while x > -20.0 {
            let r = stage.w * rng.range(0.05, 0.09);
            pts.push((x, stage.h * (0.08 + 0.1 * near) + r * rng.range(0.3, 1.2)));
            x -= r * 1.5;
        }
        pen.shape(pen::blob(&pts), stage.bg(shade(Rgb(70, 130, 70), near * 0.35)), stage.ink());
    }
    grass(pen, stage, rng, Rgb(80, 120, 60));
}

/// Tufts of grass on the ground.
fn grass(pen: &mut Pen, stage: &Stage, rng: &mut Rng, color: Rgb) {
    let top = stage.horizon.max(0.0);
    let mut pb = PathBuilder::new();
    for _ in 0..(stage.w / 12.0) as usize {
        let (x, y) = (rng.range(0.0, stage.w), rng.range(top + 4.0, stage.h));
        let s = 2.0 + (y - top) / stage.h * 14.0;
        pb.move_to(x - s * 0.5, y - s);
        pb.line_to(x, y);
        pb.line_to(x + s * 0.1, y - s * 1.2);
        pb.move_to(x, y);
        pb.line_to(x + s * 0.6, y - s * 0.9);
    }
    if let Some(p) = pb.finish() {
        pen.stroke(Some(&p), stage.bg(shade(color, 0.4)), stage.ink() * 0.8);
    }
}

/// Street: buildings with windows along the horizon, a road converging on
/// the vanishing point, utility poles and wires.
pub fn street(pen: &mut Pen, stage: &Stage, rng: &mut Rng, tones: &Tones) {
    let (w, h, hz, vx) = (stage.w, stage.h, stage.horizon, stage.vanish_x);
    sky(pen, stage, hz, rng, tones);
    let mut x = -10.0;
    while x < w {
        let bw = w * rng.range(0.1, 0.22);
        let bh = h * rng.range(0.15, 0.45);
        let c = stage.bg(Rgb(170, 165, 175).mix(Rgb(200, 170, 150), rng.unit()));
        pen.shape(pen::rect(x, hz - bh, bw, bh + 1.0), c, stage.ink());
        let (cols, rows) = ((bw / (w * 0.04)).max(1.0) as usize, (bh / (h * 0.06)).max(1.0) as usize);
        let lit = if stage.night() { Rgb(255, 220, 130) } else { stage.bg(Rgb(150, 180, 210)) };
        let mut pb = PathBuilder::new();
        for i in 0..cols {
            for j in 0..rows {
                let (wx, wy) =
                    (x + bw * (i as f32 + 0.3) / cols as f32, hz - bh + bh * (j as f32 + 0.25) / rows as f32);
                if let Some(r) = Rect::from_xywh(wx, wy, bw * 0.4 / cols as f32, bh * 0.45 / rows as f32) {
                    pb.push_rect(r);
                }
            }
        }
        pen.fill_a(pb.finish(), lit, 0.9);
        pen.fill_shader(pen::rect(x + bw * 0.6, hz - bh, bw * 0.4, bh), tones.medium.shader(0.4));
        x += bw;
    }
    ground(pen, stage, Rgb(150, 150, 155), tones);
    // Road edges and centre line, converging on the vanishing point.
    let ink = stage.ink();
    for k in [-1.2, -0.4, 0.4, 1.2] {
        pen.ink(pen::polyline(&[(vx, hz), (vx + k * w, h * 1.2)]).as_ref(), ink * if k * k > 1.0 { 1.2 } else { 0.6 });
    }
    let mut y = hz + 2.0;
    let mut gap = 3.0;
    while y < h {
        let t = (y - hz) / (h * 1.2 - hz);
        pen.stroke(
            pen::polyline(&[(vx, y), (vx, y + gap * 0.5)]).as_ref(),
            Rgb(250, 250, 240),
            (t * w * 0.02).max(0.8),
        );
        y += gap;
        gap *= 1.5;
    }
    // Utility poles and sagging wires.
    let pole_x = [w * rng.range(0.05, 0.2), w * rng.range(0.8, 0.95)];
    for &px in &pole_x {
        pen.shape(
            pen::rect(px - w * 0.008, hz - h * 0.6, w * 0.016, h * 0.6 + (h - hz) * 0.3),
            stage.bg(Rgb(110, 105, 100)),
            ink,
        );
    }
    for k in 0..3 {
        let y = hz - h * (0.55 - 0.03 * k as f32);
        pen.stroke_a(
            pen::curve((pole_x[0], y), ((pole_x[0] + pole_x[1]) / 2.0, y + h * 0.06), (pole_x[1], y)).as_ref(),
            INK,
            ink * 0.7,
            0.8,
        );
    }
}

/// Mountains: two or three jagged ridges, the far ones paler, snow on top.
pub fn mountain(pen: &mut Pen, stage: &Stage, rng: &mut Rng, tones: &Tones) {
    sky(pen, stage, stage.horizon, rng, tones);
    let ridges = if stage.empty { 3 } else { 2 };
    for r in 0..ridges {
        let near = r as f32 / ridges as f32;
        let base = stage.horizon + (stage.h - stage.horizon).max(0.0) * near * 0.3;
        let mut pts = vec![(-10.0, base + 2.0)];
        let mut x = -10.0;
        while x < stage.w + 10.0 {
            x += stage.w * rng.range(0.08, 0.2);
            pts.push((x, base - stage.h * rng.range(0.1, 0.38) * (1.0 - near * 0.4)));
            x += stage.w * rng.range(0.05, 0.15);
            pts.push((x, base - stage.h * rng.range(0.02, 0.1)));
        }
        pts.push((stage.w + 10.0, base + 2.0));
        let color = stage.bg(Rgb(120, 140, 170).mix(Rgb(90, 110, 80), near));
        pen.shape(pen::polygon(&pts), color, stage.ink());
        pen.fill_shader(pen::polygon(&pts), tones.light.shader(0.3 + near * 0.4));
    }
    ground(pen, stage, Rgb(120, 140, 90), tones);
    grass(pen, stage, rng, Rgb(90, 120, 60));
}

/// Field: a grass horizon, a path, grass tufts and flowers.
pub fn field(pen: &mut Pen, stage: &Stage, rng: &mut Rng, tones: &Tones) {
    sky(pen, stage, stage.horizon, rng, tones);
    if rng.chance(0.5) {
        treeline(pen, stage, stage.horizon, Rgb(130, 165, 120), rng);
    }
    ground(pen, stage, Rgb(140, 185, 90), tones);
    let (vx, hz) = (stage.vanish_x, stage.horizon);
    let path =
        pen::polygon(&[(vx - 2.0, hz), (vx + 2.0, hz), (vx + stage.w * 0.3, stage.h), (vx - stage.w * 0.2, stage.h)]);
    pen.shape(path, stage.bg(Rgb(215, 195, 150)), stage.ink() * 0.8);
    grass(pen, stage, rng, Rgb(100, 150, 70));
    let top = hz.max(0.0);
    for _ in 0..if stage.empty { 40 } else { 24 } {
        let (x, y) = (rng.range(0.0, stage.w), rng.range(top + 4.0, stage.h));
        let r = 1.0 + (y - top) / stage.h * 7.0;
        let c = [Rgb(250, 240, 120), Rgb(250, 170, 190), Rgb(255, 255, 255)][rng.below(3) as usize];
        pen.shape(pen::ellipse(x, y, r, r * 0.8), stage.bg(c), stage.ink() * 0.5);
    }
}

/// Flame tongues rising from `base`, up to `height` tall.
pub fn flames(pen: &mut Pen, stage: &Stage, base: f32, height: f32, rng: &mut Rng) {
    for (color, scale) in [(Rgb(200, 40, 20), 1.0), (Rgb(250, 140, 40), 0.6), (Rgb(255, 220, 120), 0.3)] {
        let mut pb = PathBuilder::new();
        pb.move_to(-10.0, base + 5.0);
        let mut x = -10.0;
        while x < stage.w + 10.0 {
            let fw = stage.w * rng.range(0.04, 0.09);
            let tip = base - height * scale * rng.range(0.4, 1.0);
            pb.quad_to(x + fw * 0.1, base - height * scale * 0.3, x + fw * 0.5 + rng.range(-0.3, 0.3) * fw, tip);
            pb.quad_to(x + fw * 0.9, base - height * scale * 0.3, x + fw, base - height * scale * 0.1);
            x += fw;
        }
        pb.line_to(stage.w + 10.0, base + 5.0);
        pb.close();
        pen.fill(pb.finish(), stage.lit(color));
    }
}

/// Hell: a black-red sky, the needle mountain, fire, and a pool of blood.
pub fn hell(pen: &mut Pen, stage: &Stage, rng: &mut Rng, tones: &Tones) {
    let (w, h) = (stage.w, stage.h);
    let hz = stage.horizon.clamp(h * 0.15, h * 0.95);
    effects::vertical_gradient(pen, (0.0, 0.0, w, h), stage.lit(Rgb(12, 4, 8)), stage.lit(Rgb(110, 18, 14)));
    effects::tone_gradient(pen, &tones.dark, (0.0, 0.0, w, hz), 0.8, true);
    // The needle mountain: tall thin spikes.
    let mut pts = vec![(-10.0, hz)];
    let mut x = -10.0;
    while x < w + 10.0 {
        let sw = w * rng.range(0.012, 0.03);
        pts.push((x + sw * 0.5, hz - h * rng.range(0.12, 0.55)));
        pts.push((x + sw, hz - h * rng.range(0.0, 0.08)));
        x += sw;
    }
    pts.push((w + 10.0, hz));
    pen.fill(pen::polygon(&pts), stage.lit(Rgb(35, 25, 30)));
    pen.stroke_a(pen::polygon(&pts).as_ref(), Rgb(200, 60, 40), stage.ink() * 0.6, 0.5);
    flames(pen, stage, hz, h * 0.12, rng);
    // The pool of blood: dark red below the fire, with ripples.
    effects::vertical_gradient(pen, (0.0, hz, w, h - hz), stage.lit(Rgb(90, 8, 12)), stage.lit(Rgb(50, 4, 8)));
    for _ in 0..6 {
        let (x, y) = (rng.range(0.0, w), rng.range(hz + (h - hz) * 0.2, h));
        pen.stroke_a(pen::ellipse(x, y, w * 0.08, w * 0.015).as_ref(), Rgb(200, 50, 50), stage.ink() * 0.8, 0.6);
    }
    let embers: Vec<(f32, f32, f32)> =
        (0..20).map(|_| (rng.range(0.0, w), rng.range(0.0, hz), rng.range(1.0, 3.0) * stage.ink())).collect();
    pen.fill_a(effects::glints(&embers), Rgb(255, 160, 60), 0.8);
}

/// Heaven: pale gold light, soft rays from above, clouds and a lotus pond.
pub fn heaven(pen: &mut Pen, stage: &Stage, rng: &mut Rng, tones: &Tones) {
    let (w, h) = (stage.w, stage.h);
    let gold = |c: Rgb| stage.lit(c).mix(pen::PAPER, 0.2);
    effects::vertical_gradient(
        pen,
        (0.0, 0.0, w, stage.horizon.max(1.0)),
        gold(Rgb(255, 248, 220)),
        gold(Rgb(250, 225, 160)),
    );
    let (sx, sy) = (w * rng.range(0.3, 0.7), -h * 0.1);
    let mut pb = PathBuilder::new();
    for i in 0..9 {
        let a = 0.35 + i as f32 * 0.3;
        pb.move_to(sx, sy);
        pb.line_to(sx + a.cos() * h * 2.0, sy + a.sin() * h * 2.0);
        pb.line_to(sx + (a + 0.1).cos() * h * 2.0, sy + (a + 0.1).sin() * h * 2.0);
        pb.close();
    }
    pen.fill_a(pb.finish(), Rgb(255, 255, 235), 0.45);
    clouds(pen, stage, stage.horizon, 3, rng, tones);
    water_surface(pen, stage, Rgb(150, 200, 185), rng, tones);
    lotus(pen, stage, rng, true);
    let g: Vec<(f32, f32, f32)> =
        (0..12).map(|_| (rng.range(0.0, w), rng.range(0.0, h), rng.range(2.0, 5.0) * stage.ink())).collect();
    pen.fill_a(effects::glints(&g), Rgb(255, 250, 210), 0.9);
}
