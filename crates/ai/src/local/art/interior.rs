//! Indoor places: a room (Japanese with shoji and tatami, or Western with a
//! window and boards, by the story's language) and a classroom, both as a box in one-point
//! perspective towards the stage's vanishing point.

use manga_domain::{Rect, Rgb};
use manga_render::tiny_skia::PathBuilder;

use super::effects::{self, Tones};
use super::pen::{self, INK, Pen, shade};
use super::rng::Rng;
use super::stage::{Stage, sky_colors};

/// The box of a room: back wall edges and the floor line.
struct RoomBox {
    left: f32,
    right: f32,
    floor: f32,
}

/// Walls, floor and the perspective edges between them.
fn room_box(pen: &mut Pen, stage: &Stage, wall: Rgb, floor: Rgb, tones: &Tones) -> RoomBox {
    let (w, h, hz, vx) = (stage.w, stage.h, stage.horizon, stage.vanish_x);
    let fl = (hz + (h - hz) * 0.2).clamp(h * 0.25, h * 0.92);
    let (left, right) = (vx - w * 0.36, vx + w * 0.36);
    pen.fill(pen::rect(0.0, 0.0, w, h), stage.bg(floor));
    // Where the floor edge through a back-wall corner meets the panel side.
    let edge_at = |corner: f32, side: f32| hz + (fl - hz) * (vx - side) / (vx - corner);
    let (yl, yr) = (edge_at(left, -2.0), edge_at(right, w + 2.0));
    let side_wall = stage.bg(shade(wall, 0.12));
    pen.fill(pen::polygon(&[(-2.0, -2.0), (left, -2.0), (left, fl), (-2.0, yl)]), side_wall);
    pen.fill(pen::polygon(&[(w + 2.0, -2.0), (right, -2.0), (right, fl), (w + 2.0, yr)]), side_wall);
    pen.fill(pen::rect(left, -2.0, right - left, fl + 2.0), stage.bg(wall));
    effects::tone_gradient(pen, &tones.light, (0.0, 0.0, w, fl), 0.4, true);
    let ink = stage.ink();
    pen.ink(pen::polyline(&[(-2.0, yl), (left, fl), (right, fl), (w + 2.0, yr)]).as_ref(), ink);
    for x in [left, right] {
        pen.ink(pen::polyline(&[(x, fl), (x, -2.0)]).as_ref(), ink);
    }
    RoomBox { left, right, floor: fl }
}

/// Floor lines: `count` running towards the vanishing point (boards or
/// tatami edges) and cross lines that close up with distance.
fn floor_lines(pen: &mut Pen, stage: &Stage, b: &RoomBox, count: usize, color: Rgb) {
    let (vx, hz) = (stage.vanish_x, stage.horizon);
    let mut pb = PathBuilder::new();
    let bottom = stage.h * 1.5;
    for i in 0..=count {
        let x = b.left + (b.right - b.left) * i as f32 / count as f32;
        let t = (bottom - hz) / (b.floor - hz).max(1.0);
        pb.move_to(x, b.floor);
        pb.line_to(vx + (x - vx) * t, bottom);
    }
    let mut depth = 1.6;
    loop {
        let y = hz + (b.floor - hz) * depth;
        if y > stage.h {
            break;
        }
        pb.move_to(-2.0, y);
        pb.line_to(stage.w + 2.0, y);
        depth *= 1.6;
    }
    if let Some(p) = pb.finish() {
        pen.stroke_a(Some(&p), stage.bg(color), stage.ink(), 0.8);
    }
}

/// A window on the back wall showing the sky of the time of day; returns its pane.
fn window(pen: &mut Pen, stage: &Stage, x: f32, y: f32, w: f32, h: f32) -> Rect {
    let (top, low) = sky_colors(stage);
    effects::vertical_gradient(pen, (x, y, w, h), top, low);
    if stage.night() {
        pen.fill(pen::ellipse(x + w * 0.7, y + h * 0.3, w * 0.08, w * 0.08), Rgb(250, 240, 200));
    }
    let frame = stage.bg(Rgb(150, 120, 90));
    pen.stroke(pen::rect(x, y, w, h).as_ref(), frame, stage.ink() * 3.0);
    pen.stroke(pen::polyline(&[(x + w / 2.0, y), (x + w / 2.0, y + h)]).as_ref(), frame, stage.ink() * 2.0);
    pen.stroke(pen::polyline(&[(x, y + h / 2.0), (x + w, y + h / 2.0)]).as_ref(), frame, stage.ink() * 2.0);
    pen.ink(pen::rect(x - 2.0, y - 2.0, w + 4.0, h + 4.0).as_ref(), stage.ink());
    Rect::new(x, y, w, h)
}

/// A shoji screen: a paper panel with a wooden grid.
fn shoji(pen: &mut Pen, stage: &Stage, x: f32, y: f32, w: f32, h: f32) {
    let glow = if stage.night() { Rgb(120, 130, 160) } else { Rgb(250, 245, 225) };
    pen.fill(pen::rect(x, y, w, h), stage.bg(glow));
    let mut pb = PathBuilder::new();
    for i in 1..4 {
        pb.move_to(x + w * i as f32 / 4.0, y);
        pb.line_to(x + w * i as f32 / 4.0, y + h);
    }
    for j in 1..6 {
        pb.move_to(x, y + h * j as f32 / 6.0);
        pb.line_to(x + w, y + h * j as f32 / 6.0);
    }
    let wood = stage.bg(Rgb(140, 100, 70));
    if let Some(p) = pb.finish() {
        pen.stroke(Some(&p), wood, stage.ink() * 1.2);
    }
    pen.stroke(pen::rect(x, y, w, h).as_ref(), wood, stage.ink() * 3.0);
}

/// A room: Japanese (shoji, tatami; one screen open when the weather
/// matters) or Western (window, boards), by the story's language. Returns
/// where it shows the outside (nothing: an empty rectangle).
pub fn room(pen: &mut Pen, stage: &Stage, rng: &mut Rng, tones: &Tones) -> Rect {
    let japanese = stage.japanese;
    let mut outside = Rect::new(0.0, 0.0, 0.0, 0.0);
    let floor = if japanese { Rgb(200, 195, 140) } else { Rgb(170, 125, 85) };
    let b = room_box(pen, stage, Rgb(232, 222, 200), floor, tones);
    let (ww, top) = (b.right - b.left, (b.floor - stage.h * 0.7).max(-stage.h));
    if japanese {
        let n = 2 + rng.below(2) as usize;
        let open = stage.wants_view.then_some(n / 2);
        for i in 0..n {
            let pw = ww / n as f32;
            let (x, y) = (b.left + pw * i as f32 + 2.0, top.max(b.floor - stage.h * 0.6));
            if open == Some(i) {
                outside = window(pen, stage, x, y, pw - 4.0, b.floor - y);
            } else {
                shoji(pen, stage, x, y, pw - 4.0, b.floor - y);
            }
        }
        floor_lines(pen, stage, &b, 3, shade(floor, 0.4));
    } else {
        let (wx, wy) = (b.left + ww * rng.range(0.15, 0.45), b.floor - stage.h * 0.55);
        outside = window(pen, stage, wx, wy, ww * 0.35, stage.h * 0.3);
        floor_lines(pen, stage, &b, 9, shade(floor, 0.5));
    }
    if stage.empty {
        // A low table in the middle of the floor.
        let (tx, ty) = (stage.vanish_x, b.floor + (stage.h - b.floor) * 0.45);
        let (tw, th) = (ww * 0.2, ww * 0.05);
        for lx in [tx - tw * 0.7, tx + tw * 0.7] {
            pen.shape(pen::rect(lx - tw * 0.04, ty, tw * 0.08, th * 1.6), stage.bg(Rgb(110, 70, 50)), stage.ink());
        }
        pen.shape(pen::ellipse(tx, ty, tw, th), stage.bg(Rgb(150, 100, 70)), stage.ink());
        pen.fill_shader(pen::ellipse(tx + tw * 0.1, ty + th * 0.2, tw * 0.8, th * 0.6), tones.light.shader(0.4));
    }
    if stage.night() {
        pen.fill_a(pen::rect(0.0, 0.0, stage.w, stage.h), Rgb(20, 25, 60), 0.25);
    }
    outside
}

/// A classroom: blackboard, windows, rows of desks in perspective. Returns
/// the window.
pub fn school(pen: &mut Pen, stage: &Stage, rng: &mut Rng, tones: &Tones) -> Rect {
    let b = room_box(pen, stage, Rgb(230, 228, 215), Rgb(185, 150, 110), tones);
    let ww = b.right - b.left;
    let board_top = b.floor - stage.h * 0.42;
    pen.shape(
        pen::rect(b.left + ww * 0.12, board_top, ww * 0.5, stage.h * 0.2),
        stage.bg(Rgb(40, 80, 60)),
        stage.ink(),
    );
    let chalk: Vec<(f32, f32)> =
        (0..4).map(|i| (b.left + ww * (0.16 + 0.1 * i as f32), board_top + stage.h * rng.range(0.04, 0.14))).collect();
    pen.stroke_a(pen::polyline(&chalk).as_ref(), Rgb(240, 240, 230), stage.ink(), 0.7);
    let outside = window(pen, stage, b.left + ww * 0.68, board_top, ww * 0.27, stage.h * 0.22);
    floor_lines(pen, stage, &b, 8, Rgb(120, 90, 60));
    // Desks, back to front.
    let hz = stage.horizon;
    let rows = if stage.empty { 4 } else { 3 };
    for r in 0..rows {
        let t = (r as f32 + 1.0) / (rows as f32 + 0.5);
        let y = b.floor + (stage.h - b.floor) * t;
        let s = (y - hz).max(4.0) / 6.0;
        for c in -2i32..=2 {
            let x = stage.vanish_x + c as f32 * s * 2.6;
            let (dw, dd) = (s * 0.9, s * 0.25);
            for lx in [x - dw * 0.85, x + dw * 0.85] {
                pen.stroke_a(pen::polyline(&[(lx, y), (lx, y + s * 0.7)]).as_ref(), INK, stage.ink() * 1.2, 0.8);
            }
            let top = pen::polygon(&[(x - dw * 0.9, y - dd), (x + dw * 0.9, y - dd), (x + dw, y), (x - dw, y)]);
            pen.shape(top, stage.bg(Rgb(200, 160, 110)), stage.ink());
        }
    }
    outside
}
