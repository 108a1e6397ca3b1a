//! A library of page layouts after common manga pages: 3 to 7 panels of
//! varied sizes, tiers, tall side panels and wide establishing shots.
//!
//! Cells are written on a 12 × 12 grid for left-to-right reading and mirrored
//! for right-to-left, so one library serves both traditions.

use manga_domain::{PageSize, ReadingDirection, Rect};

/// A cell on the 12 × 12 grid: column, row, width, height (left-to-right orientation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell(pub u8, pub u8, pub u8, pub u8);

/// One page layout.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// A short name, recorded in the storyboard.
    pub name: &'static str,
    /// The cells, in any order (reading order is computed).
    pub cells: &'static [Cell],
}

/// The library.
pub const LAYOUTS: &[Layout] = &[
    Layout { name: "3-tiers", cells: &[Cell(0, 0, 12, 4), Cell(0, 4, 12, 4), Cell(0, 8, 12, 4)] },
    Layout { name: "3-wide-over-two", cells: &[Cell(0, 0, 12, 6), Cell(0, 6, 5, 6), Cell(5, 6, 7, 6)] },
    Layout { name: "3-tall-side", cells: &[Cell(0, 0, 7, 12), Cell(7, 0, 5, 5), Cell(7, 5, 5, 7)] },
    Layout {
        name: "4-wide-pair-wide",
        cells: &[Cell(0, 0, 12, 4), Cell(0, 4, 6, 4), Cell(6, 4, 6, 4), Cell(0, 8, 12, 4)],
    },
    Layout {
        name: "4-wide-tall-stack",
        cells: &[Cell(0, 0, 12, 5), Cell(0, 5, 4, 7), Cell(4, 5, 8, 4), Cell(4, 9, 8, 3)],
    },
    Layout { name: "4-uneven-grid", cells: &[Cell(0, 0, 7, 5), Cell(7, 0, 5, 5), Cell(0, 5, 5, 7), Cell(5, 5, 7, 7)] },
    Layout {
        name: "5-wide-two-two",
        cells: &[Cell(0, 0, 12, 4), Cell(0, 4, 7, 4), Cell(7, 4, 5, 4), Cell(0, 8, 5, 4), Cell(5, 8, 7, 4)],
    },
    Layout {
        name: "5-two-wide-two",
        cells: &[Cell(0, 0, 5, 4), Cell(5, 0, 7, 4), Cell(0, 4, 12, 3), Cell(0, 7, 6, 5), Cell(6, 7, 6, 5)],
    },
    Layout {
        name: "5-tall-middle",
        cells: &[Cell(0, 0, 12, 4), Cell(0, 4, 5, 8), Cell(5, 4, 7, 4), Cell(5, 8, 4, 4), Cell(9, 8, 3, 4)],
    },
    Layout {
        name: "6-wide-pair-pair-wide",
        cells: &[
            Cell(0, 0, 12, 3),
            Cell(0, 3, 6, 3),
            Cell(6, 3, 6, 3),
            Cell(0, 6, 4, 3),
            Cell(4, 6, 8, 3),
            Cell(0, 9, 12, 3),
        ],
    },
    Layout {
        name: "6-three-pairs",
        cells: &[
            Cell(0, 0, 5, 4),
            Cell(5, 0, 7, 4),
            Cell(0, 4, 7, 4),
            Cell(7, 4, 5, 4),
            Cell(0, 8, 6, 4),
            Cell(6, 8, 6, 4),
        ],
    },
    Layout {
        name: "7-wide-three-two-wide",
        cells: &[
            Cell(0, 0, 12, 3),
            Cell(0, 3, 4, 3),
            Cell(4, 3, 4, 3),
            Cell(8, 3, 4, 3),
            Cell(0, 6, 7, 3),
            Cell(7, 6, 5, 3),
            Cell(0, 9, 12, 3),
        ],
    },
    Layout {
        name: "7-pair-wide-three-wide",
        cells: &[
            Cell(0, 0, 6, 3),
            Cell(6, 0, 6, 3),
            Cell(0, 3, 12, 3),
            Cell(0, 6, 4, 3),
            Cell(4, 6, 4, 3),
            Cell(8, 6, 4, 3),
            Cell(0, 9, 12, 3),
        ],
    },
];

/// Page margins and gutters, in pixels at 1240 px width (scaled with the page).
const MARGIN_X: f32 = 72.0;
const MARGIN_TOP: f32 = 84.0;
const MARGIN_BOTTOM: f32 = 124.0;
/// Between panels side by side (narrow, as in manga) and between tiers (wider).
const GUTTER_X: f32 = 16.0;
const GUTTER_Y: f32 = 26.0;

impl Layout {
    /// Layouts with `n` panels.
    pub fn with_panels(n: usize) -> impl Iterator<Item = &'static Layout> {
        LAYOUTS.iter().filter(move |l| l.cells.len() == n)
    }

    /// Whether the first panel read is a full-width tier: an establishing shot.
    pub fn opens_wide(&self) -> bool {
        self.cells.iter().min_by_key(|c| (c.1, c.0)).is_some_and(|c| c.2 == 12)
    }

    /// The frames in page pixels, in reading order for `direction`.
    pub fn frames(&self, page: PageSize, direction: ReadingDirection) -> Vec<Rect> {
        let scale = page.width as f32 / 1240.0;
        let (mx, mt, mb) = (MARGIN_X * scale, MARGIN_TOP * scale, MARGIN_BOTTOM * scale);
        let (gx, gy) = (GUTTER_X * scale, GUTTER_Y * scale);
        let content = Rect::new(mx, mt, page.width as f32 - 2.0 * mx, page.height as f32 - mt - mb);
        let mut cells: Vec<Cell> = self.cells.to_vec();
        if direction == ReadingDirection::RightToLeft {
            for c in &mut cells {
                c.0 = 12 - c.0 - c.2;
            }
        }
        // Top to bottom by the cell's first row, then along the reading direction.
        cells.sort_by_key(|c| {
            let along = if direction == ReadingDirection::RightToLeft { 12 - (c.0 + c.2) } else { c.0 };
            (c.1, along)
        });
        cells
            .iter()
            .map(|c| {
                let x0 = content.x + content.w * f32::from(c.0) / 12.0;
                let x1 = content.x + content.w * f32::from(c.0 + c.2) / 12.0;
                let y0 = content.y + content.h * f32::from(c.1) / 12.0;
                let y1 = content.y + content.h * f32::from(c.1 + c.3) / 12.0;
                // Gutters only between panels, not at the content edge.
                let l = if c.0 == 0 { 0.0 } else { gx / 2.0 };
                let r = if c.0 + c.2 == 12 { 0.0 } else { gx / 2.0 };
                let t = if c.1 == 0 { 0.0 } else { gy / 2.0 };
                let b = if c.1 + c.3 == 12 { 0.0 } else { gy / 2.0 };
                Rect::new((x0 + l).round(), (y0 + t).round(), (x1 - x0 - l - r).round(), (y1 - y0 - t - b).round())
            })
            .collect()
    }
}

/// Counts places where the panel order breaks the reading direction: a panel
/// read after another but lying wholly above it, or beside it on the wrong side.
pub fn reading_order_violations(frames: &[Rect], direction: ReadingDirection) -> usize {
    frames.windows(2).filter(|pair| pair[0].breaks_reading_order(&pair[1], direction)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layout_tiles_the_grid_exactly_once() {
        for layout in LAYOUTS {
            let mut grid = [[0u8; 12]; 12];
            for c in layout.cells {
                for row in &mut grid[usize::from(c.1)..usize::from(c.1 + c.3)] {
                    for cell in &mut row[usize::from(c.0)..usize::from(c.0 + c.2)] {
                        *cell += 1;
                    }
                }
            }
            assert!(grid.iter().flatten().all(|&n| n == 1), "{} does not tile the page", layout.name);
            assert!((3..=7).contains(&layout.cells.len()), "{}", layout.name);
        }
    }

    #[test]
    fn there_is_a_layout_for_every_panel_count_and_an_establishing_one_too() {
        for n in 3..=7 {
            assert!(Layout::with_panels(n).count() >= 2, "only one layout with {n} panels");
            assert!(Layout::with_panels(n).any(Layout::opens_wide), "no wide opener with {n} panels");
        }
    }

    #[test]
    fn japanese_pages_read_right_to_left_and_english_left_to_right() {
        let layout = LAYOUTS.iter().find(|l| l.name == "4-uneven-grid").unwrap();
        let ja = layout.frames(PageSize::B5, ReadingDirection::RightToLeft);
        let en = layout.frames(PageSize::B5, ReadingDirection::LeftToRight);
        assert!(ja[0].x > ja[1].x, "first Japanese panel is top right");
        assert!(en[0].x < en[1].x, "first English panel is top left");
        assert!(ja[2].y > ja[0].y && en[2].y > en[0].y, "then the next tier");
    }

    #[test]
    fn no_layout_breaks_reading_order_in_either_direction_but_a_shuffle_does() {
        for layout in LAYOUTS {
            for dir in [ReadingDirection::RightToLeft, ReadingDirection::LeftToRight] {
                let frames = layout.frames(PageSize::B5, dir);
                assert_eq!(reading_order_violations(&frames, dir), 0, "{} {dir:?}", layout.name);
            }
        }
        let layout = LAYOUTS.iter().find(|l| l.name == "6-three-pairs").unwrap();
        let mut frames = layout.frames(PageSize::B5, ReadingDirection::RightToLeft);
        frames.swap(0, 1);
        assert!(reading_order_violations(&frames, ReadingDirection::RightToLeft) > 0);
        frames.swap(0, 1);
        frames.reverse();
        assert!(reading_order_violations(&frames, ReadingDirection::RightToLeft) > 0);
    }

    #[test]
    fn frames_stay_inside_the_page_with_gutters_between_them() {
        let page = PageSize::B5;
        let bounds = Rect::new(0.0, 0.0, page.width as f32, page.height as f32);
        for layout in LAYOUTS {
            let frames = layout.frames(page, ReadingDirection::LeftToRight);
            for (i, a) in frames.iter().enumerate() {
                assert!(bounds.contains_rect(a, 0.0));
                for b in &frames[i + 1..] {
                    assert!(a.intersection(b).is_none(), "{}: panels overlap", layout.name);
                }
            }
        }
    }
}
