//! The PDF: one page per manga page, each an embedded image filling a B5 page.
//!
//! A page PNG's compressed pixel data goes into the PDF as it is: PDF's
//! FlateDecode with the PNG predictor reads exactly what PNG's IDAT chunks
//! hold, so pages are not decoded and compressed a second time.

use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, TextStr};

use crate::RenderError;

/// Metadata written into the PDF's document information.
#[derive(Debug, Clone, Default)]
pub struct PdfMeta {
    /// Title.
    pub title: String,
    /// Author, if known.
    pub author: Option<String>,
    /// Subject: a one-line summary.
    pub subject: String,
    /// Whether pages are read right to left (sets the viewer's direction).
    pub right_to_left: bool,
    /// ISO language code (`ja`, `en`).
    pub language: String,
}

/// B5 in PDF points (1/72 inch): 182 × 257 mm.
const B5_POINTS: (f32, f32) = (515.91, 728.50);

/// Writes page PNGs (8-bit RGB, not interlaced, as [`crate::image_io::encode_png`]
/// writes opaque pages) into a PDF, one page each.
///
/// # Errors
/// [`RenderError::Archive`] when there are no pages, [`RenderError::Png`] for
/// a page that is not such a PNG.
pub fn write_pdf(page_pngs: &[Vec<u8>], meta: &PdfMeta) -> Result<Vec<u8>, RenderError> {
    if page_pngs.is_empty() {
        return Err(RenderError::Archive("a PDF needs at least one page".into()));
    }
    let pages = page_pngs.iter().map(|png| PngPixels::parse(png)).collect::<Result<Vec<_>, _>>()?;
    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog_id = alloc();
    let tree_id = alloc();
    let info_id = alloc();
    let page_ids: Vec<(Ref, Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc(), alloc())).collect();

    let mut catalog = pdf.catalog(catalog_id);
    catalog.pages(tree_id);
    catalog.lang(TextStr(&meta.language));
    if meta.right_to_left {
        catalog.viewer_preferences().direction(pdf_writer::types::Direction::R2L);
    }
    catalog.finish();
    pdf.pages(tree_id).kids(page_ids.iter().map(|(page, _, _)| *page)).count(pages.len() as i32);

    let mut info = pdf.document_info(info_id);
    info.title(TextStr(&meta.title));
    if let Some(author) = &meta.author {
        info.author(TextStr(author));
    }
    info.subject(TextStr(&meta.subject));
    info.creator(TextStr("manga (embedded pipeline)"));
    info.producer(TextStr("manga-render with pdf-writer"));
    info.finish();

    let (w, h) = B5_POINTS;
    for (png, (page_id, image_id, content_id)) in pages.iter().zip(&page_ids) {
        let name = Name(b"Im0");
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, w, h));
        page.parent(tree_id);
        page.contents(*content_id);
        page.resources().x_objects().pair(name, *image_id);
        page.finish();

        let mut image = pdf.image_xobject(*image_id, &png.zlib);
        image.filter(Filter::FlateDecode);
        image
            .decode_parms()
            .predictor(pdf_writer::types::Predictor::PngOptimum)
            .colors(3)
            .bits_per_component(8)
            .columns(png.width as i32);
        image.width(png.width as i32);
        image.height(png.height as i32);
        image.color_space().device_rgb();
        image.bits_per_component(8);
        image.finish();

        let mut content = Content::new();
        content.save_state();
        content.transform([w, 0.0, 0.0, h, 0.0, 0.0]);
        content.x_object(name);
        content.restore_state();
        pdf.stream(*content_id, &content.finish());
    }
    Ok(pdf.finish())
}

/// The parts of an RGB PNG a PDF image needs: size and the zlib stream.
struct PngPixels {
    width: u32,
    height: u32,
    zlib: Vec<u8>,
}

impl PngPixels {
    fn parse(png: &[u8]) -> Result<Self, RenderError> {
        let bad = |message: &str| RenderError::Png { action: "embed", message: message.to_owned() };
        let body = png.strip_prefix(b"\x89PNG\r\n\x1a\n".as_slice()).ok_or_else(|| bad("not a PNG"))?;
        let (mut rest, mut size, mut zlib) = (body, None, Vec::new());
        while rest.len() >= 12 {
            let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            let kind = &rest[4..8];
            let data = rest.get(8..8 + len).ok_or_else(|| bad("truncated chunk"))?;
            match kind {
                b"IHDR" if data.len() == 13 => {
                    let (depth, colour, interlace) = (data[8], data[9], data[12]);
                    if depth != 8 || colour != 2 || interlace != 0 {
                        return Err(bad("only 8-bit RGB, non-interlaced pages can be embedded"));
                    }
                    let w = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
                    let h = u32::from_be_bytes([data[4], data[5], data[6], data[7]]);
                    size = Some((w, h));
                }
                b"IDAT" => zlib.extend_from_slice(data),
                b"IEND" => break,
                _ => {}
            }
            rest = rest.get(12 + len..).ok_or_else(|| bad("truncated chunk"))?;
        }
        let (width, height) = size.ok_or_else(|| bad("no IHDR"))?;
        if zlib.is_empty() {
            return Err(bad("no image data"));
        }
        Ok(Self { width, height, zlib })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image_io::{PngSpeed, encode_png, new_pixmap};

    fn page_png() -> Vec<u8> {
        let mut p = new_pixmap(62, 87).unwrap();
        p.fill(tiny_skia::Color::WHITE);
        encode_png(&p, PngSpeed::Fast).unwrap()
    }

    #[test]
    fn a_transparent_png_is_refused_with_a_reason() {
        let p = new_pixmap(10, 10).unwrap();
        let err = write_pdf(&[encode_png(&p, PngSpeed::Fast).unwrap()], &PdfMeta::default()).unwrap_err();
        assert!(err.to_string().contains("8-bit RGB"), "{err}");
        assert!(write_pdf(&[b"nope".to_vec()], &PdfMeta::default()).is_err());
    }

    #[test]
    fn a_pdf_has_one_page_object_per_page_and_the_title() {
        let pages: Vec<Vec<u8>> = (0..3).map(|_| page_png()).collect();
        let meta =
            PdfMeta { title: "Test Title".into(), right_to_left: true, language: "ja".into(), ..Default::default() };
        let bytes = write_pdf(&pages, &meta).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("%PDF-"));
        assert_eq!(text.matches("/Type /Page\n").count() + text.matches("/Type /Page ").count(), 3, "{text:.2000}");
        assert!(text.contains("/Count 3"));
        assert!(text.contains("(Test Title)"));
        assert!(text.contains("/Direction /R2L"));
        assert!(write_pdf(&[], &meta).is_err());
    }
}
