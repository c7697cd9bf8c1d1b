//! Subjects and key choice for the keyed benchmarks: the same subjects and
//! the same sequence of choices for kauth and for the peer it is compared
//! with, generated from a fixed seed so that every run checks the same keys.

use std::net::Ipv4Addr;

use kauth_core::{RateKey, Subject, Tier};

/// Workspace of every key the benchmarks build.
pub const WORKSPACE: &str = "bench";

/// The client address of subject `index`: 198.18.0.0 plus `index`, inside
/// 198.18.0.0/15, the range set aside for benchmarks (RFC 2544), so that
/// 131,072 subjects are distinct.
pub fn subject_ip(index: u32) -> Ipv4Addr {
    let base = u32::from(Ipv4Addr::new(198, 18, 0, 0));
    Ipv4Addr::from(base + (index % (1 << 17)))
}

/// The login-tier rate key of subject `index`.
pub fn login_key(index: u32) -> RateKey {
    let subject = Subject::ip(subject_ip(index).into());
    RateKey::new(Tier::Login, WORKSPACE, &subject).expect("a benchmark address is a valid subject")
}

/// How the benchmarks pick the next key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyChoice {
    /// Every key equally likely.
    Uniform,
    /// Zipf's law with exponent 1: the key of rank `r` is chosen with a
    /// probability proportional to `1 / r`, so a few keys take most checks,
    /// as a few attacking addresses do.
    Zipf,
}

impl KeyChoice {
    /// The name used on the command line and in results.
    pub fn name(self) -> &'static str {
        match self {
            KeyChoice::Uniform => "uniform",
            KeyChoice::Zipf => "zipf",
        }
    }

    /// Parses [`KeyChoice::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "uniform" => Some(KeyChoice::Uniform),
            "zipf" => Some(KeyChoice::Zipf),
            _ => None,
        }
    }

    /// `len` key indexes below `keys`, drawn from `seed`.
    ///
    /// Zipf ranks are mapped to keys through a shuffle, so the hot keys are
    /// spread over the hash space rather than being keys 0, 1, 2 and so on.
    ///
    /// ```
    /// use kauth_benches::KeyChoice;
    ///
    /// let uniform = KeyChoice::Uniform.sequence(100, 10_000, 7);
    /// assert_eq!(uniform.len(), 10_000);
    /// assert!(uniform.iter().all(|&key| key < 100));
    ///
    /// // Under Zipf with exponent 1 over 100 keys, the hottest key takes
    /// // 1 / H(100), about 19 %, of the choices.
    /// let zipf = KeyChoice::Zipf.sequence(100, 10_000, 7);
    /// let mut counts = vec![0; 100];
    /// zipf.iter().for_each(|&key| counts[key as usize] += 1);
    /// let hottest = *counts.iter().max().unwrap();
    /// assert!((1_700..2_200).contains(&hottest), "{hottest}");
    /// ```
    pub fn sequence(self, keys: u32, len: usize, seed: u64) -> Vec<u32> {
        let mut random = SplitMix64::new(seed);
        match self {
            KeyChoice::Uniform => (0..len).map(|_| random.below(keys)).collect(),
            KeyChoice::Zipf => {
                let zipf = Zipf::new(keys);
                let ranked = shuffled(keys, &mut random);
                (0..len).map(|_| ranked[zipf.sample(&mut random) as usize]).collect()
            }
        }
    }
}

/// The SplitMix64 generator: small, fast and good enough to pick keys.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `bound`, which must not be 0. The bias of the
    /// multiply-shift reduction is below 2^-32 for the bounds used here.
    pub fn below(&mut self, bound: u32) -> u32 {
        (((self.next_u64() >> 32) * u64::from(bound)) >> 32) as u32
    }

    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64
    }
}

/// Zipf ranks with exponent 1, drawn by inverting the cumulative
/// distribution with a binary search.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(keys: u32) -> Self {
        let mut total = 0.0;
        let mut cumulative: Vec<f64> = (1..=keys)
            .map(|rank| {
                total += 1.0 / f64::from(rank);
                total
            })
            .collect();
        cumulative.iter_mut().for_each(|sum| *sum /= total);
        Zipf { cumulative }
    }

    /// A rank from 0 (the most likely) to `keys - 1`.
    fn sample(&self, random: &mut SplitMix64) -> u32 {
        let point = random.unit();
        let rank = self.cumulative.partition_point(|&sum| sum <= point);
        rank.min(self.cumulative.len() - 1) as u32
    }
}

/// The numbers below `keys` in a random order (Fisher-Yates).
fn shuffled(keys: u32, random: &mut SplitMix64) -> Vec<u32> {
    let mut order: Vec<u32> = (0..keys).collect();
    for index in (1..order.len()).rev() {
        let other = random.below(index as u32 + 1) as usize;
        order.swap(index, other);
    }
    order
}
