//! PNG in and out, and thumbnails.
//!
//! Pixmaps are premultiplied RGBA (tiny-skia); PNGs are straight RGB(A).
//! Pages and panels are opaque, so they are written as RGB: a quarter smaller
//! and faster to compress.

use tiny_skia::{FilterQuality, Pixmap, PixmapPaint, Transform};

use crate::RenderError;

/// How hard to compress. Intermediate artifacts favour speed; published pages size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PngSpeed {
    /// For artifacts passed between phases.
    Fast,
    /// For files a person downloads.
    Small,
}

/// Makes a blank pixmap, with a clear error instead of `None` for impossible sizes.
///
/// # Errors
/// [`RenderError::BadSize`] for a zero or enormous size.
pub fn new_pixmap(width: u32, height: u32) -> Result<Pixmap, RenderError> {
    if width == 0 || height == 0 || width > 16_384 || height > 16_384 {
        return Err(RenderError::BadSize { width, height });
    }
    Pixmap::new(width, height).ok_or(RenderError::BadSize { width, height })
}

/// Encodes a pixmap as PNG. Fully opaque images are written as RGB.
///
/// # Errors
/// [`RenderError::Png`] if the encoder fails.
pub fn encode_png(pixmap: &Pixmap, speed: PngSpeed) -> Result<Vec<u8>, RenderError> {
    let err = |e: png::EncodingError| RenderError::Png { action: "encode", message: e.to_string() };
    let opaque = pixmap.pixels().iter().all(|p| p.alpha() == 255);
    let (color, data) = if opaque {
        let mut rgb = Vec::with_capacity(pixmap.width() as usize * pixmap.height() as usize * 3);
        for p in pixmap.pixels() {
            rgb.extend_from_slice(&[p.red(), p.green(), p.blue()]);
        }
        (png::ColorType::Rgb, rgb)
    } else {
        let mut rgba = Vec::with_capacity(pixmap.data().len());
        for p in pixmap.pixels() {
            let c = p.demultiply();
            rgba.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
        }
        (png::ColorType::Rgba, rgba)
    };
    let mut out = Vec::with_capacity(data.len() / 8);
    {
        let mut encoder = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
        encoder.set_color(color);
        encoder.set_depth(png::BitDepth::Eight);
        match speed {
            PngSpeed::Fast => {
                encoder.set_compression(png::Compression::Fastest);
            }
            PngSpeed::Small => {
                encoder.set_compression(png::Compression::Balanced);
            }
        }
        let mut writer = encoder.write_header().map_err(err)?;
        writer.write_image_data(&data).map_err(err)?;
        writer.finish().map_err(err)?;
    }
    Ok(out)
}

/// Decodes a PNG (8-bit RGB, RGBA, grey or palette) into a pixmap.
///
/// # Errors
/// [`RenderError::Png`] for anything that is not a readable PNG.
pub fn decode_png(bytes: &[u8]) -> Result<Pixmap, RenderError> {
    let err = |message: String| RenderError::Png { action: "decode", message };
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| err(e.to_string()))?;
    let size = reader.output_buffer_size().ok_or_else(|| err("image too large".into()))?;
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf).map_err(|e| err(e.to_string()))?;
    let mut pixmap = new_pixmap(info.width, info.height)?;
    let px = pixmap.pixels_mut();
    let channels = info.color_type.samples();
    for (i, out) in px.iter_mut().enumerate() {
        let s = &buf[i * channels..i * channels + channels];
        let (r, g, b, a) = match channels {
            1 => (s[0], s[0], s[0], 255),
            2 => (s[0], s[0], s[0], s[1]),
            3 => (s[0], s[1], s[2], 255),
            _ => (s[0], s[1], s[2], s[3]),
        };
        *out = tiny_skia::ColorU8::from_rgba(r, g, b, a).premultiply();
    }
    Ok(pixmap)
}

/// A smaller copy whose width is `width` (height keeps the aspect ratio).
///
/// # Errors
/// [`RenderError::BadSize`] for a zero width.
pub fn thumbnail(source: &Pixmap, width: u32) -> Result<Pixmap, RenderError> {
    let scale = width as f32 / source.width() as f32;
    let height = ((source.height() as f32 * scale).round() as u32).max(1);
    let mut thumb = new_pixmap(width, height)?;
    let paint = PixmapPaint { quality: FilterQuality::Bicubic, ..PixmapPaint::default() };
    thumb.draw_pixmap(0, 0, source.as_ref(), &paint, Transform::from_scale(scale, scale), None);
    Ok(thumb)
}

/// Whether an image is (almost) uniform: nothing was drawn in it.
/// Looks at about 4,096 pixels spread over the image; cheap enough to run on every panel.
pub fn is_blank(pixmap: &Pixmap) -> bool {
    let px = pixmap.pixels();
    let step = (px.len() / 4096).max(1);
    let luma: Vec<f32> = px
        .iter()
        .step_by(step)
        .map(|p| (2.0 * f32::from(p.red()) + 5.0 * f32::from(p.green()) + f32::from(p.blue())) / 8.0)
        .collect();
    let n = luma.len().max(1) as f32;
    let mean = luma.iter().sum::<f32>() / n;
    let variance = luma.iter().map(|l| (l - mean).powi(2)).sum::<f32>() / n;
    variance.sqrt() < 4.0
}

#[cfg(test)]
mod tests {
    use tiny_skia::Color;

    use super::*;

    #[test]
    fn an_opaque_image_round_trips_as_rgb() {
        let mut p = new_pixmap(20, 10).unwrap();
        p.fill(Color::from_rgba8(200, 30, 40, 255));
        let png = encode_png(&p, PngSpeed::Fast).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        // Colour type byte in IHDR: 2 = RGB.
        assert_eq!(png[25], 2);
        let back = decode_png(&png).unwrap();
        assert_eq!((back.width(), back.height()), (20, 10));
        assert_eq!(back.pixel(5, 5).unwrap().red(), 200);
    }

    #[test]
    fn a_uniform_image_is_blank_and_a_drawn_one_is_not() {
        let mut p = new_pixmap(300, 200).unwrap();
        p.fill(Color::from_rgba8(250, 248, 240, 255));
        assert!(is_blank(&p));
        let mut paint = tiny_skia::Paint::default();
        paint.set_color_rgba8(20, 20, 20, 255);
        let rect = tiny_skia::Rect::from_xywh(50.0, 40.0, 120.0, 90.0).unwrap();
        p.fill_rect(rect, &paint, Transform::identity(), None);
        assert!(!is_blank(&p));
    }

    #[test]
    fn garbage_is_not_a_png() {
        let err = decode_png(b"not a png").unwrap_err();
        assert!(err.to_string().starts_with("PNG decode failed"), "{err}");
        assert!(new_pixmap(0, 10).is_err());
    }

    #[test]
    fn a_thumbnail_keeps_the_aspect_ratio() {
        let p = new_pixmap(1240, 1751).unwrap();
        let t = thumbnail(&p, 240).unwrap();
        assert_eq!((t.width(), t.height()), (240, 339));
    }
}
