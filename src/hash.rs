//! The hash maps and sets of the crate: the standard collections with foldhash instead of SipHash.
//!
//! Most keys here are paths, and `Path`'s `Hash` feeds the hasher one component at a time: with
//! SipHash each of those writes costs more than the comparison it saves, and hashing paths was
//! about 9 % of all instructions on public repositories (docs/performance.md). foldhash is the
//! hasher of `hashbrown` (already compiled in through `ignore` and `toml`), seeded per process,
//! so iteration order is as unspecified as before and nothing may depend on it.

/// A `HashMap` with the crate's hasher (`HashMap::default()` makes one).
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// A `HashSet` with the crate's hasher (`HashSet::default()` makes one).
pub type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
