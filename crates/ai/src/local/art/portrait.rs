//! A character's reference portrait: a bust on a soft background in the
//! character's own palette, no text.

use manga_domain::{Figure, Point, Rect};

use super::body::Body;
use super::effects::{self, Tones};
use super::figure::{self, Arm, Placement, Pose};
use super::head::Expression;
use super::pen::{self, PAPER, Pen};
use super::rng::{Rng, hash_str};
use super::{blank, finish};
use crate::{AiError, DrawnImage, PortraitRequest};

/// Draws a character's portrait: a square of `size` px with one figure.
///
/// # Errors
/// [`AiError::Rejected`] for an impossible size; [`AiError::Malformed`] if
/// the PNG cannot be encoded.
pub fn draw_portrait(request: &PortraitRequest) -> Result<DrawnImage, AiError> {
    let look = &request.character.look;
    let size = request.size;
    let mut pixmap = blank(size, size)?;
    let s = size as f32;
    let mut rng = Rng::new(request.seed).fork(hash_str(request.character.id.as_str()));
    let tones = Tones::new(s);
    let mut pen = Pen::new(&mut pixmap);
    let top = look.accent_color.mix(PAPER, 0.75);
    let bottom = look.outfit_color.mix(PAPER, 0.55);
    effects::vertical_gradient(&mut pen, (0.0, 0.0, s, s), top, bottom);
    pen.fill_a(pen::ellipse(s * 0.5, s * 0.4, s * 0.36, s * 0.36), PAPER, 0.6);
    effects::tone_gradient(&mut pen, &tones.light, (0.0, s * 0.5, s, s * 0.5), 0.5, false);

    let body = Body::of(look);
    let (l, t, r, b) = body.face_box(look);
    let scale = (s * 0.42 / (b - t)).min(s * 0.7 / (r - l));
    let head_top = s * 0.1;
    let at = Placement { x: s * 0.5, y: head_top - t * scale, scale, right: rng.chance(0.5) };
    let pose = Pose {
        front_arm: Arm::Rest,
        back_arm: Arm::Rest,
        tilt: rng.range(-4.0, 4.0),
        expression: if rng.chance(0.7) { Expression::Content } else { Expression::Neutral },
        stride: 0.0,
    };
    let d = figure::draw(pen.pixmap, look, &at, &pose, &tones);
    let frame = Rect::new(0.0, 0.0, s, s);
    let figures = d
        .body
        .intersection(&frame)
        .and_then(|body| Some((body, d.face.intersection(&body)?)))
        .map(|(body, face)| Figure {
            character: request.character.id.clone(),
            body,
            face,
            mouth: Point { x: d.mouth.x.clamp(face.x, face.right()), y: d.mouth.y.clamp(face.y, face.bottom()) },
        })
        .into_iter()
        .collect();
    finish(&pixmap, figures)
}
