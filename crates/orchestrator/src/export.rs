//! A finished job's files into a directory a person opens:
//!
//! ```text
//! out/manga.pdf  out/manga.cbz  out/job.json
//! out/pages/page-001.png ...  out/thumbnails/page-001.png ...  out/portraits/<id>.png
//! ```
//!
//! Everything is written to a staging directory beside `out` first and moved
//! into place at the end, so a failed run never leaves files that look complete.

use std::path::{Path, PathBuf};

use manga_blob::BlobStore;
use manga_domain::{
    ArtifactKey, CharacterBible, Composition, Concept, JobOptions, LetteringSet, PhaseId, Plot, Publication, Storyboard,
};
use manga_phases::artifacts::load_json;
use serde::Serialize;

use crate::{JobError, JobReport};

/// What was written where.
#[derive(Debug, Clone)]
pub struct ExportedFiles {
    /// The output directory.
    pub dir: PathBuf,
    /// The PDF.
    pub pdf: PathBuf,
    /// The CBZ.
    pub cbz: PathBuf,
    /// Page PNGs.
    pub pages: Vec<PathBuf>,
    /// job.json.
    pub job_json: PathBuf,
    /// The book's title.
    pub title: String,
}

/// Everything about the job, for a person to read: `job.json`.
#[derive(Serialize)]
struct JobManifest<'a> {
    job_id: String,
    title: &'a str,
    language: &'a str,
    seed: u64,
    page_count: usize,
    report: &'a JobReport,
    /// Model calls summed per provider and model (per phase: `report.phases[].usage`).
    usage: Vec<manga_domain::AiUsage>,
    files: Files<'a>,
    concept: &'a Concept,
    characters: &'a CharacterBible,
    plot: &'a Plot,
    storyboard: &'a Storyboard,
    lettering: &'a LetteringSet,
    quality: &'a Composition,
}

#[derive(Serialize)]
struct Files<'a> {
    pdf: &'a str,
    cbz: &'a str,
    pages: Vec<String>,
    thumbnails: Vec<String>,
}

/// Writes the job's files into `out` (created if missing; existing files of a previous run are replaced).
///
/// # Errors
/// [`JobError`] when an artifact is missing or the directory cannot be written.
pub async fn export(blob: &dyn BlobStore, report: &JobReport, out: &Path) -> Result<ExportedFiles, JobError> {
    let (job, v) = (report.job, report.version);
    let concept: Concept = load_json(blob, &ArtifactKey::phase_output(job, v, PhaseId::Concept)).await?;
    let characters: CharacterBible = load_json(blob, &ArtifactKey::phase_output(job, v, PhaseId::Characters)).await?;
    let plot: Plot = load_json(blob, &ArtifactKey::phase_output(job, v, PhaseId::Plot)).await?;
    let storyboard: Storyboard = load_json(blob, &ArtifactKey::phase_output(job, v, PhaseId::Name)).await?;
    let lettering: LetteringSet = load_json(blob, &ArtifactKey::phase_output(job, v, PhaseId::Lettering)).await?;
    let composition: Composition = load_json(blob, &ArtifactKey::phase_output(job, v, PhaseId::Compose)).await?;
    let publication: Publication = load_json(blob, &ArtifactKey::phase_output(job, v, PhaseId::Publish)).await?;
    let options: JobOptions = load_json(blob, &ArtifactKey::options(job, v)).await?;

    let staging = staging_dir(out, job)?;
    let result = async {
        let write = |rel: String, bytes: bytes::Bytes| {
            let path = staging.join(&rel);
            async move {
                if let Some(dir) = path.parent() {
                    tokio::fs::create_dir_all(dir).await.map_err(|e| io_error(dir, e))?;
                }
                tokio::fs::write(&path, &bytes).await.map_err(|e| io_error(&path, e))?;
                Ok::<_, JobError>(rel)
            }
        };
        let pdf = write("manga.pdf".into(), blob.get(&publication.pdf).await?).await?;
        let cbz = write("manga.cbz".into(), blob.get(&publication.cbz).await?).await?;
        let mut pages = Vec::new();
        for (i, key) in publication.pages.iter().enumerate() {
            pages.push(write(format!("pages/page-{:03}.png", i + 1), blob.get(key).await?).await?);
        }
        let mut thumbnails = Vec::new();
        for (i, key) in publication.thumbnails.iter().enumerate() {
            thumbnails.push(write(format!("thumbnails/page-{:03}.png", i + 1), blob.get(key).await?).await?);
        }
        for sheet in &characters.characters {
            if let Some(key) = &sheet.portrait {
                write(format!("portraits/{}.png", sheet.id), blob.get(key).await?).await?;
            }
        }
        let title = options.title.clone().unwrap_or_else(|| concept.title.clone());
        let manifest = JobManifest {
            job_id: job.to_string(),
            title: &title,
            language: concept.language.code(),
            seed: options.seed,
            page_count: publication.pages.len(),
            report,
            usage: report.usage(),
            files: Files { pdf: &pdf, cbz: &cbz, pages: pages.clone(), thumbnails },
            concept: &concept,
            characters: &characters,
            plot: &plot,
            storyboard: &storyboard,
            lettering: &lettering,
            quality: &composition,
        };
        let json = serde_json::to_vec_pretty(&manifest).map_err(|e| io_error(Path::new("job.json"), e.into()))?;
        write("job.json".into(), json.into()).await?;
        Ok::<_, JobError>((pages, title))
    }
    .await;
    let (pages, title) = match result {
        Ok(ok) => ok,
        Err(e) => {
            // Best effort: the error being returned matters more than a leftover staging directory.
            if let Err(cleanup) = std::fs::remove_dir_all(&staging) {
                tracing::warn!(error = %cleanup, dir = %staging.display(), "staging directory left behind");
            }
            return Err(e);
        }
    };
    move_into_place(&staging, out)?;
    Ok(ExportedFiles {
        dir: out.to_path_buf(),
        pdf: out.join("manga.pdf"),
        cbz: out.join("manga.cbz"),
        pages: pages.iter().map(|p| out.join(p)).collect(),
        job_json: out.join("job.json"),
        title,
    })
}

fn io_error(path: &Path, source: std::io::Error) -> JobError {
    JobError::Export { path: path.display().to_string(), source }
}

/// A fresh staging directory next to `out` (same filesystem, so moves are renames).
fn staging_dir(out: &Path, job: manga_domain::JobId) -> Result<PathBuf, JobError> {
    std::fs::create_dir_all(out).map_err(|e| io_error(out, e))?;
    let staging = out.join(format!(".staging-{job}"));
    std::fs::create_dir_all(&staging).map_err(|e| io_error(&staging, e))?;
    Ok(staging)
}

/// Moves the staged files into `out`, replacing a previous run's; job.json last, as the mark of a complete run.
fn move_into_place(staging: &Path, out: &Path) -> Result<(), JobError> {
    let stale = out.join("job.json");
    if stale.exists() {
        std::fs::remove_file(&stale).map_err(|e| io_error(&stale, e))?;
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(staging)
        .map_err(|e| io_error(staging, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort_by_key(|p| p.file_name().is_some_and(|n| n == "job.json"));
    for from in entries {
        let Some(name) = from.file_name() else { continue };
        let to = out.join(name);
        if to.is_dir() {
            std::fs::remove_dir_all(&to).map_err(|e| io_error(&to, e))?;
        }
        std::fs::rename(&from, &to).map_err(|e| io_error(&to, e))?;
    }
    std::fs::remove_dir(staging).map_err(|e| io_error(staging, e))
}
