//! The one source of randomness: ChaCha8 streams derived from the seed.
//!
//! Only integer and IEEE-exact operations (+, −, ×, ÷, sqrt) turn random numbers into data,
//! so a seed gives the same chain on every platform (no libm `ln`, `exp` or `cos`).

use clinicdesk_domain::model::Id;
use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub(crate) type Rng = ChaCha8Rng;

/// Independent streams, so that e.g. the organisation does not change when `size` does.
pub(crate) mod streams {
    pub const ORG: u64 = 1;
    pub const PEOPLE: u64 = 2;
    pub const EYES: u64 = 3;
    pub const SCHEDULES: u64 = 4;
    pub const APPOINTMENTS: u64 = 5;
    pub const REQUESTS: u64 = 6;
    pub const BIG: u64 = 7;
}

pub(crate) fn stream(seed: u64, stream: u64) -> Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// A random (version 4) UUID drawn from the generator.
pub(crate) fn new_id(rng: &mut Rng) -> Id {
    let raw: u128 = rng.gen();
    uuid::Builder::from_random_bytes(raw.to_le_bytes()).into_uuid()
}

/// A standard normal variate, approximated by the Irwin–Hall sum of twelve uniforms
/// (exact arithmetic only; tails are cut at ±6, which suits clinical data).
pub(crate) fn normal(rng: &mut Rng) -> f64 {
    let mut s = 0.0;
    for _ in 0..12 {
        s += rng.gen::<f64>();
    }
    s - 6.0
}

pub(crate) fn uniform(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.gen::<f64>()
}

pub(crate) fn chance(rng: &mut Rng, p: f64) -> bool {
    rng.gen::<f64>() < p
}

pub(crate) fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// One item, chosen in proportion to its weight.
pub(crate) fn weighted<T: Copy>(rng: &mut Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    let mut r = rng.gen_range(0..total.max(1));
    for (item, w) in items {
        if r < *w {
            return *item;
        }
        r -= *w;
    }
    items[items.len() - 1].0
}

/// Linear interpolation in a table of (x, y) points sorted by x, clamped at both ends.
pub(crate) fn interpolate(table: &[(f64, f64)], x: f64) -> f64 {
    let first = table[0];
    let last = table[table.len() - 1];
    if x <= first.0 {
        return first.1;
    }
    if x >= last.0 {
        return last.1;
    }
    for w in table.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if x <= x1 {
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
        }
    }
    last.1
}

/// A weighted pool for repeated draws (cumulative weights, binary search).
#[derive(Debug, Clone, Default)]
pub(crate) struct Pool {
    items: Vec<usize>,
    cumulative: Vec<f64>,
}

impl Pool {
    pub fn push(&mut self, item: usize, weight: f64) {
        if weight > 0.0 {
            let total = self.cumulative.last().copied().unwrap_or(0.0) + weight;
            self.items.push(item);
            self.cumulative.push(total);
        }
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn draw(&self, rng: &mut Rng) -> Option<usize> {
        let total = *self.cumulative.last()?;
        let r = rng.gen::<f64>() * total;
        let i = self.cumulative.partition_point(|c| *c <= r).min(self.items.len() - 1);
        Some(self.items[i])
    }
}
