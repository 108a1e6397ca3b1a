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
    /// Generate a manga from a story, in this process, with the offline local provider.
    Generate(GenerateArgs),
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
