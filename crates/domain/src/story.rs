use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A story as the person wrote it: trimmed, non-empty, at most
/// [`StoryText::MAX_CHARS`] characters. Being a `String`, it is valid UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StoryText(String);

impl StoryText {
    /// The longest story we accept, in characters (not bytes).
    pub const MAX_CHARS: usize = 200_000;

    /// Parses raw text into a story.
    ///
    /// # Errors
    /// [`DomainError::EmptyStory`] for empty or whitespace-only text,
    /// [`DomainError::StoryTooLong`] past [`Self::MAX_CHARS`].
    pub fn parse(raw: impl Into<String>) -> Result<Self, DomainError> {
        let raw = raw.into();
        // Normalise line endings so scene breaks (blank lines) look the same from every editor.
        let text = raw.replace("\r\n", "\n").replace('\r', "\n");
        let trimmed = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if trimmed.is_empty() {
            return Err(DomainError::EmptyStory);
        }
        let chars = trimmed.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(DomainError::StoryTooLong(chars));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StoryText {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<StoryText> for String {
    fn from(value: StoryText) -> Self {
        value.0
    }
}

/// The language a story is written (and lettered) in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Japanese: vertical lettering, right-to-left reading.
    Ja,
    /// English: horizontal lettering, left-to-right reading.
    En,
}

impl Language {
    /// How pages and panels are read in this language's manga tradition.
    pub fn reading_direction(self) -> ReadingDirection {
        match self {
            Self::Ja => ReadingDirection::RightToLeft,
            Self::En => ReadingDirection::LeftToRight,
        }
    }

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Ja => "ja",
            Self::En => "en",
        }
    }

    /// Parses `ja` or `en` (any case).
    ///
    /// # Errors
    /// [`DomainError::UnsupportedLanguage`] for anything else.
    pub fn parse(code: &str) -> Result<Self, DomainError> {
        match code.trim().to_ascii_lowercase().as_str() {
            "ja" | "jp" | "japanese" => Ok(Self::Ja),
            "en" | "english" => Ok(Self::En),
            _ => Err(DomainError::UnsupportedLanguage(code.to_owned())),
        }
    }
}

/// The order in which panels on a page (and pages in a book) are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadingDirection {
    /// Japanese manga: right column first, top to bottom.
    RightToLeft,
    /// Western comics: left first, top to bottom.
    LeftToRight,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_story_is_trimmed_and_keeps_its_text() {
        let story = StoryText::parse("\u{feff}  昔々、\r\nある所に。\n\n").unwrap();
        assert_eq!(story.as_str(), "昔々、\nある所に。");
    }

    #[test]
    fn whitespace_only_is_not_a_story() {
        assert_eq!(StoryText::parse(" \n\t\u{3000}"), Err(DomainError::EmptyStory));
    }

    #[test]
    fn the_limit_counts_characters_not_bytes() {
        let at_limit = "あ".repeat(StoryText::MAX_CHARS);
        assert!(StoryText::parse(at_limit.clone()).is_ok());
        let over = format!("{at_limit}あ");
        assert_eq!(StoryText::parse(over), Err(DomainError::StoryTooLong(StoryText::MAX_CHARS + 1)));
    }

    #[test]
    fn deserialising_cannot_skip_parsing() {
        let err = serde_json::from_str::<StoryText>("\"   \"").unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
    }
}
