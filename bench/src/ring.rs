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
        let table: Vec<u64> = (0..n as u64).collect();
        let mut buf = [MaybeUninit::<u64>::uninit(); 32];
        rig.row(
            &format!("ring 8B {tag} bulk n={n}"),
            ITERS / 4,
            1,
            Box::new(|iters| {
                let start = rdtsc();
                for _ in 0..iters {
                    tx.enqueue_bulk_copied(&table).ok()?;
                    rx.dequeue_bulk(&mut buf[..n])?;
                }
                Some(rdtsc() - start)
            }),
            Box::new(c_pair(r, 8, n, single, 1)),
        );
        let mut buf = [MaybeUninit::<u64>::uninit(); 32];
        rig.row(
            &format!("ring 8B {tag} burst n={n}"),
            ITERS / 4,
            1,
            Box::new(|iters| {
                let start = rdtsc();
                for _ in 0..iters {
                    if tx.enqueue_burst_copied(&table) != n
                        || rx.dequeue_burst(&mut buf[..n]).len() != n
                    {
                        return None;
                    }
                }
                Some(rdtsc() - start)
            }),
            Box::new(c_pair(r, 8, n, single, 0)),
        );
    }
    let n = black_box(8usize);
    rig.row(
        &format!("ring 8B {tag} empty bulk-8 dequeue"),
        ITERS,
        1,
        Box::new(|iters| {
            let mut buf = [MaybeUninit::<u64>::uninit(); 8];
            let start = rdtsc();
            for _ in 0..iters {
                if rx.dequeue_bulk(&mut buf[..n]).is_some() {
                    return None;
                }
            }
            Some(rdtsc() - start)
        }),
        Box::new(move |iters| {
            // SAFETY: dequeues from a ring that is empty and only this thread uses.
            let ticks = unsafe { bench_c_ring_empty_dequeue(r, 8, 8, single, iters) };
            (ticks > 0).then_some(ticks)
        }),
    );
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
        let mut table = [[0u64; 2]; 32];
        rig.row(
            &format!("ring 16B {tag} bulk n={n}"),
            ITERS / 4,
            1,
            Box::new(|iters| {
                let start = rdtsc();
                for _ in 0..iters {
                    tx.enqueue_bulk(&table[..n]).ok()?;
                    // SAFETY: [u64; 2] has no invalid bit patterns; the slice is only written.
                    let buf = unsafe {
                        &mut *(&mut table[..n] as *mut [[u64; 2]] as *mut [MaybeUninit<[u64; 2]>])
                    };
                    rx.dequeue_bulk(buf)?;
                }
                Some(rdtsc() - start)
            }),
            Box::new(c_pair(r, 16, n, single, 1)),
        );
        let mut table = [[0u64; 2]; 32];
        rig.row(
            &format!("ring 16B {tag} burst n={n}"),
            ITERS / 4,
            1,
            Box::new(|iters| {
                let start = rdtsc();
                for _ in 0..iters {
                    if tx.enqueue_burst(&table[..n]) != n {
                        return None;
                    }
                    // SAFETY: as above.
                    let buf = unsafe {
                        &mut *(&mut table[..n] as *mut [[u64; 2]] as *mut [MaybeUninit<[u64; 2]>])
                    };
                    if rx.dequeue_burst(buf).len() != n {
                        return None;
                    }
                }
                Some(rdtsc() - start)
            }),
            Box::new(c_pair(r, 16, n, single, 0)),
        );
    }
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
                        let items = [7u64; 64];
                        while !go2.load(Ordering::Acquire) {}
                        let mut done = 0;
                        while done < total {
                            if tx.enqueue_bulk_copied(&items[..n]).is_ok() {
                                done += n as u64;
                            }
                        }
                    })
                    .ok()?;
                let mut buf = [MaybeUninit::<u64>::uninit(); 64];
                let start = rdtsc();
                go.store(true, Ordering::Release);
                let mut done = 0;
                while done < total {
                    if rx.dequeue_bulk(&mut buf[..n]).is_some() {
                        done += n as u64;
                    }
                }
                let ticks = rdtsc() - start;
                job.join().ok()?;
                Some(ticks)
            }),
            Box::new(move |total| {
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
            }),
        );
    }
}

/// crossbeam's ArrayQueue (4096 slots) against the DPDK ring MP/MC through the safe API,
/// two cores, one item per call.
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
                        }
                    }
                })
                .ok()?;
            let start = rdtsc();
            let mut done = 0;
            while done < total {
                if rx.dequeue().is_some() {
                    done += 1;
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
                        }
                    }
                })
                .ok()?;
            let start = rdtsc();
            let mut done = 0;
            while done < total {
                if q.pop().is_some() {
                    done += 1;
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
