//! Staging: who stands where, how big, facing whom, in which pose (the
//! mood's, unless the action says what they do: [`deeds_in`]). Sizes
//! follow the shot (wide: small full figures; medium: waist-up; close-up:
//! one face), positions spread the cast left to right in storyboard order.
//! Heads stay below the band the panel's text will need ([`text_band`]), as
//! an artist leaves room for the balloons the storyboard put there: a
//! letterer can move a balloon but not a drawn face.

use manga_domain::{
    AgeGroup, Angle, Build, CharacterId, CharacterSheet, Effect, HairStyle, Look, Mood, OutfitKind, PanelPlan, Rgb,
    Shot,
};

use super::body::Body;
use super::figure::{Arm, Placement, Pose};
use super::head::Expression;
use super::rng::{Rng, hash_str};
use crate::local::analysis::{Deed, deeds_in};

/// One figure to draw.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Who.
    pub id: CharacterId,
    /// How they look.
    pub look: Look,
    /// Where and how big.
    pub placement: Placement,
    /// How they stand.
    pub pose: Pose,
    /// Whether the panel is about them.
    pub focus: bool,
    /// Distance from the camera (0 nearest); the farthest are drawn first.
    pub depth: f32,
}

/// A plausible look for a cast member without a sheet, from the id's hash,
/// so every cast member is still drawn.
pub fn fallback_look(id: &CharacterId) -> Look {
    let mut r = Rng::new(hash_str(id.as_str()));
    let pick = |r: &mut Rng, colours: &[Rgb]| colours[r.below(colours.len() as u32) as usize];
    Look {
        hair_color: pick(&mut r, &[Rgb(40, 32, 30), Rgb(90, 60, 40), Rgb(30, 30, 45)]),
        hair_style: [HairStyle::Short, HairStyle::Long, HairStyle::Bob, HairStyle::Spiky][r.below(4) as usize],
        eye_color: Rgb(70, 50, 40),
        skin: Rgb(240, 212, 185),
        build: Build::Average,
        age: AgeGroup::Adult,
        outfit: [OutfitKind::Casual, OutfitKind::Kimono, OutfitKind::Uniform][r.below(3) as usize],
        outfit_color: pick(&mut r, &[Rgb(90, 110, 150), Rgb(150, 80, 70), Rgb(100, 130, 90)]),
        accent_color: Rgb(200, 170, 80),
        spectacles: false,
        height: 1.0,
        from_text: Vec::new(),
    }
}

/// Places the panel's cast (one face for a close-up).
pub fn stage_cast(panel: &PanelPlan, sheets: &[CharacterSheet], w: f32, h: f32, rng: &Rng) -> Vec<Actor> {
    let look_of = |id: &CharacterId| {
        sheets.iter().find(|s| &s.id == id).map(|s| s.look.clone()).unwrap_or_else(|| fallback_look(id))
    };
    let mut cast: Vec<&CharacterId> = panel.cast.iter().take(4).collect();
    if panel.shot == Shot::CloseUp {
        let one = panel.focus.as_ref().filter(|f| panel.cast.contains(f)).or(panel.cast.first());
        cast = one.into_iter().collect();
    }
    let n = cast.len();
    let focus_at = panel.focus.as_ref().and_then(|f| cast.iter().position(|c| *c == f));
    let looks: Vec<Look> = cast.iter().map(|id| look_of(id)).collect();
    let band = text_band(panel, w, h);
    let deeds = deeds_in(&panel.action);
    let group = Group::of(&looks, h, band, rng);
    let mut actors: Vec<Actor> = cast
        .iter()
        .zip(looks)
        .enumerate()
        .map(|(i, (id, look))| {
            let mut r = rng.fork(hash_str(id.as_str()) ^ i as u64);
            let focus = focus_at == Some(i);
            let depth = if focus || n == 1 { 0.0 } else { r.range(0.2, 1.0) };
            let placement = place(panel, &look, &group, i, n, focus, depth, (w, h, band), &mut r);
            let mut pose = pose(panel, focus, &mut r);
            if let Some(&deed) = deeds.first()
                && (focus || focus_at.is_none())
            {
                act(&mut pose, deed);
            }
            Actor { id: (*id).clone(), look, placement, pose, focus, depth }
        })
        .collect();
    face_each_other(&mut actors, focus_at, w, rng);
    actors
}

/// The share of the panel's height, from the top, its balloons and captions
/// will take: their text's area at about the size it is lettered at (a
/// Japanese cell of 24 px, an English letter 0.55 × 1.25 of it), three times
/// that for the balloon around it and the gaps between balloons, spread over
/// 80 % of the panel's width. At most half the panel.
pub(crate) fn text_band(panel: &PanelPlan, w: f32, h: f32) -> f32 {
    const CELL: f32 = 24.0;
    let text_area: f32 = panel
        .balloons
        .iter()
        .flat_map(|b| b.text.chars())
        .filter(|c| !c.is_whitespace())
        .map(|c| if c.is_ascii() { 0.55 * 1.25 * CELL * CELL } else { CELL * CELL })
        .sum();
    (3.0 * text_area / (0.8 * w) / h).clamp(0.0, 0.5)
}

/// What a medium shot shares across the cast: one scale and one ground
/// line, so a child stands a head lower than an adult beside them.
struct Group {
    /// Pixels per unit, before the width limit.
    scale: f32,
    /// The feet's y, below the panel.
    feet: f32,
    /// The widest shoulders.
    sw: f32,
}

impl Group {
    fn of(looks: &[Look], h: f32, band: f32, rng: &Rng) -> Self {
        let mut r = rng.fork(3);
        let bodies: Vec<(Body, f32)> = looks.iter().map(|l| (Body::of(l), Body::of(l).face_box(l).1)).collect();
        let Some((tallest, top)) = bodies.iter().copied().max_by(|a, b| b.1.total_cmp(&a.1)) else {
            return Self { scale: 1.0, feet: h, sw: 1.0 };
        };
        let scale = h * r.range(0.19, 0.24) / (2.0 * tallest.head.b);
        let feet = h * r.range(0.08, 0.14).max(band) - top * scale;
        Self { scale, feet, sw: bodies.iter().map(|b| b.0.sw).fold(1.0, f32::max) }
    }
}

/// Size and position by shot and angle.
#[allow(clippy::too_many_arguments)]
fn place(
    panel: &PanelPlan,
    look: &Look,
    group: &Group,
    i: usize,
    n: usize,
    focus: bool,
    depth: f32,
    (w, h, band): (f32, f32, f32),
    r: &mut Rng,
) -> Placement {
    let body = Body::of(look);
    let (l, t, rt, bt) = body.face_box(look);
    let slot =
        if n == 1 { w * r.range(0.38, 0.62) } else { w * (i as f32 + 0.5) / n as f32 + r.range(-0.03, 0.03) * w };
    let boost = if focus { 1.1 } else { 1.0 };
    match panel.shot {
        Shot::Wide => {
            let share = match panel.angle {
                Angle::Eye => 0.42,
                Angle::High => 0.36,
                Angle::Low => 0.5,
            } * r.range(0.95, 1.05);
            let ground = if panel.angle == Angle::Low { 0.95 } else { 0.9 };
            let by_height = h * share / 100.0;
            let by_width = 0.9 * w / (n as f32 * 2.6 * body.sw.max(body.hw * 1.6));
            // An average figure is 100 units tall: the head stays under the text's band.
            let room = (ground - 0.07 * depth - band - 0.02).max(0.25) / look.height.clamp(0.5, 1.3);
            let scale = (by_height.min(by_width) * boost * (1.0 - 0.15 * depth)).min(h * room / 100.0);
            Placement { x: slot, y: h * (ground - 0.07 * depth), scale, right: true }
        }
        Shot::Medium => {
            let fit = (0.6 * w / (n as f32 * group.sw)).min(group.scale);
            let scale = fit * if focus { 1.06 } else { 1.0 - 0.08 * depth };
            // The feet stay on the shared ground; the head must stay in frame.
            let feet = (group.feet * scale / group.scale).max(h * 0.04 - t * scale) - depth * h * 0.03;
            let x = slot.clamp(-l * scale, w - rt * scale);
            Placement { x, y: feet, scale, right: true }
        }
        Shot::CloseUp => {
            let (fw, fh) = (rt - l, bt - t);
            // The face fills what the text leaves, but never less than 40 % of the height.
            let below = h * (1.0 - band);
            let scale = (h * r.range(0.58, 0.66) / fh).min(w * 0.8 / fw).min(below.max(0.4 * h) / fh);
            let top = band * h + (below - fh * scale).max(0.0) * r.range(0.25, 0.45);
            let x = (w * r.range(0.44, 0.56)).clamp(-l * scale + 2.0, w - rt * scale - 2.0);
            Placement { x, y: top - t * scale, scale, right: true }
        }
    }
}

/// Pose and expression from the mood, the effect and whether they speak.
fn pose(panel: &PanelPlan, focus: bool, r: &mut Rng) -> Pose {
    let speaking = focus && !panel.balloons.is_empty();
    let mood_face = match panel.mood {
        Mood::Warm if r.chance(0.5) => Expression::Content,
        Mood::Warm | Mood::Comic => Expression::Smile,
        Mood::Dark | Mood::Tense => Expression::Frown,
        Mood::Melancholy => Expression::Sad,
        Mood::Calm if r.chance(0.35) => Expression::Content,
        Mood::Calm | Mood::Mysterious => Expression::Neutral,
    };
    let expression = match (focus, panel.effect, speaking) {
        (true, Effect::FocusLines, _) => Expression::Shout,
        (_, _, true) if matches!(panel.mood, Mood::Tense) && r.chance(0.5) => Expression::Shout,
        (_, _, true) => Expression::Talking,
        _ => mood_face,
    };
    let front_choices: &[Arm] = match panel.mood {
        Mood::Tense | Mood::Dark => &[Arm::Fist, Arm::Reach, Arm::Rest],
        Mood::Mysterious | Mood::Melancholy => &[Arm::Chin, Arm::Rest, Arm::Rest],
        Mood::Comic | Mood::Warm => &[Arm::Raise, Arm::Hip, Arm::Reach, Arm::Rest],
        Mood::Calm => &[Arm::Rest, Arm::Hip, Arm::Chin],
    };
    let mut front_arm = front_choices[r.below(front_choices.len() as u32) as usize];
    if speaking && r.chance(0.5) {
        front_arm = Arm::Reach;
    }
    // Up close, a reaching arm would run through the next figure: gesture instead.
    if front_arm == Arm::Reach && panel.shot != Shot::Wide && panel.cast.len() > 1 {
        front_arm = Arm::Fist;
    }
    let back_arm = if r.chance(0.3) { Arm::Hip } else { Arm::Rest };
    let tilt = r.range(-6.0, 6.0) + if expression == Expression::Sad { 7.0 } else { 0.0 };
    let stride = if panel.effect == Effect::SpeedLines { 9.0 } else { r.range(0.0, 3.0) };
    Pose { front_arm, back_arm, tilt, expression, stride }
}

/// Poses a figure for what the action says they do: arms and face.
fn act(pose: &mut Pose, deed: Deed) {
    match deed {
        Deed::Point => pose.front_arm = Arm::Reach,
        Deed::Wave => (pose.front_arm, pose.expression) = (Arm::Raise, Expression::Smile),
        Deed::Run => (pose.stride, pose.back_arm) = (10.0, Arm::Fist),
        Deed::Laugh => pose.expression = Expression::Smile,
        Deed::Cry => (pose.expression, pose.front_arm, pose.tilt) = (Expression::Sad, Arm::Chin, 8.0),
        Deed::Shout => (pose.expression, pose.front_arm) = (Expression::Shout, Arm::Fist),
        Deed::Think => (pose.front_arm, pose.expression) = (Arm::Chin, Expression::Neutral),
        Deed::Rage => (pose.expression, pose.front_arm, pose.back_arm) = (Expression::Frown, Arm::Fist, Arm::Fist),
        Deed::Start => (pose.expression, pose.back_arm) = (Expression::Shout, Arm::Raise),
    }
}

/// Everyone faces the focus; the focus faces the others (or, with no focus,
/// everyone faces the middle of the panel).
fn face_each_other(actors: &mut [Actor], focus_at: Option<usize>, w: f32, rng: &Rng) {
    let xs: Vec<f32> = actors.iter().map(|a| a.placement.x).collect();
    let n = xs.len();
    for (i, a) in actors.iter_mut().enumerate() {
        let target = match focus_at {
            Some(f) if f != i => xs[f],
            Some(_) if n > 1 => {
                xs.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, x)| x).sum::<f32>() / (n - 1) as f32
            }
            _ if n > 1 => w / 2.0,
            _ => {
                let mut r = rng.fork(77);
                if (xs[i] - w / 2.0).abs() < w * 0.05 { w * if r.chance(0.5) { 1.0 } else { 0.0 } } else { w / 2.0 }
            }
        };
        a.placement.right = target >= a.placement.x;
    }
}
