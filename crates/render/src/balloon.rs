//! Balloon shapes: speech ellipses with curved tails, shout bursts, thought
//! clouds with bubbles, whispers dashed, narration boxes, and signs (written
//! words) in a box ruled twice.
//!
//! Every shape is built around a base ellipse (or, for narration, a
//! rectangle) and keeps its text inside the rectangle inscribed in that
//! ellipse, shrunk by the outline and a padding: for semi-axes a, b the
//! inscribed rectangle is a√2 × b√2, so text can never cross the outline.
//! Spikes and bumps grow outwards from the base ellipse, never inwards.
//!
//! Parts (body, tail, bubbles) are drawn as a union: all are stroked at twice
//! the outline width first, then all are filled, which leaves only the outer
//! half of the stroke, so a tail joins its body without a seam.

use std::f32::consts::{PI, SQRT_2, TAU};

use manga_domain::{BalloonKind, Point, Rect};
use tiny_skia::{Color, FillRule, Paint, Path, PathBuilder, Pixmap, Stroke, Transform};

/// Width of a balloon's black outline, in pixels.
pub const OUTLINE_WIDTH: f32 = 2.5;
/// Clear space between the outline and the text area, in pixels.
const PADDING: f32 = 4.0;

/// A balloon's geometry: kind, outline box and tail tip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Balloon {
    /// Its shape.
    pub kind: BalloonKind,
    /// The box of the drawn outline, tail excluded (all body ink lies inside).
    pub bounds: Rect,
    /// Where the tail (or the last thought bubble) points; `None` for no tail.
    pub tail: Option<Point>,
    /// Distance from `bounds` in to the base ellipse on each side (spikes, bumps and the outline).
    rim: f32,
}

/// FNV-1a: a stable hash for deterministic jitter (std's hasher is seeded per process).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The margin that keeps the outline's outer half inside `bounds`.
fn stroke_margin() -> f32 {
    OUTLINE_WIDTH + 1.0
}

/// Spike depth of a shout or bump radius of a thought for a text block.
fn ornament(kind: BalloonKind, text_w: f32, text_h: f32) -> f32 {
    let short = text_w.min(text_h).max(1.0);
    match kind {
        BalloonKind::Shout => (0.12 * short + 8.0).min(20.0),
        BalloonKind::Thought => (0.08 * short + 7.0).min(16.0),
        BalloonKind::Speech | BalloonKind::Whisper | BalloonKind::Narration | BalloonKind::Sign => 0.0,
    }
}

impl Balloon {
    /// The smallest balloon of `kind` whose text area holds a `text_w` × `text_h`
    /// block, with its bounds at the origin and no tail.
    pub fn for_text(kind: BalloonKind, text_w: f32, text_h: f32) -> Balloon {
        let rim = stroke_margin() + ornament(kind, text_w, text_h);
        let inset = OUTLINE_WIDTH + PADDING;
        let (w, h) = match kind {
            _ if kind.is_boxed() => (text_w + 2.0 * (rim + inset), text_h + 2.0 * (rim + inset)),
            _ => ((text_w / 2.0 * SQRT_2 + inset + rim) * 2.0, (text_h / 2.0 * SQRT_2 + inset + rim) * 2.0),
        };
        Balloon { kind, bounds: Rect::new(0.0, 0.0, w.ceil(), h.ceil()), tail: None, rim }
    }

    /// The same balloon with its bounds' top-left corner at (`x`, `y`).
    pub fn moved_to(mut self, x: f32, y: f32) -> Balloon {
        self.bounds.x = x;
        self.bounds.y = y;
        self
    }

    /// The centre and semi-axes of the base ellipse (for narration, of the box).
    pub fn base_ellipse(&self) -> (Point, f32, f32) {
        let b = self.bounds;
        (b.center(), (b.w / 2.0 - self.rim).max(1.0), (b.h / 2.0 - self.rim).max(1.0))
    }

    /// The rectangle text must stay inside: inscribed in the base ellipse,
    /// minus the outline and padding.
    pub fn text_area(&self) -> Rect {
        let (c, a, b) = self.base_ellipse();
        let inset = OUTLINE_WIDTH + PADDING;
        let (hw, hh) = match self.kind {
            kind if kind.is_boxed() => (a - inset, b - inset),
            _ => ((a - inset).max(0.0) / SQRT_2, (b - inset).max(0.0) / SQRT_2),
        };
        let (hw, hh) = (hw.max(0.0), hh.max(0.0));
        Rect::new(c.x - hw, c.y - hh, 2.0 * hw, 2.0 * hh)
    }

    /// The point on the base ellipse's outline in the direction of `toward`.
    pub fn edge_toward(&self, toward: Point) -> Point {
        let (c, a, b) = self.base_ellipse();
        let t = self.angle_toward(toward);
        if self.kind.is_boxed() {
            let (dx, dy) = (t.cos(), t.sin());
            let k = (a / dx.abs().max(1e-6)).min(b / dy.abs().max(1e-6));
            return Point { x: c.x + dx * k, y: c.y + dy * k };
        }
        Point { x: c.x + a * t.cos(), y: c.y + b * t.sin() }
    }

    /// The ellipse parameter angle pointing at `p`.
    fn angle_toward(&self, p: Point) -> f32 {
        let (c, a, b) = self.base_ellipse();
        ((p.y - c.y) / b).atan2((p.x - c.x) / a)
    }

    /// A stable per-balloon seed for spikes and bumps.
    fn seed(&self) -> u64 {
        let b = self.bounds;
        fnv1a(format!("{:.0},{:.0},{:.0},{:.0}", b.x, b.y, b.w, b.h).as_bytes())
    }

    /// The outline of the body (without tail or bubbles) as a path.
    pub fn body_path(&self) -> Option<Path> {
        let (c, a, b) = self.base_ellipse();
        match self.kind {
            BalloonKind::Speech | BalloonKind::Whisper => {
                PathBuilder::from_oval(tiny_skia::Rect::from_xywh(c.x - a, c.y - b, 2.0 * a, 2.0 * b)?)
            }
            BalloonKind::Narration | BalloonKind::Sign => {
                PathBuilder::from_rect(tiny_skia::Rect::from_xywh(c.x - a, c.y - b, 2.0 * a, 2.0 * b)?).into()
            }
            BalloonKind::Shout => self.burst_path(),
            BalloonKind::Thought => self.cloud_path(),
        }
    }

    /// A zig-zag polygon: valleys on the base ellipse, tips out to the rim
    /// (one tip replaced by the tail's tip, which makes the tail a spike).
    fn burst_path(&self) -> Option<Path> {
        let (c, a, b) = self.base_ellipse();
        let depth = self.rim - stroke_margin();
        let perimeter = PI * (1.5 * (a + b) - (a * b).sqrt());
        let n = ((perimeter / (depth * 2.2).max(10.0)).round() as usize).clamp(10, 64);
        let seed = self.seed();
        let tail_index = self.tail.map(|tip| {
            let t = self.angle_toward(tip).rem_euclid(TAU);
            ((t / TAU * n as f32 - 0.5).round() as usize) % n
        });
        let at = |t: f32, extra: f32| (c.x + (a + extra) * t.cos(), c.y + (b + extra) * t.sin());
        let mut pb = PathBuilder::new();
        for i in 0..n {
            let valley = at(i as f32 / n as f32 * TAU, 0.0);
            if i == 0 {
                pb.move_to(valley.0, valley.1);
            } else {
                pb.line_to(valley.0, valley.1);
            }
            let tip = match (tail_index, self.tail) {
                (Some(k), Some(tip)) if k == i => (tip.x, tip.y),
                _ => {
                    let jitter = (fnv1a(&(seed ^ i as u64).to_le_bytes()) % 1000) as f32 / 1000.0;
                    at((i as f32 + 0.5) / n as f32 * TAU, depth * (0.7 + 0.3 * jitter))
                }
            };
            pb.line_to(tip.0, tip.1);
        }
        pb.close();
        pb.finish()
    }

    /// Circles centred on the base ellipse, overlapping, plus the ellipse itself.
    fn cloud_path(&self) -> Option<Path> {
        let (c, a, b) = self.base_ellipse();
        let r = self.rim - stroke_margin();
        let perimeter = PI * (1.5 * (a + b) - (a * b).sqrt());
        let n = ((perimeter / (r * 1.3).max(4.0)).ceil() as usize).clamp(8, 90);
        let mut pb = PathBuilder::new();
        pb.push_oval(tiny_skia::Rect::from_xywh(c.x - a, c.y - b, 2.0 * a, 2.0 * b)?);
        // Walk the ellipse by arc length so bumps are evenly spaced.
        let steps = 720;
        let point = |t: f32| (c.x + a * t.cos(), c.y + b * t.sin());
        let mut lengths = Vec::with_capacity(steps + 1);
        let mut total = 0.0;
        let mut prev = point(0.0);
        lengths.push(0.0);
        for s in 1..=steps {
            let p = point(s as f32 / steps as f32 * TAU);
            total += ((p.0 - prev.0).powi(2) + (p.1 - prev.1).powi(2)).sqrt();
            lengths.push(total);
            prev = p;
        }
        for i in 0..n {
            let want = i as f32 / n as f32 * total;
            let s = lengths.partition_point(|&l| l < want).min(steps);
            let (x, y) = point(s as f32 / steps as f32 * TAU);
            pb.push_circle(x, y, r);
        }
        pb.finish()
    }

    /// The tail (speech) as a curved triangle from the body to the tip.
    fn tail_path(&self, tip: Point) -> Option<Path> {
        let (c, a, b) = self.base_ellipse();
        let t = self.angle_toward(tip);
        let base_w = (0.35 * a.min(b)).clamp(8.0, 26.0);
        let radius = ((a * t.cos()).powi(2) + (b * t.sin()).powi(2)).sqrt().max(1.0);
        let dt = base_w / 2.0 / radius;
        let inner = 0.8;
        let p1 = (c.x + inner * a * (t - dt).cos(), c.y + inner * b * (t - dt).sin());
        let p2 = (c.x + inner * a * (t + dt).cos(), c.y + inner * b * (t + dt).sin());
        // Both edges bow the same way, so the tail curves like a comma.
        let bow = |from: (f32, f32)| {
            let (dx, dy) = (tip.x - from.0, tip.y - from.1);
            let len = (dx * dx + dy * dy).sqrt().max(1.0);
            (from.0 + dx * 0.5 - dy / len * len * 0.12, from.1 + dy * 0.5 + dx / len * len * 0.12)
        };
        let (q1, q2) = (bow(p1), bow(p2));
        let mut pb = PathBuilder::new();
        pb.move_to(p1.0, p1.1);
        pb.quad_to(q1.0, q1.1, tip.x, tip.y);
        pb.quad_to(q2.0, q2.1, p2.0, p2.1);
        pb.close();
        pb.finish()
    }

    /// Two or three shrinking bubbles from the cloud towards the tip (the last one at the tip).
    fn bubble_paths(&self, tip: Point) -> Vec<Path> {
        let start = self.edge_toward(tip);
        let r0 = (self.rim - stroke_margin()).max(6.0);
        let (dx, dy) = (tip.x - start.x, tip.y - start.y);
        let len = (dx * dx + dy * dy).sqrt();
        let count = if len > 5.0 * r0 { 3 } else { 2 };
        let radii = [0.6 * r0, 0.42 * r0, 0.3 * r0];
        (0..count)
            .filter_map(|i| {
                let k = (i + 1) as f32 / count as f32;
                let r = radii[i].max(2.5);
                let (x, y) = (start.x + dx * k, start.y + dy * k);
                // Pull the last bubble in by its radius so the tip is its outer edge.
                let back = if i + 1 == count { r / len.max(1.0) } else { 0.0 };
                PathBuilder::from_circle(x - dx * back, y - dy * back, r)
            })
            .collect()
    }

    /// The paths of the whole balloon: body, then tail or bubbles.
    pub fn paths(&self) -> Vec<Path> {
        let mut parts: Vec<Path> = self.body_path().into_iter().collect();
        if let Some(tip) = self.tail {
            match self.kind {
                BalloonKind::Speech | BalloonKind::Whisper => parts.extend(self.tail_path(tip)),
                BalloonKind::Thought => parts.extend(self.bubble_paths(tip)),
                BalloonKind::Shout | BalloonKind::Narration | BalloonKind::Sign => {}
            }
        }
        parts
    }

    /// Draws the balloon: white (narration: off-white) fill, black outline (a whisper's
    /// dashed; a sign's with a thin second rule inside it).
    pub fn draw(&self, pixmap: &mut Pixmap) {
        let parts = self.paths();
        let mut ink = Paint { anti_alias: true, ..Paint::default() };
        ink.set_color(Color::BLACK);
        let dash =
            (self.kind == BalloonKind::Whisper).then(|| tiny_skia::StrokeDash::new(vec![7.0, 5.0], 0.0)).flatten();
        let stroke =
            Stroke { width: OUTLINE_WIDTH * 2.0, line_join: tiny_skia::LineJoin::Round, dash, ..Stroke::default() };
        for path in &parts {
            pixmap.stroke_path(path, &ink, &stroke, Transform::identity(), None);
        }
        let mut fill = Paint { anti_alias: true, ..Paint::default() };
        fill.set_color(match self.kind {
            BalloonKind::Narration => Color::from_rgba8(252, 251, 245, 255),
            _ => Color::WHITE,
        });
        for path in &parts {
            pixmap.fill_path(path, &fill, FillRule::Winding, Transform::identity(), None);
        }
        if self.kind == BalloonKind::Sign {
            // Inside the padding, clear of the text area.
            let (c, a, b) = self.base_ellipse();
            let inset = OUTLINE_WIDTH + PADDING / 2.0;
            let rule =
                tiny_skia::Rect::from_xywh(c.x - a + inset, c.y - b + inset, 2.0 * (a - inset), 2.0 * (b - inset));
            if let Some(rule) = rule.map(PathBuilder::from_rect) {
                let thin = Stroke { width: 1.2, ..Stroke::default() };
                pixmap.stroke_path(&rule, &ink, &thin, Transform::identity(), None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [BalloonKind; 6] = BalloonKind::ALL;

    #[test]
    fn the_text_area_holds_the_text_it_was_made_for() {
        for kind in KINDS {
            for (w, h) in [(40.0, 120.0), (200.0, 50.0), (10.0, 10.0)] {
                let balloon = Balloon::for_text(kind, w, h).moved_to(30.0, 40.0);
                let area = balloon.text_area();
                assert!(area.w >= w - 0.01 && area.h >= h - 0.01, "{kind:?}: {area:?} for {w}x{h}");
                assert!(balloon.bounds.contains_rect(&area, 0.0));
            }
        }
    }

    #[test]
    fn a_balloon_is_drawn_inside_its_bounds_with_a_dark_outline_and_a_white_text_area() {
        for kind in KINDS {
            let mut pixmap = Pixmap::new(400, 400).unwrap();
            pixmap.fill(Color::from_rgba8(40, 160, 40, 255));
            let balloon = Balloon::for_text(kind, 100.0, 140.0).moved_to(100.0, 80.0);
            balloon.draw(&mut pixmap);
            let b = balloon.bounds;
            let area = balloon.text_area();
            for (i, p) in pixmap.pixels().iter().enumerate() {
                let (x, y) = ((i % 400) as f32 + 0.5, (i / 400) as f32 + 0.5);
                let green = p.green() > 150 && p.red() < 60;
                if x < b.x || y < b.y || x > b.right() || y > b.bottom() {
                    assert!(green, "{kind:?} drew outside its bounds at {x},{y}");
                }
                if area.contains_rect(&Rect::new(x - 0.5, y - 0.5, 1.0, 1.0), 0.0) {
                    assert!(p.red() > 240 && p.green() > 240, "{kind:?} text area not blank at {x},{y}");
                }
            }
            let c = b.center();
            let left = pixmap.pixel((b.x + 1.5) as u32, c.y as u32).unwrap();
            let right = pixmap.pixel((b.right() - 1.5) as u32, c.y as u32).unwrap();
            let dark = |p: tiny_skia::PremultipliedColorU8| p.red() < 120 && p.green() < 120;
            if !matches!(kind, BalloonKind::Shout | BalloonKind::Whisper) {
                assert!(dark(left) || dark(right), "{kind:?} outline missing at the rim");
            }
        }
    }

    /// Of points just outside the base ellipse (where the outline's outer half lies), how many are dark.
    fn inked_share_of_the_rim(kind: BalloonKind) -> f32 {
        let mut pixmap = Pixmap::new(300, 300).unwrap();
        pixmap.fill(Color::WHITE);
        let balloon = Balloon::for_text(kind, 100.0, 100.0).moved_to(50.0, 50.0);
        balloon.draw(&mut pixmap);
        let (c, a, b) = balloon.base_ellipse();
        let (mut inked, n) = (0, 720);
        for i in 0..n {
            let t = i as f32 / n as f32 * TAU;
            let (x, y) = (c.x + (a + 1.5) * t.cos(), c.y + (b + 1.5) * t.sin());
            let p = pixmap.pixel(x as u32, y as u32).unwrap();
            inked += usize::from(p.red() < 128);
        }
        inked as f32 / n as f32
    }

    #[test]
    fn a_whisper_is_dashed_where_speech_is_solid_and_a_sign_is_ruled_twice_without_a_tail() {
        assert!(inked_share_of_the_rim(BalloonKind::Speech) > 0.95);
        let dashed = inked_share_of_the_rim(BalloonKind::Whisper);
        assert!((0.4..0.8).contains(&dashed), "dashes and gaps: {dashed}");

        let mut pixmap = Pixmap::new(300, 300).unwrap();
        pixmap.fill(Color::WHITE);
        let mut sign = Balloon::for_text(BalloonKind::Sign, 100.0, 60.0).moved_to(50.0, 50.0);
        sign.tail = Some(Point { x: 280.0, y: 280.0 });
        sign.draw(&mut pixmap);
        let row = (sign.bounds.center().y) as u32;
        let dark_runs = (50..sign.bounds.center().x as u32)
            .map(|x| pixmap.pixel(x, row).unwrap().red() < 128)
            .collect::<Vec<_>>()
            .windows(2)
            .filter(|w| !w[0] && w[1])
            .count()
            + usize::from(pixmap.pixel(50, row).unwrap().red() < 128);
        assert_eq!(dark_runs, 2, "an outer and an inner rule on the left side");
        assert!(pixmap.pixel(270, 270).unwrap().red() > 200, "no tail towards a speaker");
    }

    #[test]
    fn a_speech_tail_reaches_its_tip() {
        let mut pixmap = Pixmap::new(300, 300).unwrap();
        pixmap.fill(Color::from_rgba8(40, 160, 40, 255));
        let mut balloon = Balloon::for_text(BalloonKind::Speech, 60.0, 80.0).moved_to(20.0, 20.0);
        let tip = Point { x: 250.0, y: 260.0 };
        balloon.tail = Some(tip);
        balloon.draw(&mut pixmap);
        let near_tip = (-3..=3)
            .flat_map(|dx| (-3..=3).map(move |dy| (dx, dy)))
            .filter_map(|(dx, dy)| pixmap.pixel((tip.x as i32 + dx) as u32, (tip.y as i32 + dy) as u32))
            .any(|p| p.green() < 100);
        assert!(near_tip, "no tail ink at the tip");
    }
}
