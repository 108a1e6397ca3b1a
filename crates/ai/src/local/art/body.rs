//! A figure's proportions ([`Body`]): what the figure, its clothes, its
//! portrait and its place on the stage all measure by.

use manga_domain::{AgeGroup, Build, Look};

use super::head::{self, HeadSize};

/// Key heights and widths of a body, in local units (y grows downwards,
/// feet at 0, so everything above is negative).
#[derive(Debug, Clone, Copy)]
pub struct Body {
    /// Standing height.
    pub h: f32,
    /// Head half-sizes.
    pub head: HeadSize,
    /// The head's centre (y).
    pub head_y: f32,
    /// Shoulder line.
    pub shoulder_y: f32,
    /// Waist line.
    pub waist_y: f32,
    /// Hip line.
    pub hip_y: f32,
    /// Knees.
    pub knee_y: f32,
    /// Half the shoulder width.
    pub sw: f32,
    /// Half the waist width.
    pub ww: f32,
    /// Half the hip width.
    pub hw: f32,
    /// Arm thickness.
    pub arm_w: f32,
    /// Leg thickness.
    pub leg_w: f32,
    /// Upper arm and forearm lengths.
    pub arm_len: (f32, f32),
}

impl Body {
    /// The proportions of a character: age sets the head count, build the
    /// widths, `height` the size.
    pub fn of(look: &Look) -> Self {
        let h = 100.0 * look.height.clamp(0.5, 1.3);
        let heads = match look.age {
            AgeGroup::Child => 4.6,
            AgeGroup::Young => 6.4,
            AgeGroup::Adult => 6.9,
            AgeGroup::Old => 6.5,
        };
        let hh = h / heads;
        let head = HeadSize { a: hh * 0.41, b: hh * 0.5 };
        let width = match look.build {
            Build::Slim => 0.85,
            Build::Average => 1.0,
            Build::Sturdy => 1.2,
            Build::Heavy => 1.25,
        };
        let sw = hh * 0.88 * width * if look.age == AgeGroup::Child { 0.85 } else { 1.0 };
        let heavy = look.build == Build::Heavy;
        let shoulder_y = -h + hh * 1.16;
        let rest = h - hh * 1.16;
        Self {
            h,
            head,
            head_y: -h + hh * 0.5,
            shoulder_y,
            waist_y: shoulder_y + rest * 0.3,
            hip_y: shoulder_y + rest * 0.43,
            knee_y: shoulder_y + rest * 0.72,
            sw,
            ww: sw * if heavy { 0.98 } else { 0.7 },
            hw: sw * if heavy { 1.0 } else { 0.8 },
            arm_w: hh * 0.26 * width.sqrt(),
            leg_w: hh * 0.32 * width.sqrt(),
            arm_len: (rest * 0.23, rest * 0.21),
        }
    }

    /// The head-with-hair box relative to the feet: `(left, top, right, bottom)`.
    pub fn face_box(&self, look: &Look) -> (f32, f32, f32, f32) {
        let (l, t, r, b) = head::head_box(look, self.head);
        (l, t + self.head_y, r, b + self.head_y)
    }
}
