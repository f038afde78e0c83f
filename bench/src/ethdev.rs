//! Rows of the packet I/O issue: one packet allocated and freed, bulks of 32
//! (`rte_pktmbuf_alloc_bulk` / `rte_pktmbuf_free_bulk`), and an RX + TX burst of 32 on a
//! `net_null` port (which makes packets from the pool on RX and frees them on TX), each
//! through the safe API next to the same loop in C.

use std::hint::black_box;

use dpdk::ethdev::{Port, PortConfig};
use dpdk::mbuf::{Burst, PktMbufPool, DEFAULT_DATA_ROOM};
use dpdk::SocketId;

use crate::{rdtsc, Rig};

extern "C" {
    fn bench_c_pktmbuf_alloc_free_one(mp: *mut dpdk::ffi::rte_mempool, iters: u64) -> u64;
    fn bench_c_pktmbuf_bulk(mp: *mut dpdk::ffi::rte_mempool, n: u32, iters: u64) -> u64;
    fn bench_c_rx_tx_burst(port: u16, n: u16, iters: u64) -> u64;
}

/// Iterations per timed call.
const ITERS: u64 = 1 << 16;
/// Packets per burst.
const BURST: usize = 32;

/// All packet I/O rows.
pub fn rows(rig: &mut Rig, socket: SocketId) {
    if !["pktmbuf", "burst"].iter().any(|r| rig.selected(r)) {
        return;
    }
    let pool = PktMbufPool::new("bench_pkts", 8191, 256, DEFAULT_DATA_ROOM, socket)
        .expect("benchmark packet pool");
    let mp = pool.as_ptr();
    rig.row(
        "pktmbuf alloc+free single",
        ITERS,
        1,
        Box::new(|iters| {
            let start = rdtsc();
            for _ in 0..iters {
                drop(black_box(pool.alloc()?));
            }
            Some(rdtsc() - start)
        }),
        Box::new(move |iters| {
            // SAFETY: allocates and frees packets of this pool.
            let t = unsafe { bench_c_pktmbuf_alloc_free_one(mp, iters) };
            (t > 0).then_some(t)
        }),
    );
    let n = black_box(BURST);
    rig.row(
        "pktmbuf alloc_bulk+free_bulk 32",
        ITERS / 8,
        BURST as u64,
        Box::new(|iters| {
            let mut burst = Burst::<BURST>::new();
            let start = rdtsc();
            for _ in 0..iters {
                pool.alloc_bulk(&mut burst, n).ok()?;
                black_box(&mut burst).clear();
            }
            Some(rdtsc() - start)
        }),
        Box::new(move |iters| {
            // SAFETY: allocates and frees packets of this pool.
            let t = unsafe { bench_c_pktmbuf_bulk(mp, n as u32, iters) };
            (t > 0).then_some(t)
        }),
    );

    let port = Port::attach_vdev("net_null_bench").expect("net_null port");
    let mut port = port.configure(&PortConfig::new(1, 1), &pool).expect("configure net_null");
    port.start().expect("start net_null");
    let id = port.id();
    let (mut rx, mut tx) = (port.rx_queue(0).unwrap(), port.tx_queue(0).unwrap());
    rig.row(
        "net_null rx_burst+tx_burst 32",
        ITERS / 8,
        BURST as u64,
        Box::new(|iters| {
            let mut burst = Burst::<BURST>::new();
            let start = rdtsc();
            for _ in 0..iters {
                if rx.rx_burst(&mut burst).is_empty() {
                    return None;
                }
                tx.tx_burst(&mut burst);
                burst.clear(); // what the device did not take
            }
            Some(rdtsc() - start)
        }),
        Box::new(move |iters| {
            // SAFETY: queue 0 of a started port, polled by this thread only (the Rust
            // side's handles are not used meanwhile).
            let t = unsafe { bench_c_rx_tx_burst(id, n as u16, iters) };
            (t > 0).then_some(t)
        }),
    );
    rig.row(
        "net_null rx_burst_trusted+tx_burst 32",
        ITERS / 8,
        BURST as u64,
        Box::new(|iters| {
            let mut burst = Burst::<BURST>::new();
            let start = rdtsc();
            for _ in 0..iters {
                // SAFETY: net_null's packets fit a pool whose room the port checked.
                if unsafe { rx.rx_burst_trusted(&mut burst) }.is_empty() {
                    return None;
                }
                tx.tx_burst(&mut burst);
                burst.clear(); // what the device did not take
            }
            Some(rdtsc() - start)
        }),
        Box::new(move |iters| {
            // SAFETY: queue 0 of a started port, polled by this thread only (the Rust
            // side's handles are not used meanwhile).
            let t = unsafe { bench_c_rx_tx_burst(id, n as u16, iters) };
            (t > 0).then_some(t)
        }),
    );
}
