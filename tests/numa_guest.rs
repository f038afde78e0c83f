//! Placement on two NUMA nodes: each constructor, given socket 0 and then socket 1, puts
//! its memory there, checked two independent ways: DPDK's memseg socket (what our types
//! report) and the kernel's own answer for every page (`move_pages(2)` with no target
//! nodes, which only reports where each page is).
//!
//! This machine has one node, so these tests are ignored here (and say so in the test
//! output); `cargo xtask test --numa` runs them in a two-node QEMU guest with
//! `--ignored`, where an allocation on the wrong socket fails them. They refuse to run
//! on a machine with fewer than two sockets rather than pass.

use std::mem::MaybeUninit;
use std::sync::OnceLock;

use dns_dataplane::blocklist::Blocklist;
use dns_dataplane::placement::{Placement, Problem, Users};
use dpdk::concurrent_hash::{ConcurrentHash, HashWriter};
use dpdk::ethdev::Port;
use dpdk::hash::{Hash, HashOptions};
use dpdk::mbuf::{PktMbufPool, DEFAULT_DATA_ROOM};
use dpdk::mempool::{Mempool, MempoolOptions};
use dpdk::memzone::{Memzone, MemzoneOptions};
use dpdk::ring::{ElemRing, Ring, RingOptions, RingRef};
use dpdk::{Eal, EalBuilder, LcoreId, Memory, SocketBox, SocketId};
use dpdk_tests::{assert_kernel_places, unique_name};

const WHY: &str = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)";

/// The EAL of this process: every CPU of the guest an lcore, so that both sockets have
/// lcores (lcores 0-1 on node 0, 2-3 on node 1 in the guest).
fn eal() -> &'static Eal {
    static EAL: OnceLock<Eal> = OnceLock::new();
    EAL.get_or_init(|| {
        let builder = EalBuilder::new()
            .program("dpdk-numa-guest")
            .lcores_on_allowed_cpus(4)
            .main_lcore(0)
            .in_memory(true)
            .no_pci(true)
            .env_overrides()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(builder.memory_mode(), Memory::Hugepages, "placement needs hugepages");
        builder.build().unwrap_or_else(|e| panic!("EAL: {e}"))
    })
}

/// Sockets 0 and 1, after checking that DPDK sees (at least) both.
fn two_sockets() -> [SocketId; 2] {
    let sockets = eal().sockets();
    assert!(
        sockets.len() >= 2,
        "these tests need two NUMA nodes; DPDK sees {sockets:?} (run them with cargo xtask \
         test --numa)"
    );
    [SocketId::new(0).unwrap(), SocketId::new(1).unwrap()]
}

#[test]
#[ignore = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)"]
fn dpdk_sees_both_nodes_and_their_lcores() {
    let [s0, s1] = two_sockets();
    let on = |l: u32| LcoreId::new(l).unwrap().socket();
    assert_eq!((on(0), on(1), on(2), on(3)), (s0, s0, s1, s1), "{WHY}");
    // DPDK and our topology reader agree on every lcore's node.
    let topology = dpdk::numa::Topology::read().expect("read topology");
    for lcore in eal().lcores() {
        let cpu = lcore.cpus()[0];
        assert_eq!(
            lcore.socket().id(),
            topology.node_of_cpu(cpu),
            "lcore {}:\n{topology}",
            lcore.id()
        );
    }
}

#[test]
#[ignore = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)"]
fn socket_boxes_land_on_the_socket_asked() {
    for socket in two_sockets() {
        let value = SocketBox::new([7u8; 4096], socket);
        assert_eq!(value.socket(), Some(socket), "DPDK's memseg of a SocketBox");
        assert_kernel_places("SocketBox<[u8; 4096]>", value.as_ptr().cast(), 4096, socket);

        let len = 3 << 20;
        let zeroed: SocketBox<[MaybeUninit<u8>]> = SocketBox::new_zeroed_slice(len, socket);
        assert_eq!(zeroed.socket(), Some(socket), "DPDK's memseg of a zeroed slice");
        assert_kernel_places("zeroed SocketBox<[u8]>", zeroed.as_ptr().cast(), len, socket);

        let built = SocketBox::from_fn(100_000, socket, |i| i as u64);
        assert_eq!(built.socket(), Some(socket));
        assert_kernel_places("SocketBox::from_fn", built.as_ptr().cast(), 800_000, socket);
    }
}

#[test]
#[ignore = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)"]
fn memzones_land_on_the_socket_asked() {
    for socket in two_sockets() {
        let len = 5 << 20;
        let zone =
            Memzone::reserve(&unique_name("mz_numa"), len, socket, MemzoneOptions::new()).unwrap();
        assert_eq!(zone.socket(), socket, "DPDK's record of the zone");
        assert_kernel_places("Memzone", zone.as_ptr(), len, socket);
    }
}

#[test]
#[ignore = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)"]
fn every_mempool_object_lands_on_the_socket_asked() {
    for socket in two_sockets() {
        let mut pool: Mempool<[u8; 2048]> = Mempool::new_with(
            &unique_name("mp_numa"),
            4095,
            socket,
            MempoolOptions::new().cache_size(32),
            |_| [0; 2048],
        )
        .unwrap();
        assert_eq!(pool.socket(), Some(socket), "DPDK's memseg of the first object");
        let mut checked = 0;
        pool.for_each_mut(|_, object| {
            assert_kernel_places("a Mempool object", object.as_ptr(), object.len(), socket);
            checked += 1;
        })
        .unwrap();
        assert_eq!(checked, 4095, "every object, not a sample");
    }
}

/// Asserts that ring `name` (header and every slot of `esize` bytes) is on `socket`.
fn assert_ring_placed(what: &str, name: &str, esize: usize, socket: SocketId) {
    let raw = RingRef::lookup(name).unwrap().as_ptr();
    // The header and every slot: DPDK puts the slots right after the header.
    // SAFETY: reading the size of a live ring.
    let size = unsafe { (*raw).size } as usize;
    let len = std::mem::size_of::<dpdk::ffi::rte_ring>() + size * esize;
    assert_eq!(dpdk::malloc::socket_of(raw.cast()), Some(socket), "DPDK's memseg of {what}");
    assert_kernel_places(what, raw.cast(), len, socket);
}

#[test]
#[ignore = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)"]
fn rings_land_on_the_socket_asked() {
    for socket in two_sockets() {
        let name = unique_name("r_numa");
        let ring: Ring<u64> = Ring::new(&name, 1 << 16, socket, RingOptions::new()).unwrap();
        assert_ring_placed("Ring", &name, 8, socket);
        drop(ring);
    }
}

#[test]
#[ignore = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)"]
fn elem_rings_land_on_the_socket_asked() {
    for socket in two_sockets() {
        let name = unique_name("er_numa");
        let ring: ElemRing<[u64; 4]> =
            ElemRing::new(&name, 1 << 14, socket, RingOptions::new()).unwrap();
        assert_ring_placed("ElemRing", &name, 32, socket);
        drop(ring);
    }
}

#[test]
#[ignore = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)"]
fn hash_tables_and_their_values_land_on_the_socket_asked() {
    for socket in two_sockets() {
        let mut table: Hash<u32, [u64; 8]> =
            Hash::new(&unique_name("h_numa"), 1 << 14, socket, HashOptions::new()).unwrap();
        assert_eq!(table.memory_sockets(), (Some(socket), Some(socket)), "DPDK's memsegs");
        let header = table.as_ptr().cast::<u8>();
        assert_kernel_places("rte_hash", header, 64, socket);
        for k in 0..10_000u32 {
            table.insert(k, [u64::from(k); 8]).unwrap();
        }
        for k in 0..10_000u32 {
            let value = table.get(&k).unwrap();
            assert_kernel_places("a Hash value", value.as_ptr().cast(), 64, socket);
        }
    }
}

#[test]
#[ignore = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)"]
fn concurrent_hash_values_land_on_the_socket_asked() {
    for socket in two_sockets() {
        let (mut writer, table): (HashWriter<u32, [u64; 8]>, ConcurrentHash<u32, [u64; 8]>) =
            ConcurrentHash::new(&unique_name("ch_numa"), 1 << 12, socket, HashOptions::new(), 2)
                .unwrap();
        assert_eq!(table.memory_sockets(), (Some(socket), Some(socket)), "DPDK's memsegs");
        assert_kernel_places("rte_hash (lock-free)", table.as_ptr().cast(), 64, socket);
        for k in 0..3000u32 {
            writer.insert(k, [u64::from(k); 8]).unwrap();
        }
        for k in 0..3000u32 {
            let value = writer.get(&k).unwrap();
            assert_kernel_places("a ConcurrentHash value", value.as_ptr().cast(), 64, socket);
        }
    }
}

#[test]
#[ignore = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)"]
fn every_packet_buffer_lands_on_the_socket_asked() {
    for socket in two_sockets() {
        let pool =
            PktMbufPool::new(&unique_name("pk_numa"), 2047, 0, DEFAULT_DATA_ROOM, socket).unwrap();
        assert_eq!(pool.socket(), Some(socket), "DPDK's memseg of the first packet");
        let packets: Vec<_> = std::iter::from_fn(|| pool.alloc()).collect();
        assert_eq!(packets.len(), 2047, "every packet, not a sample");
        for m in &packets {
            let raw = m.as_ptr();
            // SAFETY: a packet we hold; its header fields are ours to read.
            let (buf, len) =
                unsafe { ((*raw).buf_addr.cast::<u8>(), dpdk::ffi::rte_mbuf::buf_len_of(raw)) };
            assert_kernel_places("an mbuf header", raw.cast(), 128, socket);
            assert_kernel_places("an mbuf buffer", buf, usize::from(len), socket);
        }
    }
}

#[test]
#[ignore = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)"]
fn jobs_see_the_socket_of_their_lcore() {
    let [s0, s1] = two_sockets();
    let eal = eal();
    for (lcore, socket) in [(1, s0), (2, s1), (3, s1)] {
        let id = LcoreId::new(lcore).unwrap();
        let job = eal.launch(id, SocketId::current).unwrap();
        assert_eq!(job.join().unwrap(), socket, "SocketId::current on lcore {lcore}");
        let seen = eal.scope(|scope| scope.launch(id, SocketId::current).unwrap().join().unwrap());
        assert_eq!(seen, socket, "SocketId::current in a scoped job on lcore {lcore}");
    }
    // A thread DPDK did not start: no lcore, so no socket of its own, until it registers;
    // then the socket of the CPUs it runs on.
    for (cpu, socket) in [(1usize, s0), (3, s1)] {
        let seen = std::thread::spawn(move || {
            let before = SocketId::current();
            pin_to_cpu(cpu);
            let registration = eal.register_thread().unwrap();
            let after = SocketId::current();
            drop(registration);
            (before, after)
        })
        .join()
        .unwrap();
        assert_eq!(seen, (SocketId::ANY, socket), "a thread on CPU {cpu}, then registered");
    }
}

/// Restricts the calling thread to one CPU.
fn pin_to_cpu(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET and sched_setaffinity act on
    // this thread's own mask, which they are given by pointer with its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        let rc = libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
        assert_eq!(rc, 0, "sched_setaffinity: {}", std::io::Error::last_os_error());
    }
}

/// Node 1's free hugepages, taken away (and given back on drop) by shrinking its pool
/// to what is in use.
struct NoFreeHugepagesOn1 {
    path: &'static str,
    before: u64,
}

impl NoFreeHugepagesOn1 {
    fn take() -> Self {
        let base = "/sys/devices/system/node/node1/hugepages/hugepages-2048kB";
        let read = |f: &str| -> u64 {
            std::fs::read_to_string(format!("{base}/{f}")).unwrap().trim().parse().unwrap()
        };
        let path = "/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages";
        let (before, free) = (read("nr_hugepages"), read("free_hugepages"));
        std::fs::write(path, (before - free).to_string()).unwrap();
        assert_eq!(read("free_hugepages"), 0, "node 1's free hugepages given back");
        NoFreeHugepagesOn1 { path, before }
    }
}

impl Drop for NoFreeHugepagesOn1 {
    fn drop(&mut self) {
        let _ = std::fs::write(self.path, self.before.to_string());
    }
}

#[test]
#[ignore = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)"]
fn no_memory_on_socket_1_is_an_error_naming_it_not_a_fallback() {
    let [s0, s1] = two_sockets();
    let len = 64 << 20; // more than any earlier test left free in DPDK's heap of socket 1
    let empty = NoFreeHugepagesOn1::take();
    let refused = SocketBox::<[u8]>::try_new_uninit_slice(len, s1, 64);
    let zone = Memzone::reserve(&unique_name("mz_full"), len, s1, MemzoneOptions::new());
    let still_on_0 = SocketBox::<[u8]>::try_new_uninit_slice(len, s0, 64);
    drop(empty);
    match refused {
        Err(e @ dpdk::Error::NoMemory { .. }) => {
            assert!(e.to_string().contains("socket=1"), "the error names socket 1: {e}")
        }
        Err(other) => panic!("expected NoMemory for socket 1, got {other}"),
        Ok(b) => panic!("64 MiB on socket 1 without hugepages there landed on {:?}", b.socket()),
    }
    match zone {
        Err(e @ dpdk::Error::NoMemory { .. }) => {
            assert!(e.to_string().contains("socket=1"), "the error names socket 1: {e}")
        }
        Err(other) => panic!("expected NoMemory for the memzone on socket 1, got {other}"),
        Ok(z) => panic!("the memzone for socket 1 landed on {:?}", z.socket()),
    }
    let on_0 = still_on_0.expect("socket 0 still has hugepages");
    assert_kernel_places("64 MiB on socket 0", on_0.as_ptr().cast(), len, s0);
}

/// The lcores of socket `socket`, as the placement report names an object's users.
fn lcores_on(socket: SocketId) -> Users {
    Users::lcores(eal().lcores().into_iter().filter(|l| l.socket() == socket))
}

/// Asserts that `report` flags exactly one object, the first, as away from its users on
/// `socket`, and that its printed line says so.
fn assert_flags_the_mistake(report: &Placement, socket: SocketId) {
    let text = report.to_string();
    assert_eq!(report.mismatches(), 1, "the mistake, and only it, is flagged:\n{text}");
    let mistake = &report.objects[0];
    assert_eq!(mistake.problem(), Some(Problem::AwayFromUsers(socket)), "{text}");
    let flagged: Vec<&str> = text.lines().filter(|l| l.contains("WARNING")).collect();
    assert_eq!(flagged.len(), 1, "{text}");
    assert!(
        flagged[0].contains(&mistake.object) && flagged[0].contains(&socket.to_string()),
        "the warning names the object and its users' socket:\n{text}"
    );
}

// Seed 003's table of common NUMA mistakes, each made on purpose; the dataplane's
// placement report must flag it (and not its correct counterpart).

#[test]
#[ignore = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)"]
fn the_placement_report_flags_plain_rte_malloc_for_a_node_1_worker() {
    // Plain rte_malloc (no socket) for state that the workers on node 1 use. Called from
    // this test thread (no lcore), DPDK serves it from socket 0.
    let [s0, s1] = two_sockets();
    // SAFETY: a plain allocation, freed below.
    let p = unsafe { dpdk::ffi::rte_malloc(c"mistake".as_ptr(), 4096, 64) };
    assert!(!p.is_null());
    let mut report = Placement::default();
    report.record("worker state (plain rte_malloc)", SocketId::ANY, p.cast(), lcores_on(s1));
    let right = SocketBox::new([0u8; 4096], s1);
    report.record("worker state (SocketBox on socket 1)", s1, right.as_ptr().cast(), lcores_on(s1));
    assert_eq!(report.objects[0].landed, Some(s0), "plain rte_malloc served socket 0");
    assert_flags_the_mistake(&report, s1);
    // SAFETY: allocated above, not used since.
    unsafe { dpdk::ffi::rte_free(p) };
}

#[test]
#[ignore = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)"]
fn the_placement_report_flags_an_mbuf_pool_off_its_ports_socket() {
    // The mbuf pool on socket 0 for a port on socket 1, as when the pool is made for the
    // main lcore's socket. The guest's virtual devices all report "any socket" (and our
    // net_ring takes no `nodeaction`), so the port here is a PCI NIC on node 1 as
    // `Users::Port` holds it: its name and the socket `rte_eth_dev_socket_id` gives.
    let [s0, s1] = two_sockets();
    let nic = Users::Port { name: "0000:81:00.0".into(), socket: s1 };
    let wrong = PktMbufPool::new(&unique_name("pw"), 511, 0, DEFAULT_DATA_ROOM, s0).unwrap();
    let right = PktMbufPool::new(&unique_name("pr"), 511, 0, DEFAULT_DATA_ROOM, s1).unwrap();
    let mut report = Placement::default();
    report.record_landed("mbuf pool on socket 0", s0, wrong.socket(), nic.clone());
    report.record_landed("mbuf pool on socket 1", s1, right.socket(), nic);
    // A virtual device on any socket accepts the pool wherever it is.
    let vdev = Port::attach_vdev(&format!("net_null_{}", unique_name("nn"))).unwrap();
    assert!(vdev.socket().is_any(), "net_null reports any socket");
    report.record_landed("mbuf pool of a vdev", s0, wrong.socket(), Users::port(&vdev));
    assert_flags_the_mistake(&report, s1);
}

#[test]
#[ignore = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)"]
fn the_placement_report_flags_a_pattern_database_away_from_its_workers() {
    // The Hyperscan database compiled for socket 0 while the workers that scan with it
    // run on node 1.
    let [s0, s1] = two_sockets();
    let patterns = ["^ads\\.", "tracker"];
    let wrong = Blocklist::compile(&patterns, s0).unwrap_or_else(|e| panic!("{e}"));
    let right = Blocklist::compile(&patterns, s1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((wrong.memory_socket(), right.memory_socket()), (Some(s0), Some(s1)));
    let mut report = Placement::default();
    report.record_landed(
        "Hyperscan database on socket 0",
        s0,
        wrong.memory_socket(),
        lcores_on(s1),
    );
    report.record_landed(
        "Hyperscan database on socket 1",
        s1,
        right.memory_socket(),
        lcores_on(s1),
    );
    assert_flags_the_mistake(&report, s1);
}
