//! SplitMix64 (Steele, Lea and Flood, 2014): a tiny, fast, seedable generator; plenty for
//! picking test traffic, and the same sequence on every machine.

/// A deterministic pseudo-random generator.
///
/// ```
/// let mut a = dns_wire::SplitMix64::new(42);
/// let mut b = dns_wire::SplitMix64::new(42);
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(a.below(10) < 10);
/// ```
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator started from `seed`.
    ///
    /// ```
    /// let _ = dns_wire::SplitMix64::new(0);
    /// ```
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    ///
    /// ```
    /// let mut r = dns_wire::SplitMix64::new(0);
    /// assert_ne!(r.next_u64(), r.next_u64());
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0), by multiply-shift (Lemire): the bias is
    /// below 2^-32 for the small ranges used here.
    ///
    /// ```
    /// let mut r = dns_wire::SplitMix64::new(3);
    /// assert!((0..100).all(|_| r.below(6) < 6));
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `percent`/100.
    ///
    /// ```
    /// let mut r = dns_wire::SplitMix64::new(3);
    /// assert!(!r.percent(0));
    /// assert!(r.percent(100));
    /// ```
    pub fn percent(&mut self, percent: u32) -> bool {
        self.below(100) < u64::from(percent)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reference_values() {
        // First outputs for seed 1234567 from the reference C implementation (Vigna).
        let mut r = super::SplitMix64::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
    }
}
