//! The models the CLI runs with: the environment (`TEXT_PROVIDER`,
//! `IMAGE_PROVIDER`, keys, base URLs, …) and the command's flags; and
//! `manga providers check`.

use std::sync::Arc;

use manga_ai::{AiSettings, Models, Shared};

use crate::cli::{ModelArgs, ProvidersArgs};

/// The configured models. Answers are cached on disk (`AI_CACHE_DIR`, else
/// `~/.cache/manga/ai`), so re-running a job repeats no call.
///
/// # Errors
/// One sentence naming the variable or flag that is wrong.
pub fn configured(flags: &ModelArgs) -> Result<Arc<Models>, String> {
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    if let Some(p) = &flags.text_provider {
        vars.push(("TEXT_PROVIDER".into(), p.clone()));
    }
    if let Some(p) = &flags.image_provider {
        vars.push(("IMAGE_PROVIDER".into(), p.clone()));
    }
    if !vars.iter().any(|(k, _)| k == "AI_CACHE_DIR")
        && let Some(home) = vars.iter().find(|(k, _)| k == "HOME").map(|(_, v)| v.clone())
    {
        vars.push(("AI_CACHE_DIR".into(), format!("{home}/.cache/manga/ai")));
    }
    let settings = AiSettings::from_vars(vars).map_err(|e| e.to_string())?;
    Ok(Arc::new(Models::build(&settings, &Shared::default())?))
}

/// `manga providers check`: one tiny call per configured remote provider.
///
/// # Errors
/// A sentence when the configuration is wrong or any provider fails its call.
pub async fn check(args: ProvidersArgs) -> Result<(), String> {
    let models = configured(&args.models)?;
    let results = models.check().await;
    if results.is_empty() {
        println!("only the local provider is configured: nothing to call (set TEXT_PROVIDER or IMAGE_PROVIDER)");
        return Ok(());
    }
    let mut failed = 0;
    for r in &results {
        let ms = r.latency.as_millis();
        match &r.outcome {
            Ok(()) => println!("✓ {:<13} {:<34} {:<6} {ms:>6} ms", r.provider, r.model, r.kind),
            Err(e) => {
                failed += 1;
                println!("✗ {:<13} {:<34} {:<6} {ms:>6} ms  {e}", r.provider, r.model, r.kind);
            }
        }
    }
    if failed > 0 {
        return Err(format!("{failed} of {} providers failed their check", results.len()));
    }
    Ok(())
}
