//! The pen: fills, ink outlines and path shapes over tiny-skia, in a local
//! coordinate frame (a figure's units, or panel pixels).

use manga_domain::Rgb;
use manga_render::tiny_skia::{
    Color, FillRule, LineCap, LineJoin, Paint, Path, PathBuilder, Pixmap, Point, Rect, Shader, Stroke, Transform,
};

/// The ink colour: a warm near-black, like printed manga ink.
pub const INK: Rgb = Rgb(28, 24, 30);
/// The paper colour every panel starts from.
pub const PAPER: Rgb = Rgb(250, 248, 242);

/// A tiny-skia colour from an [`Rgb`] and an opacity.
pub fn color(c: Rgb, alpha: f32) -> Color {
    Color::from_rgba8(c.0, c.1, c.2, (alpha.clamp(0.0, 1.0) * 255.0).round() as u8)
}

/// A solid, anti-aliased paint.
pub fn paint(c: Rgb, alpha: f32) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color(color(c, alpha));
    p.anti_alias = true;
    p
}

/// Draws into a pixmap through a transform; `px` is how many pixels one
/// local unit covers, so ink widths stay in pixels whatever the scale.
pub struct Pen<'a> {
    /// The target.
    pub pixmap: &'a mut Pixmap,
    /// Local units to pixels.
    pub ts: Transform,
    /// Pixels per local unit.
    pub px: f32,
}

impl<'a> Pen<'a> {
    /// A pen drawing in pixel coordinates.
    pub fn new(pixmap: &'a mut Pixmap) -> Self {
        Self { pixmap, ts: Transform::identity(), px: 1.0 }
    }

    /// Fills `path` with a colour.
    pub fn fill(&mut self, path: Option<Path>, c: Rgb) {
        self.fill_a(path, c, 1.0);
    }

    /// Fills `path` with a colour at an opacity.
    pub fn fill_a(&mut self, path: Option<Path>, c: Rgb, alpha: f32) {
        if let Some(path) = path {
            self.pixmap.fill_path(&path, &paint(c, alpha), FillRule::Winding, self.ts, None);
        }
    }

    /// Fills `path` with any shader (a gradient, a screentone pattern); the
    /// path is mapped to pixels first so patterns keep their pixel pitch.
    pub fn fill_shader(&mut self, path: Option<Path>, shader: Shader<'_>) {
        if let Some(path) = path.and_then(|p| p.transform(self.ts)) {
            let p = Paint { shader, anti_alias: true, ..Paint::default() };
            self.pixmap.fill_path(&path, &p, FillRule::Winding, Transform::identity(), None);
        }
    }

    /// Strokes `path` in colour `c`, `width_px` pixels wide.
    pub fn stroke(&mut self, path: Option<&Path>, c: Rgb, width_px: f32) {
        self.stroke_a(path, c, width_px, 1.0);
    }

    /// Strokes `path` with an opacity.
    pub fn stroke_a(&mut self, path: Option<&Path>, c: Rgb, width_px: f32, alpha: f32) {
        if let Some(path) = path {
            let stroke = Stroke {
                width: width_px / self.px,
                line_cap: LineCap::Round,
                line_join: LineJoin::Round,
                ..Stroke::default()
            };
            self.pixmap.stroke_path(path, &paint(c, alpha), &stroke, self.ts, None);
        }
    }

    /// An ink outline, `width_px` wide.
    pub fn ink(&mut self, path: Option<&Path>, width_px: f32) {
        self.stroke(path, INK, width_px);
    }

    /// Fills with colour, then outlines in ink: the basic manga shape.
    pub fn shape(&mut self, path: Option<Path>, c: Rgb, ink_px: f32) {
        self.fill(path.clone(), c);
        self.ink(path.as_ref(), ink_px);
    }

    /// A limb or sleeve: a thick coloured stroke along `points` with an ink
    /// rim (`width` in local units).
    pub fn limb(&mut self, points: &[(f32, f32)], c: Rgb, width: f32, ink_px: f32) {
        let path = polyline(points);
        self.stroke(path.as_ref(), INK, width * self.px + 2.0 * ink_px);
        self.stroke(path.as_ref(), c, width * self.px);
    }

    /// Maps a local point to pixels.
    pub fn map(&self, x: f32, y: f32) -> (f32, f32) {
        let mut p = Point::from_xy(x, y);
        self.ts.map_point(&mut p);
        (p.x, p.y)
    }
}

/// An ellipse around `(cx, cy)`.
pub fn ellipse(cx: f32, cy: f32, rx: f32, ry: f32) -> Option<Path> {
    PathBuilder::from_oval(Rect::from_xywh(cx - rx, cy - ry, 2.0 * rx, 2.0 * ry)?)
}

/// A rectangle.
pub fn rect(x: f32, y: f32, w: f32, h: f32) -> Option<Path> {
    Some(PathBuilder::from_rect(Rect::from_xywh(x, y, w, h)?))
}

/// A closed polygon.
pub fn polygon(points: &[(f32, f32)]) -> Option<Path> {
    let mut pb = PathBuilder::new();
    let (first, rest) = points.split_first()?;
    pb.move_to(first.0, first.1);
    for p in rest {
        pb.line_to(p.0, p.1);
    }
    pb.close();
    pb.finish()
}

/// An open polyline.
pub fn polyline(points: &[(f32, f32)]) -> Option<Path> {
    let mut pb = PathBuilder::new();
    let (first, rest) = points.split_first()?;
    pb.move_to(first.0, first.1);
    for p in rest {
        pb.line_to(p.0, p.1);
    }
    pb.finish()
}

/// A closed, smooth shape through the midpoints of `points` (each point is a
/// control point): organic outlines for hair, clouds and foliage.
pub fn blob(points: &[(f32, f32)]) -> Option<Path> {
    let n = points.len();
    if n < 3 {
        return None;
    }
    let mid = |a: (f32, f32), b: (f32, f32)| ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
    let mut pb = PathBuilder::new();
    let start = mid(points[n - 1], points[0]);
    pb.move_to(start.0, start.1);
    for i in 0..n {
        let m = mid(points[i], points[(i + 1) % n]);
        pb.quad_to(points[i].0, points[i].1, m.0, m.1);
    }
    pb.close();
    pb.finish()
}

/// An open quadratic curve from `a` to `b` bending through control `c`.
pub fn curve(a: (f32, f32), c: (f32, f32), b: (f32, f32)) -> Option<Path> {
    let mut pb = PathBuilder::new();
    pb.move_to(a.0, a.1);
    pb.quad_to(c.0, c.1, b.0, b.1);
    pb.finish()
}

/// Darkens (`t` > 0, towards ink) or lightens (`t` < 0, towards paper) a colour.
pub fn shade(c: Rgb, t: f32) -> Rgb {
    if t >= 0.0 { c.mix(Rgb(20, 16, 26), t) } else { c.mix(PAPER, -t) }
}
