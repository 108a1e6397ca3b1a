//! [`Models`]: every configured provider, built once from [`AiSettings`],
//! and which one each phase (or a job's own choice) uses.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use manga_domain::{AiUsage, JobOptions, PhaseId};

use crate::providers::auth::TokenSource;
use crate::providers::comfyui::ComfyUi;
use crate::providers::gemini::{Gemini, GoogleEndpoint};
use crate::providers::imagen::Imagen;
use crate::providers::openai::OpenAi;
use crate::remote::cache::{DiskCache, Layered, MemoryCache, NoCache, ResponseCache};
use crate::remote::http::{CallPolicy, Http};
use crate::remote::limiter::{LocalRateLimiter, RateLimiter};
use crate::remote::metrics::AiMetrics;
use crate::remote::prices::PriceTable;
use crate::remote::{JsonModel, PictureModel, RemoteImage, RemoteText, usage};
use crate::settings::AiSettings;
use crate::{AiError, DrawnImage, ImageModel, LocalProvider, PanelRequest, PortraitRequest, TextModel};

/// What the models share across a process, or (through Redis) a fleet.
#[derive(Clone)]
pub struct Shared {
    /// The rate limiter; the fleet passes one backed by Redis.
    pub limiter: Option<Arc<dyn RateLimiter>>,
    /// The answer cache's second level (disk for the CLI, Redis in the fleet); L1 is always in memory.
    pub l2: Option<Arc<dyn ResponseCache>>,
    /// The collectors, to register on /metrics.
    pub metrics: Arc<AiMetrics>,
}

impl Default for Shared {
    fn default() -> Self {
        Self { limiter: None, l2: None, metrics: Arc::new(AiMetrics::new()) }
    }
}

/// The providers, by name, and the choice per phase.
#[derive(Clone)]
pub struct Models {
    text: HashMap<String, Arc<dyn TextModel>>,
    image: HashMap<String, Arc<dyn ImageModel>>,
    text_for: HashMap<PhaseId, String>,
    image_for: HashMap<PhaseId, String>,
    probes: Vec<Probe>,
    /// The list prices, for estimates; `None` when nothing remote is configured.
    prices: Option<Arc<PriceTable>>,
    /// The model behind each bare provider name (`gemini` → `gemini/gemini-2.5-flash`), for pricing.
    model_of: HashMap<String, String>,
    /// The remote models' collectors; `None` when nothing remote was built.
    metrics: Option<Arc<AiMetrics>>,
    /// Phases with their own request timeout.
    timeouts: HashMap<PhaseId, Duration>,
}

/// What a run will ask of one phase's models, for pricing it before anything is spent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Demand {
    /// The phase whose models answer.
    pub phase: PhaseId,
    /// Text calls (JSON answers).
    pub text_calls: u32,
    /// Prompt tokens of each text call.
    pub input_tokens: u64,
    /// Answer tokens of each text call.
    pub output_tokens: u64,
    /// Images drawn.
    pub images: u32,
}

impl Demand {
    /// `calls` text answers of about these sizes each.
    pub fn text(phase: PhaseId, calls: u32, input_tokens: u64, output_tokens: u64) -> Self {
        Self { phase, text_calls: calls, input_tokens, output_tokens, images: 0 }
    }

    /// `count` pictures.
    pub fn images(phase: PhaseId, count: u32) -> Self {
        Self { phase, text_calls: 0, input_tokens: 0, output_tokens: 0, images: count }
    }
}

/// What a job will ask of its models, counted by the local analysis (for a dry run).
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    /// The story's length in characters.
    pub story_chars: usize,
    /// Dialogue lines.
    pub lines: usize,
    /// Characters (one portrait each).
    pub characters: usize,
    /// Panels (one image each).
    pub panels: usize,
}

/// A provider to check with one tiny call (`manga providers check`).
#[derive(Clone)]
struct Probe {
    provider: String,
    model: String,
    json: Option<Arc<dyn JsonModel>>,
    picture: Option<Arc<dyn PictureModel>>,
}

/// One line of `manga providers check`.
#[derive(Debug, Clone)]
pub struct ProbeResult {
    /// The provider.
    pub provider: String,
    /// The model.
    pub model: String,
    /// What it can do: `text` or `images`.
    pub kind: &'static str,
    /// `Ok` or the reason.
    pub outcome: Result<(), String>,
    /// How long the call took.
    pub latency: Duration,
}

impl Default for Models {
    fn default() -> Self {
        Self::local()
    }
}

impl Models {
    /// Only the local provider.
    pub fn local() -> Self {
        Self::single(Arc::new(LocalProvider), Arc::new(LocalProvider))
    }

    /// One text and one image model for every phase (tests, custom wiring).
    pub fn single(text: Arc<dyn TextModel>, image: Arc<dyn ImageModel>) -> Self {
        let (tn, iname) = (text.name().to_owned(), image.name().to_owned());
        let mut models = Self {
            text: HashMap::from([(tn.clone(), text)]),
            image: HashMap::from([(iname.clone(), image)]),
            text_for: PhaseId::ALL.iter().map(|p| (*p, tn.clone())).collect(),
            image_for: PhaseId::ALL.iter().map(|p| (*p, iname.clone())).collect(),
            probes: Vec::new(),
            prices: None,
            model_of: HashMap::new(),
            metrics: None,
            timeouts: HashMap::new(),
        };
        models.text.entry("local".into()).or_insert_with(|| Arc::new(LocalProvider));
        models.image.entry("local".into()).or_insert_with(|| Arc::new(LocalProvider));
        models
    }

    /// Builds every provider the settings name.
    ///
    /// # Errors
    /// A sentence when a provider cannot be set up (no credentials, a workflow file that does not parse).
    pub fn build(settings: &AiSettings, shared: &Shared) -> Result<Self, String> {
        let prices = Arc::new(match &settings.prices_file {
            None => PriceTable::builtin(),
            Some(path) => PriceTable::parse(
                &std::fs::read_to_string(path).map_err(|e| format!("AI_PRICES_FILE {}: {e}", path.display()))?,
            )
            .map_err(|e| format!("AI_PRICES_FILE {}: {e}", path.display()))?,
        });
        let l1: Arc<dyn ResponseCache> = Arc::new(MemoryCache::new(64 << 20));
        let cache: Arc<dyn ResponseCache> = match (settings.cache, &shared.l2, &settings.cache_dir) {
            (false, _, _) => Arc::new(NoCache),
            (true, Some(l2), _) => Arc::new(Layered::new(l1, l2.clone())),
            (true, None, Some(dir)) => Arc::new(Layered::new(l1, Arc::new(DiskCache::new(dir)))),
            (true, None, None) => l1,
        };
        let per_minute = NonZeroU32::new(settings.rate_limit_per_minute).unwrap_or(NonZeroU32::MIN);
        let limiter = shared.limiter.clone().unwrap_or_else(|| Arc::new(LocalRateLimiter::new(per_minute)));
        let policy = CallPolicy {
            timeout: settings.timeout,
            attempts: settings.retries + 1,
            breaker_failures: settings.breaker_failures,
            breaker_cool_down: settings.breaker_cool_down,
            ..CallPolicy::default()
        };
        let http = |provider: &str, model: &str| {
            Http::new(provider, model, policy.clone(), settings.concurrency, limiter.clone(), shared.metrics.clone())
        };
        let google = || -> Result<GoogleEndpoint, String> {
            match (&settings.vertex_location, &settings.project) {
                (Some(location), Some(project)) => Ok(GoogleEndpoint::Vertex {
                    base: settings.vertex_base_url.clone().unwrap_or_else(|| GoogleEndpoint::vertex_host(location)),
                    project: project.clone(),
                    location: location.clone(),
                    tokens: TokenSource::new(settings.google_access_token.clone())?,
                }),
                _ => Ok(GoogleEndpoint::ApiKey {
                    base: settings
                        .gemini_base_url
                        .clone()
                        .unwrap_or_else(|| "https://generativelanguage.googleapis.com".into()),
                    key: settings.gemini_api_key.clone().ok_or("GEMINI_API_KEY: not set")?,
                }),
            }
        };

        let mut models = Self::local();
        models.text_for.clear();
        models.image_for.clear();
        models.prices = Some(prices.clone());
        models.metrics = Some(shared.metrics.clone());
        models.timeouts = settings.phase_timeouts.clone();
        for (provider, model, image) in settings.in_use() {
            let key = format!("{provider}/{model}");
            if provider == "local" {
                continue;
            }
            if image {
                let picture: Arc<dyn PictureModel> = match provider.as_str() {
                    "gemini-image" => Arc::new(Gemini::new(http(&provider, &model), google()?)),
                    "imagen" => Arc::new(Imagen::new(http(&provider, &model), google()?)),
                    "openai" => Arc::new(OpenAi::new(
                        http(&provider, &model),
                        &settings.openai_base_url,
                        settings.openai_api_key.clone(),
                    )),
                    "comfyui" => {
                        let read = |name: &str, path: &std::path::Path| {
                            std::fs::read_to_string(path).map_err(|e| format!("{name} {}: {e}", path.display()))
                        };
                        let workflow = match &settings.comfyui_workflow {
                            None => crate::providers::comfyui::BUILTIN_WORKFLOW.to_owned(),
                            Some(path) => read("COMFYUI_WORKFLOW", path)?,
                        };
                        let url = settings.comfyui_url.clone().ok_or("COMFYUI_URL: not set")?;
                        let mut comfy = ComfyUi::new(http(&provider, &model), &url, &workflow)
                            .map_err(|e| format!("COMFYUI_WORKFLOW: {e}"))?;
                        if let Some(path) = &settings.comfyui_reference_workflow {
                            comfy = comfy
                                .with_reference_workflow(&read("COMFYUI_REFERENCE_WORKFLOW", path)?)
                                .map_err(|e| format!("COMFYUI_REFERENCE_WORKFLOW: {e}"))?;
                        }
                        Arc::new(comfy)
                    }
                    other => return Err(format!("{other} cannot draw")),
                };
                let remote = RemoteImage::new(
                    picture.clone(),
                    cache.clone(),
                    prices.clone(),
                    shared.metrics.clone(),
                    settings.image_style.clone(),
                );
                let drawn: Arc<dyn ImageModel> = if settings.image_fallback_local {
                    Arc::new(FallbackImage { primary: Arc::new(remote), name: provider.clone() })
                } else {
                    Arc::new(remote)
                };
                models.image.insert(key.clone(), drawn.clone());
                if !models.image.contains_key(&provider) {
                    models.image.insert(provider.clone(), drawn);
                    models.model_of.insert(format!("image:{provider}"), key.clone());
                }
                models.probes.push(Probe { provider, model, json: None, picture: Some(picture) });
            } else {
                let json: Arc<dyn JsonModel> = match provider.as_str() {
                    "gemini" => Arc::new(Gemini::new(http(&provider, &model), google()?)),
                    "openai" => Arc::new(OpenAi::new(
                        http(&provider, &model),
                        &settings.openai_base_url,
                        settings.openai_api_key.clone(),
                    )),
                    other => return Err(format!("{other} cannot read stories")),
                };
                let text: Arc<dyn TextModel> =
                    Arc::new(RemoteText::new(json.clone(), cache.clone(), prices.clone(), shared.metrics.clone()));
                models.text.insert(key.clone(), text.clone());
                if !models.text.contains_key(&provider) {
                    models.text.insert(provider.clone(), text);
                    models.model_of.insert(format!("text:{provider}"), key.clone());
                }
                models.probes.push(Probe { provider, model, json: Some(json), picture: None });
            }
        }
        for (phase, (provider, model)) in &settings.text {
            models
                .text_for
                .insert(*phase, if provider == "local" { "local".into() } else { format!("{provider}/{model}") });
        }
        for (phase, (provider, model)) in &settings.image {
            models
                .image_for
                .insert(*phase, if provider == "local" { "local".into() } else { format!("{provider}/{model}") });
        }
        Ok(models)
    }

    /// Runs a phase's work with that phase's own request timeout, when it has one.
    pub async fn with_timeout_of<F: std::future::Future>(&self, phase: PhaseId, work: F) -> F::Output {
        match self.timeouts.get(&phase) {
            Some(timeout) => crate::remote::http::with_call_timeout(*timeout, work).await,
            None => work.await,
        }
    }

    /// The collectors the remote models count into, to register on `/metrics`.
    pub fn metrics(&self) -> Option<&Arc<AiMetrics>> {
        self.metrics.as_ref()
    }

    /// The names a job may choose for `phase` (`local`, `gemini`, …).
    pub fn choices(&self, phase: PhaseId) -> Vec<String> {
        let map: Vec<&String> = match phase {
            PhaseId::Concept | PhaseId::Plot | PhaseId::Name => self.text.keys().collect(),
            PhaseId::Characters => self.text.keys().chain(self.image.keys()).collect(),
            PhaseId::Images => self.image.keys().collect(),
            _ => vec![],
        };
        let mut names: Vec<String> = map.into_iter().filter(|k| !k.contains('/')).cloned().collect();
        names.sort();
        names.dedup();
        names
    }

    /// The text model for `phase`, honouring the job's own choice.
    ///
    /// # Errors
    /// A sentence when the job asks for a provider not configured here.
    pub fn text(&self, phase: PhaseId, options: &JobOptions) -> Result<Arc<dyn TextModel>, String> {
        pick(&self.text, self.text_for.get(&phase), options.providers.get(phase.name()), phase)
    }

    /// The image model for `phase`, likewise.
    ///
    /// # Errors
    /// A sentence when the job asks for a provider not configured here.
    pub fn image(&self, phase: PhaseId, options: &JobOptions) -> Result<Arc<dyn ImageModel>, String> {
        pick(&self.image, self.image_for.get(&phase), options.providers.get(phase.name()), phase)
    }

    /// The calls a job of this size is expected to make with the models it will use (the job's
    /// own choice first), and their cost at list prices, one record per provider and model (empty
    /// when all is local). Token counts are estimates from the story's length; images are exact.
    pub fn estimate(&self, work: &Workload, options: &JobOptions) -> Vec<AiUsage> {
        // About three characters a token across English and Japanese; each prompt adds its template.
        let story = (work.story_chars as u64).div_ceil(3);
        let (lines, characters, panels) = (work.lines as u64, work.characters as u64, work.panels as u64);
        let text = |phase, input_tokens, output_tokens| Demand::text(phase, 1, input_tokens, output_tokens);
        let images = |phase, count: usize| Demand::images(phase, u32::try_from(count).unwrap_or(u32::MAX));
        self.price(
            &[
                text(PhaseId::Concept, story + 900, 300 + 25 * lines),
                text(PhaseId::Characters, story + 700, 150 + 120 * characters),
                text(PhaseId::Plot, story + 700, 400 + 40 * lines),
                text(PhaseId::Name, story + 1200 + 30 * lines, 200 + 60 * panels),
                images(PhaseId::Characters, work.characters),
                images(PhaseId::Images, work.panels),
            ],
            options,
        )
    }

    /// Prices what runs will ask of the models `options` pick, at list prices: one record per
    /// remote provider and model; local work is free and left out.
    pub fn price(&self, demands: &[Demand], options: &JobOptions) -> Vec<AiUsage> {
        let Some(prices) = &self.prices else { return Vec::new() };
        let mut records = Vec::new();
        for demand in demands {
            let requested = options.providers.get(demand.phase.name());
            let text = (demand.text_calls > 0)
                .then(|| self.remote("text", requested.or(self.text_for.get(&demand.phase))))
                .flatten();
            if let Some((provider, model)) = text {
                let calls = u64::from(demand.text_calls);
                let (input_tokens, output_tokens) = (demand.input_tokens * calls, demand.output_tokens * calls);
                let cost_usd = prices.cost(&provider, &model, input_tokens, output_tokens, 0);
                let requests = demand.text_calls;
                records.push(AiUsage {
                    provider,
                    model,
                    requests,
                    input_tokens,
                    output_tokens,
                    cost_usd,
                    ..Default::default()
                });
            }
            let image = (demand.images > 0)
                .then(|| self.remote("image", requested.or(self.image_for.get(&demand.phase))))
                .flatten();
            if let Some((provider, model)) = image {
                let n = demand.images;
                // Gemini image models bill a picture as output tokens (1290 each, per Google's pricing page).
                let (input_tokens, output_tokens) =
                    if provider == "gemini-image" { (300 * u64::from(n), 1290 * u64::from(n)) } else { (0, 0) };
                let cost_usd = prices.cost(&provider, &model, input_tokens, output_tokens, n);
                let (requests, images) = (n, n);
                records.push(AiUsage {
                    provider,
                    model,
                    requests,
                    images,
                    input_tokens,
                    output_tokens,
                    cost_usd,
                    ..Default::default()
                });
            }
        }
        AiUsage::merge(&records)
    }

    /// The remote (provider, model) a configured or chosen name stands for; `None` for local work.
    fn remote(&self, kind: &str, name: Option<&String>) -> Option<(String, String)> {
        let name = name?;
        let full = if name.contains('/') { name } else { self.model_of.get(&format!("{kind}:{name}"))? };
        full.split_once('/').map(|(p, m)| (p.to_owned(), m.to_owned()))
    }

    /// Makes one tiny call to each configured remote provider.
    pub async fn check(&self) -> Vec<ProbeResult> {
        let mut out = Vec::new();
        for probe in &self.probes {
            let started = Instant::now();
            let (kind, outcome) = if let Some(json) = &probe.json {
                let prompt = crate::remote::JsonPrompt {
                    system: "Answer with JSON.".into(),
                    user: "Say ok.".into(),
                    schema_name: "probe".into(),
                    schema: serde_json::json!({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"], "additionalProperties": false}),
                    gemini_schema: serde_json::json!({"type": "OBJECT", "properties": {"ok": {"type": "BOOLEAN"}}, "required": ["ok"]}),
                    temperature: 0.0,
                    images: Vec::new(),
                };
                ("text", json.generate_json(&prompt).await.map(|_| ()))
            } else if let Some(picture) = &probe.picture {
                let prompt = crate::remote::PicturePrompt {
                    prompt: "A small black ink circle on white paper.".into(),
                    negative: String::new(),
                    aspect: (1, 1),
                    width: 256,
                    height: 256,
                    seed: 1,
                    references: Vec::new(),
                };
                ("images", picture.generate_image(&prompt).await.map(|_| ()))
            } else {
                continue;
            };
            out.push(ProbeResult {
                provider: probe.provider.clone(),
                model: probe.model.clone(),
                kind,
                outcome: outcome.map_err(|e| e.to_string()),
                latency: started.elapsed(),
            });
        }
        out
    }
}

fn pick<T: ?Sized>(
    map: &HashMap<String, Arc<T>>,
    configured: Option<&String>,
    requested: Option<&String>,
    phase: PhaseId,
) -> Result<Arc<T>, String> {
    let name = requested.or(configured).map_or("local", String::as_str);
    map.get(name).cloned().ok_or_else(|| {
        let mut known: Vec<&String> = map.keys().filter(|k| !k.contains('/')).collect();
        known.sort();
        format!(
            "provider {name:?} for {} is not configured here; configured: {}",
            phase.name(),
            known.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        )
    })
}

/// A remote image model whose refusals are drawn by the local provider instead,
/// noted in the phase's quality report.
struct FallbackImage {
    primary: Arc<dyn ImageModel>,
    name: String,
}

#[async_trait]
impl ImageModel for FallbackImage {
    fn name(&self) -> &str {
        &self.name
    }

    fn accepts_references(&self) -> bool {
        self.primary.accepts_references()
    }

    async fn draw_panel(&self, request: &PanelRequest) -> Result<DrawnImage, AiError> {
        match self.primary.draw_panel(request).await {
            Err(AiError::Rejected { message, .. }) => {
                usage::note(format!(
                    "panel {} fell back to local: {} refused it ({message})",
                    request.panel.id, self.name
                ));
                LocalProvider.draw_panel(request).await
            }
            other => other,
        }
    }

    async fn draw_portrait(&self, request: &PortraitRequest) -> Result<DrawnImage, AiError> {
        match self.primary.draw_portrait(request).await {
            Err(AiError::Rejected { message, .. }) => {
                usage::note(format!(
                    "the portrait of {} fell back to local: {} refused it ({message})",
                    request.character.name, self.name
                ));
                LocalProvider.draw_portrait(request).await
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn models(vars: &[(&str, &str)]) -> Models {
        Models::build(&AiSettings::from_vars(vars.iter().copied()).unwrap(), &Shared::default()).unwrap()
    }

    #[test]
    fn an_estimate_counts_three_text_calls_and_one_image_per_portrait_and_panel_at_list_prices() {
        let work = Workload { story_chars: 3000, lines: 12, characters: 2, panels: 20 };
        let options = JobOptions::default();
        assert!(Models::local().estimate(&work, &options).is_empty(), "the local provider costs nothing");
        let remote = models(&[("TEXT_PROVIDER", "gemini"), ("IMAGE_PROVIDER", "imagen"), ("GEMINI_API_KEY", "k")]);
        let estimate = remote.estimate(&work, &options);
        assert_eq!(estimate.len(), 2, "{estimate:?}");
        let (text, images) = (&estimate[0], &estimate[1]);
        assert_eq!((text.provider.as_str(), text.requests, text.images), ("gemini", 4, 0));
        assert!(text.input_tokens > 3 * 1000 && text.cost_usd > 0.0, "{text:?}");
        assert_eq!((images.provider.as_str(), images.images), ("imagen", 22));
        let per_image = PriceTable::builtin().cost("imagen", &images.model, 0, 0, 1);
        assert!(per_image > 0.0 && (images.cost_usd - 22.0 * per_image).abs() < 1e-9, "{images:?}");

        // A job that keeps its images local pays for text only.
        let mut local_art = JobOptions::default();
        local_art.providers.insert("images".into(), "local".into());
        local_art.providers.insert("characters".into(), "local".into());
        let estimate = remote.estimate(&work, &local_art);
        assert_eq!(estimate.len(), 1, "{estimate:?}");
        assert_eq!((estimate[0].provider.as_str(), estimate[0].requests), ("gemini", 3), "{estimate:?}");
    }
}
