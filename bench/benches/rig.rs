//! Rust next to C, same binary, same run: `cargo bench -p dpdk-bench [-- FILTER...]`.
//!
//! Rows so far: `rte_mempool` get+put through the raw FFI (bindgen's generated wrappers
//! for DPDK's static inline functions) against the same loop in C. The mempool uses the
//! default ring driver with a per-lcore cache of 512, like mempool_perf_autotest's cached
//! case, and objects of 2048 bytes; the loops run on the main lcore so the cache serves them.

use std::ffi::{c_void, CString};

use dpdk::{ffi, EalBuilder, Memory, SocketId};
use dpdk_bench::{rdtsc, Rig};

extern "C" {
    fn bench_c_mempool_get_put_bulk(mp: *mut ffi::rte_mempool, n: u32, iters: u64) -> u64;
}

fn main() {
    // Test runners (`cargo test --all-targets`, nextest's `--list`) run this binary too:
    // it holds no tests, and timing has no place in a test run. `cargo bench` passes
    // `--bench`.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("rig: benchmarks run under `cargo bench -p dpdk-bench` only");
        return;
    }
    let builder = EalBuilder::new()
        .program("dpdk-bench")
        .lcores([0, 1])
        .in_memory(true)
        .no_pci(true)
        .env_overrides()
        .expect("DPDK_RS_MEMORY");
    let builder = match builder.memory_mode() {
        Memory::NoHuge => {
            eprintln!("NOTICE: benchmarks run with --no-huge (DPDK_RS_MEMORY=no-huge)");
            builder.memory_mb(512)
        }
        Memory::Hugepages => builder,
    };
    let eal = builder.build().unwrap_or_else(|e| panic!("EAL: {e}"));
    let mut rig = Rig::from_args(eal.tsc_hz());
    let socket = SocketId::current();
    mempool_rows(&mut rig);
    dpdk_bench::malloc::rows(&mut rig, socket);
    dpdk_bench::tlb::rows(&mut rig, socket, eal.has_hugepages());
    println!("\n{}", rig.markdown());
}

fn mempool_rows(rig: &mut Rig) {
    let name = CString::new("bench_mp").unwrap();
    // SAFETY: plain FFI on a running EAL; the pool is freed at the end of this function.
    let mp = unsafe {
        ffi::rte_mempool_create(
            name.as_ptr(),
            2047,
            2048,
            512,
            0,
            None,
            std::ptr::null_mut(),
            None,
            std::ptr::null_mut(),
            SocketId::current().as_raw(),
            0,
        )
    };
    assert!(!mp.is_null(), "rte_mempool_create failed");
    for n in [1u32, 32] {
        // The count goes through black_box so neither side sees a constant.
        let n = std::hint::black_box(n);
        rig.row(
            &format!("mempool get_bulk+put_bulk n={n} (raw FFI)"),
            2_000_000,
            1,
            Box::new(move |iters| {
                let mut objs = [std::ptr::null_mut::<c_void>(); 512];
                let start = rdtsc();
                for _ in 0..iters {
                    // SAFETY: `objs` has room for n <= 512 pointers; what get_bulk hands
                    // out goes straight back to the same pool.
                    unsafe {
                        if ffi::rte_mempool_get_bulk(mp, objs.as_mut_ptr(), n) != 0 {
                            return None;
                        }
                        ffi::rte_mempool_put_bulk(mp, objs.as_ptr(), n);
                    }
                }
                Some(rdtsc() - start)
            }),
            Box::new(move |iters| {
                // SAFETY: the C loop gets and puts `n` objects of the pool each iteration.
                let ticks = unsafe { bench_c_mempool_get_put_bulk(mp, n, iters) };
                (ticks > 0).then_some(ticks)
            }),
        );
    }
    // SAFETY: every object is back in the pool; nothing uses it after this.
    unsafe { ffi::rte_mempool_free(mp) };
}
