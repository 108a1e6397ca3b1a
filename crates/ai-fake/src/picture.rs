//! The fake's pictures: a grey ground with a dark standing figure, as PNG.

/// The grey of the ground (each of R, G, B), in every corner of every picture.
pub const BACKGROUND: u8 = 222;
/// The dark of the figure.
pub const INK: u8 = 30;
/// The ground line under the figure.
const GROUND: u8 = 150;

/// A `width`×`height` RGB PNG: grey ground ([`BACKGROUND`]), a horizon line, and a dark
/// figure ([`INK`]) in the middle — a head over a body — so that lettering and figure
/// estimates have something to work on and tests can tell the fake's art from other art.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let (width, height) = (width.max(1), height.max(1));
    let (w, h) = (f64::from(width), f64::from(height));
    let head = (w.min(h) * 0.09).max(1.0);
    let (cx, cy) = (w * 0.5, h * 0.32);
    let body = (w * 0.40, w * 0.60, h * 0.32 + head, h * 0.92);
    let mut data = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        let fy = f64::from(y) + 0.5;
        for x in 0..width {
            let fx = f64::from(x) + 0.5;
            let in_head = (fx - cx).powi(2) + (fy - cy).powi(2) <= head * head;
            let in_body = (body.0..body.1).contains(&fx) && (body.2..body.3).contains(&fy);
            let on_ground = (fy - h * 0.92).abs() < (h / 200.0).max(0.5) && x > 1 && x + 2 < width;
            let v = if in_head || in_body {
                INK
            } else if on_ground {
                GROUND
            } else {
                BACKGROUND
            };
            data.extend_from_slice(&[v, v, v]);
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    // Writing into a Vec of the right size cannot fail.
    let written = encoder.write_header().and_then(|mut writer| writer.write_image_data(&data));
    debug_assert!(written.is_ok(), "{written:?}");
    out
}

/// The size a provider answers for an aspect ratio (`"3:4"`): Gemini image models' and
/// Imagen's published sizes, else 1024 on the longer side.
pub fn nominal_size(aspect: &str) -> (u32, u32) {
    match aspect {
        "1:1" => (1024, 1024),
        "2:3" => (832, 1248),
        "3:2" => (1248, 832),
        "3:4" => (864, 1184),
        "4:3" => (1184, 864),
        "4:5" => (896, 1152),
        "5:4" => (1152, 896),
        "9:16" => (768, 1344),
        "16:9" => (1344, 768),
        "21:9" => (1536, 672),
        other => {
            let parsed = other
                .split_once(':')
                .and_then(|(a, b)| Some((a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?)));
            match parsed {
                Some((a, b)) if a > 0 && b > 0 => {
                    let (a, b) = (f64::from(a), f64::from(b));
                    let scale = 1024.0 / a.max(b);
                    ((a * scale).round() as u32, (b * scale).round() as u32)
                }
                _ => (1024, 1024),
            }
        }
    }
}

/// Imagen's sizes differ a little from Gemini's.
pub(crate) fn imagen_size(aspect: &str) -> (u32, u32) {
    match aspect {
        "3:4" => (896, 1280),
        "4:3" => (1280, 896),
        "9:16" => (768, 1408),
        "16:9" => (1408, 768),
        other => nominal_size(other),
    }
}

/// `size` shrunk to at most `max` on its longer side.
pub(crate) fn capped((width, height): (u32, u32), max: Option<u32>) -> (u32, u32) {
    match max {
        Some(max) if width.max(height) > max => {
            let scale = f64::from(max) / f64::from(width.max(height));
            (((f64::from(width) * scale).round() as u32).max(1), ((f64::from(height) * scale).round() as u32).max(1))
        }
        _ => (width, height),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_picture_is_a_png_of_the_size_with_a_grey_ground_and_a_dark_figure() {
        let bytes = png(60, 80);
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (60, 80));
        let at = |x: usize, y: usize| buf[(y * 60 + x) * 3];
        assert_eq!(at(0, 0), BACKGROUND);
        assert_eq!(at(59, 79), BACKGROUND);
        assert_eq!(at(30, 50), INK, "the body");
        assert_eq!(at(30, 26), INK, "the head");
    }

    #[test]
    fn sizes_follow_the_aspect_ratio_and_the_cap() {
        assert_eq!(nominal_size("3:4"), (864, 1184));
        assert_eq!(nominal_size("7:7"), (1024, 1024));
        assert_eq!(nominal_size("nonsense"), (1024, 1024));
        assert_eq!(imagen_size("9:16"), (768, 1408));
        assert_eq!(capped((1024, 512), Some(256)), (256, 128));
        assert_eq!(capped((100, 50), Some(256)), (100, 50));
    }
}
