//! Which models to use, read once from the environment (the same variables
//! in the CLI, `manga serve` and every service). A bad value or a missing key
//! is one sentence naming the variable, before any work.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use manga_domain::PhaseId;

/// The provider names.
pub const PROVIDERS: [&str; 6] = ["local", "gemini", "gemini-image", "imagen", "openai", "comfyui"];
/// Providers that answer text (phases 1–3).
pub const TEXT_PROVIDERS: [&str; 3] = ["local", "gemini", "openai"];
/// Providers that draw (phases 2 and 5).
pub const IMAGE_PROVIDERS: [&str; 5] = ["local", "gemini-image", "imagen", "openai", "comfyui"];

/// A bad setting.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct SettingsError {
    /// The variable.
    pub name: String,
    /// What is wrong, and what would be right.
    pub message: String,
}

fn error(name: &str, message: impl Into<String>) -> SettingsError {
    SettingsError { name: name.to_owned(), message: message.into() }
}

/// Everything about models.
#[derive(Debug, Clone)]
pub struct AiSettings {
    /// Text provider and model for each phase that reads (1–4; chat uses phase 1's).
    pub text: HashMap<PhaseId, (String, String)>,
    /// Image provider and model for each phase that draws (2 and 5).
    pub image: HashMap<PhaseId, (String, String)>,
    /// `GEMINI_API_KEY`.
    pub gemini_api_key: Option<String>,
    /// `GOOGLE_CLOUD_PROJECT`, for Vertex AI.
    pub project: Option<String>,
    /// `VERTEX_LOCATION`: set, Gemini and Imagen go through Vertex AI.
    pub vertex_location: Option<String>,
    /// `GOOGLE_OAUTH_ACCESS_TOKEN`: a fixed Vertex token instead of ADC.
    pub google_access_token: Option<String>,
    /// `GEMINI_BASE_URL`.
    pub gemini_base_url: Option<String>,
    /// `VERTEX_BASE_URL`.
    pub vertex_base_url: Option<String>,
    /// `OPENAI_BASE_URL` (default `https://api.openai.com`).
    pub openai_base_url: String,
    /// `OPENAI_API_KEY` (a local server may need none).
    pub openai_api_key: Option<String>,
    /// `COMFYUI_URL`.
    pub comfyui_url: Option<String>,
    /// `COMFYUI_WORKFLOW`: a workflow file in ComfyUI's API format, instead of the built-in SDXL one.
    pub comfyui_workflow: Option<PathBuf>,
    /// `COMFYUI_REFERENCE_WORKFLOW`: a workflow with a `{{reference}}` slot for panels drawn with the cast's portraits.
    pub comfyui_reference_workflow: Option<PathBuf>,
    /// `IMAGE_FALLBACK`: draw refused panels locally.
    pub image_fallback_local: bool,
    /// `IMAGE_STYLE`: the style block of every image prompt.
    pub image_style: String,
    /// `AI_RATE_LIMIT_PER_MINUTE` per provider and model (the seeds: 60 for Gemini).
    pub rate_limit_per_minute: u32,
    /// `AI_CONCURRENCY`: calls in flight per provider and model.
    pub concurrency: usize,
    /// `AI_TIMEOUT_SECONDS` for one request.
    pub timeout: Duration,
    /// `PHASE{N}_AI_TIMEOUT_SECONDS`: one model call's timeout in a phase, apart from
    /// the Cloud Run request it runs in: 40 s for portraits and panels, the seeds' "40 s +
    /// buffer" of phase 5's 60 s request (phase 2's request is 60 s too: the seeds' 20 s
    /// cannot hold one real portrait); others use `AI_TIMEOUT_SECONDS`.
    pub phase_timeouts: HashMap<PhaseId, Duration>,
    /// `AI_RETRIES`: attempts after the first for a transient failure.
    pub retries: u32,
    /// `AI_BREAKER_FAILURES`: consecutive failures that open a provider's circuit (the seeds: 5).
    pub breaker_failures: u32,
    /// `AI_BREAKER_COOL_DOWN_SECONDS`: how long an open circuit waits before a trial call (the seeds: 30).
    pub breaker_cool_down: Duration,
    /// `AI_CACHE_DIR`: the on-disk answer cache (the CLI's default is the user's cache directory).
    pub cache_dir: Option<PathBuf>,
    /// `AI_CACHE=off` turns the answer cache off.
    pub cache: bool,
    /// `AI_PRICES_FILE`.
    pub prices_file: Option<PathBuf>,
}

/// The default model of a provider for text or images.
pub fn default_model(provider: &str, image: bool) -> &'static str {
    match (provider, image) {
        ("gemini", _) => "gemini-2.5-flash",
        ("gemini-image", _) => "gemini-2.5-flash-image",
        ("imagen", _) => "imagen-4.0-generate-001",
        ("openai", false) => "gpt-4o-mini",
        ("openai", true) => "gpt-image-1",
        ("comfyui", _) => "sdxl",
        _ => "local",
    }
}

impl AiSettings {
    /// The offline default: `local` everywhere.
    pub fn local() -> Self {
        // The local provider needs no variable, so this cannot fail.
        #[allow(clippy::expect_used, reason = "no variables, no errors")]
        Self::from_vars(std::iter::empty::<(String, String)>()).expect("the defaults parse")
    }

    /// Reads the process environment.
    ///
    /// # Errors
    /// [`SettingsError`] naming the first bad variable.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_vars(std::env::vars())
    }

    /// Parses `(name, value)` pairs; empty values count as unset.
    ///
    /// # Errors
    /// [`SettingsError`] naming the first bad variable.
    pub fn from_vars<I, K, V>(vars: I) -> Result<Self, SettingsError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let vars: HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into().trim().to_owned()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let get = |name: &str| vars.get(name).cloned();
        let number = |name: &str, default: u64, range: std::ops::RangeInclusive<u64>| -> Result<u64, SettingsError> {
            match get(name) {
                None => Ok(default),
                Some(raw) => raw.parse::<u64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                    error(
                        name,
                        format!("expected a whole number from {} to {}, got {raw:?}", range.start(), range.end()),
                    )
                }),
            }
        };

        let choose = |kind: &str, phase: PhaseId, allowed: &[&str]| -> Result<(String, String), SettingsError> {
            let image = kind == "IMAGE";
            let phase_var = format!("PHASE{}_{kind}_PROVIDER", phase.number());
            let global_var = format!("{kind}_PROVIDER");
            let (var, provider) = match get(&phase_var) {
                Some(p) => (phase_var, p),
                None => (global_var.clone(), get(&global_var).unwrap_or_else(|| "local".into())),
            };
            let provider = provider.to_lowercase();
            if !allowed.contains(&provider.as_str()) {
                let what = if image { "draw" } else { "read stories" };
                return Err(error(&var, format!("{provider:?} cannot {what}; choose one of {}", allowed.join(", "))));
            }
            let seed_var = match (image, provider.as_str()) {
                (false, "gemini") => Some("GEMINI_MODEL"),
                (true, "imagen") => Some("IMAGEN_MODEL"),
                _ => None,
            };
            let model = get(&format!("PHASE{}_{kind}_MODEL", phase.number()))
                .or_else(|| get(&format!("{kind}_MODEL")))
                .or_else(|| seed_var.and_then(get))
                .unwrap_or_else(|| default_model(&provider, image).to_owned());
            Ok((provider, model))
        };
        let mut text = HashMap::new();
        for phase in [PhaseId::Concept, PhaseId::Characters, PhaseId::Plot, PhaseId::Name] {
            text.insert(phase, choose("TEXT", phase, &TEXT_PROVIDERS)?);
        }
        // Face boxes cost a vision call per remote panel: only when asked for by name.
        if get("PHASE6_TEXT_PROVIDER").is_some() {
            text.insert(PhaseId::Lettering, choose("TEXT", PhaseId::Lettering, &TEXT_PROVIDERS)?);
        }
        let mut image = HashMap::new();
        for phase in [PhaseId::Characters, PhaseId::Images] {
            image.insert(phase, choose("IMAGE", phase, &IMAGE_PROVIDERS)?);
        }

        let settings = Self {
            text,
            image,
            gemini_api_key: get("GEMINI_API_KEY"),
            project: get("GOOGLE_CLOUD_PROJECT"),
            vertex_location: get("VERTEX_LOCATION"),
            google_access_token: get("GOOGLE_OAUTH_ACCESS_TOKEN"),
            gemini_base_url: url(&get, "GEMINI_BASE_URL")?,
            vertex_base_url: url(&get, "VERTEX_BASE_URL")?,
            openai_base_url: url(&get, "OPENAI_BASE_URL")?.unwrap_or_else(|| "https://api.openai.com".into()),
            openai_api_key: get("OPENAI_API_KEY"),
            comfyui_url: url(&get, "COMFYUI_URL")?,
            comfyui_workflow: get("COMFYUI_WORKFLOW").map(PathBuf::from),
            comfyui_reference_workflow: get("COMFYUI_REFERENCE_WORKFLOW").map(PathBuf::from),
            image_fallback_local: match get("IMAGE_FALLBACK").as_deref() {
                None | Some("local") => true,
                Some("none") => false,
                Some(other) => return Err(error("IMAGE_FALLBACK", format!("expected local or none, got {other:?}"))),
            },
            image_style: get("IMAGE_STYLE").unwrap_or_else(|| crate::remote::STYLE.to_owned()),
            rate_limit_per_minute: number("AI_RATE_LIMIT_PER_MINUTE", 60, 1..=100_000)? as u32,
            concurrency: number("AI_CONCURRENCY", 4, 1..=256)? as usize,
            timeout: Duration::from_secs(number("AI_TIMEOUT_SECONDS", 120, 1..=3600)?),
            phase_timeouts: {
                let mut timeouts = HashMap::new();
                for phase in PhaseId::ALL {
                    let seed = match phase {
                        PhaseId::Characters => Some(40),
                        PhaseId::Images => Some(40),
                        _ => None,
                    };
                    let name = format!("PHASE{}_AI_TIMEOUT_SECONDS", phase.number());
                    let seconds = match (get(&name), seed) {
                        (None, None) => continue,
                        (_, default) => number(&name, default.unwrap_or(120), 1..=3600)?,
                    };
                    timeouts.insert(phase, Duration::from_secs(seconds));
                }
                timeouts
            },
            retries: number("AI_RETRIES", 3, 0..=10)? as u32,
            breaker_failures: number("AI_BREAKER_FAILURES", 5, 1..=1000)? as u32,
            breaker_cool_down: Duration::from_secs(number("AI_BREAKER_COOL_DOWN_SECONDS", 30, 1..=3600)?),
            cache_dir: get("AI_CACHE_DIR").map(PathBuf::from),
            cache: match get("AI_CACHE").as_deref() {
                None | Some("on") => true,
                Some("off") => false,
                Some(other) => return Err(error("AI_CACHE", format!("expected on or off, got {other:?}"))),
            },
            prices_file: get("AI_PRICES_FILE").map(PathBuf::from),
        };
        settings.check_credentials()?;
        Ok(settings)
    }

    /// Every (provider, model) in use, text first, without repeats.
    pub fn in_use(&self) -> Vec<(String, String, bool)> {
        let mut out: Vec<(String, String, bool)> = Vec::new();
        let mut phases: Vec<_> = self.text.iter().map(|(p, v)| (*p, v, false)).collect();
        phases.extend(self.image.iter().map(|(p, v)| (*p, v, true)));
        phases.sort_by_key(|(p, _, image)| (*image, p.number()));
        for (_, (provider, model), image) in phases {
            if !out.iter().any(|(p, m, i)| p == provider && m == model && *i == image) {
                out.push((provider.clone(), model.clone(), image));
            }
        }
        out
    }

    /// Whether Gemini and Imagen go through Vertex AI.
    pub fn uses_vertex(&self) -> bool {
        self.vertex_location.is_some()
    }

    fn check_credentials(&self) -> Result<(), SettingsError> {
        for (provider, _, _) in self.in_use() {
            match provider.as_str() {
                "gemini" | "gemini-image" | "imagen" if self.uses_vertex() && self.project.is_none() => {
                    return Err(error(
                        "GOOGLE_CLOUD_PROJECT",
                        format!("{provider} on Vertex AI (VERTEX_LOCATION is set) needs the project"),
                    ));
                }
                "gemini" | "gemini-image" | "imagen" if !self.uses_vertex() && self.gemini_api_key.is_none() => {
                    return Err(error(
                        "GEMINI_API_KEY",
                        format!(
                            "{provider} needs an API key (or VERTEX_LOCATION and GOOGLE_CLOUD_PROJECT for Vertex AI)"
                        ),
                    ));
                }
                "comfyui" if self.comfyui_url.is_none() => {
                    return Err(error("COMFYUI_URL", "comfyui needs the server's URL, such as http://127.0.0.1:8188"));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn url(get: &impl Fn(&str) -> Option<String>, name: &str) -> Result<Option<String>, SettingsError> {
    match get(name) {
        None => Ok(None),
        Some(raw) if raw.starts_with("http://") || raw.starts_with("https://") => {
            Ok(Some(raw.trim_end_matches('/').to_owned()))
        }
        Some(raw) => Err(error(name, format!("expected an http(s) URL, got {raw:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_set_means_local_everywhere() {
        let s = AiSettings::local();
        assert!(s.in_use().iter().all(|(p, m, _)| p == "local" && m == "local"));
        assert!(s.image_fallback_local);
    }

    #[test]
    fn a_missing_key_or_an_unknown_provider_names_the_variable() {
        let e = AiSettings::from_vars([("TEXT_PROVIDER", "gemini")]).unwrap_err();
        assert_eq!(e.name, "GEMINI_API_KEY");
        let e = AiSettings::from_vars([("IMAGE_PROVIDER", "dalle")]).unwrap_err();
        assert_eq!(e.name, "IMAGE_PROVIDER");
        assert!(e.to_string().contains("imagen"), "{e}");
        let e = AiSettings::from_vars([("PHASE5_IMAGE_PROVIDER", "gemini")]).unwrap_err();
        assert_eq!(e.name, "PHASE5_IMAGE_PROVIDER", "gemini is text only: {e}");
        let e = AiSettings::from_vars([("IMAGE_PROVIDER", "comfyui")]).unwrap_err();
        assert_eq!(e.name, "COMFYUI_URL");
        let e = AiSettings::from_vars([("TEXT_PROVIDER", "gemini"), ("VERTEX_LOCATION", "global")]).unwrap_err();
        assert_eq!(e.name, "GOOGLE_CLOUD_PROJECT");
        let e = AiSettings::from_vars([("OPENAI_BASE_URL", "localhost:11434")]).unwrap_err();
        assert_eq!(e.name, "OPENAI_BASE_URL");
    }

    #[test]
    fn portraits_and_panels_have_the_seeds_timeouts_unless_told_otherwise() {
        let s = AiSettings::local();
        assert_eq!(s.phase_timeouts.get(&PhaseId::Characters), Some(&Duration::from_secs(40)));
        assert_eq!(s.phase_timeouts.get(&PhaseId::Images), Some(&Duration::from_secs(40)));
        assert_eq!(s.phase_timeouts.get(&PhaseId::Plot), None, "the global AI_TIMEOUT_SECONDS");
        let s =
            AiSettings::from_vars([("PHASE5_AI_TIMEOUT_SECONDS", "90"), ("PHASE3_AI_TIMEOUT_SECONDS", "45")]).unwrap();
        assert_eq!(s.phase_timeouts.get(&PhaseId::Images), Some(&Duration::from_secs(90)));
        assert_eq!(s.phase_timeouts.get(&PhaseId::Plot), Some(&Duration::from_secs(45)));
        let e = AiSettings::from_vars([("PHASE2_AI_TIMEOUT_SECONDS", "soon")]).unwrap_err();
        assert_eq!(e.name, "PHASE2_AI_TIMEOUT_SECONDS");
    }

    #[test]
    fn per_phase_overrides_win_and_models_default_per_provider() {
        let s = AiSettings::from_vars([
            ("TEXT_PROVIDER", "gemini"),
            ("GEMINI_API_KEY", "k"),
            ("IMAGE_PROVIDER", "imagen"),
            ("PHASE5_IMAGE_PROVIDER", "openai"),
            ("PHASE3_TEXT_MODEL", "gemini-2.5-pro"),
            ("IMAGEN_MODEL", "imagen-4.0-fast-generate-001"),
        ])
        .unwrap();
        assert_eq!(s.text[&PhaseId::Concept], ("gemini".into(), "gemini-2.5-flash".into()));
        assert_eq!(s.text[&PhaseId::Plot], ("gemini".into(), "gemini-2.5-pro".into()));
        assert_eq!(s.image[&PhaseId::Characters], ("imagen".into(), "imagen-4.0-fast-generate-001".into()));
        assert_eq!(s.image[&PhaseId::Images], ("openai".into(), "gpt-image-1".into()));
    }
}
