//! What part of a phase's output a request redoes ([`PhaseScope`]), and the
//! panels a request is narrowed to, as phases 5–7 read them.

use manga_domain::{CharacterId, PanelId};
use manga_proto::PhaseRequest;

use crate::PhaseError;

/// The panels a request is narrowed to (empty: all), checked against the storyboard.
///
/// # Errors
/// [`PhaseError::Invalid`] for an id that does not parse or a panel the storyboard lacks.
pub(crate) fn requested_panels(
    request: &PhaseRequest,
    storyboard: &manga_domain::Storyboard,
) -> Result<Vec<PanelId>, PhaseError> {
    let only: Vec<PanelId> = request.panels.iter().map(|p| PanelId::parse(p)).collect::<Result<_, _>>()?;
    if let Some(unknown) = only.iter().find(|id| storyboard.panel(**id).is_none()) {
        return Err(PhaseError::Invalid(format!("there is no panel {unknown} in the storyboard")));
    }
    Ok(only)
}

/// What part of a phase's output a request redoes; empty = all of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PhaseScope {
    /// Phases 5–7: only these panels (and, for 7, the pages holding them).
    pub panels: Vec<PanelId>,
    /// Phase 2: only these characters' portraits, from the stored bible.
    pub characters: Vec<CharacterId>,
}
