//! Which of our Rust copies of DPDK's inline C are in use in this build.
//!
//! The fastest paths of this crate are Rust ports of DPDK's `static inline` C, so that
//! they inline into the caller instead of costing a call into a wrapper:
//!
//! | group | C it copies (header) | Rust | benchmark rows (BENCHMARKS.md) |
//! |---|---|---|---|
//! | `mempool` | `rte_mempool_default_cache`, `rte_mempool_do_generic_get/put` (`rte_mempool.h`) | `mempool.rs` get/put paths | mempool cache get/put |
//! | `mbuf` | `rte_mbuf_raw_alloc`, `rte_pktmbuf_alloc(_bulk)`, `rte_pktmbuf_reset`, `rte_mbuf_raw_reset_bulk`, `rte_pktmbuf_prefree_seg`, `rte_pktmbuf_free(_seg)` (`rte_mbuf.h`) | `mbuf.rs` alloc/free | pktmbuf alloc/free |
//! | `ethdev` | `rte_eth_rx_burst`, `rte_eth_tx_burst` (`rte_ethdev.h`) | `ethdev.rs` bursts | net_null rx/tx |
//! | `ring` | `__rte_ring_do_enqueue/dequeue_elem`, the element copies, the head moves and `__rte_ring_update_tail` (`rte_ring_elem_pvt.h`, `rte_ring_c11_pvt.h`) | `ring.rs` MP/MC and SP/SC | ring enqueue/dequeue |
//!
//! A build uses a group only when the installed headers hold exactly the C bodies the
//! group was written from, as recorded per release in `fingerprints.txt` (the drift
//! guard, `build/guard.rs`); otherwise the group calls DPDK's C through the generated
//! wrappers, and the build printed a notice naming the function that differs. The
//! `mempool`, `mbuf` and `ethdev` groups also need DPDK built without the statistics,
//! debug, trace and history options ([`dpdk_sys::MEMPOOL_PLAIN_FAST_PATH`]).
//!
//! ```
//! // On a tested release every group is in Rust.
//! println!("{}", dpdk::inline::report());
//! ```

const fn flag(value: &str) -> bool {
    let value = value.as_bytes();
    value.len() == 1 && value[0] == b'1'
}

/// Whether the mempool cache paths are the Rust copy.
pub const MEMPOOL: bool = dpdk_sys::MEMPOOL_PLAIN_FAST_PATH && flag(env!("DPDK_RS_MIRROR_MEMPOOL"));
/// Whether mbuf alloc/free are the Rust copy (they sit on the mempool's).
pub const MBUF: bool = MEMPOOL && flag(env!("DPDK_RS_MIRROR_MBUF"));
/// Whether the rx/tx bursts are the Rust copy.
pub const ETHDEV: bool = dpdk_sys::MEMPOOL_PLAIN_FAST_PATH && flag(env!("DPDK_RS_MIRROR_ETHDEV"));
/// Whether MP/MC and SP/SC ring enqueue/dequeue are the Rust copy.
pub const RING: bool = flag(env!("DPDK_RS_MIRROR_RING"));

/// `mempool=rust mbuf=rust ethdev=rust ring=rust` (or `=c` for a group in C), as the
/// drift guard decided for the installed headers.
pub fn report() -> String {
    let show = |name: &str, on: bool| format!("{name}={}", if on { "rust" } else { "c" });
    [show("mempool", MEMPOOL), show("mbuf", MBUF), show("ethdev", ETHDEV), show("ring", RING)]
        .join(" ")
}

pub(crate) mod ethdev;
pub(crate) mod mbuf;
pub(crate) mod mempool;
pub(crate) mod ring;
