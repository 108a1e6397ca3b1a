//! Where figures probably are in art that came without figure boxes (remote
//! models): one strip of the frame per cast member, in reading order, with
//! the figure in the strip's middle and its face in the upper part. Lettering
//! keeps balloons off those faces and points tails at them.
//!
//! This places figures by the frame's layout only; measuring the picture's
//! detail to find them is not done yet.

use manga_domain::{CharacterId, Figure, Point, Rect};

/// Figures for `cast` in a `width`×`height` panel; the first cast member is rightmost when `right_to_left`.
pub fn estimate_figures(width: u32, height: u32, cast: &[CharacterId], right_to_left: bool) -> Vec<Figure> {
    let (w, h) = (width as f32, height as f32);
    let strip = w / cast.len().max(1) as f32;
    cast.iter()
        .enumerate()
        .map(|(i, character)| {
            let slot = if right_to_left { cast.len() - 1 - i } else { i };
            let x = slot as f32 * strip;
            let body = Rect { x: x + strip * 0.2, y: h * 0.2, w: strip * 0.6, h: h * 0.75 };
            let face = Rect { x: body.x + body.w * 0.2, y: body.y, w: body.w * 0.6, h: body.h * 0.3 };
            let mouth = Point { x: face.x + face.w / 2.0, y: face.y + face.h * 0.75 };
            Figure { character: character.clone(), body, face, mouth }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_follow_reading_order_with_faces_in_their_upper_part() {
        let cast = [CharacterId::from_name("ami"), CharacterId::from_name("ken")];
        let rtl = estimate_figures(1000, 800, &cast, true);
        assert!(rtl[0].body.x > 500.0 && rtl[1].body.right() <= 500.0, "first speaker on the right");
        let ltr = estimate_figures(1000, 800, &cast, false);
        assert!(ltr[0].body.right() <= 500.0);
        for f in &ltr {
            assert!(f.body.contains_rect(&f.face, 0.1) && f.face.bottom() < f.body.y + f.body.h / 2.0);
        }
        assert!(estimate_figures(100, 100, &[], false).is_empty());
    }
}
