//! The fast path's scanner: finds a line's `type` without decoding it, and
//! checks that the line is plausibly one whole JSON object.
//!
//! It is used only for lines whose type the consumer ignores (see
//! [`crate::ParseOptions::skip_types`]); everything else is decoded by
//! serde_json. The checks are weaker than a full decode (they do not check
//! commas, colons or number syntax), which is why `xferlens check` turns
//! the fast path off.

use std::sync::LazyLock;

use memchr::memmem;

/// What the scan found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Scan<'a> {
    /// A balanced object whose top-level `type` is this escape-free string;
    /// `time`: where the text after the line's last `"time":` key starts
    /// (an offset into the line), if it has one. Both keys begin `"t`, so
    /// the walk that finds the one finds the other.
    Type(&'a [u8], Option<usize>),
    /// Not decidable here (no top-level `type`, an escaped or non-string
    /// `type`, or bad structure): decode fully.
    Decode,
}

/// Scans `line` (without its terminator).
///
/// The checks:
/// - the first and last non-blank bytes are `{` and `}`;
/// - `{`/`}` and `[`/`]` counts balance (a cut line fails this);
/// - the token `"type":"` occurs exactly once outside strings (inside a
///   JSON string every quote is escaped, so an occurrence whose quote is
///   not escaped is structural), and its value holds no escape.
///
/// The caller checks UTF-8 (in bulk, where it can).
///
/// A line whose only `type` key sits inside `contents` (old logs) gives the
/// same type as the decoder's fallback. Anything else is left to the
/// decoder.
pub(crate) fn top_level_type(line: &[u8]) -> Scan<'_> {
    const KEY: &[u8] = b"\"type\":\"";
    let t = line.trim_ascii();
    if t.first() != Some(&b'{') || t.last() != Some(&b'}') {
        return Scan::Decode;
    }
    let w = walk(t);
    if !w.balanced || w.overflow() {
        return Scan::Decode;
    }
    // Every `"t` is a candidate; the structural `"type":"` is the one whose
    // quote is not escaped. The same goes for `"time":`, whose last
    // occurrence is the one the decoder keeps.
    const TIME: &[u8] = b"\"time\":";
    let lead = line.len() - line.trim_ascii_start().len();
    let mut found: Option<&[u8]> = None;
    let mut time = None;
    for at in w.positions() {
        if t[at..].starts_with(TIME) {
            if !escaped(t, at) {
                time = Some(lead + at + TIME.len());
            }
            continue;
        }
        if !t[at..].starts_with(KEY) || escaped(t, at) {
            continue;
        }
        if found.is_some() {
            return Scan::Decode;
        }
        let vs = at + KEY.len();
        // Type names are short: a plain loop beats a memchr call here.
        match t[vs..].iter().position(|&b| b == b'"' || b == b'\\') {
            Some(len) if t[vs + len] == b'"' => found = Some(&t[vs..vs + len]),
            _ => return Scan::Decode,
        }
    }
    match found {
        Some(v) => Scan::Type(v, time),
        None => Scan::Decode,
    }
}

/// Most candidate groups one walk records; a line with more is left to
/// the decoder.
const CANDS: usize = 8;

/// What one walk over a line found.
#[derive(Clone, Debug)]
struct Walk {
    /// `{`/`}` and `[`/`]` occur equally often.
    balanced: bool,
    /// Candidate groups: a `"` followed by `t` at `base + bit` for every
    /// set bit of the mask, groups in increasing order. The extra last
    /// slot takes the writes past [`CANDS`], so recording needs no branch.
    cands: [(usize, u64); CANDS + 1],
    /// Groups found; those past [`CANDS`] are not recorded.
    len: usize,
}

impl Walk {
    fn new() -> Walk {
        Walk {
            balanced: false,
            cands: [(0, 0); CANDS + 1],
            len: 0,
        }
    }

    /// Records a group when `mask` has a bit set, without a branch: the
    /// order of keys varies from line to line in real logs, so a branch on
    /// "this block holds a candidate" is mispredicted often.
    #[inline(always)]
    fn record(&mut self, base: usize, mask: u64) {
        self.cands[self.len.min(CANDS)] = (base, mask);
        self.len += usize::from(mask != 0);
    }

    /// More groups than [`CANDS`] were found; the rest are not recorded.
    fn overflow(&self) -> bool {
        self.len > CANDS
    }

    /// Every candidate position, in increasing order.
    fn positions(&self) -> impl Iterator<Item = usize> + '_ {
        self.cands[..self.len.min(CANDS)]
            .iter()
            .flat_map(|&(base, mask)| {
                let mut m = mask;
                std::iter::from_fn(move || {
                    (m != 0).then(|| {
                        let at = base + m.trailing_zeros() as usize;
                        m &= m - 1;
                        at
                    })
                })
            })
    }
}

/// Walks `t` once: counts brackets, and records the position of every `"`
/// that is followed by `t` (up to [`CANDS`] groups).
///
/// On x86_64 this runs 32 bytes at a time with AVX2 where the CPU has it
/// (checked once, at run time), else 16 at a time with SSE2 (part of the
/// x86_64 baseline); elsewhere, and for lines shorter than one block, byte
/// by byte. All give the same answer (tested). It takes no callback: the
/// findings come back in a small struct, so nothing spills around a call.
fn walk(t: &[u8]) -> Walk {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        if t.len() >= 32 && std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked above).
            return unsafe { simd::walk_avx2(t) };
        }
        if t.len() >= 16 {
            // SAFETY: SSE2 is enabled for this build (the cfg above).
            return unsafe { simd::walk_sse2(t) };
        }
    }
    walk_bytes(t)
}

/// [`walk`], one byte at a time: the reference the SIMD versions are
/// tested against. Records one group per candidate.
fn walk_bytes(t: &[u8]) -> Walk {
    let mut w = Walk::new();
    let (mut braces, mut brackets) = (0i64, 0i64);
    for (i, &x) in t.iter().enumerate() {
        match x {
            b'{' => braces += 1,
            b'}' => braces -= 1,
            b'[' => brackets += 1,
            b']' => brackets -= 1,
            b'"' if t.get(i + 1) == Some(&b't') => w.record(i, 1),
            _ => {}
        }
    }
    w.balanced = braces == 0 && brackets == 0;
    w
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod simd {
    use std::arch::x86_64::*;

    use super::Walk;

    /// Lane masks for the last, overlapping block of a `W`-byte width:
    /// loading `W` bytes at offset `32 - W + k` gives `W - k` zero lanes,
    /// then `k` lanes of 0xFF.
    static TAIL: [u8; 64] = {
        let mut m = [0u8; 64];
        let mut i = 32;
        while i < 64 {
            m[i] = 0xFF;
            i += 1;
        }
        m
    };

    /// Blocks per accumulation round: byte lanes count to at most 127 and
    /// down to -127, so they cannot wrap.
    const ROUND: usize = 127;

    /// The vector operations the walk needs, for one register width.
    /// Every method requires the CPU feature of its implementation.
    trait Lanes: Copy {
        /// Bytes per register.
        const WIDTH: usize;
        unsafe fn load(p: *const u8) -> Self;
        unsafe fn splat(b: u8) -> Self;
        unsafe fn zero() -> Self;
        unsafe fn eq(self, o: Self) -> Self;
        unsafe fn and(self, o: Self) -> Self;
        unsafe fn add(self, o: Self) -> Self;
        unsafe fn sub(self, o: Self) -> Self;
        /// One bit per lane: its top bit.
        unsafe fn mask(self) -> u64;
        /// Sum of the lanes read as signed bytes.
        unsafe fn sum(self) -> i64;
    }

    #[derive(Clone, Copy)]
    struct Sse2(__m128i);

    impl Lanes for Sse2 {
        const WIDTH: usize = 16;
        #[inline]
        #[target_feature(enable = "sse2")]
        unsafe fn load(p: *const u8) -> Self {
            Sse2(_mm_loadu_si128(p.cast()))
        }
        #[inline]
        #[target_feature(enable = "sse2")]
        unsafe fn splat(b: u8) -> Self {
            Sse2(_mm_set1_epi8(b as i8))
        }
        #[inline]
        #[target_feature(enable = "sse2")]
        unsafe fn zero() -> Self {
            Sse2(_mm_setzero_si128())
        }
        #[inline]
        #[target_feature(enable = "sse2")]
        unsafe fn eq(self, o: Self) -> Self {
            Sse2(_mm_cmpeq_epi8(self.0, o.0))
        }
        #[inline]
        #[target_feature(enable = "sse2")]
        unsafe fn and(self, o: Self) -> Self {
            Sse2(_mm_and_si128(self.0, o.0))
        }
        #[inline]
        #[target_feature(enable = "sse2")]
        unsafe fn add(self, o: Self) -> Self {
            Sse2(_mm_add_epi8(self.0, o.0))
        }
        #[inline]
        #[target_feature(enable = "sse2")]
        unsafe fn sub(self, o: Self) -> Self {
            Sse2(_mm_sub_epi8(self.0, o.0))
        }
        #[inline]
        #[target_feature(enable = "sse2")]
        unsafe fn mask(self) -> u64 {
            _mm_movemask_epi8(self.0) as u16 as u64
        }
        #[inline]
        #[target_feature(enable = "sse2")]
        unsafe fn sum(self) -> i64 {
            // Bias each lane to unsigned (x + 128), add with SAD, unbias.
            let biased = _mm_xor_si128(self.0, _mm_set1_epi8(i8::MIN));
            let s = _mm_sad_epu8(biased, _mm_setzero_si128());
            let lo = _mm_cvtsi128_si64(s);
            let hi = _mm_cvtsi128_si64(_mm_unpackhi_epi64(s, s));
            lo + hi - 16 * 128
        }
    }

    #[derive(Clone, Copy)]
    struct Avx2(__m256i);

    impl Lanes for Avx2 {
        const WIDTH: usize = 32;
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn load(p: *const u8) -> Self {
            Avx2(_mm256_loadu_si256(p.cast()))
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn splat(b: u8) -> Self {
            Avx2(_mm256_set1_epi8(b as i8))
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn zero() -> Self {
            Avx2(_mm256_setzero_si256())
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn eq(self, o: Self) -> Self {
            Avx2(_mm256_cmpeq_epi8(self.0, o.0))
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn and(self, o: Self) -> Self {
            Avx2(_mm256_and_si256(self.0, o.0))
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn add(self, o: Self) -> Self {
            Avx2(_mm256_add_epi8(self.0, o.0))
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn sub(self, o: Self) -> Self {
            Avx2(_mm256_sub_epi8(self.0, o.0))
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn mask(self) -> u64 {
            _mm256_movemask_epi8(self.0) as u32 as u64
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        unsafe fn sum(self) -> i64 {
            let biased = _mm256_xor_si256(self.0, _mm256_set1_epi8(i8::MIN));
            let s = _mm256_sad_epu8(biased, _mm256_setzero_si256());
            let mut parts = [0i64; 4];
            _mm256_storeu_si256(parts.as_mut_ptr().cast(), s);
            parts.iter().sum::<i64>() - 32 * 128
        }
    }

    /// [`super::walk`] with AVX2, for `t.len() >= 32`.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn walk_avx2(t: &[u8]) -> Walk {
        walk_with::<Avx2>(t)
    }

    /// [`super::walk`] with SSE2, for `t.len() >= 16`.
    ///
    /// # Safety
    /// The CPU must support SSE2 (every x86_64 CPU does).
    #[target_feature(enable = "sse2")]
    pub(super) unsafe fn walk_sse2(t: &[u8]) -> Walk {
        walk_with::<Sse2>(t)
    }

    /// The walk for one width, `t.len() >= V::WIDTH`. The loop makes no
    /// calls, so the counters stay in registers.
    ///
    /// # Safety
    /// The CPU must support `V`'s feature, and the caller must have it
    /// enabled so that `V`'s methods inline.
    #[inline(always)]
    unsafe fn walk_with<V: Lanes>(t: &[u8]) -> Walk {
        let w = V::WIDTH;
        debug_assert!(t.len() >= w);
        let n = t.len();
        let (open_brace, close_brace) = (V::splat(b'{'), V::splat(b'}'));
        let (open_bracket, close_bracket) = (V::splat(b'['), V::splat(b']'));
        let (quote, tee) = (V::splat(b'"'), V::splat(b't'));
        let (mut braces, mut brackets) = (0i64, 0i64);
        let (mut acc_braces, mut acc_brackets) = (V::zero(), V::zero());
        let mut found = Walk::new();
        // The previous block ended in a quote.
        let mut carry = false;
        let last_lane = 1u64 << (w - 1);
        let mut i = 0usize;
        let mut in_round = 0usize;
        while i + w <= n {
            // SAFETY: i + w <= n: the block is inside `t`.
            let v = V::load(t.as_ptr().add(i));
            // A match lane is -1: subtracting it counts up, adding counts down.
            acc_braces = acc_braces.sub(v.eq(open_brace)).add(v.eq(close_brace));
            acc_brackets = acc_brackets
                .sub(v.eq(open_bracket))
                .add(v.eq(close_bracket));
            let q = v.eq(quote).mask();
            let te = v.eq(tee).mask();
            if carry && te & 1 != 0 {
                found.record(i - 1, 1);
            }
            found.record(i, q & (te >> 1));
            carry = q & last_lane != 0;
            i += w;
            in_round += 1;
            if in_round == ROUND {
                braces += acc_braces.sum();
                brackets += acc_brackets.sum();
                acc_braces = V::zero();
                acc_brackets = V::zero();
                in_round = 0;
            }
        }
        if i < n {
            // The last partial block is loaded so that it ends at `n`; its
            // lanes before `i` were seen already and are masked off.
            let lanes = n - i;
            // SAFETY: n >= w, so n - w .. n is inside `t`; lanes < w, so
            // the mask read (32 - w + lanes + w < 64) stays inside TAIL.
            let v = V::load(t.as_ptr().add(n - w));
            let keep = V::load(TAIL.as_ptr().add(32 - w + lanes));
            acc_braces = acc_braces
                .sub(v.eq(open_brace).and(keep))
                .add(v.eq(close_brace).and(keep));
            acc_brackets = acc_brackets
                .sub(v.eq(open_bracket).and(keep))
                .add(v.eq(close_bracket).and(keep));
            let shift = w - lanes;
            let q = v.eq(quote).mask() >> shift;
            let te = v.eq(tee).mask() >> shift;
            if carry && te & 1 != 0 {
                found.record(i - 1, 1);
            }
            found.record(i, q & (te >> 1));
        }
        braces += acc_braces.sum();
        brackets += acc_brackets.sum();
        found.balanced = braces == 0 && brackets == 0;
        found
    }

    /// Each width's walk with its minimum line length (tests call them
    /// only on lines at least that long).
    #[cfg(test)]
    pub(super) fn widths() -> Vec<(usize, super::WalkFn)> {
        let mut v: Vec<(usize, super::WalkFn)> = vec![(16, |t| unsafe { walk_sse2(t) })];
        if std::is_x86_feature_detected!("avx2") {
            v.push((32, |t| unsafe { walk_avx2(t) }));
        }
        v
    }
}

/// True when the byte at `at` is preceded by an odd number of backslashes.
fn escaped(line: &[u8], at: usize) -> bool {
    line[..at].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// What an item-log progress line says, read by the scanner without a
/// decode (see [`crate::EventSink::progress`]). Only the fields named here
/// are read: a consumer that needs the line's other fields (pid, indent)
/// does not take progress lines, and gets them decoded as events.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress<'a> {
    /// `control` / `percentage`, with its value.
    Percentage(f64),
    /// `control` / `start_module`, with the module name (`msg`).
    StartModule(&'a str),
    /// `control` / `end_module`.
    EndModule,
    /// `control` / `start_action`, with the action name (`msg`).
    StartAction(&'a str),
    /// `control` / `end_action`.
    EndAction,
    /// `modulestatus`: `module`, `status`, `statusmsg` (if present).
    ModuleStatus {
        /// The module's name.
        module: &'a str,
        /// Its status (1 is success).
        status: i64,
        /// The status message, if any.
        statusmsg: Option<&'a str>,
    },
}

/// A progress line as the scanner read it: what it says, and where its
/// time is, read only by a consumer that asks for it.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgressLine<'a> {
    /// What the line says.
    pub progress: Progress<'a>,
    /// The text after the line's last `"time":` key, if any.
    time: Option<&'a str>,
}

impl<'a> ProgressLine<'a> {
    /// The line's `time`, read the decoder's way: the last `"time":` key
    /// outside strings, a number or numeric string, truncated to whole
    /// seconds; `None` when there is none or it is not a number.
    pub fn time(&self) -> Option<i64> {
        let (n, _) = number(self.time?)?;
        (n.abs() < 9.2e18).then_some(n as i64)
    }
}

/// How often a token occurs outside strings (inside a JSON string every
/// quote is escaped), found in one pass over the line.
enum Occurs<'a> {
    /// Not at all.
    Never,
    /// Once: the text after it.
    Once(&'a str),
    /// More than once: the scanner cannot tell which the decoder reads.
    Repeated,
}

/// How often the token of `f` occurs in `s` outside strings.
fn occurs<'a>(s: &'a str, f: &memmem::Finder<'_>) -> Occurs<'a> {
    let t = s.as_bytes();
    let len = f.needle().len();
    // The first and the second unescaped occurrence, if any; plain `find`
    // calls, which set up less than an iterator.
    let next = |from: usize| {
        let mut from = from;
        while let Some(i) = f.find(&t[from..]) {
            if !escaped(t, from + i) {
                return Some(from + i);
            }
            from += i + 1;
        }
        None
    };
    match next(0) {
        None => Occurs::Never,
        // The token ends in an ASCII byte: a char boundary.
        Some(at) => match next(at + len) {
            None => Occurs::Once(&s[at + len..]),
            Some(_) => Occurs::Repeated,
        },
    }
}

/// The text after `token`, where it occurs exactly once outside strings.
fn once_after<'a>(s: &'a str, f: &memmem::Finder<'_>) -> Option<&'a str> {
    match occurs(s, f) {
        Occurs::Once(rest) => Some(rest),
        Occurs::Never | Occurs::Repeated => None,
    }
}

/// The value ends here: only blanks, then `,` or `}`.
fn value_ends(rest: &str) -> bool {
    matches!(
        rest.trim_ascii_start().as_bytes().first(),
        Some(b',' | b'}')
    )
}

/// A string without escapes at the start of `v` (after blanks): its text
/// and the text after its closing quote.
fn plain_string(v: &str) -> Option<(&str, &str)> {
    let v = v.trim_ascii_start().strip_prefix('"')?;
    let end = memchr::memchr2(b'"', b'\\', v.as_bytes())?;
    if v.as_bytes()[end] != b'"' {
        return None;
    }
    // Both cuts sit at ASCII quotes: char boundaries.
    Some((&v[..end], &v[end + 1..]))
}

/// A JSON number, or a numeric string, at the start of `v`, as the
/// decoder reads it; then the rest after it.
fn number(v: &str) -> Option<(f64, &str)> {
    let mut v = v.trim_ascii_start();
    let quoted = v.starts_with('"');
    if quoted {
        v = &v[1..];
    }
    let len = v
        .bytes()
        .take_while(|b| matches!(b, b'0'..=b'9' | b'.' | b'-' | b'+' | b'e' | b'E'))
        .count();
    let (num, mut rest) = v.split_at(len);
    if !quoted && !matches!(num.as_bytes().first(), Some(b'0'..=b'9' | b'-')) {
        return None; // not JSON: let the decoder report it
    }
    if quoted {
        rest = rest.strip_prefix('"')?;
    }
    // Most values (times, percentages, statuses) are short unsigned
    // integers: exact in an f64, and far cheaper than a float parse.
    let n = if (1..=15).contains(&num.len()) && num.bytes().all(|b| b.is_ascii_digit()) {
        num.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0')) as f64
    } else {
        num.parse::<f64>().ok()?
    };
    n.is_finite().then_some((n, rest))
}

/// How common a byte is in a JSON log line, for picking the two bytes a
/// key search looks for first. memchr's own ranking, made for prose and
/// code, takes `"` and `:` for rare; in JSON they open and close every
/// key, so every key of a line became a candidate to check. Here letters
/// rank by English frequency, and JSON's structure, digits and blanks are
/// the most common bytes of all.
struct JsonRank;

impl memchr::arch::all::packedpair::HeuristicFrequencyRank for JsonRank {
    fn rank(&self, b: u8) -> u8 {
        match b {
            b'"' | b':' | b',' | b'{' | b'}' | b'[' | b']' | b' ' => 255,
            b'0'..=b'9' => 240,
            b'e' => 230,
            b't' => 225,
            b'a' => 220,
            b'o' | b'i' | b'n' | b's' => 215,
            b'r' | b'h' | b'l' => 200,
            b'd' | b'c' | b'u' => 180,
            b'm' | b'f' | b'p' | b'g' | b'w' | b'y' | b'b' | b'_' => 160,
            b'a'..=b'z' | b'A'..=b'Z' => 120,
            _ => 60,
        }
    }
}

/// A searcher for a key token, its prefilter bytes picked by [`JsonRank`].
fn key(token: &'static [u8]) -> memmem::Finder<'static> {
    memmem::FinderBuilder::new().build_forward_with_ranker(JsonRank, token)
}

/// Reads an item-log progress line (`percentage`, `start_module`,
/// `end_module`, `start_action`, `end_action`, `modulestatus`) from a line
/// whose top-level `type` the scanner found. Each token it reads
/// (`"action":"`, `"percentage":`, `"msg":`, `"module":"`, `"status":`,
/// `"statusmsg":`) must occur exactly once outside strings, and each value
/// must be a plain string (no escapes) or a number where one is expected.
/// Anything else returns `None`: decode the line fully. `t` is the line
/// as text (its UTF-8 checked by the caller).
///
/// Like the rest of the fast path, this checks less than a decode: it does
/// not check at which depth a token sits, so a line that puts one of these
/// keys outside `contents` can read differently. `xferlens check` turns
/// the fast path off.
pub(crate) fn progress<'a>(
    kind: &[u8],
    t: &'a str,
    time_at: Option<usize>,
) -> Option<ProgressLine<'a>> {
    static ACTION: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| key(b"\"action\":"));
    static PERCENT: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| key(b"\"percentage\":"));
    static MSG: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| key(b"\"msg\":"));
    static MODULE: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| key(b"\"module\":"));
    static STATUS: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| key(b"\"status\":"));
    static STATUSMSG: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| key(b"\"statusmsg\":"));
    let progress = match kind {
        b"control" => {
            let (action, rest) = plain_string(once_after(t, &ACTION)?)?;
            if !value_ends(rest) {
                return None;
            }
            match action {
                "percentage" => {
                    let (p, rest) = number(once_after(t, &PERCENT)?)?;
                    value_ends(rest).then_some(Progress::Percentage(p))
                }
                "start_module" | "start_action" => {
                    // `["Name"]` (the writer's form) or `"Name"`.
                    let v = once_after(t, &MSG)?.trim_ascii_start();
                    let (name, rest) = match v.strip_prefix('[') {
                        Some(inner) => {
                            let (name, rest) = plain_string(inner)?;
                            (name, rest.trim_ascii_start().strip_prefix(']')?)
                        }
                        None => plain_string(v)?,
                    };
                    if !value_ends(rest) {
                        return None;
                    }
                    Some(if action == "start_module" {
                        Progress::StartModule(name)
                    } else {
                        Progress::StartAction(name)
                    })
                }
                "end_module" => Some(Progress::EndModule),
                "end_action" => Some(Progress::EndAction),
                _ => None,
            }
        }
        b"modulestatus" => {
            let (module, rest) = plain_string(once_after(t, &MODULE)?)?;
            if !value_ends(rest) {
                return None;
            }
            let (status, rest) = number(once_after(t, &STATUS)?)?;
            if !value_ends(rest) || status.abs() >= 9.2e18 {
                return None;
            }
            let statusmsg = match occurs(t, &STATUSMSG) {
                Occurs::Never => None,
                Occurs::Once(v) => {
                    let (m, rest) = plain_string(v)?;
                    if !value_ends(rest) {
                        return None;
                    }
                    Some(m)
                }
                Occurs::Repeated => return None,
            };
            Some(Progress::ModuleStatus {
                module,
                status: status as i64,
                statusmsg,
            })
        }
        _ => None,
    }?;
    Some(ProgressLine {
        progress,
        // The offset follows an ASCII byte: a char boundary.
        time: time_at.and_then(|at| t.get(at..)),
    })
}

/// A walk implementation, for tests that compare them.
#[cfg(test)]
type WalkFn = fn(&[u8]) -> Walk;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_top_level_type_in_any_position() {
        assert_eq!(
            top_level_type(br#"{"pid":1,"type":"out","contents":{"msg":["a"]}}"#),
            Scan::Type(b"out", None)
        );
        // A quoted key inside a string is escaped, so it does not count.
        assert_eq!(
            top_level_type(br#"{"contents":{"msg":["x\"type\":\"warn"]},"type":"out"}"#),
            Scan::Type(b"out", None)
        );
        // Old logs: the only `type` is inside `contents`, as the decoder reads it.
        assert_eq!(
            top_level_type(br#"{"pid":1,"contents":{"type":"out"}}"#),
            Scan::Type(b"out", None)
        );
        assert_eq!(
            top_level_type(br#" {"type":"debug"} "#),
            Scan::Type(b"debug", None)
        );
        // An escaped backslash before a closing quote: the key is structural.
        assert_eq!(
            top_level_type(br#"{"a":"x\\","type":"out"}"#),
            Scan::Type(b"out", None)
        );
        // The time key: where its value starts in the line (leading blanks
        // counted), the last one kept, escaped ones ignored.
        assert_eq!(
            top_level_type(br#" {"time":5,"type":"out","contents":{"time":7}}"#),
            Scan::Type(b"out", Some(43))
        );
        assert_eq!(
            top_level_type(br#"{"type":"out","msg":"\"time\":5"}"#),
            Scan::Type(b"out", None)
        );
    }

    /// What a walk reports: the balance answer, and the candidate
    /// positions unless it overflowed (implementations group candidates
    /// differently, so they overflow at different counts).
    fn trace(t: &[u8], f: WalkFn) -> (bool, Option<Vec<usize>>) {
        let w = f(t);
        (w.balanced, (!w.overflow()).then(|| w.positions().collect()))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The SIMD walks agree with the byte-by-byte one on any input,
        /// including long lines (several accumulation rounds) and every
        /// tail length.
        #[test]
        fn walk_matches_bytewise(
            bytes in proptest::collection::vec(
                proptest::sample::select(&b"{}[]\"t\\ax\xE2"[..]), 0..4200),
        ) {
            let (balanced, reference) = trace(&bytes, walk_bytes);
            let all: Vec<usize> = (0..bytes.len().saturating_sub(1))
                .filter(|&i| bytes[i] == b'"' && bytes[i + 1] == b't')
                .collect();
            if let Some(r) = &reference {
                proptest::prop_assert_eq!(r, &all);
            }
            let impls: Vec<(usize, WalkFn)> = {
                #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
                let v = simd::widths();
                #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
                let v = Vec::new();
                v
            };
            for (width, f) in std::iter::once((0, walk as WalkFn)).chain(impls) {
                if bytes.len() < width {
                    continue;
                }
                let (b, positions) = trace(&bytes, f);
                proptest::prop_assert_eq!(b, balanced, "width {}", width);
                if let Some(p) = positions {
                    proptest::prop_assert_eq!(&p[..], &all[..p.len()], "width {}", width);
                    proptest::prop_assert_eq!(p.len(), all.len(), "width {}", width);
                }
            }
        }
    }

    #[test]
    fn walk_counts_across_rounds_and_tails() {
        // 127 blocks fill one accumulation round; go past it with an
        // unbalanced byte at the very end, for every tail length.
        for len in 16..2100 {
            let mut v = vec![b'{'; len / 2];
            v.resize(len, b'}');
            assert_eq!(walk(&v).balanced, len % 2 == 0, "len {len}");
            // One brace more than closes, at the very last byte.
            v[len - 1] = b'{';
            assert!(!walk(&v).balanced, "len {len}");
        }
    }

    /// A progress line read the parser's way: the scan finds the time.
    fn scanned<'a>(kind: &[u8], l: &'a [u8]) -> Option<ProgressLine<'a>> {
        let time_at = match top_level_type(l) {
            Scan::Type(_, at) => at,
            Scan::Decode => None,
        };
        progress(kind, std::str::from_utf8(l).unwrap(), time_at)
    }

    #[test]
    fn progress_lines() {
        fn c(l: &[u8]) -> Option<Progress<'_>> {
            scanned(b"control", l).map(|p| p.progress)
        }
        // The time of a line, as the scanner finds it.
        let line_time = |l: &[u8]| scanned(b"control", l).and_then(|p| p.time());
        let pct = |l: &[u8]| match c(l) {
            Some(Progress::Percentage(p)) => Some(p),
            _ => None,
        };
        assert_eq!(pct(br#"{"pid":1,"type":"control","contents":{"action":"percentage","percentage":42},"indent":0}"#), Some(42.0));
        assert_eq!(
            pct(br#"{"contents":{"percentage":"7.5","action":"percentage"},"type":"control"}"#),
            Some(7.5)
        );
        assert_eq!(
            pct(br#"{"type":"control","contents":{"action": "percentage","percentage": 3 }}"#),
            Some(3.0)
        );
        // Not decidable here: decoded in full.
        for l in [
            &br#"{"type":"control","contents":{"action":"percentage","percentage":null}}"#[..],
            br#"{"type":"control","contents":{"action":"percentage","msg":"5"}}"#,
            br#"{"type":"control","contents":{"action":"percentage","percentage":5,"percentage":6}}"#,
            br#"{"type":"control","contents":{"action":"percentage","percentage":"5x"}}"#,
            br#"{"type":"control","contents":{"action":"percentage","percentage":1e999}}"#,
            br#"{"type":"control","contents":{"action":"perc\u0065ntage","percentage":1}}"#,
            br#"{"type":"control","contents":{"action":"percentage","action":"start","percentage":1}}"#,
            br#"{"type":"control","contents":{"action":"start_module","msg":["A","B"]}}"#,
            br#"{"type":"control","contents":{"action":"start_module","msg":["A\u0041"]}}"#,
            br#"{"type":"control","contents":{"action":"start_module"}}"#,
            br#"{"type":"control","contents":{"action":"start","percentage":5}}"#,
        ] {
            assert_eq!(c(l), None, "{}", String::from_utf8_lossy(l));
        }
        assert_eq!(
            c(br#"{"pid":1,"type":"control","contents":{"action":"start_module","msg":["Homedir"]},"indent":0}"#),
            Some(Progress::StartModule("Homedir"))
        );
        assert_eq!(
            c(br#"{"type":"control","contents":{"msg": "Mail" ,"action":"start_module"}}"#),
            Some(Progress::StartModule("Mail"))
        );
        assert_eq!(
            c(br#"{"type":"control","contents":{"action":"end_module","msg":["Mail"]}}"#),
            Some(Progress::EndModule)
        );
        assert_eq!(
            c(br#"{"type":"control","contents":{"action":"start_action","msg":["Restore grants"],"time":5}}"#),
            Some(Progress::StartAction("Restore grants"))
        );
        assert_eq!(
            c(br#"{"type":"control","contents":{"action":"end_action","msg":["Restore grants"]}}"#),
            Some(Progress::EndAction)
        );
        assert_eq!(
            line_time(br#"{"type":"control","contents":{"action":"end_module"}}"#),
            None
        );
        assert_eq!(
            line_time(
                br#"{"type":"control","contents":{"time":1764338400,"action":"end_module"}}"#
            ),
            Some(1764338400)
        );
        // As the decoder reads them: the last key wins, fractions are cut,
        // and what is not a number is no time.
        assert_eq!(
            line_time(
                br#"{"type":"control","contents":{"action":"end_module","time":"17","time":18}}"#
            ),
            Some(18)
        );
        assert_eq!(
            line_time(br#"{"type":"control","contents":{"action":"end_module","time":"17","msg":"\"time\":5"}}"#),
            Some(17)
        );
        assert_eq!(
            line_time(br#"{"type":"control","contents":{"action":"end_module","time":1.5}}"#),
            Some(1)
        );
        assert_eq!(
            line_time(br#"{"type":"control","contents":{"action":"end_module","time":"16"}}"#),
            Some(16)
        );
        assert_eq!(
            line_time(br#"{"type":"control","contents":{"action":"end_module","time":null}}"#),
            None
        );
        fn m(l: &[u8]) -> Option<Progress<'_>> {
            scanned(b"modulestatus", l).map(|p| p.progress)
        }
        assert_eq!(
            m(br#"{"pid":1,"type":"modulestatus","contents":{"module":"Mysql","status":1,"statusmsg":"Mysql restored."},"indent":1}"#),
            Some(Progress::ModuleStatus { module: "Mysql", status: 1, statusmsg: Some("Mysql restored.") })
        );
        assert_eq!(
            m(br#"{"type":"modulestatus","contents":{"status":"0","module":"Mail"}}"#),
            Some(Progress::ModuleStatus {
                module: "Mail",
                status: 0,
                statusmsg: None
            })
        );
        for l in [
            &br#"{"type":"modulestatus","contents":{"module":"Mail","status":null}}"#[..],
            br#"{"type":"modulestatus","contents":{"module":"Mail","status":1,"statusmsg":null}}"#,
            br#"{"type":"modulestatus","contents":{"module":"M\"x","status":1}}"#,
            br#"{"type":"modulestatus","contents":{"status":1}}"#,
        ] {
            assert_eq!(m(l), None, "{}", String::from_utf8_lossy(l));
        }
    }

    #[test]
    fn undecidable_lines_go_to_the_decoder() {
        for l in [
            &br#"{"contents":{"type":"no"},"type":"out"}"#[..],
            br#"{"type":"out","contents":{"msg":["unterminated]}"#,
            br#"{"type":"out","contents":{"msg":["a"]}"#,
            br#"{"type":"out"} trailing"#,
            br#"{"type":"o\u0075t"}"#,
            br#"{"type":"out","type":"warn"}"#,
            br#"{"type":1}"#,
            b"[1,2]",
            b"",
            b"not json",
        ] {
            assert_eq!(
                top_level_type(l),
                Scan::Decode,
                "{}",
                String::from_utf8_lossy(l)
            );
        }
    }
}
