//! The hash maps of replay and the renderers: keyed with aHash, seeded at
//! random per process (keys come from untrusted logs, so a fixed hash would
//! let a crafted log collide them), and several times faster than the
//! standard SipHash on the short keys here (item keys, module names).

/// A hash map with a per-process random aHash seed.
pub type Map<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;

/// A hash set with a per-process random aHash seed.
pub type Set<K> = std::collections::HashSet<K, ahash::RandomState>;
