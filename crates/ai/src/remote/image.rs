//! [`RemoteImage`]: the phases' [`ImageModel`] over any [`PictureModel`].
//!
//! Every panel prompt carries the same style block and each cast member's
//! appearance sentence verbatim, and — for models that take images — their
//! phase-2 portraits, so characters stay recognisable from panel to panel.
//! The answer is scaled to cover the panel's frame and cropped to it; since
//! remote art comes without figure boxes, they are estimated from the frame's
//! layout (see `manga_render::detail`).

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use manga_domain::{Angle, CharacterSheet, Effect, PlaceKind, Shot, TimeOfDay};
use manga_render::detail::estimate_figures;
use manga_render::image_io::{PngSpeed, decode_png, encode_png};
use manga_render::tiny_skia::{FilterQuality, Pixmap, PixmapPaint, Transform};

use super::accounting::Accounting;
use super::cache::{ResponseCache, cache_key};
use super::metrics::AiMetrics;
use super::prices::PriceTable;
use super::prompts::{self, Rendered};
use super::{Picture, PictureModel, PicturePrompt, nearest_aspect};
use crate::{AiError, DrawnImage, ImageModel, PanelRequest, PortraitRequest};

/// The default style block: what every prompt says about how to draw.
pub const STYLE: &str = "Black-and-white Japanese manga art: clean confident ink lines, screentone shading, \
solid blacks, white paper, high contrast, no colour.";

const NEGATIVE: &str = "colour, photograph, 3d render, text, letters, watermark, signature, speech balloon, \
panel border, blurry, extra fingers, deformed face";

/// Phase 5 and the portraits of phase 2, drawn by a remote model.
pub struct RemoteImage {
    model: Arc<dyn PictureModel>,
    cache: Arc<dyn ResponseCache>,
    accounting: Accounting,
    style: String,
    name: String,
}

impl RemoteImage {
    /// The adapter over `model`, drawing in `style` (see [`STYLE`]).
    pub fn new(
        model: Arc<dyn PictureModel>,
        cache: Arc<dyn ResponseCache>,
        prices: Arc<PriceTable>,
        metrics: Arc<AiMetrics>,
        style: String,
    ) -> Self {
        let name = model.provider().to_owned();
        Self { model, cache, accounting: Accounting::new(prices, metrics), style, name }
    }

    /// The prompt for a panel, as sent (pinned by the template tests).
    pub fn panel_prompt(&self, request: &PanelRequest) -> Rendered {
        let panel = &request.panel;
        let shot = match panel.shot {
            Shot::Wide => "wide establishing shot",
            Shot::Medium => "medium shot",
            Shot::CloseUp => "close-up",
        };
        let angle = match panel.angle {
            Angle::Eye => "eye level",
            Angle::High => "high angle looking down",
            Angle::Low => "low angle looking up",
        };
        let cast = if request.characters.is_empty() {
            "No people in this panel.".to_owned()
        } else {
            // The storyboard stands the cast so balloons read in speaking order: say where each one is.
            let each = request.characters.iter().map(|c| format!("{}: {}", c.name, appearance(c)));
            let lines = each.collect::<Vec<_>>().join("\n");
            if request.characters.len() > 1 { format!("From left to right:\n{lines}") } else { lines }
        };
        let effect = match panel.effect {
            Effect::None => "",
            Effect::SpeedLines => "Speed lines for motion.",
            Effect::FocusLines => "Radial focus lines toward the subject.",
        };
        let mood = format!("{:?}", panel.mood).to_lowercase();
        prompts::PANEL.render(&[
            ("style", &self.style),
            ("shot", shot),
            ("angle", angle),
            ("place", place_words(panel.place_kind)),
            ("time", time_words(panel.time_of_day)),
            ("mood", &mood),
            ("cast", &cast),
            ("action", &panel.action),
            ("effect", effect),
        ])
    }

    /// Draws (or takes from the cache) an image fitting `width`×`height`.
    async fn picture(&self, prompt: PicturePrompt, rendered: &Rendered) -> Result<Pixmap, AiError> {
        let (provider, model) = (self.model.provider().to_owned(), self.model.model().to_owned());
        let mut parts: Vec<Vec<u8>> = vec![
            provider.clone().into_bytes(),
            model.clone().into_bytes(),
            rendered.template.clone().into_bytes(),
            prompt.prompt.clone().into_bytes(),
            prompt.negative.clone().into_bytes(),
            format!("{}:{} {} {}x{}", prompt.aspect.0, prompt.aspect.1, prompt.seed, prompt.width, prompt.height)
                .into_bytes(),
        ];
        parts.extend(prompt.references.iter().map(|r| r.to_vec()));
        let key = cache_key(&parts.iter().map(Vec::as_slice).collect::<Vec<_>>());
        if let Some(hit) = self.cache.get(&key).await
            && let Ok(pixmap) = decode_png(&hit)
        {
            self.accounting.cache_hit(&provider, &model);
            return Ok(pixmap);
        }
        let picture: Picture = self.model.generate_image(&prompt).await?;
        self.accounting.spent(&provider, &model, picture.input_tokens, picture.output_tokens, 1);
        if !picture.bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Err(AiError::Malformed {
                provider,
                message: format!("the image is not a PNG (it says {:?}); ask the model for image/png", picture.mime),
            });
        }
        let pixmap = decode_png(&picture.bytes).map_err(|e| AiError::Malformed {
            provider: provider.clone(),
            message: format!("the image does not decode: {e}"),
        })?;
        self.cache.put(&key, picture.bytes).await;
        Ok(pixmap)
    }

    fn prompt(&self, prompt: String, width: u32, height: u32, seed: u64, references: Vec<Bytes>) -> PicturePrompt {
        let references = if self.model.accepts_references() { references } else { Vec::new() };
        PicturePrompt {
            prompt,
            negative: NEGATIVE.to_owned(),
            aspect: nearest_aspect(width, height, self.model.aspect_ratios()),
            width,
            height,
            // Models take 32-bit seeds; fold the job's 64-bit seed so every bit still counts.
            seed: (seed ^ (seed >> 32)) as u32,
            references,
        }
    }
}

fn appearance(sheet: &CharacterSheet) -> String {
    if !sheet.appearance.is_empty() {
        return sheet.appearance.clone();
    }
    let look = &sheet.look;
    let hex = |c: manga_domain::Rgb| format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2);
    format!(
        "{:?} {:?} build, {:?} hair ({}), {} eyes, wearing {:?} ({}){}",
        look.age,
        look.build,
        look.hair_style,
        hex(look.hair_color),
        hex(look.eye_color),
        look.outfit,
        hex(look.outfit_color),
        if look.spectacles { ", glasses" } else { "" }
    )
    .to_lowercase()
}

fn place_words(kind: PlaceKind) -> &'static str {
    match kind {
        PlaceKind::Sky => "Open sky with clouds",
        PlaceKind::Water => "By the sea or water",
        PlaceKind::Room => "Indoors",
        PlaceKind::Forest => "In a forest",
        PlaceKind::Street => "A town street",
        PlaceKind::Mountain => "Mountains and cliffs",
        PlaceKind::Field => "Open fields",
        PlaceKind::Hell => "A dark underworld of fire",
        PlaceKind::Heaven => "A radiant paradise with lotus ponds",
        PlaceKind::School => "A school or office",
        PlaceKind::Unknown => "A simple background",
    }
}

fn time_words(time: TimeOfDay) -> &'static str {
    match time {
        TimeOfDay::Morning => "morning light",
        TimeOfDay::Day => "daytime",
        TimeOfDay::Evening => "dusk",
        TimeOfDay::Night => "night",
        TimeOfDay::Unknown => "time of day unstated",
    }
}

/// Scales `source` to cover `width`×`height` and crops the middle.
fn cover(source: &Pixmap, width: u32, height: u32) -> Result<Pixmap, String> {
    let mut out = Pixmap::new(width.max(1), height.max(1)).ok_or("the panel has no size")?;
    let scale = (width as f32 / source.width() as f32).max(height as f32 / source.height() as f32);
    let dx = (width as f32 - source.width() as f32 * scale) / 2.0;
    let dy = (height as f32 - source.height() as f32 * scale) / 2.0;
    let paint = PixmapPaint { quality: FilterQuality::Bicubic, ..PixmapPaint::default() };
    out.draw_pixmap(0, 0, source.as_ref(), &paint, Transform::from_row(scale, 0.0, 0.0, scale, dx, dy), None);
    Ok(out)
}

fn finish(provider: &str, pixmap: Pixmap, width: u32, height: u32) -> Result<(Pixmap, Vec<u8>), AiError> {
    let err = |message: String| AiError::Malformed { provider: provider.to_owned(), message };
    let fitted = cover(&pixmap, width, height).map_err(err)?;
    let png = encode_png(&fitted, PngSpeed::Fast).map_err(|e| err(e.to_string()))?;
    Ok((fitted, png))
}

#[async_trait]
impl ImageModel for RemoteImage {
    fn name(&self) -> &str {
        &self.name
    }

    fn accepts_references(&self) -> bool {
        self.model.accepts_references()
    }

    async fn draw_panel(&self, request: &PanelRequest) -> Result<DrawnImage, AiError> {
        let rendered = self.panel_prompt(request);
        let references = request.references.clone();
        let prompt = self.prompt(rendered.user.clone(), request.width, request.height, request.seed, references);
        let pixmap = self.picture(prompt, &rendered).await?;
        let (fitted, png) = finish(&self.name, pixmap, request.width, request.height)?;
        let cast: Vec<_> = request.characters.iter().map(|c| c.id.clone()).collect();
        let figures = estimate_figures(fitted.width(), fitted.height(), &cast, request.right_to_left);
        Ok(DrawnImage {
            png: png.into(),
            width: request.width,
            height: request.height,
            figures,
            provider: self.name.clone(),
            figures_estimated: true,
        })
    }

    async fn draw_portrait(&self, request: &PortraitRequest) -> Result<DrawnImage, AiError> {
        let character = &request.character;
        let look = appearance(character);
        let rendered =
            prompts::PORTRAIT.render(&[("style", &self.style), ("name", &character.name), ("appearance", &look)]);
        let prompt = self.prompt(rendered.user.clone(), request.size, request.size, request.seed, Vec::new());
        let pixmap = self.picture(prompt, &rendered).await?;
        let (fitted, png) = finish(&self.name, pixmap, request.size, request.size)?;
        let figures = estimate_figures(fitted.width(), fitted.height(), std::slice::from_ref(&character.id), false);
        Ok(DrawnImage {
            png: png.into(),
            width: request.size,
            height: request.size,
            figures,
            provider: self.name.clone(),
            figures_estimated: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cover_fills_the_frame_and_keeps_the_middle() {
        // A 200×100 source, left half black, right half white, covered into 50×100: the middle column stays.
        let mut source = Pixmap::new(200, 100).unwrap();
        source.fill(manga_render::tiny_skia::Color::WHITE);
        let rect = manga_render::tiny_skia::Rect::from_xywh(0.0, 0.0, 100.0, 100.0).unwrap();
        let mut paint = manga_render::tiny_skia::Paint::default();
        paint.set_color(manga_render::tiny_skia::Color::BLACK);
        source.fill_rect(rect, &paint, Transform::identity(), None);
        let out = cover(&source, 50, 100).unwrap();
        assert_eq!((out.width(), out.height()), (50, 100));
        let luma = |x: u32, y: u32| out.pixel(x, y).unwrap().red();
        assert!(luma(5, 50) < 40, "left edge of the crop is the black half");
        assert!(luma(45, 50) > 215, "right edge is the white half");
        assert_eq!(out.pixel(25, 0).unwrap().alpha(), 255, "no empty border");
    }
}
