//! The evidence the name rules collect: a [`Pool`] of [`Candidate`]s, filled
//! by [`add`]. Shared by the Japanese and English rules and read by
//! [`super::names::find`].

use std::collections::{BTreeMap, BTreeSet};

/// A name candidate while the rules collect evidence.
#[derive(Debug, Default, Clone)]
pub(crate) struct Candidate {
    /// Other written forms (with honorific, title, full name).
    pub aliases: BTreeSet<String>,
    /// Seen in a form that only a person takes (honorific, `と云う男`, subject of `言った`, a title).
    pub strong: bool,
    /// How often it was seen in a name-like position.
    pub weak: u32,
}

/// Candidates by name; a `BTreeMap` so the order is stable.
pub(crate) type Pool = BTreeMap<String, Candidate>;

/// Adds a candidate to `pool`, merging its evidence.
pub(crate) fn add(pool: &mut Pool, name: &str, alias: Option<&str>, strong: bool) {
    let entry = pool.entry(name.to_owned()).or_default();
    entry.strong |= strong;
    entry.weak += 1;
    if let Some(alias) = alias.filter(|a| *a != name) {
        entry.aliases.insert(alias.to_owned());
    }
}
