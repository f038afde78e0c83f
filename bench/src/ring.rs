//! Rows of the ring issue, mirroring `ring_perf_autotest`: a ring of 4096; single, bulk
//! and burst enqueue+dequeue pairs with sizes 8 and 32 held in variables; SP/SC and
//! MP/MC; 8-byte items and 16-byte elements; bulk-8 dequeues from an empty ring; and two
//! cores, one enqueuing and one dequeuing, per element. Plus crossbeam's `ArrayQueue`
//! on two cores, what a Rust user would pick instead.

use std::hint::black_box;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, Ordering};

use dpdk::ffi::rte_ring;
use dpdk::ring::{
    Consumer, ElemConsumer, ElemProducer, ElemRing, Multi, Producer, Ring, RingOptions, Single,
    SyncMode,
};
use dpdk::{Eal, SocketId};

use crate::{rdtsc, Rig};

extern "C" {
    fn bench_c_ring_pair(
        r: *mut rte_ring,
        esize: u32,
        n: u32,
        single: i32,
        bulk: i32,
        iters: u64,
    ) -> u64;
    fn bench_c_ring_empty_dequeue(
        r: *mut rte_ring,
        esize: u32,
        n: u32,
        single: i32,
        iters: u64,
    ) -> u64;
    fn bench_c_ring_produce(r: *mut rte_ring, n: u32, single: i32, total: u64);
    fn bench_c_ring_consume(r: *mut rte_ring, n: u32, single: i32, total: u64);
}

/// The C loop of `bench_c_ring_pair` as a workload.
fn c_pair(
    r: *mut rte_ring,
    esize: u32,
    n: usize,
    single: i32,
    bulk: i32,
) -> impl FnMut(u64) -> Option<u64> {
    move |iters| {
        // SAFETY: enqueues then dequeues the same n elements on a ring that only this
        // thread uses during the row.
        let ticks = unsafe { bench_c_ring_pair(r, esize, n as u32, single, bulk, iters) };
        (ticks > 0).then_some(ticks)
    }
}

const COUNT: u32 = 4096;
const ITERS: u64 = 1 << 20;

fn lookup(name: &str) -> *mut rte_ring {
    dpdk::ring::RingRef::lookup(name).expect("the ring just made").as_ptr()
}

/// One-core rows of 8-byte items in modes `P`/`C` (both Single or both Multi).
fn items_rows<M: SyncMode>(rig: &mut Rig, socket: SocketId, tag: &str) {
    let name = format!("bench_r8_{tag}");
    let opts = RingOptions::new().producer::<M>().consumer::<M>();
    let ring: Ring<u64, M, M> = Ring::new(&name, COUNT, socket, opts).expect("ring");
    let r = lookup(&name);
    let single = i32::from(M::SINGLE);
    let (tx, rx) = ring.split();
    rig.row(
        &format!("ring 8B {tag} single enq+deq"),
        ITERS,
        1,
        Box::new(|iters| {
            let start = rdtsc();
            for i in 0..iters {
                tx.enqueue(i).ok()?;
                rx.dequeue()?;
            }
            Some(rdtsc() - start)
        }),
        Box::new(c_pair(r, 8, 1, single, 1)),
    );
    for n in [8usize, 32] {
        let n = black_box(n);
        for (bulk, kind) in [(true, "bulk"), (false, "burst")] {
            rig.row(
                &format!("ring 8B {tag} {kind} n={n}"),
                ITERS / 4,
                1,
                Box::new(|iters| items_pair(&tx, &rx, n, bulk, iters)),
                Box::new(c_pair(r, 8, n, single, i32::from(bulk))),
            );
        }
    }
    let n = black_box(8usize);
    rig.row(
        &format!("ring 8B {tag} empty bulk-8 dequeue"),
        ITERS,
        1,
        Box::new(|iters| empty_dequeue(&rx, n, iters)),
        Box::new(move |iters| {
            // SAFETY: dequeues from a ring that is empty and only this thread uses.
            let ticks = unsafe { bench_c_ring_empty_dequeue(r, 8, 8, single, iters) };
            (ticks > 0).then_some(ticks)
        }),
    );
}

/// The Rust loop of the empty-dequeue rows, shaped as `bench_c_ring_empty_dequeue` is:
/// `iters` bulk dequeues of `n` from an empty ring. Ticks, or `None` if one got anything.
#[inline(never)]
fn empty_dequeue<M: SyncMode>(rx: &Consumer<u64, M>, n: usize, iters: u64) -> Option<u64> {
    let mut buf = [MaybeUninit::<u64>::uninit(); 64];
    let n = n.min(buf.len());
    let start = rdtsc();
    for _ in 0..iters {
        if rx.dequeue_bulk(&mut buf[..n]).is_some() {
            return None;
        }
    }
    Some(rdtsc() - start)
}

/// The Rust loop of the 8-byte bulk and burst rows, shaped as `bench_c_ring_pair` is: the
/// ends and the size arrive as arguments, the items are a local table; `iters` times,
/// enqueue copies of `n` items and dequeue `n` into a local buffer. Ticks, or `None` if an
/// operation moved fewer than `n`.
#[inline(never)]
fn items_pair<M: SyncMode>(
    tx: &Producer<u64, M>,
    rx: &Consumer<u64, M>,
    n: usize,
    bulk: bool,
    iters: u64,
) -> Option<u64> {
    let table: [u64; 64] = std::array::from_fn(|i| i as u64);
    let mut buf = [MaybeUninit::<u64>::uninit(); 64];
    let n = n.min(table.len());
    let start = rdtsc();
    for _ in 0..iters {
        let moved = if bulk {
            if tx.enqueue_bulk_copied(&table[..n]).is_err() {
                return None;
            }
            rx.dequeue_bulk(&mut buf[..n]).map_or(0, |got| got.len())
        } else {
            if tx.enqueue_burst_copied(&table[..n]) != n {
                return None;
            }
            rx.dequeue_burst(&mut buf[..n]).len()
        };
        if moved != n {
            return None;
        }
    }
    Some(rdtsc() - start)
}

/// One-core rows of 16-byte elements.
fn elem_rows<M: SyncMode>(rig: &mut Rig, socket: SocketId, tag: &str) {
    let name = format!("bench_r16_{tag}");
    let opts = RingOptions::new().producer::<M>().consumer::<M>();
    let ring: ElemRing<[u64; 2], M, M> = ElemRing::new(&name, COUNT, socket, opts).expect("ring");
    let r = lookup(&name);
    let single = i32::from(M::SINGLE);
    let (tx, rx): (ElemProducer<[u64; 2], M>, ElemConsumer<[u64; 2], M>) = ring.split();
    rig.row(
        &format!("ring 16B {tag} single enq+deq"),
        ITERS,
        1,
        Box::new(|iters| {
            let start = rdtsc();
            for i in 0..iters {
                tx.enqueue([i, i]).ok()?;
                rx.dequeue()?;
            }
            Some(rdtsc() - start)
        }),
        Box::new(c_pair(r, 16, 1, single, 1)),
    );
    for n in [8usize, 32] {
        let n = black_box(n);
        for (bulk, kind) in [(true, "bulk"), (false, "burst")] {
            rig.row(
                &format!("ring 16B {tag} {kind} n={n}"),
                ITERS / 4,
                1,
                Box::new(|iters| elem_pair(&tx, &rx, n, bulk, iters)),
                Box::new(c_pair(r, 16, n, single, i32::from(bulk))),
            );
        }
    }
}

/// The Rust loop of the 16-byte bulk and burst rows, shaped as `bench_c_ring_pair` is: the
/// ends and the size arrive as arguments, the table is a local; `iters` times, enqueue
/// `n` elements from the table and dequeue them back into it. Ticks, or `None` if an
/// operation moved fewer than `n`.
#[inline(never)]
fn elem_pair<M: SyncMode>(
    tx: &ElemProducer<[u64; 2], M>,
    rx: &ElemConsumer<[u64; 2], M>,
    n: usize,
    bulk: bool,
    iters: u64,
) -> Option<u64> {
    // 16-byte aligned, as C's `uint64_t table[2 * 64]` is: the x86-64 psABI gives a local
    // array of 16 bytes or more at least that alignment. At its natural 8, a quarter of
    // the 16-byte moves straddle a cache line, which cost this row 1.13x C's time on 25.11.
    #[repr(C, align(16))]
    struct Table([MaybeUninit<[u64; 2]>; 64]);
    let mut aligned = Table([MaybeUninit::new([0u64; 2]); 64]);
    let table = &mut aligned.0;
    let n = n.min(table.len());
    let start = rdtsc();
    for _ in 0..iters {
        // SAFETY: the first n elements are initialised (zeros, then what came back).
        let items =
            unsafe { &*(&table[..n] as *const [MaybeUninit<[u64; 2]>] as *const [[u64; 2]]) };
        let moved = if bulk {
            if tx.enqueue_bulk(items).is_err() {
                return None;
            }
            rx.dequeue_bulk(&mut table[..n]).map_or(0, |got| got.len())
        } else {
            if tx.enqueue_burst(items) != n {
                return None;
            }
            rx.dequeue_burst(&mut table[..n]).len()
        };
        if moved != n {
            return None;
        }
    }
    Some(rdtsc() - start)
}

/// Two cores: the worker lcore enqueues `total` items in bulks of `n` while this (main)
/// lcore dequeues them; ticks per element on this side, from the start signal to the last.
fn two_core_rows<M: SyncMode>(rig: &mut Rig, eal: &Eal, socket: SocketId, tag: &str)
where
    Producer<u64, M>: Send,
{
    let worker = eal.workers()[0];
    let single = i32::from(M::SINGLE);
    for n in [8usize, 32] {
        let n = black_box(n);
        let name = format!("bench_r2_{tag}{n}");
        let opts = RingOptions::new().producer::<M>().consumer::<M>();
        let ring: Ring<u64, M, M> = Ring::new(&name, COUNT, socket, opts).expect("ring");
        let r = lookup(&name) as usize;
        let (tx, rx): (Producer<u64, M>, Consumer<u64, M>) = ring.split();
        let tx = std::sync::Arc::new(std::sync::Mutex::new(Some(tx)));
        rig.row(
            &format!("ring 8B {tag} two cores bulk n={n}, per element"),
            1 << 22,
            1,
            Box::new(|total| {
                let txc = tx.clone();
                let go = std::sync::Arc::new(AtomicBool::new(false));
                let go2 = go.clone();
                let job = eal
                    .launch(worker, move || {
                        let guard = txc.lock().unwrap();
                        let tx = guard.as_ref().unwrap();
                        while !go2.load(Ordering::Acquire) {}
                        produce(tx, n, total);
                    })
                    .ok()?;
                let start = rdtsc();
                go.store(true, Ordering::Release);
                consume(&rx, n, total);
                let ticks = rdtsc() - start;
                job.join().ok()?;
                Some(ticks)
            }),
            Box::new(c_two_core(eal, worker, r, n, single)),
        );
        // The same C loop against itself: how far two sides of one row drift apart on
        // this VM, where the two lcores' distance (and so every ratio here) varies by run.
        rig.pair(
            &format!("ring 8B {tag} two cores bulk n={n}, per element, control: C vs C"),
            ("C", "C"),
            false,
            1 << 22,
            1,
            Box::new(c_two_core(eal, worker, r, n, single)),
            Box::new(c_two_core(eal, worker, r, n, single)),
        );
    }
}

/// The C side of a two-core row: the worker runs `bench_c_ring_produce` while this lcore
/// runs `bench_c_ring_consume` on ring `r`; ticks on this side.
fn c_two_core(
    eal: &Eal,
    worker: dpdk::lcore::LcoreId,
    r: usize,
    n: usize,
    single: i32,
) -> impl FnMut(u64) -> Option<u64> + '_ {
    move |total| {
        let go = std::sync::Arc::new(AtomicBool::new(false));
        let go2 = go.clone();
        let job = eal
            .launch(worker, move || {
                while !go2.load(Ordering::Acquire) {}
                // SAFETY: the C producer is this ring's only producer now.
                unsafe { bench_c_ring_produce(r as *mut rte_ring, n as u32, single, total) }
            })
            .ok()?;
        let start = rdtsc();
        go.store(true, Ordering::Release);
        // SAFETY: the C consumer is this ring's only consumer now.
        unsafe { bench_c_ring_consume(r as *mut rte_ring, n as u32, single, total) };
        let ticks = rdtsc() - start;
        job.join().ok()?;
        Some(ticks)
    }
}

/// The producer half of a two-core row, shaped as `bench_c_ring_produce` is: enqueue
/// `total` items in bulks of `n`, pausing and retrying while the ring is full (as
/// `ring_perf_autotest` does).
#[inline(never)]
fn produce<M: SyncMode>(tx: &Producer<u64, M>, n: usize, total: u64) {
    let items = [7u64; 64];
    let n = n.min(items.len());
    let mut done = 0;
    while done < total {
        if tx.enqueue_bulk_copied(&items[..n]).is_ok() {
            done += n as u64;
        } else {
            std::hint::spin_loop();
        }
    }
}

/// The consumer half, shaped as `bench_c_ring_consume` is: dequeue `total` items in bulks
/// of `n`, pausing and retrying while the ring is empty.
#[inline(never)]
fn consume<M: SyncMode>(rx: &Consumer<u64, M>, n: usize, total: u64) {
    let mut buf = [MaybeUninit::<u64>::uninit(); 64];
    let n = n.min(buf.len());
    let mut done = 0;
    while done < total {
        if rx.dequeue_bulk(&mut buf[..n]).is_some() {
            done += n as u64;
        } else {
            std::hint::spin_loop();
        }
    }
}

/// crossbeam's ArrayQueue (4096 slots) against the DPDK ring MP/MC through the safe API,
/// two cores, one item per call, pausing after a failed call as the other two-core rows do.
fn crossbeam_row(rig: &mut Rig, eal: &Eal, socket: SocketId) {
    let worker = eal.workers()[0];
    let q = std::sync::Arc::new(crossbeam_queue::ArrayQueue::<u64>::new(COUNT as usize));
    let ring: Ring<u64> =
        Ring::new("bench_r2_cb", COUNT, socket, RingOptions::new()).expect("ring");
    let (tx, rx) = ring.split();
    let tx = std::sync::Arc::new(tx);
    rig.pair(
        "two cores MP/MC single item: DPDK ring vs crossbeam ArrayQueue, per element",
        ("dpdk-ring", "ArrayQueue"),
        false,
        1 << 21,
        1,
        Box::new(|total| {
            let tx = tx.clone();
            let job = eal
                .launch(worker, move || {
                    for i in 0..total {
                        let mut item = i;
                        while let Err(back) = tx.enqueue(item) {
                            item = back;
                            std::hint::spin_loop();
                        }
                    }
                })
                .ok()?;
            let start = rdtsc();
            let mut done = 0;
            while done < total {
                if rx.dequeue().is_some() {
                    done += 1;
                } else {
                    std::hint::spin_loop();
                }
            }
            let ticks = rdtsc() - start;
            job.join().ok()?;
            Some(ticks)
        }),
        Box::new(|total| {
            let q2 = q.clone();
            let job = eal
                .launch(worker, move || {
                    for i in 0..total {
                        let mut item = i;
                        while let Err(back) = q2.push(item) {
                            item = back;
                            std::hint::spin_loop();
                        }
                    }
                })
                .ok()?;
            let start = rdtsc();
            let mut done = 0;
            while done < total {
                if q.pop().is_some() {
                    done += 1;
                } else {
                    std::hint::spin_loop();
                }
            }
            let ticks = rdtsc() - start;
            job.join().ok()?;
            Some(ticks)
        }),
    );
}

/// All ring rows.
pub fn rows(rig: &mut Rig, eal: &Eal, socket: SocketId) {
    items_rows::<Single>(rig, socket, "SP/SC");
    items_rows::<Multi>(rig, socket, "MP/MC");
    elem_rows::<Single>(rig, socket, "SP/SC");
    elem_rows::<Multi>(rig, socket, "MP/MC");
    two_core_rows::<Single>(rig, eal, socket, "SP/SC");
    two_core_rows::<Multi>(rig, eal, socket, "MP/MC");
    crossbeam_row(rig, eal, socket);
}
