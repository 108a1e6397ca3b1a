//! Story analysis by rules, for the offline provider: phases 1 to 3 read
//! the actual text, so the manga is recognisably that story.
//!
//! - [`analyse_story`] (phase 1): `language` detection, `sentences` (never
//!   cut inside `quotes`), `names` (`names_ja`, `names_en`) with
//!   `descriptors`, `dialogue` with speakers (`turns`, `gender`), `places` and times,
//!   `mood` and genre, themes and `summary`, a page count.
//! - [`design_characters`] (phase 2): `characters` with a `look` each,
//!   dressed from a shared `palette`.
//! - [`outline_plot`] (phase 3): `plot` scenes with beats, sharing `pages`.
//!
//! Everything here is pure and deterministic: no clock, no randomness, no
//! std hasher (its seed changes per process).

mod address;
mod characters;
mod deeds;
mod descriptors;
mod dialogue;
mod draft;
mod gender;
mod language;
mod look;
mod mentions;
mod mood;
mod names;
mod names_en;
mod names_ja;
mod pages;
mod palette;
mod places;
mod plot;
mod pool;
mod quotes;
mod roles_en;
mod sentences;
mod summary;
mod things;
mod turns;

#[cfg(test)]
mod examples;

pub use deeds::{Deed, deeds_in};
pub use plot::place_told;
pub use things::{Setting, Thing, things_in};

use manga_domain::{CharacterBible, Concept, Language, PageCount, Plot, Sentence, StoryText};

use crate::{AiError, ConceptRequest};

/// Story characters per page, by language: Japanese packs more story into a character.
const JA_CHARS_PER_PAGE: usize = 350;
// English runs about twice as long as Japanese for the same story, and
// horizontal lettering at the print minimum takes more room a character:
// at 750 a page, whole stories no longer fit their panels.
const EN_CHARS_PER_PAGE: usize = 550;
/// Page counts the local provider picks on its own (a request may ask for others).
const MIN_PAGES: u32 = 4;
const MAX_PAGES: u32 = 24;

/// The language a text is written in: Japanese when kana and kanji outnumber Latin letters.
pub fn language_of(text: &str) -> Language {
    language::detect(text)
}

fn rejected(message: &str) -> AiError {
    AiError::Rejected { provider: "local".into(), message: message.into() }
}

/// Phase 1: reads the story: language, title, sentences, characters, places,
/// times, every dialogue line with its speaker, mood, genre, themes, summary
/// and a page count. `request` overrides language, title and pages.
///
/// # Errors
/// [`AiError::Rejected`] when the story has no sentences at all (only
/// possible for text of nothing but blank lines, which `StoryText` refuses).
pub fn analyse_story(story: &StoryText, request: &ConceptRequest) -> Result<Concept, AiError> {
    let text = story.as_str();
    let language = request.language.unwrap_or_else(|| language::detect(text));
    let split = sentences::split(text, language);
    if split.sentences.is_empty() {
        return Err(rejected("the story has no sentences"));
    }
    let sentences = split.sentences;
    let characters = names::find(&sentences, language);
    let dialogue = dialogue::extract(&sentences, &split.starts_line, &characters, language);
    let places = places::places(&sentences, language);
    let times = places::times(&sentences, language);
    let turn = summary::turning_point(&sentences);
    let title = request
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .or_else(|| own_title(text, &sentences))
        .unwrap_or_else(|| summary::derived_title(language, &characters, &places, &sentences));
    Ok(Concept {
        title,
        language,
        reading_direction: language.reading_direction(),
        genre: mood::genre_of(text, language),
        mood: mood::mood_of(text, language),
        themes: summary::themes(text, language, &characters, &places),
        summary: summary::summary(&sentences, turn),
        page_count: request.pages.unwrap_or_else(|| page_count_for(text, language, &sentences)),
        sentences,
        characters,
        places,
        times,
        dialogue,
    })
}

/// The story's own title: a first line that is a heading, alone in its paragraph (or `# Title`).
fn own_title(text: &str, sentences: &[Sentence]) -> Option<String> {
    let first = sentences.first().filter(|s| s.heading)?;
    let alone = sentences.get(1).is_none_or(|next| next.paragraph != first.paragraph);
    let hashed = text.trim_start().starts_with('#');
    ((alone || hashed) && !sentences::is_chapter_marker(&first.text)).then(|| first.text.clone())
}

/// About a page per 350 Japanese or 550 English characters, 4 to 24 pages,
/// but never more pages than the story has sentences to fill them: a page has
/// at least three panels, so a story of one sentence gets one page, not four
/// pages of empty panels.
fn page_count_for(text: &str, language: Language, sentences: &[Sentence]) -> PageCount {
    let chars = text.chars().filter(|c| !c.is_whitespace()).count();
    let per_page = if language == Language::Ja { JA_CHARS_PER_PAGE } else { EN_CHARS_PER_PAGE };
    let pages = ((chars + per_page / 2) / per_page) as u32;
    let told = sentences.iter().filter(|s| !s.heading).count() as u32;
    PageCount::clamped(pages.clamp(MIN_PAGES, MAX_PAGES).min(told.div_ceil(3).max(1)))
}

/// Phase 2: a sheet per named character, in the concept's order: role, look
/// (text first, then a stable hash of the name), personality and speech style
/// from their lines. Portraits are drawn later, so `portrait` is `None`.
///
/// # Errors
/// None at present; the `Result` keeps the provider interface uniform.
pub fn design_characters(_story: &StoryText, concept: &Concept) -> Result<CharacterBible, AiError> {
    Ok(characters::bible(concept))
}

/// Phase 3: scenes covering every sentence once, with place, time, cast,
/// lines, beat and pages (summing to the concept's page count).
///
/// # Errors
/// [`AiError::Rejected`] when the concept has no sentences to cut into scenes.
pub fn outline_plot(story: &StoryText, concept: &Concept, _bible: &CharacterBible) -> Result<Plot, AiError> {
    if concept.sentences.is_empty() {
        return Err(rejected("the concept has no sentences"));
    }
    Ok(plot::outline(story, concept))
}

/// A named character for tests, with the given look words.
#[cfg(test)]
pub(crate) fn test_person(name: &str, descriptors: &[&str]) -> manga_domain::NamedCharacter {
    manga_domain::NamedCharacter {
        id: manga_domain::CharacterId::from_name(name),
        name: name.into(),
        aliases: vec![],
        mentions: 1,
        first_sentence: 0,
        descriptors: descriptors.iter().map(|d| (*d).to_owned()).collect(),
    }
}
