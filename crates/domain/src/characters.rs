use serde::{Deserialize, Serialize};

use crate::{ArtifactKey, CharacterId, Rgb};

/// Phase 2's output: one sheet per named character.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CharacterBible {
    /// In the order of [`crate::Concept::characters`].
    pub characters: Vec<CharacterSheet>,
}

impl CharacterBible {
    /// The sheet for `id`, if the character is known.
    pub fn get(&self, id: &CharacterId) -> Option<&CharacterSheet> {
        self.characters.iter().find(|c| &c.id == id)
    }
}

/// Everything needed to draw and voice one character consistently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CharacterSheet {
    /// The id from phase 1.
    pub id: CharacterId,
    /// The name as written.
    pub name: String,
    /// Role in the story.
    pub role: Role,
    /// How they look.
    pub look: Look,
    /// A few words on personality.
    pub personality: String,
    /// How they talk.
    pub speech_style: String,
    /// Where the reference portrait is, once drawn.
    pub portrait: Option<ArtifactKey>,
    /// How the character looks, in words, for image models: the same sentence goes into every prompt
    /// that draws them, so a remote model keeps them recognisable. Empty when not written.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub appearance: String,
}

/// A character's role, by frequency and position in the story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The main character.
    Protagonist,
    /// Works against the protagonist.
    Antagonist,
    /// Everyone else.
    Support,
}

/// A character's appearance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Look {
    /// Hair colour.
    pub hair_color: Rgb,
    /// Hair shape.
    pub hair_style: HairStyle,
    /// Iris colour.
    pub eye_color: Rgb,
    /// Skin tone.
    pub skin: Rgb,
    /// Body shape.
    pub build: Build,
    /// Age group.
    pub age: AgeGroup,
    /// What they wear.
    pub outfit: OutfitKind,
    /// Main outfit colour.
    pub outfit_color: Rgb,
    /// Accent colour (sash, tie, trim).
    pub accent_color: Rgb,
    /// Glasses.
    pub spectacles: bool,
    /// Height relative to an average adult (0.6 for a child .. 1.15 for a giant).
    pub height: f32,
    /// Which look traits came from the text rather than from the name's hash.
    pub from_text: Vec<String>,
}

/// Hair shapes the art can draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HairStyle {
    /// Short and neat.
    Short,
    /// Long, falling past the shoulders.
    Long,
    /// Spiky.
    Spiky,
    /// Tied back in a ponytail.
    Ponytail,
    /// A bob.
    Bob,
    /// Shaved or bald.
    Bald,
    /// A topknot or bun.
    Bun,
}

/// Body shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Build {
    /// Thin.
    Slim,
    /// Ordinary.
    Average,
    /// Broad and strong.
    Sturdy,
    /// Large.
    Heavy,
}

/// Age groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgeGroup {
    /// A child.
    Child,
    /// A teenager or young adult.
    Young,
    /// An adult.
    Adult,
    /// Elderly.
    Old,
}

/// Clothing the art can draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutfitKind {
    /// Kimono or yukata.
    Kimono,
    /// A long robe (monk, sage, buddha).
    Robe,
    /// Suit and tie.
    Suit,
    /// School or work uniform.
    Uniform,
    /// Everyday clothes.
    Casual,
    /// Armour.
    Armor,
    /// Ragged clothes.
    Rags,
    /// A dress.
    Dress,
}
