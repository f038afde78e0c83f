//! One worker's job on a burst of frames: parse every frame, look the names up in one bulk
//! call, and turn each query into its answer in the same buffer.
//!
//! The engine does not know where frames come from: anything that implements [`Frame`]
//! will do (DPDK mbufs in the dataplane, plain buffers in tests and benchmarks).

use std::mem::MaybeUninit;

use dns_wire::{
    build_prepared_response, parse, Action, BuildOptions, NotDns, Parsed, PreparedAnswer, Query,
};
use dpdk::hash::Signature;

use crate::arp::{answer_arp, ArpIdentity};
use crate::table::{DomainTable, Key};

/// Frames per burst at most (the dataplane's RX burst).
pub const BURST: usize = 32;

/// A frame the engine can read and rewrite in place.
pub trait Frame {
    /// The frame's bytes.
    fn bytes(&self) -> &[u8];
    /// The frame's bytes, writable in place (same length).
    fn bytes_mut(&mut self) -> &mut [u8];
    /// The room the answer may take, from the frame's first byte: the frame and the free
    /// space after it.
    fn room_mut(&mut self) -> &mut [u8];
    /// The frame's new length after the answer was written into [`room_mut`](Self::room_mut).
    fn set_len(&mut self, len: usize);
}

impl Frame for (Vec<u8>, usize) {
    fn bytes(&self) -> &[u8] {
        &self.0[..self.1]
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.0[..self.1]
    }
    fn room_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
    fn set_len(&mut self, len: usize) {
        self.1 = len;
    }
}

/// What became of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It now holds an answer: transmit it.
    Send,
    /// Drop it (malformed, not DNS, or no room for the answer); the counters say why.
    Drop,
}

/// A worker's counters. They mirror [`dns_wire::GeneratedCounts`] so that a run on
/// generated traffic can be checked against what was generated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, align(64))]
pub struct Counters {
    /// Frames seen.
    pub frames: u64,
    /// Well-formed queries.
    pub queries: u64,
    /// Queries for `answer` entries (NOERROR; NODATA for other query types).
    pub hits: u64,
    /// Queries for `count` entries.
    pub counted: u64,
    /// Queries for `block` entries (REFUSED).
    pub blocked: u64,
    /// Queries for unlisted names that a block-list pattern matched (REFUSED).
    pub pattern_blocked: u64,
    /// Queries for unlisted names (NXDOMAIN).
    pub misses: u64,
    /// Malformed frames, dropped.
    pub malformed: u64,
    /// Frames that are not DNS queries to us, dropped.
    pub not_dns: u64,
    /// Answers that did not fit the buffer, dropped.
    pub no_room: u64,
    /// Answers sent truncated (TC) because the client's payload size was too small.
    pub truncated: u64,
    /// Answers handed to the transmit side.
    pub answered: u64,
    /// Answers the transmit side could not send.
    pub tx_dropped: u64,
    /// ARP requests for our address, answered.
    pub arp_replies: u64,
    /// TSC ticks spent parsing.
    pub ticks_parse: u64,
    /// TSC ticks spent in the bulk lookups.
    pub ticks_lookup: u64,
    /// TSC ticks spent deciding and building answers.
    pub ticks_build: u64,
}

impl Counters {
    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &Counters) {
        let Counters {
            frames,
            queries,
            hits,
            counted,
            blocked,
            pattern_blocked,
            misses,
            malformed,
            not_dns,
            no_room,
            truncated,
            answered,
            tx_dropped,
            arp_replies,
            ticks_parse,
            ticks_lookup,
            ticks_build,
        } = *other;
        self.frames += frames;
        self.queries += queries;
        self.hits += hits;
        self.counted += counted;
        self.blocked += blocked;
        self.pattern_blocked += pattern_blocked;
        self.misses += misses;
        self.malformed += malformed;
        self.not_dns += not_dns;
        self.no_room += no_room;
        self.truncated += truncated;
        self.answered += answered;
        self.tx_dropped += tx_dropped;
        self.arp_replies += arp_replies;
        self.ticks_parse += ticks_parse;
        self.ticks_lookup += ticks_lookup;
        self.ticks_build += ticks_build;
    }
}

/// A check of unlisted names against block-list patterns (Hyperscan with the `hyperscan`
/// feature); `None` when there is none.
pub trait Patterns {
    /// Whether `name` (lowercase, dotted) is blocked.
    fn is_blocked(&mut self, name: &[u8]) -> bool;
}

/// No patterns.
impl Patterns for () {
    fn is_blocked(&mut self, _: &[u8]) -> bool {
        false
    }
}

/// Patterns when there are some.
impl<P: Patterns> Patterns for Option<P> {
    fn is_blocked(&mut self, name: &[u8]) -> bool {
        self.as_mut().is_some_and(|p| p.is_blocked(name))
    }
}

#[cfg(feature = "hyperscan")]
impl Patterns for crate::blocklist::Scratch<'_> {
    fn is_blocked(&mut self, name: &[u8]) -> bool {
        // hs_scan fails only on a misuse (a scratch of another database), which the types
        // rule out; treat it as no match rather than dropping the query.
        self.matches(name).unwrap_or(false)
    }
}

impl Frame for dpdk::mbuf::Mbuf<'_> {
    fn bytes(&self) -> &[u8] {
        self.data()
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        // A shared packet cannot be written: an ARP request in one goes unanswered.
        self.data_mut().unwrap_or_default()
    }
    fn room_mut(&mut self) -> &mut [u8] {
        // A chained packet offers no room: its answer is not built (counted `no_room`).
        dpdk::mbuf::Mbuf::room_mut(self).unwrap_or_default()
    }
    fn set_len(&mut self, len: usize) {
        // Within the room given above, so it cannot fail.
        let _ = dpdk::mbuf::Mbuf::set_len(self, len);
    }
}

/// Where an action's counter is in [`Engine::process`]'s count by action.
#[inline(always)]
fn action_index(action: Action) -> usize {
    match action {
        Action::Answer => 0,
        Action::Block => 1,
        Action::Count => 2,
    }
}

/// Hints the CPU to fetch the first two cache lines of `bytes` (Ethernet to the DNS
/// question of a typical query).
#[inline(always)]
fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it never faults and has no visible effect, and
    // the addresses are inside or just past a live slice.
    unsafe {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let p = bytes.as_ptr().cast::<i8>();
        _mm_prefetch::<_MM_HINT_T0>(p);
        _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(64));
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}

/// Hints the CPU to fetch the cache lines of `value`.
#[inline(always)]
fn prefetch_value<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        let start = (value as *const T).cast::<i8>();
        let mut offset = 0;
        while offset < std::mem::size_of::<T>() {
            // SAFETY: a prefetch is only a hint: it never faults and has no visible
            // effect; the addresses are inside a live value.
            unsafe {
                core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
                    start.wrapping_add(offset),
                )
            };
            offset += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// The TSC, for the per-stage costs.
#[inline(always)]
fn ticks() -> u64 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: RDTSC has no preconditions.
    unsafe {
        core::arch::x86_64::_rdtsc()
    }
    #[cfg(not(target_arch = "x86_64"))]
    0
}

/// One worker's engine: the shared table, the answer options and its own pattern scratch.
#[derive(Debug)]
pub struct Engine<'t, P> {
    table: &'t DomainTable,
    options: BuildOptions,
    patterns: P,
    arp: Option<ArpIdentity>,
}

impl<'t, P: Patterns> Engine<'t, P> {
    /// An engine answering from `table`, checking unlisted names against `patterns`.
    pub fn new(table: &'t DomainTable, options: BuildOptions, patterns: P) -> Self {
        Engine { table, options, patterns, arp: None }
    }

    /// Also answers ARP requests for `me` (for live clients on a tap interface).
    pub fn answering_arp(mut self, me: ArpIdentity) -> Self {
        self.arp = Some(me);
        self
    }

    /// Answers a burst of up to [`BURST`] frames in place: `verdicts[i]` says whether
    /// `frames[i]` now holds an answer to send or is to be dropped.
    ///
    /// # Panics
    /// If `frames` holds more than [`BURST`] frames or `verdicts` is shorter.
    #[inline]
    pub fn process<F: Frame>(
        &mut self,
        frames: &mut [F],
        verdicts: &mut [Verdict],
        c: &mut Counters,
    ) {
        assert!(frames.len() <= BURST && verdicts.len() >= frames.len(), "a burst of {BURST}");
        // The queries of the burst, the frames they came from, and their keys (a name too
        // long for any key gets no slot: it is a certain miss).
        let mut queries = [const { MaybeUninit::<Query>::uninit() }; BURST];
        let mut from = [0u8; BURST];
        let mut key_of = [u8::MAX; BURST];
        let (mut nq, mut nk) = (0usize, 0usize);

        let t0 = ticks();
        // Frames usually arrive from another core's cache (the RX lcore, or the device):
        // ask for their first lines all at once instead of missing on each in turn.
        for frame in frames.iter() {
            prefetch(frame.bytes());
        }
        for (i, (frame, verdict)) in frames.iter_mut().zip(verdicts.iter_mut()).enumerate() {
            *verdict = Verdict::Drop;
            match parse(frame.bytes()) {
                Parsed::Query(q) => {
                    if q.lookup_key().is_some() {
                        key_of[nq] = nk as u8;
                        nk += 1;
                    }
                    queries[nq].write(q);
                    from[nq] = i as u8;
                    nq += 1;
                }
                Parsed::NotDns(NotDns::EtherType)
                    if self.arp.is_some_and(|me| answer_arp(frame.bytes_mut(), &me)) =>
                {
                    c.arp_replies += 1;
                    *verdict = Verdict::Send;
                }
                Parsed::NotDns(_) => c.not_dns += 1,
                Parsed::Malformed(_) => c.malformed += 1,
            }
        }
        let t1 = ticks();
        // The names are looked up where they are, inside the parsed queries.
        // Their signatures come from the digests the parser computed (no name is hashed
        // again).
        static NONE: Key = [0; dns_wire::KEY_LEN];
        let mut keys: [&Key; BURST] = [&NONE; BURST];
        let mut signatures = [Signature(0); BURST];
        for (q, &k) in queries[..nq].iter().zip(&key_of) {
            if k != u8::MAX {
                // SAFETY: the first nq queries were written above.
                let q = unsafe { q.assume_init_ref() };
                keys[usize::from(k)] = &q.key.0;
                signatures[usize::from(k)] = self.table.signature(q.key_digest);
            }
        }
        let hits = self.table.lookup_bulk_signed(&keys[..nk], &signatures[..nk]);
        // The entries found are read while answering: fetch them all at once.
        for e in hits.iter().flatten() {
            prefetch_value(e);
        }
        let t2 = ticks();
        // Counted by the action's index rather than by branches on it (a mix of actions
        // would be mispredicted): answer, block, count.
        let mut by_action = [0u64; 3];
        for j in 0..nq {
            // SAFETY: the first nq queries were written above.
            let q = unsafe { queries[j].assume_init_ref() };
            let details = match key_of[j] {
                u8::MAX => None,
                k => hits.get(usize::from(k)),
            };
            let answer = match details {
                Some(d) => {
                    by_action[action_index(d.action)] += 1;
                    &d.answer
                }
                None if key_of[j] != u8::MAX
                    && self.patterns.is_blocked(q.key.dotted().as_bytes()) =>
                {
                    c.pattern_blocked += 1;
                    &PreparedAnswer::REFUSED
                }
                None => {
                    c.misses += 1;
                    &PreparedAnswer::NXDOMAIN
                }
            };
            let i = usize::from(from[j]);
            let frame = &mut frames[i];
            match build_prepared_response(frame.room_mut(), q, answer, &self.options) {
                Ok(r) => {
                    frame.set_len(r.len);
                    c.truncated += u64::from(r.truncated);
                    verdicts[i] = Verdict::Send;
                }
                Err(_) => c.no_room += 1,
            }
        }
        let [answered, blocked, counted] = by_action;
        c.hits += answered;
        c.blocked += blocked;
        c.counted += counted;
        let t3 = ticks();
        c.frames += frames.len() as u64;
        c.queries += nq as u64;
        c.ticks_parse += t1 - t0;
        c.ticks_lookup += t2 - t1;
        c.ticks_build += t3 - t2;
    }
}
