//! Story analysis by rules: PLACEHOLDER, being replaced.
use crate::{AiError, ConceptRequest};
use manga_domain::{CharacterBible, Concept, Plot, StoryText};

/// Phase 1.
pub fn analyse_story(_story: &StoryText, _request: &ConceptRequest) -> Result<Concept, AiError> {
    Err(AiError::Rejected { provider: "local".into(), message: "analysis not written yet".into() })
}
/// Phase 2.
pub fn design_characters(_story: &StoryText, _concept: &Concept) -> Result<CharacterBible, AiError> {
    Err(AiError::Rejected { provider: "local".into(), message: "not written yet".into() })
}
/// Phase 3.
pub fn outline_plot(_story: &StoryText, _concept: &Concept, _bible: &CharacterBible) -> Result<Plot, AiError> {
    Err(AiError::Rejected { provider: "local".into(), message: "not written yet".into() })
}
