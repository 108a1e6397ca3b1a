//! Shaping, line breaking and drawing of text.
//!
//! - [`break_columns`]: kinsoku line breaking, pure and font-free.
//! - [`TextLayout`]: shaped glyphs with positions, either horizontal (word
//!   wrap, centred lines) or vertical Japanese (columns top to bottom, right
//!   to left, `vert` forms from rustybuzz).
//! - [`TextLayout::draw`]: rasterises with ab_glyph coverage and alpha blending.
//! - [`draw_text_line`]: one centred line, for page numbers and titles.
//!
//! Latin letters and digits inside vertical text are set across the column
//! when short (tate-chū-yoko) and rotated when long, and never broken
//! mid-word ([`latin`]).

mod kinsoku;
pub mod latin;
pub(crate) mod layout;
mod raster;

pub(crate) use kinsoku::ColumnBreaker;
pub use kinsoku::{break_columns, is_forbidden_at_end, is_forbidden_at_start, may_hang};
pub use layout::{PlacedGlyph, TextLayout, shaped_glyph_ids};
pub use raster::draw_text_line;
