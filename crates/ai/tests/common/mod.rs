//! What the provider tests share: a story, models built from the fake's variables, a panel to draw.

#![allow(dead_code, reason = "each test binary uses a part of these helpers")]
#![allow(clippy::unwrap_used, reason = "test helpers: a failure is the test failing")]

use manga_ai::{AiSettings, ConceptRequest, Models, PanelRequest, PortraitRequest, Shared, TextModel as _};
use manga_ai_fake::FakeProviders;
use manga_domain::{CharacterBible, Concept, StoryText};

/// A short story with a heading, three lines of dialogue and two named characters.
pub const STORY: &str = "The Keeper\n\nMara climbed the lighthouse that night. \"Is the lamp lit?\" she asked. \"Not yet,\" said Tom. \"Then light it,\" Mara said.";

pub fn story() -> StoryText {
    StoryText::parse(STORY.to_owned()).unwrap()
}

/// The models for `provider` (see [`FakeProviders::env_for`]) with `extra` variables on top.
pub fn models(fake: &FakeProviders, providers: &[&str], extra: &[(&str, &str)]) -> Models {
    Models::build(&settings(fake, providers, extra), &Shared::default()).unwrap()
}

pub fn settings(fake: &FakeProviders, providers: &[&str], extra: &[(&str, &str)]) -> AiSettings {
    let mut vars: Vec<(String, String)> = providers.iter().flat_map(|p| fake.env_for(p)).collect();
    vars.push(("AI_RATE_LIMIT_PER_MINUTE".into(), "60000".into()));
    vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    AiSettings::from_vars(vars).unwrap()
}

/// The local provider's concept and bible of [`STORY`], with a known appearance for the first character.
pub async fn local_cast() -> (Concept, CharacterBible) {
    let local = manga_ai::LocalProvider;
    let story = story();
    let concept = local.analyse_story(&story, &ConceptRequest::default()).await.unwrap();
    let mut bible = local.design_characters(&story, &concept).await.unwrap();
    bible.characters[0].appearance = "a tall woman with a grey braid and an oilskin coat".into();
    (concept, bible)
}

/// A 300×400 panel of the first character, seed 7.
pub async fn panel_request(references: Vec<bytes::Bytes>) -> PanelRequest {
    let (_, bible) = local_cast().await;
    let mut panel = manga_domain::PanelPlan {
        id: manga_domain::PanelId::new(1, 1).unwrap(),
        frame: manga_domain::Rect::new(0.0, 0.0, 300.0, 400.0),
        shot: manga_domain::Shot::Medium,
        angle: manga_domain::Angle::Low,
        place_kind: manga_domain::PlaceKind::Water,
        time_of_day: manga_domain::TimeOfDay::Night,
        mood: manga_domain::Mood::Tense,
        cast: vec![bible.characters[0].id.clone()],
        focus: None,
        action: "climbs the stairs".into(),
        effect: manga_domain::Effect::None,
        balloons: vec![],
        sfx: vec![],
    };
    panel.focus = panel.cast.first().cloned();
    PanelRequest {
        panel,
        characters: vec![bible.characters[0].clone()],
        width: 300,
        height: 400,
        seed: 7,
        attempt: 1,
        references,
        right_to_left: true,
    }
}

/// A 256-pixel portrait of the first character.
pub async fn portrait_request() -> PortraitRequest {
    let (_, bible) = local_cast().await;
    PortraitRequest { character: bible.characters[0].clone(), size: 256, seed: 11 }
}

/// The red channel at a pixel of a PNG.
pub fn red_at(png: &[u8], x: u32, y: u32) -> u8 {
    manga_render::image_io::decode_png(png).unwrap().pixel(x, y).unwrap().red()
}
