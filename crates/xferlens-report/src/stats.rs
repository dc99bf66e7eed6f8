//! Small statistics shared by the fleet and module answers.

/// The `q` quantile (0..=1) of `v`, nearest rank; None when empty.
pub fn quantile<T: Copy + PartialOrd>(v: &[T], q: f64) -> Option<T> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let rank = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len());
    Some(s[rank - 1])
}
