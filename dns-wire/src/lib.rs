//! DNS queries on the wire, for the DPDK dataplane, without DPDK.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]
#![forbid(unsafe_code)]

mod answer;
mod bytes;
mod checksum;
mod domains;
mod generator;
mod name;
mod packet;
mod rng;

pub use answer::{
    build_response, rcode, rtype, Answer, BuildError, BuildOptions, Ipv4UdpChecksum, Response,
    AAAA_RECORD_LEN, A_RECORD_LEN, CLASSIC_UDP_PAYLOAD, CLASS_ANY, CLASS_IN, OPT_RECORD_LEN,
    RESPONSE_HOP_LIMIT,
};
pub use domains::*;
pub use generator::*;
pub use name::{DomainKey, KeyError, KeyStatus, KEY_LEN, MAX_LABEL_LEN, MAX_NAME_WIRE_LEN};
pub use packet::{
    parse, Edns, IpVersion, Malformed, NotDns, Parsed, Query, DNS_PORT, MAX_ADDITIONAL,
};
pub use rng::SplitMix64;
