//! The DNS-lookup dataplane of the seed documents, on the safe `dpdk` crate.
//!
//! Every object sits on the socket the seed's allocation table gives it: the domain table
//! and the per-worker state on the workers' socket, the mbuf pool on the port's socket,
//! the block list's Hyperscan database on the workers' socket and each scratch on its own
//! lcore's socket. [`placement`] reports where each one really landed.

pub mod app;
pub mod arp;
#[cfg(feature = "hyperscan")]
pub mod blocklist;
pub mod engine;
pub mod pcap;
pub mod placement;
pub mod table;
