//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use manga_domain::{Language, PageCount};

/// Turns a story into a finished manga: PDF, CBZ and PNG pages.
#[derive(Debug, Parser)]
#[command(name = "manga", version, about)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a manga from a story, in this process (the offline local provider unless a remote one is configured).
    Generate(GenerateArgs),
    /// Create the fleet's Pub/Sub topics and push subscriptions (the seeds' topology), idempotently.
    Topology(TopologyArgs),
    /// Serve the web page and the API in this process (embedded: SQLite, local files, the configured models).
    Serve(ServeArgs),
    /// Check the configured model providers with one tiny call each.
    Providers {
        #[command(subcommand)]
        command: ProvidersCommand,
    },
}

/// `manga serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,
    /// The address to listen on. Anything but loopback exposes the API to the network: keep SECRET_KEY secret.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Where jobs and their files are kept between runs.
    #[arg(long, default_value = "manga-data")]
    pub data: PathBuf,
    /// The key tokens are signed with (HS256). Unset: a random key made once and kept in
    /// `<data>/secret-key`, so tokens keep working across restarts.
    #[arg(long, env = "SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Origins allowed to call the API from a browser (comma-separated); unset allows only the page itself.
    #[arg(long, env = "CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// How long a review may wait before the default action applies, in seconds.
    #[arg(long, env = "MAX_FEEDBACK_WAIT_TIME", default_value_t = 1800)]
    pub max_feedback_wait: u64,
    /// Requests a minute allowed per client IP and per user (the seeds: 1000).
    #[arg(long, env = "RATE_LIMIT_PER_MINUTE", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: u32,
    /// What happens when a review waits too long: approve, or pause the job.
    #[arg(long, env = "HITL_TIMEOUT_ACTION", default_value = "approve", value_parser = ["approve", "pause"])]
    pub timeout_action: String,
    /// Seconds a job may spend on one step with no change before its request is sent
    /// again; after 3 re-sends it fails with the reason. Jobs a stopped run left
    /// unfinished are resumed at start whatever this says.
    #[arg(long, env = "PHASE_DEADLINE_SECONDS", default_value_t = 900,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub phase_deadline: u64,
    /// Which models to use.
    #[command(flatten)]
    pub models: ModelArgs,
}

/// `manga providers`.
#[derive(Debug, Subcommand)]
pub enum ProvidersCommand {
    /// Make one tiny call to each configured provider and report reachability, auth, model and latency.
    Check(ProvidersArgs),
}

/// Which providers to check (default: what the environment configures).
#[derive(Debug, Args)]
pub struct ProvidersArgs {
    /// Which models to check.
    #[command(flatten)]
    pub models: ModelArgs,
}

/// `--text-provider`, `--image-provider`: over `TEXT_PROVIDER` and `IMAGE_PROVIDER`.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Text model provider for phases 1–3: local, gemini or openai (default: TEXT_PROVIDER, else local).
    #[arg(long)]
    pub text_provider: Option<String>,
    /// Image model provider for portraits and panels: local, gemini-image, imagen, openai or comfyui (default: IMAGE_PROVIDER, else local).
    #[arg(long)]
    pub image_provider: Option<String>,
}

/// `manga topology`.
#[derive(Debug, Args)]
pub struct TopologyArgs {
    /// The Google Cloud project.
    #[arg(long, env = "GOOGLE_CLOUD_PROJECT", default_value = "manga-local")]
    pub project: String,
    /// The Pub/Sub emulator's host:port; unset means real Pub/Sub (then --token is needed).
    #[arg(long, env = "PUBSUB_EMULATOR_HOST")]
    pub emulator: Option<String>,
    /// An OAuth access token for real Pub/Sub.
    #[arg(long)]
    pub token: Option<String>,
    /// Where each service receives pushes: `SERVICE=URL`, once per service (orchestrator, phase1-concept, ...).
    #[arg(long = "endpoint", value_parser = parse_endpoint, required = true)]
    pub endpoints: Vec<(String, String)>,
    /// Delete the topology instead of creating it.
    #[arg(long)]
    pub remove: bool,
}

fn parse_endpoint(text: &str) -> Result<(String, String), String> {
    let (service, url) = text.split_once('=').ok_or_else(|| format!("{text:?} is not SERVICE=URL"))?;
    if !url.starts_with("http://") && !url.starts_with("https://") {
        return Err(format!("the endpoint of {service} must be an http(s) URL, got {url:?}"));
    }
    Ok((service.to_owned(), url.to_owned()))
}

/// `manga generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The story: a UTF-8 text file (Japanese or English), or `-` for standard input.
    pub story: PathBuf,
    /// Where to write manga.pdf, manga.cbz, pages/, thumbnails/ and job.json.
    #[arg(short, long, default_value = "out")]
    pub out: PathBuf,
    /// Number of pages (default: from the story's length, 4 to 24).
    #[arg(short, long, value_parser = parse_pages)]
    pub pages: Option<PageCount>,
    /// Language: auto, ja or en.
    #[arg(short, long, default_value = "auto", value_parser = parse_language)]
    pub lang: LanguageChoice,
    /// Seed for the art; the same story and seed give the same manga.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Title (default: the story's heading, or one made from it).
    #[arg(long)]
    pub title: Option<String>,
    /// Author, for the PDF and CBZ metadata.
    #[arg(long)]
    pub author: Option<String>,
    /// No progress display; only the summary.
    #[arg(short, long)]
    pub quiet: bool,
    /// Estimate the model calls and their cost at list prices, then stop: nothing is called or written.
    #[arg(long)]
    pub dry_run: bool,
    /// Which models to use.
    #[command(flatten)]
    pub models: ModelArgs,
}

/// `--lang`.
#[derive(Debug, Clone, Copy)]
pub enum LanguageChoice {
    /// Detect from the text.
    Auto,
    /// Force one.
    Fixed(Language),
}

fn parse_pages(text: &str) -> Result<PageCount, String> {
    let n: u32 = text.trim().parse().map_err(|_| format!("{text:?} is not a whole number of pages"))?;
    PageCount::parse(n).map_err(|e| e.to_string())
}

fn parse_language(text: &str) -> Result<LanguageChoice, String> {
    if text.eq_ignore_ascii_case("auto") {
        return Ok(LanguageChoice::Auto);
    }
    Language::parse(text).map(LanguageChoice::Fixed).map_err(|e| e.to_string())
}
