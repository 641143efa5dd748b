//! A Prometheus histogram: cumulative buckets, a sum and a count.

/// Observations counted into fixed buckets.
#[derive(Debug, Clone)]
pub struct Histogram {
    bounds: &'static [f64],
    /// Per bucket (not cumulative); the last one is +Inf.
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    /// An empty histogram over upper `bounds` (ascending).
    pub fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: vec![0; bounds.len() + 1],
            sum: 0.0,
            count: 0,
        }
    }

    /// Counts one value.
    pub fn observe(&mut self, value: f64) {
        let slot = self
            .bounds
            .iter()
            .position(|bound| value <= *bound)
            .unwrap_or(self.bounds.len());
        self.counts[slot] += 1;
        self.sum += value;
        self.count += 1;
    }

    /// (upper bound as Prometheus writes it, cumulative count), ending with +Inf.
    pub fn cumulative(&self) -> Vec<(String, u64)> {
        let mut running = 0;
        let mut out = Vec::with_capacity(self.counts.len());
        for (slot, count) in self.counts.iter().enumerate() {
            running += count;
            let bound = match self.bounds.get(slot) {
                Some(bound) => format!("{bound}"),
                None => "+Inf".to_string(),
            };
            out.push((bound, running));
        }
        out
    }

    /// The sum of every value.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// How many values.
    pub fn count(&self) -> u64 {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::Histogram;

    #[test]
    fn buckets_are_cumulative_and_end_with_infinity() {
        let mut histogram = Histogram::new(&[1.0, 2.0]);
        for value in [0.5, 1.0, 1.5, 9.0] {
            histogram.observe(value);
        }
        assert_eq!(
            histogram.cumulative(),
            vec![("1".into(), 2), ("2".into(), 3), ("+Inf".into(), 4)]
        );
        assert_eq!(histogram.count(), 4);
        assert!((histogram.sum() - 12.0).abs() < 1e-9);
    }
}
