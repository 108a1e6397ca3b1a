use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{DomainError, ReadingDirection};

/// An axis-aligned rectangle in pixels (page or panel coordinates, as the field says).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Rect {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

impl Rect {
    /// A rectangle from its left, top, width and height.
    pub const fn new(x: f32, y: f32, w: f32, h: f32) -> Self {
        Self { x, y, w, h }
    }

    /// Right edge.
    pub fn right(&self) -> f32 {
        self.x + self.w
    }

    /// Bottom edge.
    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }

    /// The centre point.
    pub fn center(&self) -> Point {
        Point { x: self.x + self.w / 2.0, y: self.y + self.h / 2.0 }
    }

    /// Area in square pixels (0 for degenerate rectangles).
    pub fn area(&self) -> f32 {
        self.w.max(0.0) * self.h.max(0.0)
    }

    /// The overlap of two rectangles, if they overlap at all.
    pub fn intersection(&self, other: &Rect) -> Option<Rect> {
        let x = self.x.max(other.x);
        let y = self.y.max(other.y);
        let r = self.right().min(other.right());
        let b = self.bottom().min(other.bottom());
        (r > x && b > y).then(|| Rect::new(x, y, r - x, b - y))
    }

    /// Whether `other` lies entirely inside this rectangle (edges included, with `tolerance`).
    pub fn contains_rect(&self, other: &Rect, tolerance: f32) -> bool {
        other.x >= self.x - tolerance
            && other.y >= self.y - tolerance
            && other.right() <= self.right() + tolerance
            && other.bottom() <= self.bottom() + tolerance
    }

    /// This rectangle grown by `d` on every side (shrunk for negative `d`).
    pub fn inflate(&self, d: f32) -> Rect {
        Rect::new(self.x - d, self.y - d, self.w + 2.0 * d, self.h + 2.0 * d)
    }

    /// Whether `next`, meant to be read after this rectangle, would be read
    /// before it: it lies wholly above, or in the same band but behind (to the
    /// left for left-to-right reading, to the right for right-to-left) without
    /// starting lower. The rule for panels on a page and balloons in a panel.
    pub fn breaks_reading_order(&self, next: &Rect, direction: ReadingDirection) -> bool {
        const EPS: f32 = 2.0;
        let above = next.bottom() <= self.y + EPS;
        let same_band = next.y < self.bottom() - EPS && self.y < next.bottom() - EPS;
        let behind = match direction {
            ReadingDirection::LeftToRight => next.right() <= self.x + EPS,
            ReadingDirection::RightToLeft => next.x >= self.right() - EPS,
        };
        // A tall rectangle's neighbours may start in its band but further along.
        above || (same_band && behind && next.y <= self.y + EPS)
    }

    /// Whether the segment from `a` to `b` runs through the rectangle's inside
    /// (touching an edge or a corner does not count). Liang–Barsky clipping.
    pub fn crossed_by(&self, a: Point, b: Point) -> bool {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let (mut t0, mut t1) = (0.0_f32, 1.0_f32);
        for (p, q) in [(-dx, a.x - self.x), (dx, self.right() - a.x), (-dy, a.y - self.y), (dy, self.bottom() - a.y)] {
            if p == 0.0 {
                if q <= 0.0 {
                    return false;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
        t1 - t0 > 1e-4
    }
}

/// A point in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Point {
    /// Horizontal, rightwards.
    pub x: f32,
    /// Vertical, downwards.
    pub y: f32,
}

/// Whether the segments `a` and `b` cross at a point inside both (touching at
/// an end, or running along each other, does not count): two tails drawn
/// across each other.
pub fn segments_cross(a: (Point, Point), b: (Point, Point)) -> bool {
    let side = |p: Point, q: Point, r: Point| (q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x);
    let (d1, d2) = (side(b.0, b.1, a.0), side(b.0, b.1, a.1));
    let (d3, d4) = (side(a.0, a.1, b.0), side(a.0, a.1, b.1));
    d1 * d2 < 0.0 && d3 * d4 < 0.0
}

/// An sRGB colour, written `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Parses `#rrggbb`.
    ///
    /// # Errors
    /// [`DomainError::InvalidColour`] for any other form.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::InvalidColour(text.to_owned());
        let hex = text.strip_prefix('#').ok_or_else(bad)?;
        if hex.len() != 6 || !hex.is_ascii() {
            return Err(bad());
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
        Ok(Self(byte(0)?, byte(2)?, byte(4)?))
    }

    /// Mixes towards `other` by `t` in 0..=1.
    pub fn mix(self, other: Rgb, t: f32) -> Rgb {
        let t = t.clamp(0.0, 1.0);
        let m = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
        Rgb(m(self.0, other.0), m(self.1, other.1), m(self.2, other.2))
    }

    /// Relative luminance in 0..=1 (Rec. 709 weights on sRGB values; good enough for contrast choices).
    pub fn luma(self) -> f32 {
        (0.2126 * f32::from(self.0) + 0.7152 * f32::from(self.1) + 0.0722 * f32::from(self.2)) / 255.0
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

impl TryFrom<String> for Rgb {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Rgb> for String {
    fn from(value: Rgb) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_tails_cross_and_touching_or_parallel_ones_do_not() {
        let p = |x: f32, y: f32| Point { x, y };
        assert!(segments_cross((p(0.0, 0.0), p(10.0, 10.0)), (p(0.0, 10.0), p(10.0, 0.0))));
        assert!(!segments_cross((p(0.0, 0.0), p(10.0, 10.0)), (p(10.0, 10.0), p(20.0, 0.0))), "meeting at an end");
        assert!(!segments_cross((p(0.0, 0.0), p(10.0, 0.0)), (p(0.0, 5.0), p(10.0, 5.0))), "parallel");
        assert!(!segments_cross((p(0.0, 0.0), p(4.0, 4.0)), (p(0.0, 10.0), p(10.0, 0.0))), "short of the other");
    }

    #[test]
    fn a_rectangle_above_or_behind_in_its_band_breaks_the_reading_order() {
        let first = Rect::new(600.0, 100.0, 200.0, 100.0);
        let rtl = ReadingDirection::RightToLeft;
        assert!(!first.breaks_reading_order(&Rect::new(300.0, 100.0, 200.0, 100.0), rtl), "to its left");
        assert!(!first.breaks_reading_order(&Rect::new(700.0, 250.0, 200.0, 100.0), rtl), "below");
        assert!(first.breaks_reading_order(&Rect::new(850.0, 100.0, 200.0, 100.0), rtl), "to its right");
        assert!(first.breaks_reading_order(&Rect::new(300.0, 0.0, 200.0, 90.0), rtl), "above");
        let ltr = ReadingDirection::LeftToRight;
        assert!(first.breaks_reading_order(&Rect::new(300.0, 100.0, 200.0, 100.0), ltr), "to its left, left to right");
    }

    #[test]
    fn a_segment_crosses_a_rectangle_only_through_its_inside() {
        let r = Rect::new(10.0, 10.0, 20.0, 10.0);
        let p = |x, y| Point { x, y };
        assert!(r.crossed_by(p(0.0, 15.0), p(40.0, 15.0)), "straight through");
        assert!(r.crossed_by(p(0.0, 0.0), p(40.0, 30.0)), "diagonally through");
        assert!(r.crossed_by(p(15.0, 15.0), p(100.0, 100.0)), "from inside out");
        assert!(!r.crossed_by(p(0.0, 0.0), p(8.0, 30.0)), "passes to the left");
        assert!(!r.crossed_by(p(0.0, 10.0), p(40.0, 10.0)), "along the top edge");
        assert!(!r.crossed_by(p(0.0, 0.0), p(5.0, 5.0)), "stops short");
        assert!(!r.crossed_by(p(15.0, 30.0), p(15.0, 30.0)), "a point outside");
    }

    #[test]
    fn colours_round_trip_through_hex() {
        let c = Rgb::parse("#1a2B3c").unwrap();
        assert_eq!(c, Rgb(0x1a, 0x2b, 0x3c));
        assert_eq!(c.to_string(), "#1a2b3c");
        assert!(Rgb::parse("1a2b3c").is_err());
        assert!(Rgb::parse("#12345").is_err());
        assert!(Rgb::parse("#gg0000").is_err());
    }

    #[test]
    fn intersection_is_none_for_touching_edges() {
        let a = Rect::new(0.0, 0.0, 10.0, 10.0);
        assert_eq!(a.intersection(&Rect::new(10.0, 0.0, 5.0, 5.0)), None);
        assert_eq!(a.intersection(&Rect::new(5.0, 5.0, 10.0, 10.0)), Some(Rect::new(5.0, 5.0, 5.0, 5.0)));
    }
}
