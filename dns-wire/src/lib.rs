//! DNS queries on the wire, for the DPDK dataplane, without DPDK.
//!
//! The per-packet path allocates nothing, reads only through bounds-checked slice
//! accessors (`clippy::indexing_slicing` is denied in this crate, `unsafe` is forbidden) and
//! never panics:
//!
//! 1. [`parse`] classifies a received Ethernet frame as a [`Query`], [`NotDns`] traffic or a
//!    [`Malformed`] packet. A query carries the offsets of its headers, its ID, QTYPE,
//!    QCLASS, EDNS(0) details and its name as a [`DomainKey`]: 64 bytes, the name in wire
//!    form, lowercase, zero padded, ready for a fixed-key hash table (`key.0` is a `[u8; 64]`). Names that
//!    do not fit are [`KeyStatus::TooLong`]: certain misses, not errors.
//! 2. The dataplane looks the key up (for example in `dpdk::hash::Hash<[u8; 64], DomainEntry>`
//!    with a bulk lookup) and picks an [`Answer`]: [`DomainEntry::answer`], or
//!    [`Answer::NxDomain`] for a miss.
//! 3. [`build_response`] turns the same buffer into the response, in place.
//!
//! ```
//! use dns_wire::*;
//! let list = DomainList::default_list();
//! let mut gen = Generator::new(7, &list, Mix::default())?;
//! let mut buf = [0u8; 2048]; // an mbuf's data room
//! let (len, _) = gen.next_frame(&mut buf)?;
//! match parse(&buf[..len]) {
//!     Parsed::Query(q) => {
//!         let entry = q.lookup_key().and_then(|k| list.get(k));
//!         let answer = entry.map_or(Answer::NxDomain, |e| e.answer());
//!         let response = build_response(&mut buf, &q, &answer, &BuildOptions::default())?;
//!         // transmit buf[..response.len]
//!         assert!(response.len > 0);
//!     }
//!     Parsed::NotDns(_) => { /* forward or drop */ }
//!     Parsed::Malformed(_) => { /* count and drop */ }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Around it: [`DomainList`] reads the domain list (format in the [`domains`] module docs;
//! the shipped one is [`DEFAULT_LIST`]), and [`Generator`] makes a seeded, counted mix of
//! query frames ([`Mix`], [`GeneratedCounts`]) to feed a virtual device.
//!
//! # Tests, fuzzing, speed
//!
//! ```text
//! cargo test -p dns-wire            # unit, corpus (tests/corpus), round trip, doc tests
//! cargo run -p dns-wire --example make_corpus        # rewrite tests/corpus
//! cargo run -p dns-wire --example make_domain_list > dns-wire/data/domains.txt
//! cargo run --release -p dns-wire --example throughput   # ns per packet
//!
//! # The fuzzer, on the stable toolchain (cargo-fuzz needs nightly's -Z flags):
//! cargo install cargo-fuzz
//! cd dns-wire/fuzz && mkdir -p corpus/parse_and_answer
//! cp ../tests/corpus/*/*.bin corpus/parse_and_answer/
//! RUSTC_BOOTSTRAP=1 cargo fuzz run parse_and_answer corpus/parse_and_answer -- -max_total_time=300
//! ```
//!
//! A crash the fuzzer finds goes into `tests/corpus/regressions/` (any name ending in
//! `.bin`), where the corpus test replays it.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]
#![forbid(unsafe_code)]

mod answer;
mod bytes;
mod checksum;
pub mod domains;
mod generator;
mod name;
mod packet;
#[cfg(any(test, feature = "reference"))]
#[doc(hidden)]
pub mod reference;
mod rng;

pub use answer::{
    build_prepared_response, build_response, rcode, rtype, Answer, BuildError, BuildOptions,
    Ipv4UdpChecksum, PreparedAnswer, Response, AAAA_RECORD_LEN, A_RECORD_LEN, CLASSIC_UDP_PAYLOAD,
    CLASS_ANY, CLASS_IN, OPT_RECORD_LEN, RESPONSE_HOP_LIMIT,
};
pub use domains::*;
pub use generator::*;
pub use name::{
    finish_hash, DomainKey, DottedName, KeyError, KeyStatus, KEY_LEN, MAX_LABEL_LEN,
    MAX_NAME_WIRE_LEN,
};
pub use packet::{
    parse, Edns, IpVersion, Malformed, NotDns, Parsed, Query, DNS_PORT, MAX_ADDITIONAL,
};
pub use rng::SplitMix64;
