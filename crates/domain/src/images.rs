use serde::{Deserialize, Serialize};

use crate::{ArtifactKey, BalloonKind, CharacterId, LineId, PanelId, Point, QualityReport, Rect};

/// Where a character was drawn in a panel, so lettering can keep off faces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// Who.
    pub character: CharacterId,
    /// The whole figure, in panel pixels.
    pub body: Rect,
    /// The face (balloons must not cover it), in panel pixels.
    pub face: Rect,
    /// Where a balloon tail should point (the mouth), in panel pixels.
    pub mouth: Point,
}

/// One drawn panel (phase 5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelArt {
    /// Which panel.
    pub panel: PanelId,
    /// The PNG.
    pub image: ArtifactKey,
    /// Width in pixels (the frame's width).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Figures drawn, with face boxes.
    pub figures: Vec<Figure>,
    /// Which provider drew it.
    pub provider: String,
    /// Whether `figures` were estimated from the picture's detail (remote art comes without boxes).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub figures_estimated: bool,
}

/// Phase 5's output: every panel's art, in reading order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelArtSet {
    /// Panels in reading order across the book.
    pub panels: Vec<PanelArt>,
}

/// A balloon as lettered (phase 6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlacedBalloon {
    /// The dialogue line, if it is one.
    pub line: Option<LineId>,
    /// Its shape.
    pub kind: BalloonKind,
    /// The text lettered in it (a line split across balloons has a part here).
    pub text: String,
    /// The balloon's outline box, in panel pixels.
    pub bounds: Rect,
    /// The box the glyphs' ink occupies, in panel pixels.
    pub text_box: Rect,
    /// Font size used, in pixels.
    pub font_px: f32,
    /// Set vertically (Japanese) or horizontally.
    pub vertical: bool,
    /// The tail's tip, if it has one.
    pub tail: Option<Point>,
    /// Whether some text did not fit (a defect the quality report counts).
    pub overflow: bool,
}

/// One lettered panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LetteredPanel {
    /// Which panel.
    pub panel: PanelId,
    /// The lettered PNG.
    pub image: ArtifactKey,
    /// Balloons in reading order.
    pub balloons: Vec<PlacedBalloon>,
    /// Sound effects lettered, with their boxes.
    pub sfx: Vec<(String, Rect)>,
    /// Figures from phase 5 (kept, so compose can check balloons against faces).
    pub figures: Vec<Figure>,
    /// Whether the art under the lettering was blank (nothing drawn): a phase 5 defect.
    #[serde(default)]
    pub blank_art: bool,
}

/// Phase 6's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LetteringSet {
    /// Panels in reading order across the book.
    pub panels: Vec<LetteredPanel>,
}

/// One finished page (phase 7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComposedPage {
    /// Page number, from 1.
    pub number: u16,
    /// The page PNG.
    pub image: ArtifactKey,
    /// Pixel size.
    pub width: u32,
    /// Pixel size.
    pub height: u32,
    /// The page's quality checks.
    pub quality: QualityReport,
}

/// Phase 7's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Composition {
    /// Pages in order.
    pub pages: Vec<ComposedPage>,
    /// The whole book's checks (dialogue coverage, the worst page).
    pub quality: QualityReport,
}

/// Phase 8's output: the files a reader gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Publication {
    /// The PDF.
    pub pdf: ArtifactKey,
    /// The CBZ with ComicInfo.xml.
    pub cbz: ArtifactKey,
    /// Page PNGs in order.
    pub pages: Vec<ArtifactKey>,
    /// Page thumbnails in order.
    pub thumbnails: Vec<ArtifactKey>,
    /// The web reader's manifest (JSON).
    pub manifest: ArtifactKey,
}
