use thiserror::Error;

/// A value that cannot become a domain type. Always permanent: retrying the
/// same input gives the same error.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DomainError {
    /// The story is empty or only whitespace.
    #[error("the story is empty")]
    EmptyStory,
    /// The story is longer than [`crate::StoryText::MAX_CHARS`].
    #[error("the story has {0} characters; the limit is {max}", max = crate::StoryText::MAX_CHARS)]
    StoryTooLong(usize),
    /// A quality score outside `0.0..=1.0` (or NaN).
    #[error("quality score {0} is outside 0..=1")]
    QualityOutOfRange(f32),
    /// A phase number outside 1..=8.
    #[error("there is no phase {0}; phases are 1 to 8")]
    UnknownPhase(u32),
    /// A page count outside the allowed range.
    #[error("{0} pages is out of range; a manga here has {min} to {max} pages", min = crate::PageCount::MIN, max = crate::PageCount::MAX)]
    PageCountOutOfRange(u32),
    /// An id that does not have the expected form.
    #[error("invalid {kind} id {value:?}")]
    InvalidId {
        /// Which kind of id.
        kind: &'static str,
        /// The rejected text.
        value: String,
    },
    /// A colour that is not `#rrggbb`.
    #[error("invalid colour {0:?}; expected #rrggbb")]
    InvalidColour(String),
    /// A language code we do not support.
    #[error("unsupported language {0:?}; expected ja or en")]
    UnsupportedLanguage(String),
}
