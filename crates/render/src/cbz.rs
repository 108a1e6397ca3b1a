//! The CBZ: a ZIP of page images with a ComicInfo.xml (the ComicRack schema
//! that comic readers understand), marked right-to-left for Japanese manga.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::RenderError;

/// What ComicInfo.xml says about the book.
#[derive(Debug, Clone, Default)]
pub struct ComicInfo {
    /// Title.
    pub title: String,
    /// Writer, if known.
    pub writer: Option<String>,
    /// A short summary.
    pub summary: String,
    /// ISO language code.
    pub language_iso: String,
    /// Right-to-left manga (`Manga=YesAndRightToLeft`).
    pub right_to_left: bool,
    /// Genre label.
    pub genre: String,
}

impl ComicInfo {
    /// The XML for `page_count` pages.
    pub fn to_xml(&self, page_count: usize) -> String {
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        xml.push_str(
            "<ComicInfo xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n",
        );
        let mut field = |name: &str, value: &str| {
            xml.push_str(&format!("  <{name}>{}</{name}>\n", escape(value)));
        };
        field("Title", &self.title);
        field("Summary", &self.summary);
        if let Some(writer) = &self.writer {
            field("Writer", writer);
        }
        field("Genre", &self.genre);
        field("PageCount", &page_count.to_string());
        field("LanguageISO", &self.language_iso);
        field("Manga", if self.right_to_left { "YesAndRightToLeft" } else { "No" });
        xml.push_str("  <Pages>\n");
        for i in 0..page_count {
            let kind = if i == 0 { " Type=\"FrontCover\"" } else { "" };
            xml.push_str(&format!("    <Page Image=\"{i}\"{kind} />\n"));
        }
        xml.push_str("  </Pages>\n</ComicInfo>\n");
        xml
    }
}

/// Escapes text for XML content.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even when escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes a CBZ of the page PNGs (in order) and ComicInfo.xml.
///
/// # Errors
/// [`RenderError::Archive`] if the ZIP cannot be written.
pub fn write_cbz(page_pngs: &[Vec<u8>], info: &ComicInfo) -> Result<Vec<u8>, RenderError> {
    let err = |e: &dyn std::fmt::Display| RenderError::Archive(e.to_string());
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    // PNGs are already compressed: storing them is as small and much faster.
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    zip.start_file("ComicInfo.xml", deflated).map_err(|e| err(&e))?;
    zip.write_all(info.to_xml(page_pngs.len()).as_bytes()).map_err(|e| err(&e))?;
    for (i, png) in page_pngs.iter().enumerate() {
        zip.start_file(format!("page-{:03}.png", i + 1), stored).map_err(|e| err(&e))?;
        zip.write_all(png).map_err(|e| err(&e))?;
    }
    let cursor = zip.finish().map_err(|e| err(&e))?;
    Ok(cursor.into_inner())
}

/// How many page images a CBZ holds (entries other than ComicInfo.xml).
///
/// # Errors
/// [`RenderError::Archive`] if the bytes are not a readable ZIP.
pub fn page_count(cbz: &[u8]) -> Result<usize, RenderError> {
    let zip = zip::ZipArchive::new(Cursor::new(cbz)).map_err(|e| RenderError::Archive(e.to_string()))?;
    Ok(zip.file_names().filter(|n| n.as_ref().is_ok_and(|n| n.ends_with(".png"))).count())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn comic_info_is_escaped_and_marks_manga_direction() {
        let info =
            ComicInfo { title: "A & <B>".into(), language_iso: "ja".into(), right_to_left: true, ..Default::default() };
        let xml = info.to_xml(2);
        assert!(xml.contains("<Title>A &amp; &lt;B&gt;</Title>"));
        assert!(xml.contains("<Manga>YesAndRightToLeft</Manga>"));
        assert!(xml.contains("<PageCount>2</PageCount>"));
        let en = ComicInfo { right_to_left: false, ..info }.to_xml(1);
        assert!(en.contains("<Manga>No</Manga>"));
    }

    #[test]
    fn a_cbz_holds_comic_info_and_the_pages_in_order() {
        let bytes = write_cbz(&[b"one".to_vec(), b"two".to_vec()], &ComicInfo::default()).unwrap();
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
        assert_eq!(names, ["ComicInfo.xml", "page-001.png", "page-002.png"]);
        let mut second = String::new();
        zip.by_name("page-002.png").unwrap().read_to_string(&mut second).unwrap();
        assert_eq!(second, "two");
        assert_eq!(page_count(zip.into_inner().into_inner().as_slice()).unwrap(), 2);
        assert!(page_count(b"not a zip").is_err());
    }
}
