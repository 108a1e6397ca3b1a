//! Everything that turns plans into pixels and files.
//!
//! - [`fonts`]: the vendored fonts (Noto Sans JP for dialogue, Dela Gothic
//!   One for shouts and SFX), parsed once.
//! - [`text`]: shaping and line breaking: vertical Japanese with kinsoku,
//!   horizontal text with word wrap.
//! - [`balloon`]: balloon shapes and tails.
//! - [`lettering`]: places balloons in a panel, off faces, and sets their text.
//! - [`compose`]: panels into a page with frames, gutters and page numbers.
//! - [`detail`]: figure boxes for art that came without them.
//! - [`image_io`]: PNG encode/decode and thumbnails.
//! - [`pdf`], [`cbz`]: the published files.
//!
//! Depends only on `domain`. Drawing is done with tiny-skia, re-exported.

pub mod balloon;
pub mod cbz;
pub mod compose;
pub mod detail;
mod error;
pub mod fonts;
pub mod image_io;
pub mod lettering;
pub mod pdf;
pub mod text;

pub use error::RenderError;
pub use tiny_skia;
