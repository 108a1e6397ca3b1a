//! Colours for characters' clothes: fixed, readable palettes, and a record
//! of what is taken so that no two characters share an outfit (or accent) colour.

use std::collections::BTreeSet;

use manga_domain::Rgb;

/// Outfit colours: distinct, readable on screentone, none too close to another.
const OUTFITS: &[Rgb] = &[
    Rgb(46, 72, 140),
    Rgb(150, 40, 48),
    Rgb(52, 110, 70),
    Rgb(200, 150, 50),
    Rgb(96, 60, 130),
    Rgb(40, 120, 130),
    Rgb(170, 90, 40),
    Rgb(70, 70, 78),
    Rgb(210, 200, 180),
    Rgb(120, 30, 80),
    Rgb(90, 120, 40),
    Rgb(30, 40, 70),
    Rgb(180, 110, 120),
    Rgb(110, 90, 60),
    Rgb(60, 150, 200),
    Rgb(230, 120, 60),
];

/// Accent colours (sash, tie, trim).
const ACCENTS: &[Rgb] = &[
    Rgb(230, 190, 60),
    Rgb(200, 40, 40),
    Rgb(240, 240, 235),
    Rgb(40, 40, 40),
    Rgb(90, 160, 220),
    Rgb(150, 200, 90),
    Rgb(220, 120, 160),
    Rgb(160, 100, 50),
    Rgb(120, 80, 160),
    Rgb(60, 170, 150),
    Rgb(250, 150, 60),
    Rgb(20, 60, 120),
];

/// Colours already taken by earlier characters.
#[derive(Debug, Default)]
pub(crate) struct Palette {
    outfits: BTreeSet<(u8, u8, u8)>,
    accents: BTreeSet<(u8, u8, u8)>,
}

impl Palette {
    /// An outfit colour no earlier character has, chosen by `hash`.
    pub(crate) fn outfit(&mut self, hash: u64) -> Rgb {
        Self::take(&mut self.outfits, OUTFITS, hash)
    }

    /// An outfit colour from `colours` (for figures with a traditional colour), else any unused one.
    pub(crate) fn outfit_from(&mut self, colours: &[Rgb], hash: u64) -> Rgb {
        match colours.iter().find(|c| !self.outfits.contains(&(c.0, c.1, c.2))) {
            Some(&c) => Self::take(&mut self.outfits, &[c], 0),
            None => self.outfit(hash),
        }
    }

    /// An accent colour no earlier character has.
    pub(crate) fn accent(&mut self, hash: u64) -> Rgb {
        Self::take(&mut self.accents, ACCENTS, hash)
    }

    fn take(used: &mut BTreeSet<(u8, u8, u8)>, colours: &[Rgb], hash: u64) -> Rgb {
        let start = (hash % colours.len() as u64) as usize;
        for k in 0..colours.len() {
            let c = colours[(start + k) % colours.len()];
            if used.insert((c.0, c.1, c.2)) {
                return c;
            }
        }
        // More characters than colours: shades of the palette, then anything new.
        let mut n: u32 = 0;
        loop {
            let base = colours[(start + n as usize) % colours.len()];
            let round = n / colours.len() as u32 + 1;
            let c = if round <= 6 {
                let towards = if round.is_multiple_of(2) { Rgb(255, 255, 255) } else { Rgb(0, 0, 0) };
                base.mix(towards, 0.12 * round.div_ceil(2) as f32)
            } else {
                Rgb((n & 0xff) as u8, ((n >> 8) & 0xff) as u8 ^ 0x5a, (n.wrapping_mul(37) & 0xff) as u8)
            };
            if used.insert((c.0, c.1, c.2)) {
                return c;
            }
            n += 1;
        }
    }
}
