//! Phase 8, publish: the PDF, the CBZ, thumbnails and the web reader's manifest.

use bytes::Bytes;
use manga_domain::{ArtifactKey, Composition, Concept, JobOptions, PhaseId, Publication, QualityReport, Reason};
use manga_proto::PhaseAddress;
use manga_render::cbz::{ComicInfo, write_cbz};
use manga_render::image_io::{PngSpeed, decode_png, encode_png, thumbnail};
use manga_render::pdf::{PdfMeta, write_pdf};
use serde::Serialize;

use crate::artifacts::{load_json, save_json};
use crate::{PhaseContext, PhaseError, PhaseOutput, Progress};

/// Thumbnail width in pixels.
pub const THUMBNAIL_WIDTH: u32 = 240;

/// The web reader's manifest: what to show, in which order and direction.
#[derive(Debug, Serialize)]
struct ReaderManifest<'a> {
    title: &'a str,
    language: &'a str,
    direction: manga_domain::ReadingDirection,
    pages: Vec<ReaderPage>,
}

#[derive(Debug, Serialize)]
struct ReaderPage {
    number: u16,
    image: ArtifactKey,
    thumbnail: ArtifactKey,
    width: u32,
    height: u32,
}

/// Writes the published files and `publish.json`.
///
/// # Errors
/// [`PhaseError`] when inputs are missing or a file cannot be written.
pub async fn run(ctx: &PhaseContext, at: PhaseAddress, progress: &Progress) -> Result<PhaseOutput, PhaseError> {
    let blob = ctx.blob.as_ref();
    let concept: Concept = load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Concept)).await?;
    let composition: Composition =
        load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Compose)).await?;
    let options: JobOptions = load_json(blob, &ArtifactKey::options(at.job, at.version)).await?;
    if composition.pages.is_empty() {
        return Err(PhaseError::Invalid("there are no pages to publish".into()));
    }
    let mut pngs = Vec::with_capacity(composition.pages.len());
    for page in &composition.pages {
        pngs.push(blob.get(&page.image).await?.to_vec());
    }
    let right_to_left = concept.reading_direction == manga_domain::ReadingDirection::RightToLeft;
    let title = options.title.clone().unwrap_or_else(|| concept.title.clone());

    let (pdf, cbz, thumbs) = {
        let pngs = pngs.clone();
        let meta = PdfMeta {
            title: title.clone(),
            author: options.author.clone(),
            subject: concept.summary.clone(),
            right_to_left,
            language: concept.language.code().into(),
        };
        let info = ComicInfo {
            title: title.clone(),
            writer: options.author.clone(),
            summary: concept.summary.clone(),
            language_iso: concept.language.code().into(),
            right_to_left,
            genre: concept.genre.clone(),
        };
        tokio::task::spawn_blocking(move || {
            let pdf = write_pdf(&pngs, &meta)?;
            let cbz = write_cbz(&pngs, &info)?;
            let thumbs = pngs
                .iter()
                .map(|png| encode_png(&thumbnail(&decode_png(png)?, THUMBNAIL_WIDTH)?, PngSpeed::Small))
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, PhaseError>((pdf, cbz, thumbs))
        })
        .await
        .map_err(|e| PhaseError::Invalid(format!("publish worker stopped: {e}")))??
    };
    progress.advance(1, 3, "PDF and CBZ written").await;

    let pdf_key = ArtifactKey::product(at.job, at.version, "manga.pdf");
    let cbz_key = ArtifactKey::product(at.job, at.version, "manga.cbz");
    let manifest_key = ArtifactKey::product(at.job, at.version, "reader.json");
    blob.put(&pdf_key, Bytes::from(pdf.clone()), "application/pdf").await?;
    blob.put(&cbz_key, Bytes::from(cbz.clone()), "application/vnd.comicbook+zip").await?;
    let mut thumbnails = Vec::with_capacity(thumbs.len());
    for (page, thumb) in composition.pages.iter().zip(thumbs) {
        let key = ArtifactKey::thumbnail(at.job, at.version, page.number);
        blob.put(&key, Bytes::from(thumb), "image/png").await?;
        thumbnails.push(key);
    }
    progress.advance(2, 3, "thumbnails written").await;
    let manifest = ReaderManifest {
        title: &title,
        language: concept.language.code(),
        direction: concept.reading_direction,
        pages: composition
            .pages
            .iter()
            .zip(&thumbnails)
            .map(|(p, t)| ReaderPage {
                number: p.number,
                image: p.image.clone(),
                thumbnail: t.clone(),
                width: p.width,
                height: p.height,
            })
            .collect(),
    };
    save_json(blob, &manifest_key, &manifest).await?;
    let publication = Publication {
        pdf: pdf_key,
        cbz: cbz_key,
        pages: composition.pages.iter().map(|p| p.image.clone()).collect(),
        thumbnails,
        manifest: manifest_key,
    };
    let quality = check(&composition, &pdf, &cbz);
    let key = ArtifactKey::phase_output(at.job, at.version, PhaseId::Publish);
    save_json(blob, &key, &publication).await?;
    progress.advance(3, 3, "published").await;
    let mut outputs = vec![key, publication.pdf.clone(), publication.cbz.clone(), publication.manifest.clone()];
    outputs.extend(publication.thumbnails.iter().cloned());
    Ok(PhaseOutput { outputs, quality })
}

/// Checks that every page made it into each file.
fn check(composition: &Composition, pdf: &[u8], cbz: &[u8]) -> QualityReport {
    let mut reasons = Vec::new();
    // Each page is one image XObject in the PDF and one entry in the CBZ.
    let pdf_images = count(pdf, b"/Subtype /Image");
    let cbz_pages = manga_render::cbz::page_count(cbz).unwrap_or(0);
    for (file, found) in [("PDF", pdf_images), ("CBZ", cbz_pages)] {
        if found != composition.pages.len() {
            reasons.push(Reason {
                code: "missing_pages".into(),
                message: format!("the {file} holds {found} of {} pages", composition.pages.len()),
                blame: PhaseId::Publish,
                penalty: 0.5,
            });
        }
    }
    QualityReport::from_reasons(reasons)
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).filter(|w| *w == needle).count()
}
