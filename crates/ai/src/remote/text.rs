//! [`RemoteText`]: the phases' [`TextModel`] over any [`JsonModel`].

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use manga_domain::{CharacterBible, Concept, FeedbackSuggestion, Plot, StoryText, Structure};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use super::accounting::Accounting;
use super::cache::{ResponseCache, cache_key};
use super::metrics::AiMetrics;
use super::prices::PriceTable;
use super::prompts::{self, Template, story_block};
use super::replies::{self, CharactersReply, ConceptReply, FacesReply, FeedbackReply, PlotReply, StoryboardReply};
use super::schema::{gemini_schema, json_schema, repair_json};
use super::{JsonModel, JsonPrompt, usage};
use crate::{
    AiError, ConceptRequest, FaceBox, FaceRequest, FeedbackRequest, LocalProvider, StoryboardProposal,
    StoryboardRequest, TextModel,
};

/// Attempts at one answer: the first, then up to two with the validation error fed back.
const ANSWER_ATTEMPTS: usize = 3;

/// Phases 1–3 answered by a remote model.
pub struct RemoteText {
    model: Arc<dyn JsonModel>,
    cache: Arc<dyn ResponseCache>,
    accounting: Accounting,
    name: String,
}

impl RemoteText {
    /// The adapter over `model`.
    pub fn new(
        model: Arc<dyn JsonModel>,
        cache: Arc<dyn ResponseCache>,
        prices: Arc<PriceTable>,
        metrics: Arc<AiMetrics>,
    ) -> Self {
        let name = model.provider().to_owned();
        Self { model, cache, accounting: Accounting::new(prices, metrics), name }
    }

    /// Asks for a `T`, from the cache when the same question was answered before.
    async fn ask<T, R>(
        &self,
        template: Template,
        values: &[(&str, &str)],
        images: &[Bytes],
        convert: impl Fn(T) -> Result<R, String>,
    ) -> Result<R, AiError>
    where
        T: DeserializeOwned + JsonSchema,
    {
        let rendered = template.render(values);
        let schema = json_schema::<T>();
        let (provider, model) = (self.model.provider().to_owned(), self.model.model().to_owned());
        let schema_text = schema.to_string();
        let mut parts: Vec<&[u8]> = vec![
            provider.as_bytes(),
            model.as_bytes(),
            rendered.template.as_bytes(),
            rendered.system.as_bytes(),
            rendered.user.as_bytes(),
            schema_text.as_bytes(),
        ];
        // Pictures only when there are some, so text-only keys stay what they were.
        parts.extend(images.iter().map(|i| i.as_ref()));
        let key = cache_key(&parts);
        if let Some(hit) = self.cache.get(&key).await
            && let Ok(value) = serde_json::from_slice::<T>(&hit)
            && let Ok(result) = convert(value)
        {
            self.accounting.cache_hit(&provider, &model);
            return Ok(result);
        }
        let mut prompt = JsonPrompt {
            system: rendered.system.clone(),
            user: rendered.user.clone(),
            schema_name: template.id.to_owned() + "_reply",
            schema,
            gemini_schema: gemini_schema::<T>(),
            temperature: 0.4,
            images: images.to_vec(),
        };
        let mut last_problem = String::new();
        for attempt in 0..ANSWER_ATTEMPTS {
            if attempt > 0 {
                // Feed the problem back so the next answer can fix it.
                prompt.user = format!(
                    "{}\n\nYour previous answer could not be used: {last_problem}\nAnswer again, with JSON that fits the schema.",
                    rendered.user
                );
            }
            let answer = match self.model.generate_json(&prompt).await {
                Ok(answer) => answer,
                Err(AiError::Malformed { message, .. }) => {
                    last_problem = message;
                    continue;
                }
                Err(other) => return Err(other),
            };
            self.accounting.spent(&provider, &model, answer.input_tokens, answer.output_tokens, 0);
            let Some(text) = repair_json(&answer.text) else {
                last_problem = if answer.truncated {
                    "it was cut off at the length limit; answer more briefly".into()
                } else {
                    "it was not a JSON object".into()
                };
                continue;
            };
            if text != answer.text.trim() {
                usage::note(format!("{}: the model's JSON was repaired (cut off or fenced)", template.id));
            }
            let value: T = match serde_json::from_str(&text) {
                Ok(value) => value,
                Err(e) => {
                    last_problem = format!("it does not fit the schema: {e}");
                    continue;
                }
            };
            match convert(value) {
                Ok(result) => {
                    self.cache.put(&key, Bytes::from(text)).await;
                    return Ok(result);
                }
                Err(problem) => last_problem = problem,
            }
        }
        Err(AiError::Malformed {
            provider,
            message: format!(
                "{} answered {} times without a usable {}: {last_problem}",
                model, ANSWER_ATTEMPTS, template.id
            ),
        })
    }
}

/// The model's answer, or when every try was unusable (nonsense, not about
/// this story) the local analysis it was to improve on, with a note in the
/// phase's report saying so. Other errors (the model unreachable) stay errors.
fn or_local<T>(answer: Result<T, AiError>, local: T, what: &str) -> Result<T, AiError> {
    match answer {
        Err(AiError::Malformed { provider, message }) => {
            usage::note(format!(
                "{provider}'s {what} could not be used ({message}); the local analysis is used instead"
            ));
            Ok(local)
        }
        other => other,
    }
}

/// The story as the model reads it: one numbered sentence a line, escaped for its data block.
fn numbered_sentences(concept: &Concept) -> String {
    story_block(&concept.sentences.iter().map(|s| format!("[{}] {}", s.index, s.text)).collect::<Vec<_>>().join("\n"))
}

#[async_trait]
impl TextModel for RemoteText {
    fn name(&self) -> &str {
        &self.name
    }

    async fn analyse_story(&self, story: &StoryText, request: &ConceptRequest) -> Result<Concept, AiError> {
        let base = LocalProvider.analyse_story(story, request).await?;
        let sentences = numbered_sentences(&base);
        let lines = base
            .dialogue
            .iter()
            .map(|l| format!("L{} (sentence {}): {}", l.id.0, l.sentence, l.text))
            .collect::<Vec<_>>()
            .join("\n");
        let lines = story_block(&lines).replace("</lines", "< /lines");
        let language = base.language.code();
        let values = [("story", sentences.as_str()), ("lines", &lines), ("language", language)];
        let forced_title = request.title.is_some();
        let answer = self
            .ask::<ConceptReply, _>(prompts::CONCEPT, &values, &[], |reply| {
                replies::into_concept(base.clone(), reply, forced_title)
            })
            .await;
        or_local(answer, base, "concept")
    }

    async fn design_characters(&self, story: &StoryText, concept: &Concept) -> Result<CharacterBible, AiError> {
        let base = LocalProvider.design_characters(story, concept).await?;
        if base.characters.is_empty() {
            return Ok(base);
        }
        let characters = concept
            .characters
            .iter()
            .map(|c| {
                format!(
                    "- {} (aliases: {}; the story says: {})",
                    c.name,
                    c.aliases.join(", "),
                    c.descriptors.join("; ")
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        let story_text = story_block(story.as_str());
        let mood = format!("{:?}", concept.mood).to_lowercase();
        let values =
            [("characters", characters.as_str()), ("genre", &concept.genre), ("mood", &mood), ("story", &story_text)];
        let answer = self
            .ask::<CharactersReply, _>(prompts::CHARACTERS, &values, &[], |reply| {
                replies::into_bible(base.clone(), concept, reply)
            })
            .await;
        or_local(answer, base, "character designs")
    }

    async fn outline_plot(
        &self,
        story: &StoryText,
        concept: &Concept,
        bible: &CharacterBible,
    ) -> Result<Plot, AiError> {
        let structure_hint = match concept.language {
            manga_domain::Language::Ja => "kishotenketsu: ki, sho, ten, ketsu",
            _ => "three acts: setup, confrontation, resolution",
        };
        let characters = concept.characters.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ");
        let sentences = numbered_sentences(concept);
        let last = concept.sentences.len().saturating_sub(1).to_string();
        let pages = concept.page_count.get().to_string();
        let values = [
            ("structure_hint", structure_hint),
            ("characters", characters.as_str()),
            ("story", &sentences),
            ("last_sentence", &last),
            ("pages", &pages),
            ("language", concept.language.code()),
        ];
        let answer =
            self.ask::<PlotReply, _>(prompts::PLOT, &values, &[], |reply| replies::into_plot(concept, reply)).await;
        if let Ok(plot) = &answer
            && plot.structure == Structure::Kishotenketsu
            && plot.scenes.len() < 2
        {
            usage::note("the model gave a single scene");
        }
        let local = LocalProvider.outline_plot(story, concept, bible).await?;
        or_local(answer, local, "plot")
    }

    async fn plan_storyboard(&self, request: &StoryboardRequest<'_>) -> Result<Option<StoryboardProposal>, AiError> {
        let concept = request.concept;
        let layouts = request.layouts.iter().map(|(name, n)| format!("{name}: {n}")).collect::<Vec<_>>().join(", ");
        let characters =
            request.bible.characters.iter().map(|c| format!("{}: {}", c.id, c.name)).collect::<Vec<_>>().join(", ");
        let scenes = request
            .plot
            .scenes
            .iter()
            .map(|s| format!("scene {} ({:?}, {} pages): {}", s.id.0, s.beat, s.pages, s.summary))
            .collect::<Vec<_>>()
            .join("\n");
        let pages = request
            .base
            .pages
            .iter()
            .map(|p| format!("page {}: scene {}, {} panels", p.number, p.scene.0, p.panels.len()))
            .collect::<Vec<_>>()
            .join("\n");
        let speaker = |id: &Option<manga_domain::CharacterId>| {
            id.as_ref().map_or("narration or unknown".to_owned(), ToString::to_string)
        };
        let lines = concept
            .dialogue
            .iter()
            .map(|l| format!("L{} {}: {}", l.id.0, speaker(&l.speaker), l.text))
            .collect::<Vec<_>>()
            .join("\n");
        let (scenes, lines) = (story_block(&scenes), story_block(&lines));
        let values = [
            ("layouts", layouts.as_str()),
            ("characters", &characters),
            ("scenes", &scenes),
            ("pages", &pages),
            ("lines", &lines),
            ("language", concept.language.code()),
        ];
        let proposal = self
            .ask::<StoryboardReply, _>(prompts::STORYBOARD, &values, &[], |reply| {
                replies::into_proposal(request, reply)
            })
            .await?;
        Ok(Some(proposal))
    }

    async fn locate_faces(&self, request: &FaceRequest<'_>) -> Result<Option<Vec<FaceBox>>, AiError> {
        if request.cast.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let characters = request
            .cast
            .iter()
            .map(|c| format!("{}: {}, {}", c.id, c.name, c.appearance))
            .collect::<Vec<_>>()
            .join("; ");
        let values = [("characters", characters.as_str())];
        let images = [request.png.clone()];
        let faces = self
            .ask::<FacesReply, _>(prompts::FACES, &values, &images, |reply| replies::into_faces(request, reply))
            .await?;
        Ok(Some(faces))
    }

    async fn suggest_feedback(&self, request: &FeedbackRequest<'_>) -> Result<FeedbackSuggestion, AiError> {
        let phase = request
            .phase
            .map_or_else(|| "the whole manga".to_owned(), |p| format!("phase {} ({})", p.number(), p.name()));
        let characters = request.bible.map_or_else(
            || "none yet".to_owned(),
            |b| b.characters.iter().map(|c| format!("portrait:{} ({})", c.id, c.name)).collect::<Vec<_>>().join(", "),
        );
        let (mut panels, mut lines) = (Vec::new(), Vec::new());
        for page in request.storyboard.map(|s| s.pages.as_slice()).unwrap_or_default() {
            let ids: Vec<String> = page.panels.iter().map(|p| format!("panel:{}", p.id)).collect();
            panels.push(format!("page:{}: {}", page.number, ids.join(", ")));
            for panel in &page.panels {
                for balloon in &panel.balloons {
                    if let Some(line) = balloon.line {
                        lines.push(format!("line:{} (panel {}): {}", line.0, panel.id, balloon.text));
                    }
                }
            }
        }
        let panels = if panels.is_empty() { "none yet".to_owned() } else { panels.join("\n") };
        let lines = if lines.is_empty() { "none yet".to_owned() } else { story_block(&lines.join("\n")) };
        let message = story_block(&request.message);
        let values = [
            ("phase", phase.as_str()),
            ("characters", &characters),
            ("panels", &panels),
            ("lines", &lines),
            ("message", &message),
        ];
        let provider = self.name.clone();
        let understood = self
            .ask::<FeedbackReply, _>(prompts::FEEDBACK, &values, &[], |reply| replies::into_feedback(request, reply))
            .await?;
        understood.map_err(|message| AiError::Rejected { provider, message })
    }
}
