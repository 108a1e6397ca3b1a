//! Procedural panel art: PLACEHOLDER, being replaced.
use crate::{AiError, DrawnImage, PanelRequest, PortraitRequest};

/// Phase 5.
pub fn draw_panel(_request: &PanelRequest) -> Result<DrawnImage, AiError> {
    Err(AiError::Rejected { provider: "local".into(), message: "art not written yet".into() })
}
/// Phase 2 portraits.
pub fn draw_portrait(_request: &PortraitRequest) -> Result<DrawnImage, AiError> {
    Err(AiError::Rejected { provider: "local".into(), message: "art not written yet".into() })
}
