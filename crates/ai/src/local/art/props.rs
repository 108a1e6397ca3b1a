//! What a panel shows besides its people, from the words of its action
//! ([`things_in`]): weather over everything, animals and fires on the
//! ground beside the cast, birds, bells and fireworks above them, and what
//! people hold in the hand of the one the panel is about. A panel with
//! nobody in it shows its things large, in the middle.
//!
//! Each thing is drawn in local units (100 tall, standing on the origin,
//! facing +x) and placed by one transform, like the figures.

use manga_domain::{PanelPlan, Rect, Rgb, Shot};
use manga_render::tiny_skia::Transform;

use super::pen::{self, INK, PAPER, Pen};
use super::rng::Rng;
use crate::local::analysis::{Setting, Thing, things_in};

/// At most this many things besides the weather, so the people stay the subject.
const MAX_THINGS: usize = 3;

/// The things the art draws in this panel, in the order the action names
/// them: a close-up has no room for what stands on the ground.
pub fn planned(panel: &PanelPlan) -> Vec<Thing> {
    let mut things = things_in(&panel.action);
    if panel.shot == Shot::CloseUp && !panel.cast.is_empty() {
        things.retain(|t| t.setting() != Setting::Ground);
    }
    let mut kept = 0;
    things.retain(|t| {
        let weather = t.setting() == Setting::Everywhere;
        kept += usize::from(!weather);
        weather || kept <= MAX_THINGS
    });
    things
}

/// Whether the action has an animal lie down to sleep.
fn asleep(action: &str) -> bool {
    let lower = action.to_lowercase();
    ["slept", "sleeping", "asleep", "dozing", "眠", "寝"].iter().any(|w| lower.contains(w))
}

/// Where the people stand, for placing things between them.
#[derive(Debug, Clone, Copy)]
pub struct Spot {
    /// Feet, in panel pixels.
    pub x: f32,
    /// How tall a person is drawn here, in pixels.
    pub person: f32,
}

/// Draws what falls where the panel shows the outside (rain, snow: the
/// whole panel out of doors, a window indoors) and what stands behind the
/// people (animals, fire, boats, birds, bells). `people` are where the cast
/// stand; none means the things are the panel's subject.
pub fn draw_behind(
    pen: &mut Pen,
    panel: &PanelPlan,
    things: &[Thing],
    (people, outside): (&[Spot], Rect),
    rng: &mut Rng,
) {
    let (w, h) = (pen.pixmap.width() as f32, pen.pixmap.height() as f32);
    let mut taken: Vec<f32> = people.iter().map(|p| p.x).collect();
    let alone = people.is_empty();
    let person = people.iter().map(|p| p.person).fold(0.0, f32::max);
    let person = if alone || person <= 0.0 { h * 0.85 } else { person.min(h * 1.2) };
    let ground_y = if panel.shot == Shot::Wide || alone { h * 0.93 } else { h * 1.02 };
    let sleeping = asleep(&panel.action);
    // The weather first: it falls behind what stands in it.
    let weather_first = things.iter().filter(|t| t.setting() == Setting::Everywhere);
    for &thing in weather_first.chain(things.iter().filter(|t| t.setting() != Setting::Everywhere)) {
        match thing.setting() {
            Setting::Everywhere => weather(pen, thing, outside, rng),
            Setting::Above => above(pen, thing, w, h, &mut taken, rng),
            Setting::Ground => {
                let first_alone = alone && taken.is_empty();
                let x = if first_alone { w * rng.range(0.42, 0.58) } else { free_x(w, &taken, rng) };
                taken.push(x);
                let size = person * ground_height(thing) * if first_alone { 1.6 } else { 1.0 };
                let facing_right = x < w / 2.0;
                ground(pen, thing, (x, ground_y), size, facing_right, sleeping);
            }
            // Without a person to hold it, it lies in the middle of the panel.
            Setting::Hand if alone => {
                let x = free_x(w, &taken, rng);
                taken.push(x);
                held(pen, thing, Rect::new(x - h * 0.08, h * 0.45, h * 0.16, h * 0.16), true);
            }
            Setting::Hand => {}
        }
    }
    pen.ts = Transform::identity();
    pen.px = 1.0;
}

/// Draws what the panel's person holds, beside their hands: `face` is where
/// their head was drawn, `right` which way they face. The first thing is in
/// the front hand, the second in the other.
pub fn draw_in_hand(pen: &mut Pen, things: &[Thing], face: Rect, right: bool) {
    for (i, &thing) in things.iter().filter(|t| t.setting() == Setting::Hand).take(2).enumerate() {
        held(pen, thing, face, right == (i == 0));
    }
    pen.ts = Transform::identity();
    pen.px = 1.0;
}

/// A thing's height against a person's.
fn ground_height(thing: Thing) -> f32 {
    match thing {
        Thing::Dog => 0.38,
        Thing::Cat => 0.22,
        Thing::Horse => 0.95,
        Thing::Fish => 0.16,
        Thing::Fire => 0.34,
        Thing::Lamp => 0.28,
        Thing::Boat => 0.7,
        _ => 0.25,
    }
}

/// The x between the people farthest from all of them.
fn free_x(w: f32, taken: &[f32], rng: &mut Rng) -> f32 {
    let candidates = (0..=16).map(|i| w * (0.1 + 0.8 * i as f32 / 16.0));
    let room = |x: f32| taken.iter().map(|t| (t - x).abs()).fold(w, f32::min);
    let best = candidates.max_by(|a, b| room(*a).total_cmp(&room(*b))).unwrap_or(w / 2.0);
    best + rng.range(-0.02, 0.02) * w
}

/// Sets the pen to draw a thing `size` pixels tall standing at `at`.
fn place(pen: &mut Pen, at: (f32, f32), size: f32, facing_right: bool) {
    let s = size / 100.0;
    let flip = if facing_right { 1.0 } else { -1.0 };
    pen.ts = Transform::from_row(s * flip, 0.0, 0.0, s, at.0, at.1);
    pen.px = s;
}

/// Ink width for a thing `size` pixels tall.
fn ink_for(size: f32) -> f32 {
    (size / 70.0).clamp(1.0, 3.0)
}

fn weather(pen: &mut Pen, thing: Thing, region: Rect, rng: &mut Rng) {
    pen.ts = Transform::identity();
    pen.px = 1.0;
    let Rect { x, y, w, h } = region;
    let count = ((w * h) / 2200.0).clamp(if w * h > 0.0 { 12.0 } else { 0.0 }, 600.0) as usize;
    match thing {
        Thing::Rain => {
            pen.fill_a(pen::rect(x, y, w, h), Rgb(70, 80, 100), 0.12);
            let len = h.min(region.w * 3.0) * 0.07;
            for _ in 0..count {
                let (sx, sy) = (x + rng.unit() * (w - len * 0.25), y + rng.unit() * (h - len));
                let line = pen::polyline(&[(sx, sy), (sx + len * 0.25, sy + len)]);
                pen.stroke_a(line.as_ref(), Rgb(200, 215, 235), 1.6, 0.75);
            }
        }
        Thing::Snow => {
            for _ in 0..count {
                let r = rng.range(1.5, 4.0) * (w.min(h) / 400.0).max(1.0);
                let (sx, sy) = (x + r + rng.unit() * (w - 2.0 * r), y + r + rng.unit() * (h - 2.0 * r));
                let flake = pen::ellipse(sx, sy, r, r);
                pen.stroke_a(flake.as_ref(), Rgb(120, 130, 150), 1.0, 0.5);
                pen.fill(flake, PAPER);
            }
        }
        _ => {}
    }
}

/// Birds, lightning, fireworks, a hanging bell, a spider on its thread.
fn above(pen: &mut Pen, thing: Thing, w: f32, h: f32, taken: &mut Vec<f32>, rng: &mut Rng) {
    pen.ts = Transform::identity();
    pen.px = 1.0;
    let ink = ink_for(h * 0.3);
    match thing {
        Thing::Bird => {
            for _ in 0..3 {
                let (x, y) = (rng.range(0.15, 0.85) * w, rng.range(0.08, 0.35) * h);
                let s = h * rng.range(0.025, 0.045);
                pen.ink(pen::curve((x - 2.0 * s, y), (x - s, y - s), (x, y)).as_ref(), ink);
                pen.ink(pen::curve((x, y), (x + s, y - s), (x + 2.0 * s, y)).as_ref(), ink);
            }
        }
        Thing::Lightning => {
            pen.fill_a(pen::rect(0.0, 0.0, w, h), PAPER, 0.18);
            let x = rng.range(0.2, 0.8) * w;
            let s = h * 0.5;
            let bolt = [
                (x, 0.0),
                (x + s * 0.12, 0.0),
                (x + s * 0.02, s * 0.45),
                (x + s * 0.16, s * 0.45),
                (x - s * 0.08, s),
                (x - s * 0.01, s * 0.55),
                (x - s * 0.14, s * 0.55),
            ];
            pen.shape(pen::polygon(&bolt), Rgb(255, 240, 150), ink);
        }
        Thing::Fireworks => {
            let colours = [Rgb(240, 80, 80), Rgb(250, 200, 70), Rgb(110, 200, 140), Rgb(150, 140, 250)];
            for i in 0..3 {
                let (cx, cy) = (rng.range(0.15, 0.85) * w, rng.range(0.1, 0.4) * h);
                let r = h * rng.range(0.08, 0.15);
                let c = colours[(i + rng.below(4) as usize) % colours.len()];
                for k in 0..16 {
                    let a = k as f32 / 16.0 * std::f32::consts::TAU;
                    let (dx, dy) = (a.cos(), a.sin());
                    let ray = pen::polyline(&[(cx + dx * r * 0.3, cy + dy * r * 0.3), (cx + dx * r, cy + dy * r)]);
                    pen.stroke(ray.as_ref(), c, (r / 30.0).max(1.2));
                    pen.fill(pen::ellipse(cx + dx * r * 1.1, cy + dy * r * 1.1, r * 0.04, r * 0.04), c);
                }
            }
        }
        Thing::Bell => {
            let x = free_x(w, taken, rng);
            taken.push(x);
            let s = h * 0.2;
            let top = h * 0.08;
            pen.stroke(pen::polyline(&[(x - s * 0.6, top), (x + s * 0.6, top)]).as_ref(), Rgb(110, 70, 40), s * 0.08);
            pen.ink(pen::polyline(&[(x, top), (x, top + s * 0.25)]).as_ref(), ink);
            let bell = [
                (x - s * 0.12, top + s * 0.25),
                (x + s * 0.12, top + s * 0.25),
                (x + s * 0.22, top + s * 0.5),
                (x + s * 0.38, top + s * 0.9),
                (x - s * 0.38, top + s * 0.9),
                (x - s * 0.22, top + s * 0.5),
            ];
            pen.shape(pen::blob(&bell), Rgb(200, 160, 70), ink);
            pen.shape(pen::ellipse(x, top + s * 0.95, s * 0.07, s * 0.07), Rgb(150, 110, 50), ink);
        }
        Thing::Spider | Thing::Thread => {
            let x = free_x(w, taken, rng);
            taken.push(x);
            let end = h * if thing == Thing::Spider { 0.35 } else { 0.9 };
            pen.stroke(pen::polyline(&[(x, 0.0), (x, end)]).as_ref(), Rgb(215, 220, 235), (h / 300.0).max(1.2));
            if thing == Thing::Spider {
                spider(pen, (x, end), h * 0.05, ink);
            }
        }
        _ => {}
    }
}

fn spider(pen: &mut Pen, (x, y): (f32, f32), r: f32, ink: f32) {
    for side in [-1.0, 1.0] {
        for k in 0..4 {
            let a = -0.9 + k as f32 * 0.55;
            let knee = (x + side * r * 1.4 * a.cos(), y + r * 1.4 * a.sin() - r * 0.6);
            let foot = (x + side * r * 2.2 * a.cos(), y + r * 2.0 * a.sin() + r * 0.5);
            pen.ink(pen::polyline(&[(x, y), knee, foot]).as_ref(), ink);
        }
    }
    pen.shape(pen::ellipse(x, y + r * 0.9, r * 0.9, r * 1.1), Rgb(40, 36, 44), ink);
    pen.shape(pen::ellipse(x, y, r * 0.55, r * 0.5), Rgb(40, 36, 44), ink);
}

/// Something on the ground, `size` pixels tall, its base at `at`.
fn ground(pen: &mut Pen, thing: Thing, at: (f32, f32), size: f32, facing_right: bool, sleeping: bool) {
    let ink = ink_for(size);
    // The glow of a fire or lamp lights the ground around it.
    if matches!(thing, Thing::Fire | Thing::Lamp) {
        pen.ts = Transform::identity();
        pen.px = 1.0;
        let glow = pen::ellipse(at.0, at.1 - size * 0.45, size * 0.9, size * 0.7);
        pen.fill_a(glow, Rgb(255, 200, 90), 0.22);
    }
    place(pen, at, size, facing_right);
    match thing {
        Thing::Dog if sleeping => lying_animal(pen, Rgb(165, 115, 65), false, ink),
        Thing::Cat if sleeping => lying_animal(pen, Rgb(125, 120, 130), true, ink),
        Thing::Dog => dog(pen, ink),
        Thing::Cat => cat(pen, ink),
        Thing::Horse => horse(pen, ink),
        Thing::Fish => {
            pen.shape(pen::polygon(&[(-28.0, -50.0), (-48.0, -70.0), (-48.0, -30.0)]), Rgb(110, 140, 170), ink);
            pen.shape(pen::ellipse(0.0, -50.0, 32.0, 14.0), Rgb(130, 160, 190), ink);
            pen.fill(pen::ellipse(18.0, -53.0, 2.5, 2.5), INK);
        }
        Thing::Fire => fire(pen, ink),
        Thing::Lamp => {
            pen.ink(pen::curve((-14.0, -88.0), (0.0, -112.0), (14.0, -88.0)).as_ref(), ink);
            pen.shape(pen::polygon(&[(-20.0, -80.0), (20.0, -80.0), (10.0, -92.0), (-10.0, -92.0)]), INK, ink);
            pen.shape(pen::rect(-16.0, -80.0, 32.0, 64.0), Rgb(255, 226, 130), ink);
            pen.fill_a(pen::ellipse(0.0, -48.0, 8.0, 14.0), Rgb(255, 160, 50), 0.9);
            pen.shape(pen::rect(-22.0, -16.0, 44.0, 16.0), Rgb(60, 55, 65), ink);
        }
        Thing::Boat => {
            pen.limb(&[(0.0, -22.0), (0.0, -100.0)], Rgb(120, 85, 55), 4.0, ink);
            pen.shape(pen::polygon(&[(4.0, -96.0), (4.0, -30.0), (50.0, -30.0)]), PAPER, ink);
            pen.shape(pen::polygon(&[(-62.0, -24.0), (64.0, -24.0), (46.0, 0.0), (-46.0, 0.0)]), Rgb(140, 90, 55), ink);
        }
        Thing::Flower => {
            let colours = [Rgb(235, 120, 150), Rgb(250, 210, 80), Rgb(240, 240, 245)];
            for (i, &(dx, top)) in [(-22.0, -70.0), (0.0, -95.0), (24.0, -62.0)].iter().enumerate() {
                pen.stroke(
                    pen::curve((dx * 0.3, 0.0), (dx * 0.8, top * 0.5), (dx, top)).as_ref(),
                    Rgb(80, 140, 70),
                    2.0,
                );
                for k in 0..5 {
                    let a = k as f32 / 5.0 * std::f32::consts::TAU;
                    let petal = pen::ellipse(dx + 9.0 * a.cos(), top + 9.0 * a.sin(), 7.0, 7.0);
                    pen.shape(petal, colours[i % colours.len()], ink * 0.7);
                }
                pen.fill(pen::ellipse(dx, top, 5.0, 5.0), Rgb(240, 190, 60));
            }
        }
        _ => {}
    }
}

fn dog(pen: &mut Pen, ink: f32) {
    let coat = Rgb(165, 115, 65);
    pen.limb(&[(-46.0, -58.0), (-60.0, -78.0), (-56.0, -92.0)], coat, 8.0, ink);
    for (x, lift) in [(-34.0, 2.0), (-20.0, 0.0), (22.0, 2.0), (36.0, 0.0)] {
        pen.limb(&[(x, -48.0), (x + 2.0, -lift)], pen::shade(coat, if lift > 0.0 { 0.15 } else { 0.0 }), 11.0, ink);
    }
    pen.shape(pen::ellipse(0.0, -56.0, 50.0, 22.0), coat, ink);
    pen.shape(pen::ellipse(50.0, -80.0, 20.0, 17.0), coat, ink);
    pen.shape(pen::ellipse(68.0, -74.0, 13.0, 8.0), pen::shade(coat, -0.3), ink);
    pen.fill(pen::ellipse(80.0, -76.0, 4.0, 3.0), INK);
    pen.fill(pen::ellipse(55.0, -84.0, 2.6, 2.6), INK);
    pen.shape(pen::polygon(&[(38.0, -92.0), (48.0, -97.0), (46.0, -70.0), (38.0, -74.0)]), pen::shade(coat, 0.3), ink);
}

fn cat(pen: &mut Pen, ink: f32) {
    let coat = Rgb(125, 120, 130);
    pen.limb(&[(18.0, -6.0), (40.0, -14.0), (46.0, -36.0)], coat, 7.0, ink);
    pen.shape(pen::ellipse(0.0, -34.0, 24.0, 34.0), coat, ink);
    pen.shape(pen::polygon(&[(-12.0, -86.0), (-8.0, -104.0), (2.0, -92.0)]), coat, ink);
    pen.shape(pen::polygon(&[(8.0, -92.0), (17.0, -104.0), (20.0, -86.0)]), coat, ink);
    pen.shape(pen::ellipse(4.0, -78.0, 18.0, 15.0), coat, ink);
    pen.fill(pen::ellipse(-2.0, -80.0, 2.4, 3.2), INK);
    pen.fill(pen::ellipse(11.0, -80.0, 2.4, 3.2), INK);
}

/// A dog or cat lying down asleep, eyes shut.
fn lying_animal(pen: &mut Pen, coat: Rgb, cat: bool, ink: f32) {
    pen.limb(&[(-52.0, -12.0), (-62.0, -4.0), (-40.0, -1.0)], coat, 8.0, ink);
    pen.shape(pen::ellipse(0.0, -24.0, 56.0, 24.0), coat, ink);
    pen.shape(pen::ellipse(62.0, -5.0, 16.0, 5.0), pen::shade(coat, -0.2), ink);
    pen.shape(pen::ellipse(52.0, -22.0, 21.0, 16.0), coat, ink);
    if cat {
        pen.shape(pen::polygon(&[(40.0, -34.0), (42.0, -50.0), (52.0, -38.0)]), coat, ink);
        pen.shape(pen::polygon(&[(54.0, -38.0), (62.0, -50.0), (66.0, -32.0)]), coat, ink);
    } else {
        pen.shape(pen::ellipse(70.0, -16.0, 13.0, 8.0), pen::shade(coat, -0.3), ink);
        pen.fill(pen::ellipse(82.0, -18.0, 4.0, 3.0), INK);
        pen.shape(
            pen::polygon(&[(38.0, -34.0), (48.0, -38.0), (46.0, -14.0), (38.0, -18.0)]),
            pen::shade(coat, 0.3),
            ink,
        );
    }
    pen.ink(pen::curve((52.0, -24.0), (57.0, -20.0), (62.0, -24.0)).as_ref(), ink);
}

fn horse(pen: &mut Pen, ink: f32) {
    let coat = Rgb(130, 85, 50);
    pen.limb(&[(-50.0, -66.0), (-62.0, -50.0), (-60.0, -30.0)], INK, 6.0, ink);
    for (x, lift) in [(-36.0, 0.0), (-24.0, 3.0), (26.0, 0.0), (38.0, 3.0)] {
        pen.limb(&[(x, -56.0), (x, -28.0), (x + 2.0, -lift)], coat, 9.0, ink);
    }
    pen.shape(pen::ellipse(0.0, -64.0, 52.0, 20.0), coat, ink);
    pen.shape(pen::polygon(&[(30.0, -74.0), (48.0, -108.0), (62.0, -100.0), (52.0, -66.0)]), coat, ink);
    pen.shape(pen::polygon(&[(48.0, -110.0), (82.0, -92.0), (80.0, -84.0), (56.0, -92.0)]), coat, ink);
    pen.limb(&[(46.0, -108.0), (34.0, -90.0), (30.0, -76.0)], INK, 5.0, ink);
    pen.fill(pen::ellipse(60.0, -100.0, 2.6, 2.6), INK);
}

fn fire(pen: &mut Pen, ink: f32) {
    let wood = Rgb(110, 70, 40);
    pen.limb(&[(-40.0, -4.0), (36.0, -16.0)], wood, 12.0, ink);
    pen.limb(&[(-36.0, -16.0), (40.0, -4.0)], wood, 12.0, ink);
    let outer =
        [(-34.0, -16.0), (-30.0, -60.0), (-12.0, -48.0), (0.0, -100.0), (14.0, -54.0), (30.0, -72.0), (34.0, -16.0)];
    pen.shape(pen::blob(&outer), Rgb(240, 120, 40), ink);
    let inner = [(-16.0, -18.0), (-12.0, -44.0), (0.0, -68.0), (10.0, -44.0), (16.0, -18.0)];
    pen.fill(pen::blob(&inner), Rgb(255, 215, 90));
}

/// Something held: beside the hand below `face`, on the side the person faces.
fn held(pen: &mut Pen, thing: Thing, face: Rect, right: bool) {
    let side = if right { 1.0 } else { -1.0 };
    let hand = (face.center().x + side * face.w * 0.75, face.bottom() + face.h * 1.1);
    let size = face.h * 1.4;
    let ink = ink_for(size);
    place(pen, (hand.0, hand.1 + size * 0.5), size, right);
    match thing {
        Thing::Book => {
            pen.shape(pen::polygon(&[(-40.0, -70.0), (0.0, -62.0), (0.0, -22.0), (-40.0, -30.0)]), PAPER, ink);
            pen.shape(pen::polygon(&[(0.0, -62.0), (40.0, -70.0), (40.0, -30.0), (0.0, -22.0)]), PAPER, ink);
            for k in 0..4 {
                let y = -58.0 + k as f32 * 8.0;
                pen.stroke(pen::polyline(&[(-34.0, y - 4.0), (-6.0, y + 2.0)]).as_ref(), Rgb(150, 150, 160), 1.0);
            }
        }
        Thing::Letter => {
            pen.shape(pen::rect(-30.0, -70.0, 60.0, 40.0), PAPER, ink);
            pen.ink(pen::polyline(&[(-30.0, -70.0), (0.0, -48.0), (30.0, -70.0)]).as_ref(), ink);
        }
        Thing::Cup => {
            for dx in [-8.0, 6.0] {
                pen.stroke(pen::curve((dx, -66.0), (dx + 8.0, -80.0), (dx, -94.0)).as_ref(), Rgb(190, 190, 200), 1.5);
            }
            pen.shape(
                pen::polygon(&[(-20.0, -64.0), (20.0, -64.0), (14.0, -30.0), (-14.0, -30.0)]),
                Rgb(225, 215, 190),
                ink,
            );
        }
        Thing::Sword => {
            pen.shape(
                pen::polygon(&[(-4.0, -60.0), (70.0, -150.0), (76.0, -146.0), (4.0, -54.0)]),
                Rgb(215, 220, 230),
                ink,
            );
            pen.limb(&[(-22.0, -34.0), (-4.0, -57.0)], Rgb(60, 40, 40), 7.0, ink);
            pen.shape(pen::ellipse(-2.0, -58.0, 9.0, 4.0), Rgb(190, 160, 70), ink);
        }
        Thing::Gun => {
            pen.limb(&[(-30.0, -46.0), (80.0, -56.0)], Rgb(70, 70, 78), 5.0, ink);
            pen.shape(
                pen::polygon(&[(-50.0, -36.0), (-10.0, -50.0), (-10.0, -40.0), (-46.0, -26.0)]),
                Rgb(120, 80, 50),
                ink,
            );
        }
        Thing::Umbrella => {
            // Held high: the canopy's lowest point stays above the head.
            pen.limb(&[(0.0, -40.0), (0.0, -225.0)], Rgb(60, 50, 50), 3.0, ink);
            let canopy =
                [(-90.0, -215.0), (-60.0, -270.0), (0.0, -290.0), (60.0, -270.0), (90.0, -215.0), (0.0, -225.0)];
            pen.shape(pen::blob(&canopy), Rgb(70, 100, 160), ink);
        }
        _ => {}
    }
}
