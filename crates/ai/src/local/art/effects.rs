//! Manga effects: screentone (halftone dots), speed lines and focus lines.
//!
//! Screentone is a tiny tile of dots repeated by a `Pattern` shader, so a
//! toned area costs one fill, not a loop over pixels.

use manga_domain::Rgb;
use manga_render::tiny_skia::{FilterQuality, Path, PathBuilder, Pattern, Pixmap, Shader, SpreadMode, Transform};

use super::pen::{self, INK, Pen};
use super::rng::Rng;

/// A screentone sheet: dots on a 45° grid (a quincunx tile).
pub struct Tone {
    tile: Pixmap,
}

impl Tone {
    /// Dots of `radius` px on a `pitch` px grid, in `ink` colour.
    pub fn new(pitch: u32, radius: f32, ink: Rgb) -> Self {
        let pitch = pitch.max(2);
        let mut tile = Pixmap::new(pitch, pitch).unwrap_or_else(unreachable_tile);
        let p = pitch as f32;
        let mut pb = PathBuilder::new();
        for (x, y) in [(0.0, 0.0), (p, 0.0), (0.0, p), (p, p), (p / 2.0, p / 2.0)] {
            pb.push_circle(x, y, radius);
        }
        if let Some(path) = pb.finish() {
            Pen::new(&mut tile).fill(Some(path), ink);
        }
        Self { tile }
    }

    /// The tone as a shader at `opacity`.
    pub fn shader(&self, opacity: f32) -> Shader<'_> {
        Pattern::new(self.tile.as_ref(), SpreadMode::Repeat, FilterQuality::Nearest, opacity, Transform::identity())
    }
}

/// A 1×1 pixmap always exists; this keeps `Tone::new` infallible.
fn unreachable_tile() -> Pixmap {
    Pixmap::new(1, 1).unwrap_or_else(|| unreachable!("a 1x1 pixmap always allocates"))
}

/// The three tones a panel uses: light, medium and dark.
pub struct Tones {
    /// Fine, sparse dots (sky, soft shade).
    pub light: Tone,
    /// Everyday shadow tone.
    pub medium: Tone,
    /// Heavy shade (night, dark moods).
    pub dark: Tone,
}

impl Tones {
    /// Tones sized for a panel of `short_side` pixels.
    pub fn new(short_side: f32) -> Self {
        let k = (short_side / 600.0).clamp(0.6, 1.6);
        let pitch = ((6.0 * k).round() as u32).max(4) & !1;
        let p = pitch as f32;
        Self {
            light: Tone::new(pitch, p * 0.16, INK),
            medium: Tone::new(pitch, p * 0.25, INK),
            dark: Tone::new(pitch, p * 0.36, INK),
        }
    }
}

/// Fills `path` with `tone`, fading from `opacity` at one end to nothing at
/// the other along the vertical (`top_dark`: darkest at the top), in bands.
pub fn tone_gradient(pen: &mut Pen, tone: &Tone, (x, y, w, h): (f32, f32, f32, f32), opacity: f32, top_dark: bool) {
    const BANDS: usize = 6;
    for i in 0..BANDS {
        let t = (i as f32 + 0.5) / BANDS as f32;
        let a = opacity * if top_dark { 1.0 - t } else { t };
        // Whole-pixel band edges: overlapping or anti-aliased seams would show as lines.
        let (y0, y1) = ((y + h * i as f32 / BANDS as f32).round(), (y + h * (i + 1) as f32 / BANDS as f32).round());
        let band = pen::rect(x.round(), y0, w.round(), y1 - y0);
        pen.fill_shader(band, tone.shader(a));
    }
}

/// Parallel streaks across the panel at `angle` (radians): movement. Drawn
/// over the background, under the figures.
pub fn speed_lines(pen: &mut Pen, w: f32, h: f32, angle: f32, rng: &mut Rng) {
    let (dx, dy) = (angle.cos(), angle.sin());
    let (nx, ny) = (-dy, dx);
    let (cx, cy) = (w / 2.0, h / 2.0);
    let reach = (w * w + h * h).sqrt() / 2.0;
    let mut pb = PathBuilder::new();
    let count = ((w + h) / 7.0) as usize;
    for _ in 0..count {
        let off = rng.range(-reach, reach);
        let along = rng.range(-reach * 1.2, reach * 0.6);
        let len = rng.range(0.3, 1.1) * reach;
        let half = rng.range(0.3, 1.6) * (w.min(h) / 500.0).max(0.6);
        let (sx, sy) = (cx + nx * off + dx * along, cy + ny * off + dy * along);
        let (ex, ey) = (sx + dx * len, sy + dy * len);
        let (mx, my) = ((sx + ex) / 2.0, (sy + ey) / 2.0);
        pb.move_to(sx, sy);
        pb.line_to(mx + nx * half, my + ny * half);
        pb.line_to(ex, ey);
        pb.line_to(mx - nx * half, my - ny * half);
        pb.close();
    }
    pen.fill_a(pb.finish(), INK, 0.8);
}

/// Radial lines converging on `(cx, cy)`, leaving an elliptic centre of
/// radii `(rx, ry)` clear: shock or emphasis on the focus. `light` draws
/// them in paper white, for dark backgrounds.
pub fn focus_lines(
    pen: &mut Pen,
    (w, h): (f32, f32),
    (cx, cy): (f32, f32),
    (rx, ry): (f32, f32),
    light: bool,
    rng: &mut Rng,
) {
    let outer = (w * w + h * h).sqrt() * 1.2;
    let count = 90 + ((w + h) / 12.0) as usize;
    let mut pb = PathBuilder::new();
    for i in 0..count {
        let a = (i as f32 + rng.range(-0.4, 0.4)) / count as f32 * std::f32::consts::TAU;
        let spread = rng.range(0.002, 0.012);
        let inner = rng.range(1.0, 1.6);
        let (c, s) = (a.cos(), a.sin());
        pb.move_to(cx + c * rx * inner, cy + s * ry * inner);
        pb.line_to(cx + (a - spread).cos() * outer, cy + (a - spread).sin() * outer);
        pb.line_to(cx + (a + spread).cos() * outer, cy + (a + spread).sin() * outer);
        pb.close();
    }
    let (color, alpha) = if light { (pen::PAPER, 0.75) } else { (INK, 0.9) };
    pen.fill_a(pb.finish(), color, alpha);
}

/// A soft dark vignette at the panel's edges (tense and dark moods).
pub fn vignette(pen: &mut Pen, w: f32, h: f32, strength: f32) {
    let Some(shader) = manga_render::tiny_skia::RadialGradient::new(
        manga_render::tiny_skia::Point::from_xy(w / 2.0, h / 2.0),
        0.0,
        manga_render::tiny_skia::Point::from_xy(w / 2.0, h / 2.0),
        (w * w + h * h).sqrt() / 2.0,
        vec![
            manga_render::tiny_skia::GradientStop::new(0.55, pen::color(INK, 0.0)),
            manga_render::tiny_skia::GradientStop::new(1.0, pen::color(INK, strength)),
        ],
        SpreadMode::Pad,
        Transform::identity(),
    ) else {
        return;
    };
    pen.fill_shader(pen::rect(0.0, 0.0, w, h), shader);
}

/// A vertical linear gradient between two colours over a rectangle.
pub fn vertical_gradient(pen: &mut Pen, (x, y, w, h): (f32, f32, f32, f32), top: Rgb, bottom: Rgb) {
    use manga_render::tiny_skia::{GradientStop, LinearGradient, Point};
    let shader = LinearGradient::new(
        Point::from_xy(0.0, y),
        Point::from_xy(0.0, y + h),
        vec![GradientStop::new(0.0, pen::color(top, 1.0)), GradientStop::new(1.0, pen::color(bottom, 1.0))],
        SpreadMode::Pad,
        Transform::identity(),
    );
    match shader {
        Some(shader) => pen.fill_shader(pen::rect(x, y, w, h), shader),
        None => pen.fill(pen::rect(x, y, w, h), top),
    }
}

/// A path for a set of sparkles/stars: small four-pointed glints.
pub fn glints(points: &[(f32, f32, f32)]) -> Option<Path> {
    let mut pb = PathBuilder::new();
    for &(x, y, r) in points {
        let q = r * 0.22;
        pb.move_to(x, y - r);
        pb.line_to(x + q, y - q);
        pb.line_to(x + r, y);
        pb.line_to(x + q, y + q);
        pb.line_to(x, y + r);
        pb.line_to(x - q, y + q);
        pb.line_to(x - r, y);
        pb.line_to(x - q, y - q);
        pb.close();
    }
    pb.finish()
}
