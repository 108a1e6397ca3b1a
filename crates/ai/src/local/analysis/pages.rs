//! Sharing a manga's pages among its scenes by weight, every scene at least
//! one page, the total exactly the page count (largest remainders).

/// Pages per scene for `weights`, summing to exactly `pages`.
///
/// Needs `weights.len() <= pages`; with more scenes than pages every scene
/// still gets one page, and the caller must merge scenes first.
pub(crate) fn allot(weights: &[u64], pages: u16) -> Vec<u16> {
    let n = weights.len();
    if n == 0 {
        return Vec::new();
    }
    let mut out = vec![1u16; n];
    let spare = u64::from(pages.saturating_sub(n as u16));
    let total: u64 = weights.iter().map(|w| w.max(&1)).sum();
    let mut given = 0u64;
    let mut remainders: Vec<(u64, usize)> = Vec::with_capacity(n);
    for (i, w) in weights.iter().enumerate() {
        let share = spare * w.max(&1);
        let whole = share / total;
        out[i] += whole as u16;
        given += whole;
        remainders.push((share % total, i));
    }
    // Largest remainder first; ties go to the earlier scene so the result is stable.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take((spare - given) as usize) {
        out[i] += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_weight_and_sum_exactly() {
        assert_eq!(allot(&[100, 100, 200], 8), vec![2, 2, 4]);
        for pages in [5u16, 7, 8, 24] {
            let got = allot(&[5, 900, 30, 30, 1200], pages);
            assert_eq!(got.iter().sum::<u16>(), pages);
            assert!(got.iter().all(|&p| p >= 1));
        }
    }
}
