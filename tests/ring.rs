//! Rings against the real DPDK: ownership through every sync mode, bulk and burst
//! semantics, stress on two threads, interop with rings made through DPDK's C API.

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use dpdk::ring::{
    ElemRing, Hts, Multi, Ring, RingItem, RingOptions, RingRef, Rts, Single, SyncMode,
};
use dpdk::{Error, SocketId};
use dpdk_tests::{eal, unique_name, worker_turn};

fn socket() -> SocketId {
    eal().sockets()[0]
}

static DROPS: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug)]
struct Tracked(u64);

impl Drop for Tracked {
    fn drop(&mut self) {
        DROPS.fetch_add(1, Ordering::Relaxed);
    }
}

fn drop_turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn items_move_in_and_out_and_a_full_ring_hands_them_back() {
    let _turn = drop_turn();
    eal();
    DROPS.store(0, Ordering::Relaxed);
    let ring: Ring<Box<Tracked>> =
        Ring::new(&unique_name("r"), 4, socket(), RingOptions::new()).unwrap();
    assert_eq!(ring.capacity(), 3);
    let (tx, rx) = ring.split();
    for i in 0..3 {
        tx.enqueue(Box::new(Tracked(i))).unwrap();
    }
    assert!(tx.is_full());
    let back = tx.enqueue(Box::new(Tracked(99))).unwrap_err();
    assert_eq!(back.0, 99, "the rejected item comes back");
    drop(back);
    assert_eq!(rx.dequeue().unwrap().0, 0);
    assert_eq!(rx.len(), 2);
    assert_eq!(DROPS.load(Ordering::Relaxed), 2);
    drop((tx, rx)); // two items left: dropped with the ring
    assert_eq!(DROPS.load(Ordering::Relaxed), 4);
}

#[test]
fn dequeued_items_are_dropped_exactly_once_whatever_the_caller_does() {
    let _turn = drop_turn();
    eal();
    let ring: Ring<Box<Tracked>> =
        Ring::new(&unique_name("rd"), 64, socket(), RingOptions::new()).unwrap();
    let (tx, rx) = ring.split();
    let fill = |n: u64| {
        let mut items: Vec<_> = (0..n).map(|i| Box::new(Tracked(i))).collect();
        assert_eq!(tx.enqueue_burst(&mut items), n as usize);
    };
    let before = DROPS.load(Ordering::Relaxed);
    let mut buf = [const { MaybeUninit::uninit() }; 8];
    // Ignored: the guard drops them.
    fill(8);
    drop(rx.dequeue_bulk(&mut buf).unwrap());
    assert_eq!(DROPS.load(Ordering::Relaxed) - before, 8);
    // Partly taken by value: the rest goes with the guard, the taken ones with the caller.
    fill(8);
    let mut got = rx.dequeue_burst(&mut buf);
    let first: Vec<_> = got.by_ref().take(3).collect();
    assert_eq!((first[0].0, got.len(), got[0].0), (0, 5, 3));
    drop(got);
    assert_eq!(DROPS.load(Ordering::Relaxed) - before, 13);
    drop(first);
    assert_eq!(DROPS.load(Ordering::Relaxed) - before, 16);
    // Swapped out through the slice: the guard drops what it holds, the swapped-out item
    // is the caller's.
    fill(2);
    let mut got = rx.dequeue_burst(&mut buf);
    let mut mine = Box::new(Tracked(99));
    std::mem::swap(&mut got[1], &mut mine);
    drop(got);
    assert_eq!(DROPS.load(Ordering::Relaxed) - before, 18);
    assert_eq!(mine.0, 1);
    drop(mine);
    assert_eq!(DROPS.load(Ordering::Relaxed) - before, 19);
    assert!(rx.is_empty());
}

#[test]
fn dequeued_packets_go_back_to_their_pool() {
    eal();
    let pool =
        dpdk::PktMbufPool::new(&unique_name("rk"), 63, 0, dpdk::mbuf::DEFAULT_DATA_ROOM, socket())
            .unwrap();
    let ring: Ring<dpdk::Mbuf<'_>> =
        Ring::new(&unique_name("rm"), 64, socket(), RingOptions::new()).unwrap();
    let (tx, rx) = ring.split();
    let mut packets: Vec<_> = (0..16).map(|_| pool.alloc().unwrap()).collect();
    assert_eq!(tx.enqueue_burst(&mut packets), 16);
    assert_eq!(pool.in_use(), 16);
    let mut buf = [const { MaybeUninit::uninit() }; 16];
    assert_eq!(rx.dequeue_burst(&mut buf).len(), 16);
    assert_eq!(pool.in_use(), 0, "the packets the caller ignored are freed");
}

#[test]
fn bulk_is_all_or_nothing_and_burst_takes_from_the_front() {
    eal();
    let ring: Ring<u64> = Ring::new(&unique_name("rb"), 8, socket(), RingOptions::new()).unwrap();
    let (tx, rx) = ring.split();
    let mut items: Vec<u64> = (0..10).collect();
    let full = tx.enqueue_bulk(&mut items).unwrap_err();
    assert_eq!(full.free, 7);
    assert_eq!(items.len(), 10, "nothing taken");
    assert_eq!(tx.enqueue_burst(&mut items), 7);
    assert_eq!(items, [7, 8, 9], "the rest stays, in order");
    let mut buf = [MaybeUninit::uninit(); 4];
    assert_eq!(*rx.dequeue_bulk(&mut buf).unwrap(), [0, 1, 2, 3]);
    let mut big = [MaybeUninit::uninit(); 8];
    assert!(rx.dequeue_bulk(&mut big).is_none(), "only 3 left: none taken");
    assert_eq!(*rx.dequeue_burst(&mut big), [4, 5, 6]);
    tx.enqueue_bulk(&mut items).unwrap();
    assert!(items.is_empty());
    let mut out = vec![1000];
    assert_eq!(rx.dequeue_burst_into(&mut out, 16), 3);
    assert_eq!(out, [1000, 7, 8, 9]);
    assert!(rx.is_empty());
}

#[test]
fn exact_size_rings_hold_exactly_their_count() {
    eal();
    let opts = RingOptions::new().exact_size(true);
    let ring: Ring<u64> = Ring::new(&unique_name("rx"), 1000, socket(), opts).unwrap();
    assert_eq!(ring.capacity(), 1000);
    let (tx, _rx) = ring.split();
    let mut items: Vec<u64> = (0..1000).collect();
    tx.enqueue_bulk(&mut items).unwrap();
    assert!(tx.is_full());
}

#[test]
fn elem_rings_carry_16_byte_descriptors_in_order() {
    eal();
    #[derive(Clone, Copy, Debug, PartialEq)]
    #[repr(C)]
    struct Desc {
        addr: u64,
        len: u32,
        flags: u32,
    }
    let ring: ElemRing<Desc> =
        ElemRing::new(&unique_name("re"), 64, socket(), RingOptions::new()).unwrap();
    let (tx, rx) = ring.split();
    let descs: Vec<Desc> =
        (0..100).map(|i| Desc { addr: i, len: i as u32 * 2, flags: 7 }).collect();
    let mut got = Vec::new();
    let mut sent = 0;
    while got.len() < descs.len() {
        sent += tx.enqueue_burst(&descs[sent..]);
        let mut buf = [MaybeUninit::uninit(); 16];
        got.extend_from_slice(rx.dequeue_burst(&mut buf));
    }
    assert_eq!(got, descs, "wrap-around keeps order and bytes");
    tx.enqueue(descs[5]).unwrap();
    assert_eq!(rx.dequeue(), Some(descs[5]));
    let mut none = [MaybeUninit::<Desc>::uninit(); 1];
    assert!(rx.dequeue_bulk(&mut none).is_none());
}

#[test]
fn elem_rings_carry_elements_with_padding() {
    // 8- and 16-byte elements take the word-copy paths; their padding bytes are copied
    // as uninitialised words (MaybeUninit), never read as integers.
    eal();
    #[derive(Clone, Copy, Debug, PartialEq)]
    #[repr(C)]
    struct Small {
        tag: u8,
        value: u32,
    }
    #[derive(Clone, Copy, Debug, PartialEq)]
    #[repr(C)]
    struct Large {
        addr: u64,
        flag: u8,
    }
    assert_eq!((std::mem::size_of::<Small>(), std::mem::size_of::<Large>()), (8, 16));
    fn round_trip<E: Copy + PartialEq + std::fmt::Debug>(make: impl Fn(u32) -> E) {
        let ring: ElemRing<E> =
            ElemRing::new(&unique_name("rp"), 64, socket(), RingOptions::new()).unwrap();
        let (tx, rx) = ring.split();
        let sent: Vec<E> = (0..40).map(&make).collect();
        assert_eq!(tx.enqueue_burst(&sent), 40);
        let mut buf = [MaybeUninit::uninit(); 40];
        assert_eq!(rx.dequeue_burst(&mut buf), &sent[..]);
    }
    round_trip(|i| Small { tag: i as u8, value: i * 3 });
    round_trip(|i| Large { addr: u64::from(i) << 33, flag: i as u8 });
}

/// Numbered boxed items through a ring of modes `P`/`C`: producers on the worker lcore
/// (and, for shared modes, a second thread), consumers on this thread (and a second one
/// for shared modes). Every item must come out exactly once.
fn stress<P: SyncMode, C: SyncMode>(opts: RingOptions<P, C>, shared_p: bool, shared_c: bool)
where
    dpdk::ring::Producer<Box<u64>, P>: Sync,
    dpdk::ring::Consumer<Box<u64>, C>: Sync,
{
    let eal = eal();
    const PER_PRODUCER: u64 = 100_000;
    let ring: Ring<Box<u64>, P, C> = Ring::new(&unique_name("rs"), 1024, socket(), opts).unwrap();
    let (tx, rx) = ring.split();
    let producers = if shared_p { 2 } else { 1 };
    let total = PER_PRODUCER * producers;
    let (count, sum) = (AtomicU64::new(0), AtomicU64::new(0));
    let produce = |tx: &dpdk::ring::Producer<Box<u64>, P>, first: u64| {
        let mut batch = Vec::with_capacity(32);
        let mut next = first;
        while next < first + PER_PRODUCER {
            while batch.len() < 32 && next < first + PER_PRODUCER {
                batch.push(Box::new(next));
                next += 1;
            }
            tx.enqueue_burst(&mut batch);
        }
        while !batch.is_empty() {
            tx.enqueue_burst(&mut batch);
        }
    };
    let consume = |rx: &dpdk::ring::Consumer<Box<u64>, C>| {
        let mut buf = [const { MaybeUninit::<Box<u64>>::uninit() }; 32];
        while count.load(Ordering::Relaxed) < total {
            for b in rx.dequeue_burst(&mut buf) {
                sum.fetch_add(*b, Ordering::Relaxed);
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
    };
    eal.scope(|s| {
        let job = s.launch(eal.workers()[0], || produce(&tx, 0)).unwrap();
        std::thread::scope(|t| {
            if shared_p {
                t.spawn(|| produce(&tx, PER_PRODUCER));
            }
            if shared_c {
                // Both consumers share `rx` only in shared modes (checked by types).
                t.spawn(|| consume(&rx));
            }
            consume(&rx);
        });
        job.join().unwrap();
    });
    assert_eq!(count.load(Ordering::Relaxed), total, "every item once");
    assert_eq!(sum.load(Ordering::Relaxed), total * (total - 1) / 2, "checksum");
    assert!(rx.is_empty(), "nothing left");
}

#[test]
fn stress_multi_producer_multi_consumer() {
    let _turn = worker_turn();
    stress(RingOptions::new(), true, true);
}

#[test]
fn stress_rts() {
    let _turn = worker_turn();
    stress(RingOptions::new().producer::<Rts>().consumer::<Rts>(), true, true);
}

#[test]
fn stress_hts() {
    let _turn = worker_turn();
    stress(RingOptions::new().producer::<Hts>().consumer::<Hts>(), true, true);
}

#[test]
fn stress_single_producer_single_consumer_halves() {
    let _turn = worker_turn();
    let eal = eal();
    let opts = RingOptions::new().single_producer().single_consumer();
    let ring: Ring<Box<u64>, Single, Single> =
        Ring::new(&unique_name("rsp"), 512, socket(), opts).unwrap();
    let (tx, rx) = ring.split();
    const N: u64 = 300_000;
    // The producer half moves to the worker lcore; the consumer half stays here.
    let job = eal
        .launch(eal.workers()[0], move || {
            for i in 0..N {
                let mut item = Box::new(i);
                while let Err(back) = tx.enqueue(item) {
                    item = back;
                }
            }
        })
        .unwrap();
    let (mut count, mut sum, mut expect) = (0u64, 0u64, 0u64);
    while count < N {
        if let Some(b) = rx.dequeue() {
            assert_eq!(*b, expect, "SP/SC keeps order");
            expect += 1;
            sum += *b;
            count += 1;
        }
    }
    job.join().unwrap();
    assert_eq!(sum, N * (N - 1) / 2);
    assert!(rx.dequeue().is_none());
}

#[test]
fn rings_made_through_the_c_api_interoperate() {
    let _turn = worker_turn();
    let eal = eal();
    let name = unique_name("rc");
    let cname = std::ffi::CString::new(name.clone()).unwrap();
    // SAFETY: DPDK's C API: a legacy ring of 8-byte pointers, MP/MC.
    let r = unsafe { dpdk::ffi::rte_ring_create(cname.as_ptr(), 1024, SocketId::ANY.as_raw(), 0) };
    assert!(!r.is_null());
    let found = RingRef::lookup(&name).unwrap();
    assert_eq!(found.as_ptr(), r);
    assert_eq!(found.capacity(), 1023);
    // SAFETY: the ring holds u64 values as pointers, is MP/MC, and outlives the ends.
    let (tx, rx) = unsafe { found.typed::<u64, Multi, Multi>() };
    // Rust on the worker lcore enqueues; C dequeues here.
    eal.launch(eal.workers()[0], move || {
        for i in 1..=1000u64 {
            tx.enqueue(i).unwrap();
        }
    })
    .unwrap()
    .join()
    .unwrap();
    let mut sum = 0;
    for _ in 0..1000 {
        let mut obj = std::ptr::null_mut();
        // SAFETY: C dequeue of one pointer-sized value.
        assert_eq!(unsafe { dpdk::ffi::rte_ring_dequeue(r, &mut obj) }, 0);
        sum += obj as u64;
    }
    assert_eq!(sum, 500_500);
    // C enqueues; Rust dequeues.
    for i in 1..=10u64 {
        // SAFETY: C enqueue of one pointer-sized value.
        assert_eq!(unsafe { dpdk::ffi::rte_ring_enqueue(r, i.into_raw()) }, 0);
    }
    let got: Vec<u64> = std::iter::from_fn(|| rx.dequeue()).collect();
    assert_eq!(got, (1..=10).collect::<Vec<_>>());
    drop(rx);
    drop(found); // neither frees the ring: it is C's
    let again = RingRef::lookup(&name).unwrap();
    // SAFETY: C's ring is alive.
    assert_eq!(unsafe { again.len_now() }, 0);
    // SAFETY: nothing uses the ring any more.
    unsafe { dpdk::ffi::rte_ring_free(r) };
    assert!(matches!(RingRef::lookup(&name), Err(Error::NotFound { .. })));
    // The handle outlived the ring: what it tells is the copy made at the lookup (before,
    // `capacity()` and `Debug` read the freed ring).
    let debug = format!("{again:?}");
    assert!(debug.contains(&name) && debug.contains("1023"), "{debug}");
    assert_eq!((again.name(), again.capacity()), (name.as_str(), 1023));
}

#[test]
fn a_lookup_handle_outlives_the_owned_ring_it_found() {
    eal();
    let name = unique_name("ro");
    let ring: Ring<Box<u64>> = Ring::new(&name, 64, socket(), RingOptions::new()).unwrap();
    let (tx, rx) = ring.split();
    tx.enqueue(Box::new(7)).unwrap();
    let found = RingRef::lookup(&name).unwrap();
    // SAFETY: the ring is alive (its ends are held).
    assert_eq!(unsafe { found.len_now() }, 1);
    drop((tx, rx)); // the owner frees the ring (and drops the item)
    let debug = format!("{found:?}");
    assert!(debug.contains(&name) && debug.contains("63"), "{debug}");
    assert_eq!(found.capacity(), 63);
}

#[test]
fn bad_requests_are_clear_errors() {
    eal();
    let s = socket();
    let o = RingOptions::new();
    let e = Ring::<u64>::new(&unique_name("z"), 0, s, o).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
    let e = Ring::<u64>::new(&unique_name("p"), 1000, s, o).unwrap_err();
    assert!(e.to_string().contains("not a power of two"), "{e}");
    let e = Ring::<u64>::new(&unique_name("m"), 1 << 31, s, o).unwrap_err();
    assert!(e.to_string().contains("above DPDK's maximum"), "{e}");
    let long = "r".repeat(dpdk::ring::NAME_MAX + 1);
    let e = Ring::<u64>::new(&long, 64, s, o).unwrap_err();
    assert!(matches!(e, Error::NameTooLong { .. }), "{e:?}");
    let name = unique_name("d");
    let _first = Ring::<u64>::new(&name, 64, s, o).unwrap();
    let e = Ring::<u64>::new(&name, 64, s, o).unwrap_err();
    assert!(matches!(e, Error::AlreadyExists { .. }), "{e:?}");
    #[derive(Clone, Copy)]
    struct Six(#[allow(dead_code)] [u8; 6]);
    let e = ElemRing::<Six>::new(&unique_name("e"), 64, s, o).unwrap_err();
    assert!(e.to_string().contains("not a multiple of 4"), "{e}");
}

#[test]
fn send_sync_and_clone_follow_the_modes() {
    fn is_send<T: Send>() {}
    fn is_sync<T: Sync>() {}
    fn is_clone<T: Clone>() {}
    is_send::<dpdk::ring::Producer<Box<u8>, Single>>();
    is_send::<dpdk::ring::Consumer<Box<u8>, Single>>();
    is_sync::<dpdk::ring::Producer<Box<u8>, Multi>>();
    is_clone::<dpdk::ring::Consumer<Box<u8>, Hts>>();
    is_sync::<dpdk::ring::Consumer<u64, Rts>>();
}

/// `len` zeroed `T`s of address space that no page backs until touched (mmap with
/// MAP_NORESERVE), to hand a ring more than `u32::MAX` items without the memory; unmapped
/// when dropped.
struct Sparse<T> {
    ptr: *mut T,
    len: usize,
}

impl<T> Sparse<T> {
    fn new(len: usize) -> Self {
        extern "C" {
            fn mmap(a: *mut u8, l: usize, p: i32, f: i32, fd: i32, o: i64) -> *mut u8;
        }
        const PROT_READ_WRITE: i32 = 0x1 | 0x2;
        const MAP_PRIVATE_ANONYMOUS_NORESERVE: i32 = 0x02 | 0x20 | 0x4000;
        let bytes = len * std::mem::size_of::<T>();
        // SAFETY: a fresh private anonymous mapping, zero-filled on first touch.
        let p = unsafe {
            mmap(
                std::ptr::null_mut(),
                bytes,
                PROT_READ_WRITE,
                MAP_PRIVATE_ANONYMOUS_NORESERVE,
                -1,
                0,
            )
        };
        assert_ne!(p as isize, -1, "mmap of {bytes} bytes without reserve");
        Sparse { ptr: p.cast(), len }
    }

    fn slice(&mut self) -> &mut [T] {
        // SAFETY: `len` zero-filled T (every T used here is valid as zero bytes).
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl<T> Drop for Sparse<T> {
    fn drop(&mut self) {
        extern "C" {
            fn munmap(a: *mut u8, l: usize) -> i32;
        }
        // SAFETY: the mapping made in `new`.
        unsafe { munmap(self.ptr.cast(), self.len * std::mem::size_of::<T>()) };
    }
}

#[test]
fn counts_above_u32_max_are_refused_or_capped_never_cut() {
    // A count of 2^32 + 3 used to be cut to its low 32 bits: a bulk of 3 "succeeded" for
    // more than four billion items. Bulks now fail whole (the ring can never hold them),
    // bursts move what fits, and nothing is touched past what moved.
    eal();
    const HUGE: usize = (1 << 32) + 3;
    let ring: Ring<u64> = Ring::new(&unique_name("rh"), 16, socket(), RingOptions::new()).unwrap();
    let (tx, rx) = ring.split();
    let mut items = Sparse::<u64>::new(HUGE);
    assert_eq!(tx.enqueue_bulk_copied(items.slice()), Err(dpdk::ring::RingFull { free: 15 }));
    assert!(rx.is_empty(), "a refused bulk moves nothing");
    assert_eq!(tx.enqueue_burst_copied(items.slice()), 15, "a burst fills the ring");
    let mut buf = Sparse::<MaybeUninit<u64>>::new(HUGE);
    assert!(rx.dequeue_bulk(buf.slice()).is_none());
    assert_eq!(rx.len(), 15, "a refused bulk takes nothing");
    assert_eq!(rx.dequeue_burst(buf.slice()).len(), 15);
    let mut out = Vec::new();
    assert!(!rx.dequeue_bulk_into(&mut out, HUGE), "no 32 GiB reservation either");
    assert_eq!(rx.dequeue_burst_into(&mut out, usize::MAX), 0);
    assert!(out.capacity() <= 16, "grows by at most the ring's capacity");

    let elems: ElemRing<[u32; 2]> =
        ElemRing::new(&unique_name("rh"), 16, socket(), RingOptions::new()).unwrap();
    let (etx, erx) = elems.split();
    let mut values = Sparse::<[u32; 2]>::new(HUGE);
    assert_eq!(etx.enqueue_bulk(values.slice()), Err(dpdk::ring::RingFull { free: 15 }));
    assert_eq!(etx.enqueue_burst(values.slice()), 15);
    let mut ebuf = Sparse::<MaybeUninit<[u32; 2]>>::new(HUGE);
    assert!(erx.dequeue_bulk(ebuf.slice()).is_none());
    assert_eq!(erx.dequeue_burst(ebuf.slice()).len(), 15);
}
