//! Panels into pages: white paper, each panel pasted into its frame, an ink
//! border around every frame, and the page number in the bottom margin.

use manga_domain::{PageSize, Rect};
use tiny_skia::{Color, Paint, PathBuilder, Pixmap, PixmapPaint, Stroke, Transform};

use crate::RenderError;
use crate::image_io::new_pixmap;

/// Frame border width in pixels, at 1240 px page width.
pub const FRAME_WIDTH: f32 = 3.5;

/// One panel to place: where on the page, and its (lettered) pixels.
pub struct PlacedPanel<'a> {
    /// The frame in page pixels.
    pub frame: Rect,
    /// The panel image; drawn scaled to the frame if the sizes differ.
    pub image: &'a Pixmap,
}

/// Composes one page.
///
/// # Errors
/// [`RenderError::BadSize`] for an impossible page size.
pub fn compose_page(size: PageSize, panels: &[PlacedPanel<'_>], number: u16) -> Result<Pixmap, RenderError> {
    let mut page = new_pixmap(size.width, size.height)?;
    page.fill(Color::WHITE);
    for panel in panels {
        let sx = panel.frame.w / panel.image.width() as f32;
        let sy = panel.frame.h / panel.image.height() as f32;
        let transform = Transform::from_row(sx, 0.0, 0.0, sy, panel.frame.x, panel.frame.y);
        page.draw_pixmap(0, 0, panel.image.as_ref(), &PixmapPaint::default(), transform, None);
        draw_frame(&mut page, &panel.frame);
    }
    let px = (size.width as f32 / 1240.0) * 26.0;
    let baseline = size.height as f32 - px * 1.6;
    crate::text::draw_text_line(
        &mut page,
        &number.to_string(),
        crate::fonts::FontKind::Dialogue,
        px,
        size.width as f32 / 2.0,
        baseline,
        Color::from_rgba8(40, 40, 40, 255),
    );
    Ok(page)
}

fn draw_frame(page: &mut Pixmap, frame: &Rect) {
    let half = FRAME_WIDTH / 2.0;
    let Some(rect) =
        tiny_skia::Rect::from_xywh(frame.x + half, frame.y + half, frame.w - FRAME_WIDTH, frame.h - FRAME_WIDTH)
    else {
        return;
    };
    let path = PathBuilder::from_rect(rect);
    let mut paint = Paint::default();
    paint.set_color_rgba8(15, 15, 15, 255);
    paint.anti_alias = true;
    let stroke = Stroke { width: FRAME_WIDTH, ..Stroke::default() };
    page.stroke_path(&path, &paint, &stroke, Transform::identity(), None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_land_inside_their_frames_with_an_ink_border() {
        let mut red = new_pixmap(100, 50).unwrap();
        red.fill(Color::from_rgba8(220, 0, 0, 255));
        let size = PageSize { width: 400, height: 560 };
        let frame = Rect::new(50.0, 60.0, 200.0, 100.0);
        let page = compose_page(size, &[PlacedPanel { frame, image: &red }], 3).unwrap();
        let at = |x: u32, y: u32| page.pixel(x, y).unwrap();
        assert_eq!(at(150, 110).red(), 220, "panel scaled into its frame");
        assert!(at(51, 110).red() < 60, "frame border is ink");
        assert_eq!((at(20, 20).red(), at(20, 20).green()), (255, 255), "margin stays paper");
        assert_eq!(at(300, 110).green(), 255, "outside the frame stays paper");
    }
}
