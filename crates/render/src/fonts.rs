//! The two vendored fonts, embedded in the binary and parsed once.
//!
//! Each font is held twice over the same bytes: as an [`ab_glyph::FontRef`]
//! for outlines and rasterising, and as a [`rustybuzz::Face`] for shaping
//! (vertical forms, kerning). Both read the same units, so a shaped advance in
//! font units times [`Font::px_per_unit`] is a pixel distance that matches the
//! outline drawn at [`Font::px_scale`].

use std::sync::OnceLock;

use ab_glyph::{Font as _, FontRef, PxScale};

/// Which of the vendored fonts to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FontKind {
    /// Noto Sans JP Medium: dialogue, narration, page numbers (has Latin and vertical forms).
    Dialogue,
    /// Dela Gothic One: shouts, sound effects, titles.
    Display,
}

/// A parsed font: outlines plus a shaping face over the same bytes.
pub struct Font {
    outline: FontRef<'static>,
    face: rustybuzz::Face<'static>,
    units_per_em: f32,
    height_unscaled: f32,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Font").field("units_per_em", &self.units_per_em).finish_non_exhaustive()
    }
}

static NOTO_SANS_JP: &[u8] = include_bytes!("../fonts/NotoSansJP-Medium.ttf");
static DELA_GOTHIC_ONE: &[u8] = include_bytes!("../fonts/DelaGothicOne-Regular.ttf");

impl Font {
    fn parse(name: &str, bytes: &'static [u8]) -> Font {
        // The bytes are vendored and checked by the tests; failing here is a
        // broken build, not a runtime condition, so a panic names the file.
        let outline = FontRef::try_from_slice(bytes).unwrap_or_else(|e| panic!("vendored font {name}: {e}"));
        let face = rustybuzz::Face::from_slice(bytes, 0).unwrap_or_else(|| panic!("vendored font {name}: no face"));
        let units_per_em = outline.units_per_em().unwrap_or(1000.0);
        let height_unscaled = outline.height_unscaled();
        Font { outline, face, units_per_em, height_unscaled }
    }

    /// The font for outlines and metrics.
    pub fn outline(&self) -> &FontRef<'static> {
        &self.outline
    }

    /// The face for shaping.
    pub fn face(&self) -> &rustybuzz::Face<'static> {
        &self.face
    }

    /// Font units per em.
    pub fn units_per_em(&self) -> f32 {
        self.units_per_em
    }

    /// Pixels per font unit for a font size of `px` (the em).
    pub fn px_per_unit(&self, px: f32) -> f32 {
        px / self.units_per_em
    }

    /// The ab_glyph scale that draws an em of `px` pixels.
    ///
    /// ab_glyph's `PxScale` is ascent − descent, not the em, so it is
    /// converted here to match rustybuzz's em-based advances.
    pub fn px_scale(&self, px: f32) -> PxScale {
        PxScale::from(px * self.height_unscaled / self.units_per_em)
    }

    /// The glyph for a character (0, `.notdef`, if the font lacks it).
    pub fn glyph_id(&self, c: char) -> u16 {
        self.outline.glyph_id(c).0
    }

    /// Whether the font has a glyph for `c`.
    pub fn has_glyph(&self, c: char) -> bool {
        self.glyph_id(c) != 0
    }
}

/// The parsed font of a kind; parsed on first use, then shared.
pub fn font(kind: FontKind) -> &'static Font {
    static DIALOGUE: OnceLock<Font> = OnceLock::new();
    static DISPLAY: OnceLock<Font> = OnceLock::new();
    match kind {
        FontKind::Dialogue => DIALOGUE.get_or_init(|| Font::parse("NotoSansJP-Medium.ttf", NOTO_SANS_JP)),
        FontKind::Display => DISPLAY.get_or_init(|| Font::parse("DelaGothicOne-Regular.ttf", DELA_GOTHIC_ONE)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_fonts_parse_and_have_japanese_and_latin_glyphs() {
        for kind in [FontKind::Dialogue, FontKind::Display] {
            let f = font(kind);
            assert!(f.units_per_em() >= 256.0);
            for c in ['あ', '漢', 'A', '7', '！'] {
                assert!(f.has_glyph(c), "{kind:?} lacks {c}");
            }
        }
    }

    #[test]
    fn fonts_are_parsed_once() {
        assert!(std::ptr::eq(font(FontKind::Dialogue), font(FontKind::Dialogue)));
    }
}
