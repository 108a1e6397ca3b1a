//! Shaping, line breaking and drawing of text.
//!
//! - [`break_columns`]: kinsoku line breaking, pure and font-free.
//! - [`TextLayout`]: shaped glyphs with positions, either horizontal (word
//!   wrap, centred lines) or vertical Japanese (columns top to bottom, right
//!   to left, `vert` forms from rustybuzz).
//! - [`TextLayout::draw`]: rasterises with ab_glyph coverage and alpha blending.
//! - [`draw_text_line`]: one centred line, for page numbers and titles.
//!
//! Half-width Latin letters and digits inside vertical text are set upright
//! and centred in the column, each on its own vertical advance (what the
//! font's `vmtx` gives): simple and always legible, if airy for long words.

mod kinsoku;
pub(crate) mod layout;
mod raster;

pub use kinsoku::{break_columns, is_forbidden_at_end, is_forbidden_at_start, may_hang};
pub use layout::{PlacedGlyph, TextLayout, shaped_glyph_ids};
pub use raster::draw_text_line;
