//! Where a balloon goes: a grid of candidate spots over the panel, scored.
//!
//! Hard constraints (counted as a violation, only accepted when no spot is
//! free of them): overlapping an earlier balloon, covering a face, the later
//! part of a split line read before the earlier. Soft ones (a penalty):
//! distance from the top, from the speaker's head, from the reading-order
//! corner, breaking reading order, covering bodies, and on remote art covering
//! busy ink (the detail map). Between the two, counted and weighed before any
//! penalty: a tail crossing a balloon (this one's over an earlier balloon, or
//! an earlier one's through this) or another tail.

use manga_domain::{Figure, Point, ReadingDirection, Rect, segments_cross};

/// Balloons and faces stay this far inside the panel.
pub(crate) const EDGE: f32 = 6.0;
/// Grid steps across and down.
const STEPS: usize = 14;

/// What a spot is scored against.
pub(crate) struct Scene<'a> {
    pub width: f32,
    pub height: f32,
    pub figures: &'a [Figure],
    /// Boxes already taken (balloons, and for SFX also their boxes).
    pub taken: Vec<Rect>,
    /// The tails of balloons already placed, as lines from their centre to the speaker's mouth.
    pub tails: Vec<(Point, Point)>,
    pub right_to_left: bool,
    /// A retry nudges the grid so it lands on other spots.
    pub attempt: u32,
    /// Measured detail of the art, when its figures were only estimated.
    pub detail: Option<&'a crate::detail::DetailMap>,
}

/// The chosen spot with its cost: (violation, crossings, penalty); lower is
/// better, in that order. Crossed tails leave the reader unsure who speaks,
/// so any spot that keeps them apart beats one that does not, however much
/// nearer the corner or the speaker.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spot {
    pub rect: Rect,
    pub violation: f32,
    /// Tails crossing a balloon or each other, this one's or those placed before.
    pub crossings: usize,
    pub penalty: f32,
}

impl Spot {
    pub fn better_than(&self, other: &Spot) -> bool {
        (self.violation, self.crossings, self.penalty) < (other.violation, other.crossings, other.penalty)
    }

    /// Clear of faces and balloons, with no tail crossing anything.
    pub fn clean(&self) -> bool {
        self.violation == 0.0 && self.crossings == 0
    }
}

/// How the spot search should weigh things for one balloon.
pub(crate) struct Wants<'a> {
    pub speaker: Option<&'a Figure>,
    /// The previous balloon in reading order, if any.
    pub previous: Option<Rect>,
    /// The balloon holding the first part of this one's line, when a line is
    /// split: a spot read before it is a violation, not a mere penalty.
    pub continues: Option<Rect>,
    /// Narration wants its corner strongly.
    pub corner_weight: f32,
    /// SFX prefer the lower part of the panel, balloons the top.
    pub prefer_top: bool,
}

fn overlap(a: &Rect, b: &Rect) -> f32 {
    a.intersection(b).map_or(0.0, |r| r.area())
}

impl Scene<'_> {
    fn direction(&self) -> ReadingDirection {
        if self.right_to_left { ReadingDirection::RightToLeft } else { ReadingDirection::LeftToRight }
    }

    /// The best spot for a `w` × `h` box, or `None` if it cannot fit inside the panel at all.
    pub fn best_spot(&self, w: f32, h: f32, wants: &Wants<'_>) -> Option<Spot> {
        let (free_w, free_h) = (self.width - 2.0 * EDGE - w, self.height - 2.0 * EDGE - h);
        if free_w < 0.0 || free_h < 0.0 {
            return None;
        }
        let nudge = if self.attempt > 1 { 0.37 * (self.attempt - 1) as f32 } else { 0.0 };
        let mut best: Option<Spot> = None;
        for i in 0..=STEPS {
            for j in 0..=STEPS {
                let fx = ((i as f32 + if i == 0 || i == STEPS { 0.0 } else { nudge }) / STEPS as f32).min(1.0);
                let fy = ((j as f32 + if j == 0 || j == STEPS { 0.0 } else { nudge }) / STEPS as f32).min(1.0);
                let rect = Rect::new(EDGE + free_w * fx, EDGE + free_h * fy, w, h);
                let spot = self.score(rect, wants);
                if best.as_ref().is_none_or(|b| spot.better_than(b)) {
                    best = Some(spot);
                }
            }
        }
        best
    }

    fn score(&self, rect: Rect, wants: &Wants<'_>) -> Spot {
        let area = rect.area().max(1.0);
        let gap = rect.inflate(4.0);
        let mut violation: f32 = self.taken.iter().map(|t| overlap(&gap, t) * 4.0).sum();
        violation += self.figures.iter().map(|f| overlap(&rect, &f.face.inflate(2.0))).sum::<f32>();
        if wants.continues.is_some_and(|first| first.breaks_reading_order(&rect, self.direction())) {
            violation += area;
        }

        let (w, h) = (self.width, self.height);
        let c = rect.center();
        let mut penalty = 0.0;
        // Top band for balloons, lower part for sound effects.
        penalty += 0.8 * if wants.prefer_top { rect.y / h } else { 1.0 - rect.bottom() / h };
        // The reading-order corner: top-right for right-to-left, top-left otherwise.
        let from_side = if self.right_to_left { (w - rect.right()) / w } else { rect.x / w };
        penalty += wants.corner_weight * (from_side + rect.y / h);
        // Near the speaker's head: just above or beside it.
        if let Some(f) = wants.speaker {
            let head = Point { x: f.face.center().x, y: (f.face.y - rect.h / 2.0 - 8.0).max(rect.h / 2.0) };
            let d = ((c.x - head.x).powi(2) + (c.y - head.y).powi(2)).sqrt() / (w * w + h * h).sqrt();
            penalty += 1.2 * d;
            // Leave room for a tail between the balloon and the face.
            let near = rect.inflate(24.0);
            if overlap(&near, &f.face) > 0.0 {
                penalty += 0.5;
            }
        }
        // Reading order: a later balloon is not above-and-before an earlier one.
        if let Some(p) = wants.previous {
            let before = if self.right_to_left { c.x > p.center().x + 4.0 } else { c.x < p.center().x - 4.0 };
            if before && rect.y < p.bottom() - p.h * 0.25 {
                penalty += 1.5;
            }
            if rect.bottom() < p.y {
                penalty += 1.5;
            }
        }
        // Tails never cross a balloon: not this one's over those placed, nor theirs through this one.
        let mut crossings = self.tails.iter().filter(|(from, to)| rect.crossed_by(*from, *to)).count();
        if let Some(f) = wants.speaker {
            crossings += self.taken.iter().filter(|t| t.crossed_by(c, f.mouth)).count();
            // Nor two tails each other.
            crossings += self.tails.iter().filter(|&&tail| segments_cross((c, f.mouth), tail)).count();
        }
        // Covering bodies is allowed but not loved.
        penalty += 0.4 * self.figures.iter().map(|f| overlap(&rect, &f.body)).sum::<f32>() / area;
        // On art without figure boxes, busy ink is probably something drawn: keep off it.
        if let Some(detail) = self.detail {
            penalty += 1.5 * detail.busy(&rect);
        }
        Spot { rect, violation, crossings, penalty }
    }
}

/// Where a tail from `body` to the speaker's `mouth` should end: on the line
/// from the body's centre to the mouth, a few pixels short of the face, and
/// not absurdly long. `None` if the face touches the body.
pub(crate) fn tail_tip(body: &Rect, edge: Point, face: &Rect, mouth: Point, panel: (f32, f32)) -> Option<Point> {
    let c = body.center();
    let (dx, dy) = (mouth.x - c.x, mouth.y - c.y);
    let len = (dx * dx + dy * dy).sqrt();
    if len < 1.0 {
        return None;
    }
    let (ux, uy) = (dx / len, dy / len);
    // Where the centre-to-mouth ray enters the face box (slab method).
    let enter = |o: f32, d: f32, lo: f32, hi: f32| {
        if d.abs() < 1e-6 {
            if o >= lo && o <= hi { (f32::NEG_INFINITY, f32::INFINITY) } else { (f32::INFINITY, f32::NEG_INFINITY) }
        } else {
            let (a, b) = ((lo - o) / d, (hi - o) / d);
            (a.min(b), a.max(b))
        }
    };
    let (tx0, tx1) = enter(c.x, ux, face.x, face.right());
    let (ty0, ty1) = enter(c.y, uy, face.y, face.bottom());
    let (t_in, t_out) = (tx0.max(ty0), tx1.min(ty1));
    let stop = if t_in <= t_out && t_out > 0.0 { t_in.max(0.0) - 6.0 } else { len - 6.0 };
    let from_edge = ((edge.x - c.x).powi(2) + (edge.y - c.y).powi(2)).sqrt();
    let longest = from_edge + (0.9 * body.w.min(body.h)).max(40.0);
    let t = stop.min(longest);
    if t < from_edge + 8.0 {
        return None;
    }
    let tip = Point { x: (c.x + ux * t).clamp(2.0, panel.0 - 2.0), y: (c.y + uy * t).clamp(2.0, panel.1 - 2.0) };
    Some(tip)
}
