//! A person's decision on a phase, as the API, the chat parser and the
//! orchestrator's planner all see it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{CharacterId, DomainError, PanelId, PhaseId};

/// What to redo when regenerating part of a phase's output.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Target {
    /// One panel's art: `panel:p03-2`.
    Panel(PanelId),
    /// Every panel of one page: `page:3`.
    Page(u16),
    /// One character's reference portrait: `portrait:kandata`.
    Portrait(CharacterId),
}

impl Target {
    /// Parses `panel:p03-2`, `page:3` or `portrait:kandata`.
    ///
    /// # Errors
    /// [`DomainError::InvalidId`] with the text when it is none of those.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::InvalidId { kind: "target", value: text.to_owned() };
        let (kind, rest) = text.split_once(':').ok_or_else(bad)?;
        match kind {
            "panel" => PanelId::parse(rest).map(Self::Panel).map_err(|_| bad()),
            "page" => rest.parse::<u16>().ok().filter(|n| *n >= 1).map(Self::Page).ok_or_else(bad),
            "portrait" => CharacterId::parse(rest).map(Self::Portrait).map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Panel(id) => write!(f, "panel:{id}"),
            Self::Page(n) => write!(f, "page:{n}"),
            Self::Portrait(id) => write!(f, "portrait:{id}"),
        }
    }
}

impl TryFrom<String> for Target {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Target> for String {
    fn from(value: Target) -> Self {
        value.to_string()
    }
}

/// What a person wants done with a phase's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum FeedbackAction {
    /// Accept it and go on.
    Approve,
    /// Run the phase again, taking the comment into account.
    Revise {
        /// What to change, in the person's words.
        comment: String,
    },
    /// Redo one part (a panel, a page's panels, a portrait); the rest stays.
    Regenerate {
        /// What to redo.
        target: Target,
    },
    /// Set one field of the phase's output directly.
    Edit {
        /// A JSON pointer into the phase's output JSON, e.g.
        /// `/pages/0/panels/1/dialogue/0/text` or `/characters/2/look/hair`.
        field: String,
        /// The new value (a string for text fields).
        value: serde_json::Value,
    },
}

impl FeedbackAction {
    /// The short name used in the API and the proto.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Revise { .. } => "revise",
            Self::Regenerate { .. } => "regenerate",
            Self::Edit { .. } => "edit",
        }
    }
}

/// A chat message understood as feedback, shown back to the person before it is applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackSuggestion {
    /// The phase the action applies to, as its number (what `/feedback` takes).
    #[serde(with = "phase_number")]
    pub phase: PhaseId,
    /// The action.
    #[serde(flatten)]
    pub action: FeedbackAction,
    /// One sentence saying what will happen, in the message's language.
    pub summary: String,
}

/// A phase as its number 1..=8 in JSON.
mod phase_number {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::PhaseId;

    pub fn serialize<S: Serializer>(phase: &PhaseId, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(phase.number())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PhaseId, D::Error> {
        PhaseId::from_number(u32::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_round_trip_through_their_text() {
        for text in ["panel:p03-2", "page:3", "portrait:kandata"] {
            assert_eq!(Target::parse(text).unwrap().to_string(), text);
        }
        for bad in ["", "panel", "panel:3", "page:0", "page:x", "frame:p01-1"] {
            assert!(Target::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn actions_serialise_with_a_tag() {
        let action = FeedbackAction::Regenerate { target: Target::Page(2) };
        let json = serde_json::to_value(&action).unwrap();
        assert_eq!(json, serde_json::json!({"action": "regenerate", "target": "page:2"}));
        let back: FeedbackAction = serde_json::from_value(json).unwrap();
        assert_eq!(back, action);
        let edit: FeedbackAction =
            serde_json::from_str(r#"{"action":"edit","field":"/characters/0/look/hair","value":"white"}"#).unwrap();
        assert_eq!(edit.name(), "edit");
        let suggestion = FeedbackSuggestion { phase: PhaseId::Images, action, summary: "x".into() };
        let json = serde_json::to_value(&suggestion).unwrap();
        assert_eq!(json, serde_json::json!({"phase": 5, "action": "regenerate", "target": "page:2", "summary": "x"}));
        assert_eq!(serde_json::from_value::<FeedbackSuggestion>(json).unwrap(), suggestion);
    }
}
