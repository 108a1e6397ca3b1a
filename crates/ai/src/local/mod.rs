//! The built-in offline provider: text analysis by rules and lexicons
//! ([`analysis`]), procedural art drawn from the storyboard ([`art`]).
//! Deterministic: the same input and seed give the same output.

pub mod analysis;
pub mod art;
pub mod feedback;

use async_trait::async_trait;
use manga_domain::{CharacterBible, Concept, Plot, StoryText};

use crate::{
    AiError, ConceptRequest, DrawnImage, FeedbackRequest, ImageModel, PanelRequest, PortraitRequest, TextModel,
};

/// The offline provider. Cheap to clone; holds no state.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalProvider;

const NAME: &str = "local";

/// Runs CPU-bound work off the async executor.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T, AiError> + Send + 'static) -> Result<T, AiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AiError::Unavailable { provider: NAME.into(), message: format!("worker stopped: {e}") })?
}

#[async_trait]
impl TextModel for LocalProvider {
    fn name(&self) -> &str {
        NAME
    }

    async fn analyse_story(&self, story: &StoryText, request: &ConceptRequest) -> Result<Concept, AiError> {
        let (story, request) = (story.clone(), request.clone());
        blocking(move || analysis::analyse_story(&story, &request)).await
    }

    async fn design_characters(&self, story: &StoryText, concept: &Concept) -> Result<CharacterBible, AiError> {
        let (story, concept) = (story.clone(), concept.clone());
        blocking(move || analysis::design_characters(&story, &concept)).await
    }

    async fn outline_plot(
        &self,
        story: &StoryText,
        concept: &Concept,
        bible: &CharacterBible,
    ) -> Result<Plot, AiError> {
        let (story, concept, bible) = (story.clone(), concept.clone(), bible.clone());
        blocking(move || analysis::outline_plot(&story, &concept, &bible)).await
    }

    async fn suggest_feedback(
        &self,
        request: &FeedbackRequest<'_>,
    ) -> Result<manga_domain::FeedbackSuggestion, AiError> {
        feedback::suggest(request)
    }
}

#[async_trait]
impl ImageModel for LocalProvider {
    fn name(&self) -> &str {
        NAME
    }

    async fn draw_panel(&self, request: &PanelRequest) -> Result<DrawnImage, AiError> {
        let request = request.clone();
        blocking(move || art::draw_panel(&request)).await
    }

    async fn draw_portrait(&self, request: &PortraitRequest) -> Result<DrawnImage, AiError> {
        let request = request.clone();
        blocking(move || art::draw_portrait(&request)).await
    }
}
