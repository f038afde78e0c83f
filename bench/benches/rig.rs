//! Rust next to C, same binary, same run: `cargo bench -p dpdk-bench [-- FILTER...]`.
//!
//! Each module of `dpdk_bench` adds its rows; the loops run on the main lcore (the thread
//! that initialised the EAL), so per-lcore caches serve them as they would a dataplane.

use dpdk::{EalBuilder, Memory, SocketId};
use dpdk_bench::Rig;

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
            builder.memory_mb(1024)
        }
        Memory::Hugepages => builder,
    };
    let eal = builder.build().unwrap_or_else(|e| panic!("EAL: {e}"));
    let mut rig = Rig::from_args(eal.tsc_hz());
    let socket = SocketId::current();
    dpdk_bench::mempool::rows(&mut rig, socket);
    dpdk_bench::ethdev::rows(&mut rig, socket);
    dpdk_bench::ring::rows(&mut rig, &eal, socket);
    dpdk_bench::hash::rows(&mut rig, socket, eal.has_hugepages());
    dpdk_bench::malloc::rows(&mut rig, socket);
    dpdk_bench::dns::rows(&mut rig, socket);
    dpdk_bench::tlb::rows(&mut rig, socket, eal.has_hugepages());
    println!("\n{}", rig.markdown());
}
