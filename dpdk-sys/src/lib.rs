//! Raw FFI bindings to DPDK (22.11, 24.11 and 25.11 LTS: EAL, lcores, logging, memory, malloc, memzone,
//! mempool, ring, hash, mbuf, ethdev, vdev bus), generated at build time by bindgen from the installed headers.
//!
//! DPDK's `static inline` fast paths (`rte_mempool_get_bulk`, `rte_ring_enqueue_bulk`,
//! `rte_lcore_id`, ...) are reached through C wrappers that bindgen generates and `cc`
//! compiles with DPDK's own cflags; they have the same names here as in C.
//!
//! Everything here is `unsafe` and mirrors the C API one to one. The safe API is the
//! `dpdk` crate.
#![allow(non_upper_case_globals, non_camel_case_types, non_snake_case)]
#![allow(missing_docs, clippy::all, clippy::undocumented_unsafe_blocks)]
#![allow(unsafe_op_in_unsafe_fn, rustdoc::all)]

mod bindings {
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}
pub use bindings::*;

mod fields;

/// The version of DPDK these bindings were generated from, as pkg-config reported it.
pub const DPDK_VERSION: &str = env!("DPDK_SYS_VERSION");

/// [`DPDK_VERSION`] as (year, month), parsed by the build script: `(24, 11)`.
pub const DPDK_RELEASE: (u32, u32) =
    (parse_u32(env!("DPDK_SYS_RELEASE_YEAR")), parse_u32(env!("DPDK_SYS_RELEASE_MONTH")));

const fn parse_u32(text: &str) -> u32 {
    let bytes = text.as_bytes();
    let mut value = 0;
    let mut i = 0;
    while i < bytes.len() {
        value = value * 10 + (bytes[i] - b'0') as u32;
        i += 1;
    }
    value
}

/// Path of DPDK's `ring_mp_mc` mempool driver (`librte_mempool_ring.so`), found at build
/// time, or `""` when the build did not find it (e.g. a static DPDK, where it is linked in).
///
/// The driver exports no symbol, so the linker cannot be made to keep it; the safe crate
/// `dlopen`s this path before `rte_eal_init` when the driver is not registered yet.
pub const MEMPOOL_RING_DRIVER: &str = env!("DPDK_SYS_MEMPOOL_RING_DRIVER");

/// Whether this DPDK's mempool fast path (`rte_mempool_do_generic_get/put` and the driver
/// calls under them) does nothing beyond moving pointers: DPDK built without
/// `RTE_LIBRTE_MEMPOOL_STATS`, `RTE_LIBRTE_MEMPOOL_DEBUG`, `RTE_ENABLE_TRACE_FP` and
/// `RTE_LIBRTE_MBUF_DEBUG` (probed at build time). Only then may a faithful Rust port of
/// that path (and of the mbuf and ethdev fast paths built on it) replace it.
pub const MEMPOOL_PLAIN_FAST_PATH: bool = {
    let value = env!("DPDK_SYS_MEMPOOL_PLAIN_FAST_PATH").as_bytes();
    value.len() == 1 && value[0] == b'1'
};

/// Reads `rte_errno` of the calling thread (a per-lcore, thread-local variable in C).
///
/// # Safety
/// None beyond FFI: the accessor only reads a thread-local `int`. It is `unsafe` because
/// every FFI call is.
#[inline]
pub unsafe fn rte_errno() -> i32 {
    dpdk_sys_rte_errno()
}

/// Sets `rte_errno` of the calling thread.
///
/// # Safety
/// None beyond FFI: the accessor only writes a thread-local `int`.
#[inline]
pub unsafe fn set_rte_errno(value: i32) {
    dpdk_sys_set_rte_errno(value)
}
