//! A secondary process on node 1's lcores, on two NUMA nodes: the primary (lcores 0-1,
//! node 0) makes objects on socket 1 and on socket 0; the secondary (lcores 2-3, node 1)
//! attaches, finds each by name, and reports its real socket, checked as the primary's
//! placement tests check it (DPDK's memseg, and the kernel's node for every page as the
//! secondary itself maps it). What the secondary allocates for its own socket lands on
//! socket 1, and the primary sees it there.
//!
//! Ignored on a one-node machine; `cargo xtask test --numa` runs it in the two-node guest.
//! The `child_*` tests run only as processes of that test.

use std::ffi::c_void;
use std::sync::atomic::Ordering;

use dpdk::mempool::{self, Mempool, MempoolOptions};
use dpdk::ring::{Ring, RingOptions, RingRef};
use dpdk::{
    EalBuilder, LcoreId, Memory, Memzone, MemzoneOptions, ProcessType, SocketBox, SocketId,
};
use dpdk_tests::{
    assert_child_passed, assert_kernel_places, remove_runtime_files, require_child, run_child,
};

const PREFIX_ENV: &str = "DPDK_RS_NUMA_MP_PREFIX";

/// Word indexes of the control zone (64-bit words).
const STATE: usize = 0; // 1: primary ready, 2: secondary done
const BOX_PTR: usize = 1; // the primary's SocketBox<[u64]> on socket 1
const BOX_LEN: usize = 2;
const REPLY_PTR: usize = 3; // the secondary's SocketBox<[u64]> on its own socket
const REPLY_LEN: usize = 4;

/// Items the primary leaves in its ring for the secondary to count.
const RING_ITEMS: u32 = 100;
/// Objects of the primary's pool.
const POOL_OBJECTS: u32 = 1023;

fn name(prefix: &str, what: &str) -> String {
    format!("{prefix}_{what}")
}

fn builder(prefix: &str, kind: ProcessType, lcores: [u32; 2]) -> EalBuilder {
    EalBuilder::new()
        .program("dpdk-numa-mp")
        .lcores(lcores)
        .main_lcore(lcores[0])
        .file_prefix(prefix)
        .process_type(kind)
        .no_pci(true)
        .memory(Memory::Hugepages)
}

#[test]
#[ignore = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)"]
fn a_secondary_on_node_1_finds_the_primarys_objects_on_their_sockets() {
    let prefix = format!("rsnmp{}", std::process::id());
    let output = run_child("child_numa_primary", &[(PREFIX_ENV, &prefix)]);
    remove_runtime_files(&prefix);
    assert_child_passed(&output);
}

#[test]
#[ignore = "runs in a child process of a_secondary_on_node_1_finds_the_primarys_objects_on_their_sockets"]
fn child_numa_primary() {
    require_child();
    let prefix = std::env::var(PREFIX_ENV).expect("the parent names the file prefix");
    let eal = builder(&prefix, ProcessType::Primary, [0, 1]).build().expect("primary EAL");
    assert!(eal.sockets().len() >= 2, "two NUMA nodes: DPDK sees {:?}", eal.sockets());
    let (s0, s1) = (SocketId::new(0).unwrap(), SocketId::new(1).unwrap());
    assert_eq!(SocketId::current(), s0, "the primary's main lcore 0 is on node 0");

    let mut control = Memzone::reserve(&name(&prefix, "ctl"), 4096, s0, MemzoneOptions::new())
        .expect("control zone");
    let zones: Vec<Memzone> = [(s0, "zone0"), (s1, "zone1")]
        .into_iter()
        .map(|(s, what)| Memzone::reserve(&name(&prefix, what), 4 << 20, s, MemzoneOptions::new()))
        .collect::<Result<_, _>>()
        .expect("zones on both sockets");
    let ring: Ring<u64> =
        Ring::new(&name(&prefix, "ring1"), 1024, s1, RingOptions::new()).expect("ring");
    let (producer, consumer) = ring.split();
    for i in 0..u64::from(RING_ITEMS) {
        producer.enqueue(i).expect("room in the ring");
    }
    let pool: Mempool<[u8; 2048]> =
        Mempool::new_with(&name(&prefix, "pool1"), POOL_OBJECTS, s1, MempoolOptions::new(), |_| {
            [0; 2048]
        })
        .expect("pool");
    let squares = SocketBox::from_fn(100_000, s1, |i| (i * i) as u64);
    let words = control.atomic_u64();
    words[BOX_LEN].store(squares.len() as u64, Ordering::Relaxed);
    words[BOX_PTR].store(squares.as_ptr().cast::<u64>() as u64, Ordering::Relaxed);
    words[STATE].store(1, Ordering::Release);

    assert_child_passed(&run_child("child_numa_secondary", &[(PREFIX_ENV, &prefix)]));

    assert_eq!(words[STATE].load(Ordering::Acquire), 2, "the secondary finished");
    let (p, len) =
        (words[REPLY_PTR].load(Ordering::Relaxed), words[REPLY_LEN].load(Ordering::Relaxed));
    let raw = std::ptr::slice_from_raw_parts_mut(p as *mut u64, len as usize);
    // SAFETY: the secondary gave up this SocketBox<[u64]> with into_raw, for us to take once.
    let reply = unsafe { SocketBox::from_raw(raw) };
    assert_eq!(reply.socket(), Some(s1), "the secondary's SocketBox, seen from the primary");
    assert_kernel_places("the secondary's SocketBox", reply.as_ptr().cast(), len as usize * 8, s1);
    assert!(reply.iter().enumerate().all(|(i, &v)| v == i as u64 * 3));
    drop(reply);
    assert_eq!(consumer.len(), RING_ITEMS, "the secondary only counted");
    drop((squares, pool, producer, consumer, zones, control));
    eal.close().expect("primary cleanup");
}

/// Every object of the pool `mp`, as `rte_mempool_obj_iter` walks them.
fn pool_objects(mp: *mut dpdk::ffi::rte_mempool) -> Vec<*const u8> {
    /// `rte_mempool_obj_iter`'s callback: records `obj` in the `Vec<*const u8>` at `opaque`.
    ///
    /// # Safety
    /// `opaque` points to a live `Vec<*const u8>` that nothing else uses during the call.
    unsafe extern "C" fn collect(
        _mp: *mut dpdk::ffi::rte_mempool,
        opaque: *mut c_void,
        obj: *mut c_void,
        _idx: u32,
    ) {
        // SAFETY: `opaque` is the Vec passed below, alive and not otherwise borrowed for
        // the whole walk; DPDK calls this on the walking thread only. No panic can unwind
        // from a push into C but an allocation failure, which aborts.
        unsafe { (*opaque.cast::<Vec<*const u8>>()).push(obj.cast()) };
    }
    let mut objects: Vec<*const u8> = Vec::new();
    // SAFETY: `mp` is a live pool (its primary waits for this process); the callback
    // only records the addresses.
    let walked =
        unsafe { dpdk::ffi::rte_mempool_obj_iter(mp, Some(collect), (&raw mut objects).cast()) };
    assert_eq!(walked as usize, objects.len());
    objects
}

#[test]
#[ignore = "runs in a child process of child_numa_primary"]
fn child_numa_secondary() {
    require_child();
    let prefix = std::env::var(PREFIX_ENV).expect("the primary names the file prefix");
    let eal = builder(&prefix, ProcessType::Secondary, [2, 3]).build().expect("secondary EAL");
    assert_eq!(eal.process_type(), ProcessType::Secondary);
    let (s0, s1) = (SocketId::new(0).unwrap(), SocketId::new(1).unwrap());
    assert_eq!(SocketId::current(), s1, "the secondary's main lcore 2 is on node 1");
    let worker = LcoreId::new(3).unwrap();
    let seen = eal.launch(worker, SocketId::current).unwrap().join().unwrap();
    assert_eq!(seen, s1, "a job on the secondary's lcore 3");

    let control = Memzone::lookup(&name(&prefix, "ctl")).expect("the control zone");
    // SAFETY: the primary keeps its zones, ring, pool and box until this process has
    // exited (it waits for us), and nothing here holds references into them after.
    let words = unsafe { control.atomic_u64() };
    assert_eq!(words[STATE].load(Ordering::Acquire), 1, "the primary is ready");

    let mut report = Vec::new();
    for (what, socket) in [("zone0", s0), ("zone1", s1)] {
        let zone = Memzone::lookup(&name(&prefix, what)).expect("the primary's zone");
        let info = zone.info();
        assert_eq!(info.socket, socket, "{what}: its descriptor's socket");
        assert_eq!(dpdk::malloc::socket_of(zone.as_ptr()), Some(socket), "{what}: memseg");
        assert_kernel_places(what, zone.as_ptr(), zone.len(), socket);
        report.push(format!("memzone {what}: {socket}, {} bytes", zone.len()));
    }

    let ring = RingRef::lookup(&name(&prefix, "ring1")).expect("the primary's ring");
    let raw = ring.as_ptr();
    // SAFETY: as for `words`: the ring is alive.
    let (size, count) = unsafe { ((*raw).size as usize, ring.len_now()) };
    assert_eq!(count, RING_ITEMS, "the primary's items, counted here");
    assert_eq!(dpdk::malloc::socket_of(raw.cast()), Some(s1), "ring: memseg");
    let len = std::mem::size_of::<dpdk::ffi::rte_ring>() + size * 8;
    assert_kernel_places("the ring, header and slots", raw.cast(), len, s1);
    report.push(format!("ring: {s1}, {count} items"));

    let pool = mempool::lookup(&name(&prefix, "pool1")).expect("the primary's pool");
    assert_eq!(pool.info().socket, s1, "pool: the socket it was made for");
    let objects = pool_objects(pool.as_ptr());
    assert_eq!(objects.len(), POOL_OBJECTS as usize, "every object, not a sample");
    let element = pool.info().element_size as usize;
    for &object in &objects {
        assert_eq!(dpdk::malloc::socket_of(object), Some(s1), "a pool object: memseg");
        assert_kernel_places("a pool object", object, element, s1);
    }
    report.push(format!("mempool: {s1}, all {} objects", objects.len()));

    let (p, len) = (words[BOX_PTR].load(Ordering::Relaxed), words[BOX_LEN].load(Ordering::Relaxed));
    // SAFETY: the primary's SocketBox<[u64]> of `len` items, alive and not written while
    // this process runs; same virtual address in both processes.
    let squares = unsafe { std::slice::from_raw_parts(p as *const u64, len as usize) };
    assert!(squares.iter().enumerate().all(|(i, &v)| v == (i * i) as u64));
    assert_eq!(dpdk::malloc::socket_of(squares.as_ptr().cast()), Some(s1));
    assert_kernel_places("the primary's SocketBox", squares.as_ptr().cast(), len as usize * 8, s1);
    report.push(format!("primary's SocketBox: {s1}, {len} values"));

    let mine = SocketBox::from_fn(50_000, SocketId::current(), |i| i as u64 * 3);
    assert_eq!(mine.socket(), Some(s1), "what the secondary allocates for its own socket");
    words[REPLY_LEN].store(mine.len() as u64, Ordering::Relaxed);
    words[REPLY_PTR].store(SocketBox::into_raw(mine) as *mut u64 as u64, Ordering::Relaxed);
    words[STATE].store(2, Ordering::Release);
    println!("secondary on lcores 2-3 ({s1}) found:\n  {}", report.join("\n  "));
    drop((pool, ring, control));
    eal.close().expect("secondary cleanup");
}
