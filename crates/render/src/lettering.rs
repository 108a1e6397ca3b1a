//! Lettering a panel: sizing each balloon for its text, placing it off faces
//! and other balloons in reading order, drawing it with its tail and text,
//! then the sound effects.
//!
//! Fitting a balloon's text tries, in order: the base font size, smaller
//! sizes down to the minimum a reader can read in print ([`min_px`]: 8.5 pt
//! for dialogue, 8 pt for captions), the same sizes in a balloon allowed to
//! grow to 70% of the panel, the flattest and the narrowest balloon at each
//! size (for a spot that keeps tails apart), splitting the text into two, three or four
//! balloons at sentence or clause ends, and last truncating the parts
//! (`overflow: true`, which the gate scores). Text never goes below the
//! minimum. Glyph ink is clipped to the balloon's text area, so it never
//! crosses an outline.

mod fit;
mod place;
mod sfx;

use manga_domain::{BalloonKind, BalloonPlan, Figure, Language, PlacedBalloon, ReadingDirection, Rect};
use tiny_skia::{Color, Pixmap};

use self::fit::{Fit, Limits, Measure, split_in_two};
use self::place::{EDGE, Scene, Spot, Wants, tail_tip};
use crate::balloon::Balloon;
use crate::fonts::FontKind;

/// What to letter in one panel.
#[derive(Debug, Clone, Copy)]
pub struct LetteringRequest<'a> {
    /// Balloons in reading order; text bounded by the storyboard
    /// (about 45 Japanese or 100 English characters each).
    pub balloons: &'a [BalloonPlan],
    /// Sound effects, lettered large in the display font, no balloon.
    pub sfx: &'a [String],
    /// Figures in panel pixels: body, face (kept clear), mouth (tail target).
    pub figures: &'a [Figure],
    /// Ja: vertical text; En: horizontal.
    pub language: Language,
    /// Where the first balloon goes (top-right for right-to-left).
    pub reading_direction: ReadingDirection,
    /// 1, 2, …: a retry starts at a smaller size (never under [`min_px`]) and tries other spots.
    pub attempt: u32,
    /// The drawing's detail, for art that came without figure boxes: balloons prefer its quiet parts.
    pub detail: Option<&'a crate::detail::DetailMap>,
}

/// What was lettered, in panel pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct LetteringOutcome {
    /// Balloons in reading order (a split line gives two consecutive balloons with the same line id).
    pub balloons: Vec<PlacedBalloon>,
    /// Each sound effect with the box of its ink.
    pub sfx: Vec<(String, Rect)>,
}

/// One balloon decided but not yet drawn.
struct Decided {
    plan_line: Option<manga_domain::LineId>,
    measure: Measure,
    fit: Fit,
    balloon: Balloon,
    overflow: bool,
    /// How much its spot covers faces and other balloons (0 when clear).
    violation: f32,
}

/// Pixels per point on the page panels are drawn for: B5, 182 mm across 1,240 px.
pub const PX_PER_PT: f32 = 1240.0 / (182.0 / 25.4 * 72.0);

/// The smallest size text of `kind` is set at: 8.5 pt for what characters say
/// (about 20 px), 8 pt for captions (about 19 px). Below that a printed page
/// is hard to read.
pub fn min_px(kind: BalloonKind) -> f32 {
    match kind {
        BalloonKind::Narration => 8.0 * PX_PER_PT,
        _ => 8.5 * PX_PER_PT,
    }
}

/// A line is split into at most this many balloons before its parts are truncated.
const MAX_PARTS: usize = 4;

/// Sizes that depend on the panel and the attempt.
struct Sizes {
    base_px: f32,
    width: f32,
    height: f32,
    normal: Limits,
    grown: Limits,
}

impl Sizes {
    fn new(width: f32, height: f32, attempt: u32) -> Sizes {
        // ~24 px for a 600 px panel on a 1240 px page, a little more or less with panel size.
        let short = width.min(height);
        let retry = attempt.saturating_sub(1) as f32;
        let base_px = ((18.0 + 6.0 * (short / 600.0).sqrt()).round() - 2.0 * retry).min(28.0);
        let (max_w, max_h) = (width - 2.0 * EDGE, height - 2.0 * EDGE);
        Sizes {
            base_px,
            width,
            height,
            normal: Limits { w: (0.45 * width).min(max_w), h: (0.55 * height).min(max_h) },
            grown: Limits { w: (0.7 * width).min(max_w), h: (0.7 * height).min(max_h) },
        }
    }

    /// The base and smallest size for `kind`: never under [`min_px`].
    fn range(&self, kind: BalloonKind) -> (f32, f32) {
        let min = min_px(kind);
        (self.base_px.max(min), min)
    }

    /// The room for each of `parts` balloons of one line: two side by side or
    /// one above the other (vertical text goes side by side unless the panel is
    /// tall, horizontal text stacks unless it is wide); three or four in a 2 × 2 grid.
    fn part_limits(&self, parts: usize, vertical: bool) -> Limits {
        let wide = if vertical { self.width >= 0.8 * self.height } else { self.width >= 1.6 * self.height };
        let (cols, rows) = match parts {
            0 | 1 => (1.0, 1.0),
            2 if wide => (2.0, 1.0),
            2 => (1.0, 2.0),
            _ => (2.0, 2.0),
        };
        Limits {
            w: self.grown.w.min((self.width - (cols + 1.0) * EDGE) / cols - 4.0),
            h: self.grown.h.min((self.height - (rows + 1.0) * EDGE) / rows - 4.0),
        }
    }
}

/// Letters a panel in place: balloons (with tails to the speakers' mouths)
/// and sound effects, drawn onto `pixmap`, whose size is the panel's.
pub fn letter_panel(pixmap: &mut Pixmap, request: &LetteringRequest<'_>) -> LetteringOutcome {
    let (width, height) = (pixmap.width() as f32, pixmap.height() as f32);
    let vertical = request.language == Language::Ja;
    let attempt = request.attempt.max(1);
    let sizes = Sizes::new(width, height, attempt);
    let mut scene = Scene {
        width,
        height,
        figures: request.figures,
        taken: Vec::new(),
        tails: Vec::new(),
        right_to_left: request.reading_direction == ReadingDirection::RightToLeft,
        attempt,
        detail: request.detail,
    };

    let mut decided: Vec<Decided> = Vec::new();
    for plan in request.balloons {
        let text = plan.text.trim();
        if text.is_empty() {
            continue;
        }
        let speaker = plan.speaker.as_ref().and_then(|id| request.figures.iter().find(|f| &f.character == id));
        let placed_before = scene.taken.len();
        let mut parts = decide(&mut scene, &sizes, plan, text, vertical, speaker);
        // The words and the faces matter more than the balloon's shape: a burst or a cloud whose
        // text would be cut, or which covers a face or a balloon, is set in a plain ellipse, which
        // holds more in less room, if that cuts and covers less.
        if trouble(&parts) > (0, 0.0) && matches!(plan.kind, BalloonKind::Shout | BalloonKind::Thought) {
            let kept = std::mem::take(&mut parts);
            let with_kept = scene.taken.split_off(placed_before);
            let plain = BalloonPlan { kind: BalloonKind::Speech, ..plan.clone() };
            let plain_parts = decide(&mut scene, &sizes, &plain, text, vertical, speaker);
            if trouble(&plain_parts) < trouble(&kept) {
                parts = plain_parts;
            } else {
                scene.taken.truncate(placed_before);
                scene.taken.extend(with_kept);
                parts = kept;
            }
        }
        for mut d in parts {
            if let Some(figure) = speaker.filter(|_| plan.kind.has_tail()) {
                let edge = d.balloon.edge_toward(figure.mouth);
                d.balloon.tail = tail_tip(&d.balloon.bounds, edge, &figure.face, figure.mouth, (width, height));
                scene.tails.push((d.balloon.bounds.center(), figure.mouth));
            }
            d.plan_line = plan.line;
            decided.push(d);
        }
    }

    // Shapes first, then text, so no tail can cover an earlier balloon's letters.
    for d in &decided {
        d.balloon.draw(pixmap);
    }
    let balloons = decided
        .iter()
        .map(|d| {
            let layout = d.measure.layout(&d.fit);
            let area = d.balloon.text_area();
            let c = area.center();
            let (x, y) = (c.x - layout.width / 2.0, c.y - layout.height / 2.0);
            let ink = layout.draw(pixmap, x, y, Color::BLACK, Some(area));
            PlacedBalloon {
                line: d.plan_line,
                kind: d.balloon.kind,
                text: d.fit.text.clone(),
                bounds: d.balloon.bounds,
                text_box: ink.unwrap_or(Rect::new(c.x, c.y, 0.0, 0.0)),
                font_px: d.fit.px,
                vertical,
                tail: d.balloon.tail,
                overflow: d.overflow,
            }
        })
        .collect();

    let mut sfx = Vec::new();
    for (i, text) in request.sfx.iter().enumerate() {
        if let Some(rect) = sfx::letter_sfx(pixmap, &scene, text, i) {
            scene.taken.push(rect);
            sfx.push((text.trim().to_owned(), rect));
        }
    }
    LetteringOutcome { balloons, sfx }
}

/// What is wrong with a line's balloons, worst first: parts whose text was
/// cut, then how much they cover faces and other balloons.
fn trouble(parts: &[Decided]) -> (usize, f32) {
    (parts.iter().filter(|d| d.overflow).count(), parts.iter().map(|d| d.violation).sum())
}

/// Sizes and places one planned balloon (several if its text had to be split),
/// adding what it takes to the scene.
fn decide(
    scene: &mut Scene<'_>,
    sizes: &Sizes,
    plan: &BalloonPlan,
    text: &str,
    vertical: bool,
    speaker: Option<&Figure>,
) -> Vec<Decided> {
    let kind = plan.kind;
    let (base_px, min_px) = sizes.range(kind);
    let (measure, variants) = whole_balloon(text, kind, vertical, sizes);
    if !variants.is_empty() {
        let (fit, spot) = choose(scene, &variants, kind, speaker, false);
        return vec![commit(scene, measure, fit, spot, false)];
    }
    // Too long for one balloon at the smallest readable size: the fewest parts that each fit.
    let mut parts = vec![text.to_owned()];
    while parts.len() < MAX_PARTS {
        let Some(more) = split_longest(&parts) else { break };
        parts = more;
        let limits = sizes.part_limits(parts.len(), vertical);
        let fitted: Option<Vec<(Measure, Vec<Fit>)>> = parts
            .iter()
            .map(|part| {
                let measure = Measure::new(part, kind, vertical);
                let variants = measure.variants(kind, base_px, min_px, limits, limits);
                (!variants.is_empty()).then_some((measure, variants))
            })
            .collect();
        if let Some(fitted) = fitted {
            return fitted
                .into_iter()
                .enumerate()
                .map(|(i, (measure, variants))| {
                    let (fit, spot) = choose(scene, &variants, kind, speaker, i > 0);
                    commit(scene, measure, fit, spot, false)
                })
                .collect();
        }
    }
    // Nothing fits: each part keeps what it can, marked as overflowing.
    let limits = sizes.part_limits(parts.len(), vertical);
    parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let measure = Measure::new(&part, kind, vertical);
            let variants = measure.variants(kind, base_px, min_px, limits, limits);
            let (fit, overflow) = match variants.is_empty() {
                false => (choose(scene, &variants, kind, speaker, i > 0).0, false),
                true => (measure.truncated(kind, min_px, limits), true),
            };
            let spot = spot_for(scene, &fit, kind, speaker, i > 0).unwrap_or(Spot {
                rect: Rect::new(EDGE, EDGE, fit.balloon.bounds.w, fit.balloon.bounds.h),
                violation: f32::INFINITY,
                crossings: 0,
                penalty: 0.0,
            });
            commit(scene, measure, fit, spot, overflow)
        })
        .collect()
}

/// The text shaped, and its fits as one balloon in order of preference. When
/// some fit keeps every word whole, only those are offered (a spot clear of
/// faces never buys a broken word). A cry too wide for the heavy display face
/// at a readable size is set in the narrower dialogue face rather than broken.
fn whole_balloon(text: &str, kind: BalloonKind, vertical: bool, sizes: &Sizes) -> (Measure, Vec<Fit>) {
    let (base_px, min_px) = sizes.range(kind);
    let shaped = |measure: Measure| {
        let mut variants = measure.variants(kind, base_px, min_px, sizes.normal, sizes.grown);
        let whole = variants.iter().any(|fit| measure.keeps_words(fit));
        if whole {
            variants.retain(|fit| measure.keeps_words(fit));
        }
        (measure, variants, whole)
    };
    let (measure, variants, whole) = shaped(Measure::new(text, kind, vertical));
    if measure.font == FontKind::Display && !whole {
        let (plain, plain_variants, plain_whole) = shaped(Measure::in_face(text, FontKind::Dialogue, vertical));
        if plain_whole {
            return (plain, plain_variants);
        }
    }
    (measure, variants)
}

/// `parts` with its longest part split in two near its middle (at a sentence
/// or clause end), in reading order; `None` when it cannot be split.
fn split_longest(parts: &[String]) -> Option<Vec<String>> {
    let (at, longest) = parts.iter().enumerate().max_by_key(|(_, p)| p.chars().count())?;
    let (a, b) = split_in_two(longest)?;
    let mut out = parts.to_vec();
    out.splice(at..=at, [a, b]);
    Some(out)
}

/// The spot search's wishes for a balloon of `kind`; `continues` when it
/// holds a later part of a split line (the one placed last holds the part before).
fn wants<'a>(scene: &Scene<'_>, kind: BalloonKind, speaker: Option<&'a Figure>, continues: bool) -> Wants<'a> {
    let first = scene.taken.is_empty();
    Wants {
        speaker: speaker.filter(|_| kind.has_tail()),
        previous: scene.taken.last().copied(),
        continues: scene.taken.last().copied().filter(|_| continues),
        corner_weight: match kind {
            BalloonKind::Narration => 3.0,
            _ if first => 0.6,
            _ => 0.15,
        },
        prefer_top: true,
    }
}

fn spot_for(
    scene: &Scene<'_>,
    fit: &Fit,
    kind: BalloonKind,
    speaker: Option<&Figure>,
    continues: bool,
) -> Option<Spot> {
    let b = fit.balloon.bounds;
    scene.best_spot(b.w, b.h, &wants(scene, kind, speaker, continues))
}

/// The first fit (in order of preference) that has a spot clear of faces and
/// balloons with no tail crossing; else the first clear one; else the fit and
/// spot that violate least. A smaller size that keeps tails apart is worth more
/// than a larger one that crosses them (no size is under the minimum).
fn choose(
    scene: &Scene<'_>,
    variants: &[Fit],
    kind: BalloonKind,
    speaker: Option<&Figure>,
    continues: bool,
) -> (Fit, Spot) {
    let mut least: Option<(usize, Spot)> = None;
    let mut clear: Option<(usize, Spot)> = None;
    for (i, fit) in variants.iter().enumerate() {
        let Some(spot) = spot_for(scene, fit, kind, speaker, continues) else { continue };
        if spot.clean() {
            return (fit.clone(), spot);
        }
        if spot.violation == 0.0 && clear.is_none() {
            clear = Some((i, spot));
        }
        if least.as_ref().is_none_or(|(_, s)| spot.violation < s.violation) {
            least = Some((i, spot));
        }
    }
    match clear.or(least) {
        Some((i, spot)) => (variants[i].clone(), spot),
        None => {
            // Unreachable in practice: the grown limits fit inside the panel.
            let fit = variants[variants.len() - 1].clone();
            let b = fit.balloon.bounds;
            let rect = Rect::new(EDGE, EDGE, b.w, b.h);
            (fit, Spot { rect, violation: f32::INFINITY, crossings: 0, penalty: 0.0 })
        }
    }
}

fn commit(scene: &mut Scene<'_>, measure: Measure, fit: Fit, spot: Spot, overflow: bool) -> Decided {
    let balloon = fit.balloon.moved_to(spot.rect.x, spot.rect.y);
    scene.taken.push(balloon.bounds);
    Decided { plan_line: None, measure, fit, balloon, overflow, violation: spot.violation }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_cry_in_a_small_panel_keeps_its_word_whole() {
        let sizes = Sizes::new(357.0, 360.0, 1);
        let (measure, variants) = whole_balloon("Grandfather!", BalloonKind::Shout, false, &sizes);
        assert!(!variants.is_empty(), "it fits");
        for fit in &variants {
            assert!(fit.px >= min_px(BalloonKind::Shout) - 0.01);
            let lines = measure.layout(fit).line_texts;
            assert_eq!(lines, vec!["Grandfather!".to_owned()], "in the {:?} face at {} px", measure.font, fit.px);
        }
    }
}
