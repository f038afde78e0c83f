//! Typed mempools against the real DPDK: objects, batches, caches, errors, and a
//! two-thread stress run that proves no object is ever held twice.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dpdk::mempool::{self, BufPool, Local, Mempool, MempoolOptions, PoolEmpty};
use dpdk::{Error, LcoreId, SocketId};
use dpdk_tests::{eal, unique_name, worker_turn};

fn socket() -> SocketId {
    eal().sockets()[0]
}

#[derive(Default, Debug)]
struct Flow {
    packets: u64,
    tag: u32,
}

#[test]
fn objects_come_out_initialised_and_keep_their_last_state() {
    eal();
    let pool: Mempool<Flow> =
        Mempool::new_with(&unique_name("mp"), 7, socket(), MempoolOptions::new(), |i| Flow {
            packets: 0,
            tag: i,
        })
        .unwrap();
    assert_eq!((pool.capacity(), pool.available(), pool.in_use()), (7, 7, 0));
    let mut a = pool.get().unwrap();
    assert!(a.tag < 7);
    a.packets = 99;
    let tag = a.tag;
    assert_eq!(pool.in_use(), 1);
    drop(a);
    assert_eq!(pool.in_use(), 0);
    // No cache: the ring hands objects back in FIFO order, so find ours again.
    let mut seen = Vec::new();
    let mut batch = pool.batch::<7>();
    batch.get_bulk(7).unwrap();
    for flow in batch.iter() {
        seen.push((flow.tag, flow.packets));
    }
    assert!(seen.contains(&(tag, 99)), "{seen:?}");
    drop(batch);
    let info = pool.info();
    assert_eq!(info.capacity, 7);
    assert!(info.element_size as usize >= std::mem::size_of::<Flow>());
    assert_eq!(pool.socket(), Some(socket()));
}

#[test]
fn every_index_is_initialised_once_and_iteration_needs_every_object_back() {
    eal();
    let mut pool: Mempool<u64> =
        Mempool::new_with(&unique_name("mi"), 100, socket(), MempoolOptions::new(), |i| {
            i as u64 * 10
        })
        .unwrap();
    let mut seen = [false; 100];
    pool.for_each_mut(|idx, v| {
        assert_eq!(*v, idx as u64 * 10);
        seen[idx as usize] = true;
    })
    .unwrap();
    assert!(seen.iter().all(|&s| s));
    let out = pool.get().unwrap().into_raw();
    let err = pool.for_each_mut(|_, _| {}).unwrap_err();
    assert!(matches!(err, Error::Busy { .. }), "{err:?}");
    // SAFETY: `out` came from into_raw on this pool just above.
    drop(unsafe { pool.from_raw(out) });
    pool.for_each_mut(|_, v| *v += 1).unwrap();
}

static DROPS: AtomicUsize = AtomicUsize::new(0);

struct Tracked(#[allow(dead_code)] u32);

impl Drop for Tracked {
    fn drop(&mut self) {
        DROPS.fetch_add(1, Ordering::Relaxed);
    }
}

/// Tests that count drops take turns.
fn drop_turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn objects_are_dropped_with_the_pool_and_a_panicking_init_loses_nothing() {
    eal();
    let _turn = drop_turn();
    DROPS.store(0, Ordering::Relaxed);
    let pool: Mempool<Tracked> =
        Mempool::new_with(&unique_name("md"), 50, socket(), MempoolOptions::new(), Tracked)
            .unwrap();
    drop(pool.get());
    assert_eq!(DROPS.load(Ordering::Relaxed), 0, "going back to the pool drops nothing");
    drop(pool);
    assert_eq!(DROPS.load(Ordering::Relaxed), 50);

    let name = unique_name("mp");
    DROPS.store(0, Ordering::Relaxed);
    let outcome = std::panic::catch_unwind(|| {
        Mempool::<Tracked>::new_with(&name, 50, socket(), MempoolOptions::new(), |i| {
            assert!(i != 30, "init fails at 30");
            Tracked(i)
        })
    });
    assert!(outcome.is_err(), "the panic resumes");
    assert_eq!(DROPS.load(Ordering::Relaxed), 30, "the 30 objects made before it are dropped");
    assert!(matches!(mempool::lookup(&name), Err(Error::NotFound { .. })), "the pool is freed");
    // The name is free again.
    drop(Mempool::<u8>::new(&name, 10, socket(), MempoolOptions::new()).unwrap());
}

#[test]
fn a_bulk_of_none_succeeds_on_every_thread() {
    // Without an lcore id there is no cache, and DPDK's ring driver fails a bulk of zero:
    // taking none of something is no failure.
    eal();
    let pool: Mempool<u32> =
        Mempool::new(&unique_name("m0"), 63, socket(), MempoolOptions::new().cache_size(8))
            .unwrap();
    let packets =
        dpdk::PktMbufPool::new(&unique_name("p0"), 63, 8, dpdk::mbuf::DEFAULT_DATA_ROOM, socket())
            .unwrap();
    let check = || {
        let mut batch = pool.batch::<4>();
        assert_eq!(batch.get_bulk(0), Ok(()));
        assert_eq!(batch.len(), 0);
        let mut burst = dpdk::Burst::<4>::new();
        assert_eq!(packets.alloc_bulk(&mut burst, 0), Ok(()));
        assert!(burst.is_empty());
    };
    check();
    std::thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(LcoreId::current(), None, "a plain thread has no lcore id");
            check();
        });
    });
    assert_eq!((pool.in_use(), packets.in_use()), (0, 0));
}

#[test]
fn bulk_gets_are_all_or_nothing_and_an_empty_pool_says_so() {
    eal();
    let pool: Mempool<u32> =
        Mempool::new(&unique_name("mb"), 63, socket(), MempoolOptions::new()).unwrap();
    let mut batch = pool.batch::<64>();
    batch.get_bulk(50).unwrap();
    assert_eq!(pool.available(), 13);
    assert_eq!(batch.get_bulk(14), Err(PoolEmpty { requested: 14 }));
    assert_eq!((batch.len(), pool.available()), (50, 13), "nothing taken");
    let mut rest = pool.batch::<13>();
    rest.get_bulk(13).unwrap();
    assert!(pool.get().is_none(), "empty: None, no panic, no hang");
    let one = batch.pop().unwrap();
    assert_eq!(batch.len(), 49);
    rest.put_bulk(3);
    assert_eq!(pool.available(), 3);
    batch.push(one).unwrap();
    batch.iter_mut().for_each(|v| *v = 5);
    assert_eq!(batch[0], 5);
    batch.put_all();
    drop(rest);
    assert_eq!((pool.available(), pool.in_use()), (63, 0));
}

#[test]
fn objects_travel_as_raw_pointers_to_another_lcore_and_back() {
    let eal = eal();
    let _turn = worker_turn();
    let pool: Mempool<u64> =
        Mempool::new(&unique_name("mr"), 255, socket(), MempoolOptions::new().cache_size(16))
            .unwrap();
    let mut obj = pool.get().unwrap();
    *obj = 41;
    let raw = obj.into_raw();
    let addr = raw.as_ptr() as usize;
    let seen = eal.scope(|s| {
        let pool = &pool;
        s.launch(eal.workers()[0], move || {
            let ptr = std::ptr::NonNull::new(addr as *mut u64).unwrap();
            // SAFETY: the pointer came from into_raw on this pool and is taken back once.
            let mut obj = unsafe { pool.from_raw(ptr) };
            *obj += 1;
            let value = *obj;
            drop(obj); // into the worker lcore's cache
            (value, pool.in_use())
        })
        .unwrap()
        .join()
        .unwrap()
    });
    assert_eq!(seen, (42, 0));
    assert_eq!(pool.available(), 255, "objects in lcore caches count as available");
}

/// The length of lcore `lcore`'s default cache of `pool`.
fn cache_len<T>(pool: &Mempool<T>, lcore: u32) -> u32 {
    // SAFETY: reads one u32 of a live pool's cache array (a racy read DPDK itself does).
    unsafe { (*(*pool.as_ptr()).local_cache.add(lcore as usize)).len }
}

#[test]
fn registered_threads_use_their_lcore_cache_and_other_threads_a_cache_of_their_own() {
    let eal = eal();
    let pool: Mempool<u64> =
        Mempool::new(&unique_name("mc"), 1023, socket(), MempoolOptions::new().cache_size(64))
            .unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            let reg = eal.register_thread().unwrap();
            let lcore = reg.lcore().id();
            assert_eq!(cache_len(&pool, lcore), 0);
            drop(pool.get().unwrap()); // the get fills the cache, the put lands in it
            assert!(cache_len(&pool, lcore) > 0, "a registered thread has a cache");
            assert_eq!(pool.in_use(), 0);
        });
    });
    // One thread after the other: each counts what is out of the pool, and the other
    // one's objects would be in its count.
    std::thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(LcoreId::current(), None);
            let mut cache = pool.cache(32, socket()).unwrap();
            let obj = cache.get().unwrap();
            assert!(!cache.is_empty(), "the user cache was filled");
            cache.put(obj);
            let held = cache.len();
            assert!(held > 0);
            assert_eq!(pool.in_use(), held, "objects in a user cache are out of the pool");
            drop(cache); // flushed back
            assert_eq!(pool.in_use(), 0);
        });
    });
    assert_eq!(pool.available(), 1023);
}

/// A batch looks its lcore cache up once; a registered thread that unregisters meanwhile
/// keeps its lcore id (so no other thread can take that cache) until the batch is gone.
#[test]
fn a_batch_keeps_its_threads_lcore_until_it_is_dropped() {
    let eal = eal();
    let pool: Mempool<u64> =
        Mempool::new(&unique_name("mpin"), 255, socket(), MempoolOptions::new().cache_size(16))
            .unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            let reg = eal.register_thread().unwrap();
            let lcore = reg.lcore();
            let mut batch = pool.batch::<8>();
            batch.get_bulk(8).unwrap();
            drop(reg);
            assert_eq!(LcoreId::current(), Some(lcore), "pinned by the batch");
            batch.put_all();
            assert!(cache_len(&pool, lcore.id()) >= 8, "the batch used its lcore cache");
            drop(batch);
            assert_eq!(LcoreId::current(), None, "unregistered with the last pin");
        });
    });
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn byte_buffer_pools_have_a_run_time_size() {
    eal();
    let pool =
        BufPool::new(&unique_name("bp"), 127, 1500, socket(), MempoolOptions::new().cache_size(8))
            .unwrap();
    let mut a = pool.get().unwrap();
    assert_eq!(a.len(), 1500);
    assert!(a.iter().all(|&b| b == 0), "zeroed at creation");
    a[1499] = 7;
    drop(a);
    assert_eq!(pool.buffer_size(), 1500);
    assert_eq!(pool.counts().in_use, 0);
    let err = BufPool::new(&unique_name("bz"), 10, 0, socket(), MempoolOptions::new()).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
}

#[test]
fn lookup_finds_a_pool_without_owning_it() {
    eal();
    let name = unique_name("ml");
    let pool: Mempool<u16> = Mempool::new(&name, 31, socket(), MempoolOptions::new()).unwrap();
    let held = pool.get().unwrap();
    let found = mempool::lookup(&name).unwrap();
    assert_eq!(found.as_ptr(), pool.as_ptr());
    assert_eq!(found.info(), &pool.info());
    drop(held);
    // SAFETY: the pool is alive (owned above).
    assert_eq!(unsafe { found.info_now() }.in_use, 0, "a live read sees the change");
    assert_eq!(found.info().in_use, 1, "the copy is what the lookup saw");
    let second = mempool::lookup(&name).unwrap();
    drop(second); // frees nothing
    assert_eq!(pool.available(), 31);
    // The owner frees the pool while a lookup handle lives: the handle reads nothing of
    // it any more (before, `info()` and `Debug` read the freed pool).
    drop(pool);
    assert!(matches!(mempool::lookup(&name), Err(Error::NotFound { .. })));
    // Reuse the freed memory so that a read of it would see other bytes.
    let other: Mempool<[u64; 8]> =
        Mempool::new(&unique_name("mo"), 31, socket(), MempoolOptions::new()).unwrap();
    let debug = format!("{found:?}");
    assert!(debug.contains(&name) && debug.contains("capacity: 31"), "{debug}");
    assert_eq!((found.info().name.as_str(), found.info().capacity), (name.as_str(), 31));
    drop((found, other));
}

#[test]
fn bad_requests_are_clear_errors() {
    eal();
    let s = socket();
    let opts = MempoolOptions::new();
    let e = Mempool::<u64>::new(&unique_name("z"), 0, s, opts).unwrap_err();
    assert!(e.to_string().contains("at least one object"), "{e}");
    let e = Mempool::<u64>::new(&unique_name("c"), 4095, s, opts.cache_size(513)).unwrap_err();
    assert!(e.to_string().contains("cache size 513 exceeds"), "{e}");
    let e = Mempool::<u64>::new(&unique_name("c"), 100, s, opts.cache_size(70)).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
    let long = "p".repeat(mempool::NAME_MAX + 1);
    let e = Mempool::<u64>::new(&long, 10, s, opts).unwrap_err();
    assert!(matches!(e, Error::NameTooLong { .. }), "{e:?}");
    let name = unique_name("dup");
    let first = Mempool::<u64>::new(&name, 10, s, opts).unwrap();
    let e = Mempool::<u64>::new(&name, 10, s, opts).unwrap_err();
    assert!(matches!(e, Error::AlreadyExists { .. }), "{e:?}");
    assert!(e.to_string().contains(&name));
    #[repr(align(128))]
    struct Wide(#[allow(dead_code)] u8);
    let e = Mempool::<Wide>::new_with(&unique_name("w"), 10, s, opts, |_| Wide(0)).unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    // An element DPDK cannot place: 4 GiB - 1 bytes each.
    let e = BufPool::new(&unique_name("huge"), 2, u32::MAX as usize, s, opts).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
    assert!(e.to_string().contains("rte_mempool_create"), "{e}");
    let e = first.cache(0, s).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
    // Nothing was lost: the first pool is intact.
    assert_eq!(first.available(), 10);
}

#[test]
fn local_pools_work_on_one_thread() {
    eal();
    let opts = MempoolOptions::new().cache_size(8).single_producer_put().single_consumer_get();
    let pool: Mempool<u64, Local> = Mempool::new(&unique_name("lo"), 63, socket(), opts).unwrap();
    let flags = pool.info().flags;
    assert_ne!(flags & dpdk::ffi::RTE_MEMPOOL_F_SP_PUT, 0);
    let mut b = pool.batch::<16>();
    b.get_bulk(16).unwrap();
    drop(b);
    assert_eq!(pool.in_use(), 0);
    // It may move to another thread as a whole.
    std::thread::spawn(move || drop(pool.get())).join().unwrap();
}

#[test]
fn send_and_sync() {
    fn is_send<T: Send>() {}
    fn is_sync<T: Sync>() {}
    is_send::<Mempool<u64>>();
    is_sync::<Mempool<u64>>();
    is_send::<Mempool<u64, Local>>();
    is_send::<dpdk::Pooled<'static, u64>>();
}

/// What a stress object records: who holds it (0 when in the pool).
#[derive(Default)]
struct Marked {
    holder: AtomicU64,
    uses: AtomicU64,
}

/// Gets and puts random batch sizes until `deadline` and at least 2000 objects moved (on
/// a loaded machine a thread may get little CPU time; at most 60 s in all), checking
/// every object's marker.
fn churn(pool: &Mempool<Marked>, me: u64, deadline: Instant) -> u64 {
    let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ me;
    let mut batch = pool.batch::<64>();
    let mut moved = 0;
    let cap = deadline + Duration::from_secs(58);
    while Instant::now() < deadline || (moved < 2000 && Instant::now() < cap) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let n = (rng % 64 + 1) as usize;
        if batch.get_bulk(n).is_err() {
            continue; // the other thread holds the rest for now
        }
        for obj in batch.iter() {
            let prev = obj.holder.swap(me, Ordering::AcqRel);
            assert_eq!(prev, 0, "object held by {prev} handed to {me}");
            obj.uses.fetch_add(1, Ordering::Relaxed);
        }
        for obj in batch.iter() {
            assert_eq!(obj.holder.swap(0, Ordering::AcqRel), me);
        }
        let single = pool.get();
        if let Some(obj) = &single {
            assert_eq!(obj.holder.swap(me, Ordering::AcqRel), 0);
            obj.holder.store(0, Ordering::Release);
        }
        drop(single);
        batch.put_bulk(n);
        moved += n as u64;
    }
    moved
}

#[test]
fn stress_two_threads_with_caches_never_share_an_object() {
    let eal = eal();
    let _turn = worker_turn();
    let mut pool: Mempool<Marked> =
        Mempool::new(&unique_name("ms"), 511, socket(), MempoolOptions::new().cache_size(64))
            .unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    let (worker_moves, my_moves) = eal.scope(|s| {
        let pool = &pool;
        let job = s.launch(eal.workers()[0], move || churn(pool, 1, deadline)).unwrap();
        let reg = eal.register_thread().unwrap(); // this thread gets an lcore cache too
        let mine = churn(pool, 2, deadline);
        drop(reg);
        (job.join().unwrap(), mine)
    });
    assert!(worker_moves > 1000 && my_moves > 1000, "both ran: {worker_moves} / {my_moves}");
    pool.audit();
    assert_eq!((pool.in_use(), pool.available()), (0, 511));
    let mut uses = 0;
    pool.for_each_mut(|_, obj| {
        assert_eq!(*obj.holder.get_mut(), 0);
        uses += *obj.uses.get_mut();
    })
    .unwrap();
    assert_eq!(uses, worker_moves + my_moves, "every object moved is accounted for");
}
