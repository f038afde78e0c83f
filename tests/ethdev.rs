//! Packet I/O against DPDK's virtual devices: net_ring loopback, net_null, net_pcap
//! (reading a capture the test writes, writing one the test parses), net_tap inside a
//! network namespace, mbuf editing, typed errors, and every packet back in its pool.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use dpdk::ethdev::{port_ids, Port, PortConfig, MAX_PORTS};
use dpdk::mbuf::{Burst, MbufError, PktMbufPool, DEFAULT_DATA_ROOM, HEADROOM};
use dpdk::mempool::PoolEmpty;
use dpdk::{Error, SocketId};
use dpdk_tests::{
    assert_child_passed, eal, require_child, run_child_under, unique_name, EAL_VDEVS,
};

/// A pool on the port's socket, as an application should make it.
fn pool_for(port: &Port, count: u32) -> PktMbufPool {
    PktMbufPool::new(&unique_name("pk"), count, 32, DEFAULT_DATA_ROOM, port.socket())
        .expect("packet pool")
}

/// An Ethernet frame of `len` bytes whose bytes tell `seed` apart.
fn frame(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// A net_ring device name unique in this process: at most 17 bytes, since net_ring
/// names its rings' memzones `RG_ETH_RXTX<queue>_<device>` within DPDK's 31. The EAL
/// runs `--in-memory`, so DPDK's names are private to the process and a process-wide
/// counter is enough (`unique_name` adds the process id, which does not fit).
fn ring_name(tag: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("net_ring_{tag}{n}");
    assert!(name.len() <= 17, "{name} is too long for net_ring");
    name
}

#[test]
fn ring_loopback_gives_back_every_byte_on_every_queue() {
    eal();
    let port = Port::attach_vdev(&ring_name("l")).unwrap();
    let pool = pool_for(&port, 1023);
    let mut port = port.configure(&PortConfig::new(2, 2).rx_descriptors(512), &pool).unwrap();
    port.start().unwrap();
    assert!(port.link().unwrap().up, "net_ring reports its link up once started");
    {
        let rx = [port.rx_queue(0).unwrap(), port.rx_queue(1).unwrap()];
        let tx = [port.tx_queue(0).unwrap(), port.tx_queue(1).unwrap()];
        for (q, (mut rx, mut tx)) in rx.into_iter().zip(tx).enumerate() {
            let frames: Vec<Vec<u8>> =
                (0..20).map(|i| frame(60 + i * 71, (q * 100 + i) as u8)).collect();
            let mut out = Burst::<32>::new();
            pool.alloc_bulk(&mut out, frames.len()).unwrap();
            for (m, f) in out.iter_mut().zip(&frames) {
                m.append(f.len()).unwrap().copy_from_slice(f);
            }
            assert_eq!(tx.tx_burst(&mut out), frames.len());
            assert!(out.is_empty(), "sent packets leave the burst");
            let mut got = Burst::<32>::new();
            let received = rx.rx_burst(&mut got);
            assert_eq!(received.len(), frames.len(), "queue {q}");
            for (m, f) in got.iter().zip(&frames) {
                assert_eq!(m.data(), &f[..], "queue {q}: byte for byte, in order");
                assert_eq!(m.pkt_len(), f.len());
                assert_eq!(m.segments(), 1);
            }
            assert_eq!(pool.in_use(), frames.len() as u32);
        }
    }
    let stats = port.stats().unwrap();
    assert_eq!((stats.tx_packets, stats.rx_packets), (40, 40), "{stats:?}");
    drop(port);
    assert_eq!(pool.in_use(), 0, "every mbuf is back in the pool");
}

#[test]
fn unsent_packets_stay_at_the_front_of_the_burst() {
    eal();
    // net_ring's rings hold 1024 packets: fill one, then the rest stays with the caller.
    let port = Port::attach_vdev(&ring_name("f")).unwrap();
    let pool = pool_for(&port, 2047);
    let mut port = port.configure(&PortConfig::new(1, 1), &pool).unwrap();
    port.start().unwrap();
    let (mut rx, mut tx) = (port.rx_queue(0).unwrap(), port.tx_queue(0).unwrap());
    let mut sent = 0;
    let mut out = Burst::<64>::new();
    while sent < 1023 {
        let room = 64 - out.len();
        pool.alloc_bulk(&mut out, room).unwrap();
        sent += tx.tx_burst(&mut out);
    }
    assert_eq!(sent, 1023, "a ring of 1024 holds 1023");
    assert_eq!(out.len(), 1, "the one the ring had no room for stays");
    pool.alloc_bulk(&mut out, 63).unwrap();
    let before: Vec<_> = out.iter().map(|m| m.as_ptr()).collect();
    assert_eq!(tx.tx_burst(&mut out), 0, "the ring is full");
    assert_eq!(out.len(), 64);
    let mut got = Burst::<16>::new();
    assert_eq!(rx.rx_burst(&mut got).len(), 10 + 6, "room for 16");
    got.truncate(10);
    assert_eq!(tx.tx_burst(&mut out), 16, "the ring has room for 16 again");
    let after: Vec<_> = out.iter().map(|m| m.as_ptr()).collect();
    assert_eq!(after, before[16..], "the unsent packets moved to the front, in order");
    drop((rx, tx));
    drop(out);
    drop(got);
    drop(port);
    assert_eq!(pool.in_use(), 0, "packets left in the rings are freed when the port closes");
}

#[test]
fn ports_the_eal_made_are_found_by_name_and_owned_once() {
    eal();
    let [ring, null] = EAL_VDEVS else { panic!("the harness gives two vdevs") };
    let port = Port::by_name(ring).unwrap();
    assert_eq!(port.name(), *ring);
    assert_eq!(port.info().unwrap().driver, "net_ring");
    assert!(port_ids().contains(&port.id()));
    match Port::by_name(ring) {
        Err(Error::Busy { .. }) => {}
        other => panic!("a second handle: {other:?}"),
    }
    match Port::by_id(port.id()) {
        Err(Error::Busy { .. }) => {}
        other => panic!("a second handle by id: {other:?}"),
    }
    // net_null: RX makes packets from the pool, TX frees them.
    let null_port = Port::by_name(null).unwrap();
    assert_eq!(null_port.info().unwrap().driver, "net_null");
    let pool = pool_for(&null_port, 511);
    let mut null_port = null_port.configure(&PortConfig::new(1, 1), &pool).unwrap();
    null_port.start().unwrap();
    // net_null is always promiscuous and has no switch for it.
    assert!(null_port.promiscuous());
    null_port.set_promiscuous(true).unwrap();
    match null_port.set_promiscuous(false) {
        Err(Error::Unsupported { call, .. }) => {
            assert_eq!(call.function, "rte_eth_promiscuous_disable")
        }
        other => panic!("net_null promiscuous off: {other:?}"),
    }
    let mac = null_port.mac().unwrap();
    assert_ne!(mac.0, [0; 6], "net_null makes up an address");
    {
        let (mut rx, mut tx) = (null_port.rx_queue(0).unwrap(), null_port.tx_queue(0).unwrap());
        let mut burst = Burst::<32>::new();
        assert_eq!(rx.rx_burst(&mut burst).len(), 32);
        assert_eq!(pool.in_use(), 32);
        assert!(burst.iter().all(|m| m.len() == 64), "net_null's default packet size");
        assert_eq!(tx.tx_burst(&mut burst), 32);
        assert_eq!(pool.in_use(), 0, "net_null frees what it sends");
    }
    let stats = null_port.stats().unwrap();
    assert_eq!((stats.rx_packets, stats.tx_packets), (32, 32), "{stats:?}");
    assert_eq!(stats.rx_errors + stats.tx_errors, 0, "{stats:?}");
    null_port.reset_stats().unwrap();
    assert_eq!(null_port.stats().unwrap().rx_packets, 0);
    drop(null_port);
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn bad_input_gets_typed_errors() {
    eal();
    let unused = (0..MAX_PORTS as u16).rev().find(|id| !port_ids().contains(id)).unwrap();
    match Port::by_id(unused) {
        Err(Error::UnknownPort { port, .. }) => assert_eq!(port, unused),
        other => panic!("unknown port: {other:?}"),
    }
    assert!(matches!(Port::by_id(u16::MAX), Err(Error::UnknownPort { .. })));
    match Port::by_name("net_ring_no_such_device") {
        Err(e @ Error::UnknownDevice { .. }) => {
            assert!(e.to_string().contains("net_ring_no_such_device"), "{e}");
            assert_eq!(e.errno(), Some(19), "ENODEV");
        }
        other => panic!("unknown name: {other:?}"),
    }
    assert!(Port::attach_vdev("net_no_such_driver0").is_err());
    assert!(matches!(
        Port::attach_vdev("net_ring_ptr,internal=0x1234"),
        Err(Error::InvalidArgument { .. })
    ));
    // Drivers that could take over ports this crate owns, or adopt rings made elsewhere.
    for devargs in [
        "net_bonding_t0,mode=0,slave=net_null0",
        "net_failsafe_t0,dev(net_null0)",
        "net_ring_na,nodeaction=r1:0:ATTACH",
    ] {
        match Port::attach_vdev(devargs) {
            Err(Error::InvalidArgument { message, .. }) => {
                assert!(message.contains("net_"), "{message}")
            }
            other => panic!("{devargs}: {other:?}"),
        }
    }
    // A ring net_ring would adopt: refused by name from safe code, and if C made one,
    // the port is refused.
    let adopt = ring_name("hj");
    let ring_name_of = format!("ETH_RXTX0_{adopt}");
    assert!(matches!(
        dpdk::Ring::<Box<u8>>::new(&ring_name_of, 64, SocketId::ANY, dpdk::RingOptions::new()),
        Err(Error::InvalidName { .. })
    ));
    let c_name = std::ffi::CString::new(ring_name_of).unwrap();
    // SAFETY: a plain ring creation through DPDK's C API, freed below.
    let c_ring =
        unsafe { dpdk::ffi::rte_ring_create(c_name.as_ptr(), 64, SocketId::ANY.as_raw(), 0) };
    assert!(!c_ring.is_null());
    assert!(matches!(Port::attach_vdev(&adopt), Err(Error::AlreadyExists { .. })));
    // SAFETY: the ring made above, used by nothing.
    unsafe { dpdk::ffi::rte_ring_free(c_ring) };

    let name = ring_name("e");
    let port = Port::attach_vdev(&name).unwrap();
    assert!(matches!(Port::attach_vdev(&name), Err(Error::AlreadyExists { .. })));
    let pool = pool_for(&port, 255);
    let info = port.info().unwrap();
    // More queues than the device has: the port comes back for another try.
    let err = port.configure(&PortConfig::new(info.max_rx_queues + 1, 1), &pool).unwrap_err();
    assert!(matches!(err.error, Error::InvalidArgument { .. }), "{err:?}");
    let port = err.port.expect("the port comes back");
    // Descriptor counts are checked against the device's limits. No virtual device here
    // narrows DPDK's default limits (0..=65535, any multiple of 1), so both extremes pass.
    assert!(info.rx_descriptors.accepts(1) && info.rx_descriptors.accepts(u16::MAX));
    let config = PortConfig::new(2, 1).rx_descriptors(u16::MAX).tx_descriptors(1);
    let mut port = port.configure(&config, &pool).unwrap();
    match port.rx_queue(0) {
        Err(Error::NotStarted { .. }) => {}
        other => panic!("a queue before start: {other:?}"),
    }
    port.start().unwrap();
    match port.start() {
        Err(e @ Error::AlreadyStarted { .. }) => assert!(e.to_string().contains("already started")),
        other => panic!("starting twice: {other:?}"),
    }
    match port.rx_queue(2) {
        Err(Error::QueueOutOfRange { queue: 2, configured: 2, .. }) => {}
        other => panic!("queue out of range: {other:?}"),
    }
    match port.tx_queue(1) {
        Err(Error::QueueOutOfRange { queue: 1, configured: 1, .. }) => {}
        other => panic!("queue out of range: {other:?}"),
    }
    let rx = port.rx_queue(1).unwrap();
    match port.rx_queue(1) {
        Err(Error::Busy { .. }) => {}
        other => panic!("a second handle of a queue: {other:?}"),
    }
    drop(rx);
    let rx = port.rx_queue(1).expect("the queue is free again");
    drop(rx);
    port.stop().unwrap();
    port.start().expect("a stopped port starts again");
    drop(port);
    assert!(Port::by_name(&name).is_err(), "the plugged-in device is gone with its port");
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn mbufs_grow_and_shrink_within_their_room() {
    eal();
    let pool = PktMbufPool::new(&unique_name("mb"), 63, 0, 512, dpdk::SocketId::ANY).unwrap();
    assert_eq!(pool.data_room(), 512);
    let mut m = pool.alloc().unwrap();
    assert_eq!((m.len(), m.headroom(), m.tailroom()), (0, HEADROOM as usize, 512 - 128));
    assert_eq!(m.port(), None);
    assert_eq!(m.rss_hash(), None);
    assert_eq!(m.packet_type(), None);
    m.append(100).unwrap().copy_from_slice(&[1; 100]);
    m.prepend(14).unwrap().copy_from_slice(&[2; 14]);
    assert_eq!(m.len(), 114);
    assert_eq!(&m.data()[..15], &[2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1]);
    assert_eq!(
        m.append(1000).unwrap_err(),
        MbufError::NoTailroom { requested: 1000, available: 512 - 128 - 100 }
    );
    assert_eq!(
        m.prepend(200).unwrap_err(),
        MbufError::NoHeadroom { requested: 200, available: 114 }
    );
    assert_eq!(m.len(), 114, "a refused change leaves the packet alone");
    m.adj(14).unwrap();
    assert_eq!(m.data(), &[1; 100][..]);
    m.trim(50).unwrap();
    assert_eq!(m.len(), 50);
    assert_eq!(m.trim(51).unwrap_err(), MbufError::TooShort { requested: 51, available: 50 });
    assert_eq!(m.adj(51).unwrap_err(), MbufError::TooShort { requested: 51, available: 50 });
    m.data_mut().unwrap()[0] = 9;
    // Through a raw pointer (as through a ring) and back.
    let raw = m.into_raw();
    assert_eq!(pool.in_use(), 1);
    // SAFETY: `raw` came from into_raw just above and is taken back once.
    let mut m = unsafe { pool.from_raw(raw) };
    assert_eq!(m.data()[0], 9);
    m.clear();
    assert_eq!((m.len(), m.headroom()), (0, HEADROOM as usize));
    drop(m);
    assert_eq!(pool.in_use(), 0);

    // Packets a driver could hand out shared (here made by DPDK's C API): neither the
    // direct packet nor the one attached to its buffer may be written; clearing the
    // attached one gives the buffer back.
    let mut direct = pool.alloc().unwrap();
    direct.append(10).unwrap().fill(3);
    let attached = pool.alloc().unwrap().into_raw();
    // SAFETY: attaches a fresh packet to `direct`'s buffer (DPDK raises direct's
    // reference count); `attached` is taken back by a handle once.
    let mut attached = unsafe {
        dpdk::ffi::rte_pktmbuf_attach(attached.as_ptr(), direct.as_ptr());
        pool.from_raw(attached)
    };
    assert_eq!(attached.data(), direct.data());
    assert_eq!(direct.data_mut().unwrap_err(), MbufError::Shared);
    assert_eq!(direct.append(1).unwrap_err(), MbufError::Shared);
    assert_eq!(direct.trim(1).unwrap_err(), MbufError::Shared);
    assert_eq!(attached.data_mut().unwrap_err(), MbufError::Shared);
    assert_eq!(attached.room_mut().unwrap_err(), MbufError::Shared);
    attached.clear();
    direct.data_mut().unwrap()[0] = 4;
    assert_eq!(attached.len(), 0);
    drop((direct, attached));
    assert_eq!(pool.in_use(), 0, "both packets and the buffer went back");

    // Bulk allocation is all or nothing; a burst frees what it holds.
    let mut burst = Burst::<64>::new();
    assert_eq!(pool.alloc_bulk(&mut burst, 64).unwrap_err(), PoolEmpty { requested: 64 });
    assert!(burst.is_empty());
    pool.alloc_bulk(&mut burst, 63).unwrap();
    assert!(pool.alloc().is_none(), "the pool is empty");
    let one = burst.pop().unwrap();
    burst.truncate(10);
    assert_eq!(pool.in_use(), 11);
    burst.push(one).unwrap();
    drop(burst);
    assert_eq!(pool.in_use(), 0);
}

/// Writes a pcap file (microsecond time stamps, Ethernet) holding `frames`.
fn write_pcap(path: &Path, frames: &[Vec<u8>]) {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes()); // microsecond stamps
    out.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes()); // time zone
    out.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    out.extend_from_slice(&65535u32.to_le_bytes()); // snap length
    out.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
    for (i, f) in frames.iter().enumerate() {
        out.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    std::fs::File::create(path).unwrap().write_all(&out).unwrap();
}

/// Reads the frames of a pcap file (either byte order, micro- or nanosecond stamps).
fn read_pcap(path: &Path) -> Vec<Vec<u8>> {
    let data = std::fs::read(path).unwrap();
    assert!(data.len() >= 24, "{} is too short for a pcap header", path.display());
    let magic = u32::from_le_bytes(data[..4].try_into().unwrap());
    let little = match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d => true,
        0xd4c3_b2a1 | 0x4d3c_b2a1 => false,
        other => panic!("not a pcap file: magic {other:#x}"),
    };
    let word = |at: usize| {
        let b: [u8; 4] = data[at..at + 4].try_into().unwrap();
        if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    assert_eq!(word(20), 1, "Ethernet link type");
    let mut frames = Vec::new();
    let mut at = 24;
    while at < data.len() {
        let caplen = word(at + 8) as usize;
        assert_eq!(caplen, word(at + 12) as usize, "whole frames");
        frames.push(data[at + 16..at + 16 + caplen].to_vec());
        at += 16 + caplen;
    }
    frames
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{}.pcap", unique_name(name)))
}

#[test]
fn pcap_rx_reads_a_capture_and_tx_writes_one() {
    eal();
    let (input, output) = (temp_path("in"), temp_path("out"));
    let frames: Vec<Vec<u8>> = (0..50).map(|i| frame(60 + i * 29, i as u8)).collect();
    write_pcap(&input, &frames);
    let devargs = format!(
        "{},rx_pcap={},tx_pcap={}",
        unique_name("net_pcap_t"),
        input.display(),
        output.display()
    );
    let port = Port::attach_vdev(&devargs).unwrap();
    assert_eq!(port.info().unwrap().driver, "net_pcap");
    let pool = pool_for(&port, 255);
    let mut port = port.configure(&PortConfig::new(1, 1), &pool).unwrap();
    port.start().unwrap();
    let mut received = Vec::new();
    {
        let (mut rx, mut tx) = (port.rx_queue(0).unwrap(), port.tx_queue(0).unwrap());
        let mut burst = Burst::<16>::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while received.len() < frames.len() && Instant::now() < deadline {
            let got = rx.rx_burst(&mut burst);
            for m in got.iter() {
                assert_eq!(m.port(), Some(port.id()), "net_pcap stamps the port");
                received.push(m.data().to_vec());
            }
            // Send what came in straight back out, reversed in place to tell it apart.
            for m in burst.iter_mut() {
                m.data_mut().unwrap().reverse();
            }
            while !burst.is_empty() {
                tx.tx_burst(&mut burst);
            }
        }
        let mut empty = Burst::<16>::new();
        assert!(rx.rx_burst(&mut empty).is_empty(), "the capture holds no more");
    }
    assert_eq!(received, frames, "RX reads the capture byte for byte, in order");
    let stats = port.stats().unwrap();
    assert_eq!(stats.rx_packets, frames.len() as u64, "{stats:?}");
    assert_eq!(stats.rx_bytes, frames.iter().map(|f| f.len() as u64).sum::<u64>());
    drop(port);
    assert_eq!(pool.in_use(), 0);
    let written = read_pcap(&output);
    let expected: Vec<Vec<u8>> = frames.iter().map(|f| f.iter().rev().copied().collect()).collect();
    assert_eq!(written, expected, "TX writes what was sent");
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&output);
}

/// A network namespace deleted when dropped.
struct Netns(String);

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

const TAP_ENV: &str = "DPDK_RS_TEST_TAP_IFACE";

/// net_tap in a network namespace of its own: the whole DPDK process runs inside it (a
/// child under `ip netns exec`), so the tap interface is made there and the host's
/// interfaces are never touched.
#[test]
fn tap_exchanges_udp_with_a_socket_in_a_namespace() {
    let ns = Netns(format!("dpdkrs_{}", unique_name("t")));
    let added = Command::new("ip").args(["netns", "add", &ns.0]).output();
    let why_not = match &added {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(String::from_utf8_lossy(&out.stderr).trim().to_owned()),
        Err(e) => Some(format!("cannot run `ip`: {e}")),
    };
    if let Some(why) = why_not {
        std::mem::forget(ns);
        eprintln!(
            "\n*** NETWORK NAMESPACES ARE NOT AVAILABLE ({why}): the net_tap test did NOT run. \
             It needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and iproute2. ***\n"
        );
        assert!(!ci(), "CI=true: the net_tap test must run");
        return;
    }
    let iface = format!("dtap{}", std::process::id() % 100_000);
    let output = run_child_under(
        &["ip", "netns", "exec", &ns.0],
        "child_tap_udp_round_trip",
        &[(TAP_ENV, &iface)],
    );
    assert_child_passed(&output);
}

const KERNEL_IP: [u8; 4] = [10, 77, 0, 1];
const DPDK_IP: [u8; 4] = [10, 77, 0, 2];
const KERNEL_PORT: u16 = 40000;
const DPDK_PORT: u16 = 40001;

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(out.status.success(), "ip {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn ipv4_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]]) as u32).sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An Ethernet + IPv4 + UDP frame (UDP checksum 0: none, as IPv4 allows).
fn udp_frame(
    dst_mac: [u8; 6],
    src_mac: [u8; 6],
    src: ([u8; 4], u16),
    dst: ([u8; 4], u16),
    payload: &[u8],
) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&dst_mac);
    f.extend_from_slice(&src_mac);
    f.extend_from_slice(&0x0800u16.to_be_bytes());
    let total = (20 + 8 + payload.len()) as u16;
    let mut iph = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 17, 0, 0];
    iph[2..4].copy_from_slice(&total.to_be_bytes());
    iph.extend_from_slice(&src.0);
    iph.extend_from_slice(&dst.0);
    let sum = ipv4_checksum(&iph);
    iph[10..12].copy_from_slice(&sum.to_be_bytes());
    f.extend_from_slice(&iph);
    f.extend_from_slice(&src.1.to_be_bytes());
    f.extend_from_slice(&dst.1.to_be_bytes());
    f.extend_from_slice(&(8 + payload.len() as u16).to_be_bytes());
    f.extend_from_slice(&0u16.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// The source MAC and UDP payload of `f` if it is IPv4/UDP to `port`.
fn udp_to(f: &[u8], port: u16) -> Option<([u8; 6], &[u8])> {
    if f.len() < 42 || f[12..14] != [0x08, 0x00] || f[23] != 17 {
        return None;
    }
    let ihl = (f[14] & 0x0f) as usize * 4;
    let udp = &f[14 + ihl..];
    (u16::from_be_bytes([udp[2], udp[3]]) == port).then(|| {
        (f[6..12].try_into().unwrap(), &udp[8..u16::from_be_bytes([udp[4], udp[5]]) as usize])
    })
}

#[test]
#[ignore = "runs in a network namespace, as a child of tap_exchanges_udp_with_a_socket_in_a_namespace"]
fn child_tap_udp_round_trip() {
    require_child();
    let iface = std::env::var(TAP_ENV).expect("the parent names the interface");
    eal();
    let port = Port::attach_vdev(&format!("{},iface={iface}", unique_name("net_tap_t"))).unwrap();
    assert_eq!(port.info().unwrap().driver, "net_tap");
    // net_tap fills its RX ring from the pool when the queue is set up: 511 packets do
    // not fill 512 descriptors. A failed configuration leaves no packet out of the pool:
    // the port comes back without RX queues, or, since net_tap refuses to be configured
    // with none (which is how they are released), closed.
    let pool = pool_for(&port, 511);
    let devargs = format!("{},iface={iface}", unique_name("net_tap_t"));
    let err = port.configure(&PortConfig::new(1, 1).rx_descriptors(512), &pool).unwrap_err();
    assert!(matches!(err.error, Error::NoMemory { .. }), "{err:?}");
    assert_eq!(pool.in_use(), 0, "nothing of the failed setup holds packets");
    let port = match err.port {
        Some(port) => port,
        None => Port::attach_vdev(&devargs).unwrap(),
    };
    let mut port = port.configure(&PortConfig::new(1, 1).rx_descriptors(256), &pool).unwrap();
    assert_eq!(pool.in_use(), 256, "net_tap filled its ring");
    port.start().unwrap();
    port.set_promiscuous(false).unwrap();
    assert!(!port.promiscuous());
    port.set_promiscuous(true).unwrap();
    assert!(port.promiscuous());
    assert!(port.link().unwrap().up, "net_tap's link is up once started");
    let mac = port.mac().unwrap();
    let kernel_ip = format!("{}.{}.{}.{}", KERNEL_IP[0], KERNEL_IP[1], KERNEL_IP[2], KERNEL_IP[3]);
    let dpdk_ip = format!("{}.{}.{}.{}", DPDK_IP[0], DPDK_IP[1], DPDK_IP[2], DPDK_IP[3]);
    ip(&["addr", "add", &format!("{kernel_ip}/24"), "dev", &iface]);
    ip(&["link", "set", &iface, "up"]);
    ip(&[
        "neigh",
        "replace",
        &dpdk_ip,
        "lladdr",
        &mac.to_string(),
        "dev",
        &iface,
        "nud",
        "permanent",
    ]);

    let socket = std::net::UdpSocket::bind((kernel_ip.as_str(), KERNEL_PORT)).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    socket.send_to(b"hello, dpdk", (dpdk_ip.as_str(), DPDK_PORT)).unwrap();
    {
        let (mut rx, mut tx) = (port.rx_queue(0).unwrap(), port.tx_queue(0).unwrap());
        let mut burst = Burst::<32>::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        let kernel_mac = loop {
            assert!(Instant::now() < deadline, "no datagram reached the DPDK port");
            let found = rx.rx_burst(&mut burst).iter().find_map(|m| {
                udp_to(m.data(), DPDK_PORT).map(|(src, payload)| (src, payload.to_vec()))
            });
            burst.clear(); // other traffic (IPv6 neighbour discovery, ...) is dropped
            if let Some((src, payload)) = found {
                assert_eq!(payload, b"hello, dpdk");
                break src;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let reply = udp_frame(
            kernel_mac,
            mac.0,
            (DPDK_IP, DPDK_PORT),
            (KERNEL_IP, KERNEL_PORT),
            b"hello, kernel",
        );
        let mut m = pool.alloc().unwrap();
        m.append(reply.len()).unwrap().copy_from_slice(&reply);
        burst.push(m).unwrap();
        while !burst.is_empty() {
            tx.tx_burst(&mut burst);
        }
    }
    let mut buf = [0u8; 64];
    let (n, from) = socket.recv_from(&mut buf).expect("the reply from DPDK");
    assert_eq!(&buf[..n], b"hello, kernel");
    assert_eq!(from.to_string(), format!("{dpdk_ip}:{DPDK_PORT}"));
    let stats = port.stats().unwrap();
    assert!(stats.rx_packets >= 1 && stats.tx_packets == 1, "{stats:?}");
    drop(port);
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn queue_handles_move_to_the_thread_that_polls_them() {
    fn send<T: Send>(_: &T) {}
    eal();
    let port = Port::attach_vdev(&ring_name("s")).unwrap();
    let pool = pool_for(&port, 255);
    let mut port = port.configure(&PortConfig::new(1, 1), &pool).unwrap();
    port.start().unwrap();
    let (rx, mut tx) = (port.rx_queue(0).unwrap(), port.tx_queue(0).unwrap());
    send(&rx);
    let mut out = Burst::<8>::new();
    pool.alloc_bulk(&mut out, 8).unwrap();
    send(&out);
    assert_eq!(tx.tx_burst(&mut out), 8);
    let received = std::thread::scope(|s| {
        s.spawn(move || {
            let mut rx = rx;
            let mut got = Burst::<8>::new();
            rx.rx_burst(&mut got).len()
        })
        .join()
        .unwrap()
    });
    assert_eq!(received, 8);
    drop(tx);
    drop(port);
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn ports_plugged_and_dropped_on_two_threads_never_share_an_id() {
    // DPDK reuses a closed port's id at once: a port plugged in on one thread while
    // another drops its handle must get a fresh claim, never "owned by another handle".
    eal();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|t| {
                s.spawn(move || {
                    for round in 0..3000 {
                        let name = format!("net_null_race{t}_{round}");
                        match Port::attach_vdev(&name) {
                            Ok(port) => drop(port),
                            Err(e) => panic!("thread {t}, round {round}: {e}"),
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
    });
}

#[test]
fn net_null_never_writes_past_a_packets_buffer() {
    eal();
    // net_null stamps `size` bytes (64 by default) on every packet it receives, whatever
    // the packet's room: a pool too small for it is refused when the port is configured.
    let small = PktMbufPool::new(&unique_name("pks"), 63, 0, HEADROOM + 32, SocketId::ANY)
        .expect("a pool of 32-byte packets");
    for devargs in ["net_null_sz0", "net_null_sz1,size=33", "net_null_sz2,size=0x21"] {
        let port = Port::attach_vdev(devargs).unwrap();
        let err = port.configure(&PortConfig::new(1, 1), &small).unwrap_err();
        match &err.error {
            Error::InvalidArgument { message, .. } => {
                assert!(message.contains("hold 32"), "{devargs}: {message}")
            }
            other => panic!("{devargs}: {other:?}"),
        }
        // TX only does not receive into the pool.
        let port = err.port.expect("the port comes back");
        drop(port.configure(&PortConfig::new(0, 1), &small).expect("TX only"));
    }
    // size= above the default room, and the packets it then makes fit their room.
    let big = PktMbufPool::new(&unique_name("pkb"), 63, 0, HEADROOM + 4000, SocketId::ANY)
        .expect("a pool of 4000-byte packets");
    let port = Port::attach_vdev("net_null_sz3,size=4000").unwrap();
    assert_eq!(port.devargs().unwrap(), "size=4000");
    let mut port = port.configure(&PortConfig::new(1, 1), &big).unwrap();
    port.start().unwrap();
    {
        let mut rx = port.rx_queue(0).unwrap();
        let mut burst = Burst::<8>::new();
        assert_eq!(rx.rx_burst(&mut burst).len(), 8);
        assert!(burst.iter().all(|m| m.data().len() == 4000));
    }
    assert_eq!(port.rx_outside_buffer(), 0);
    drop(port);
    // copy=1 makes TX read `size` bytes of every packet sent, whatever its length.
    for devargs in ["net_null_cp0,copy=1", "net_null_cp1,size=64,copy=0x1"] {
        match Port::attach_vdev(devargs) {
            Err(Error::InvalidArgument { message, .. }) => {
                assert!(message.contains("copy"), "{message}")
            }
            other => panic!("{devargs}: {other:?}"),
        }
    }
    drop(Port::attach_vdev("net_null_cp2,copy=0").expect("copy=0 is the default"));
    assert_eq!((small.in_use(), big.in_use()), (0, 0));
}

#[test]
fn received_packets_that_overrun_their_buffer_are_dropped() {
    // A driver is not trusted to stay inside a buffer: net_ring hands back what it was
    // given, so a packet whose header a (simulated) faulty driver set past its buffer
    // comes back through the receive check.
    eal();
    let port = Port::attach_vdev(&ring_name("ob")).unwrap();
    let pool = pool_for(&port, 255);
    let mut port = port.configure(&PortConfig::new(1, 1), &pool).unwrap();
    port.start().unwrap();
    let (mut rx, mut tx) = (port.rx_queue(0).unwrap(), port.tx_queue(0).unwrap());
    let mut out = Burst::<4>::new();
    pool.alloc_bulk(&mut out, 4).unwrap();
    for (i, m) in out.iter_mut().enumerate() {
        m.append(60).unwrap().fill(i as u8);
    }
    for i in [1, 3] {
        let m = out[i].as_ptr();
        // SAFETY: a packet this test owns; the header lies as a faulty driver's would.
        unsafe { (*m).set_data_len((*m).buf_len() - (*m).data_off() + 1) };
    }
    assert_eq!(tx.tx_burst(&mut out), 4);
    let mut got = Burst::<4>::new();
    let received = rx.rx_burst(&mut got);
    assert_eq!(received.len(), 2, "the two sound packets");
    assert_eq!((received[0].data()[0], received[1].data()[0]), (0, 2), "in order");
    assert_eq!(port.rx_outside_buffer(), 2);
    drop(got);
    assert_eq!(pool.in_use(), 0, "the dropped packets went back to their pool");
}

#[test]
fn a_net_ring_port_leaves_no_packet_and_no_ring_behind() {
    eal();
    let rings_of = |name: &str| {
        (0..16)
            .filter(|q| dpdk::ring::RingRef::lookup(&format!("ETH_RXTX{q}_{name}")).is_ok())
            .count()
    };
    let name = ring_name("lk");
    let port = Port::attach_vdev(&name).unwrap();
    assert_eq!(rings_of(&name), 16, "net_ring makes all its rings when plugged in");
    let pool = pool_for(&port, 255);
    // Two TX queues but one RX queue: what TX queue 1 sends waits in a ring that no RX
    // queue reads.
    let mut port = port.configure(&PortConfig::new(1, 2), &pool).unwrap();
    port.start().unwrap();
    for q in 0..2 {
        let mut tx = port.tx_queue(q).unwrap();
        let mut burst = Burst::<8>::new();
        pool.alloc_bulk(&mut burst, 8).unwrap();
        assert_eq!(tx.tx_burst(&mut burst), 8);
    }
    assert_eq!(pool.in_use(), 16);
    // Stopped with packets still queued on both.
    port.stop().unwrap();
    drop(port);
    assert_eq!(pool.in_use(), 0, "every queued packet went back to its pool");
    assert_eq!(rings_of(&name), 0, "every ring of the device is freed");
    // The name is free for a new device.
    let again = Port::attach_vdev(&name).expect("the same name plugs in again");
    drop(again);
    assert_eq!(rings_of(&name), 0);
}

#[test]
fn a_net_ring_name_too_long_for_its_rings_is_name_too_long() {
    eal();
    let max = dpdk::ethdev::NET_RING_NAME_MAX;
    assert_eq!(max, 17, "RG_ETH_RXTX15_<name> within 31 bytes");
    let long = format!("net_ring_{}", "l".repeat(max - "net_ring_".len() + 1));
    match Port::attach_vdev(&long) {
        Err(Error::NameTooLong { len, max: m, .. }) => assert_eq!((len, m), (max + 1, max)),
        other => panic!("{long}: {other:?}"),
    }
    let at_limit = format!("net_ring_{}{}", std::process::id() % 1000, "l".repeat(max));
    let at_limit = &at_limit[..max];
    drop(Port::attach_vdev(at_limit).expect("a name at the limit"));
}
