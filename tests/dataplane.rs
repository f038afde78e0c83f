//! The DNS dataplane's parts against real DPDK (and Hyperscan, for the block list).

use dns_dataplane::blocklist::{Blocklist, BlocklistError};
use dpdk::{LcoreId, SocketId};
use dpdk_tests::{eal, unique_name, worker_turn};

fn socket() -> SocketId {
    eal().sockets()[0]
}

#[test]
fn blocklist_matches_on_dpdk_memory_and_per_lcore_scratch() {
    let eal = eal();
    let list =
        Blocklist::compile(&[r"(^|\.)ads\.example$", r"^track[0-9]+\.", r"casino"], socket())
            .unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list.memory_socket(), Some(socket()), "the database is on DPDK's heap");
    let mut scratch = list.scratch(socket()).unwrap();
    assert_eq!(scratch.memory_socket(), Some(socket()));
    for (name, blocked) in [
        ("ads.example", true),
        ("x.ADS.example", true),
        ("badads.example", false),
        ("track42.example.com", true),
        ("tracker.example.com", false),
        ("my-casino.test", true),
        ("example.com", false),
        ("", false),
    ] {
        assert_eq!(scratch.matches(name.as_bytes()).unwrap(), blocked, "{name}");
    }
    // A clone made on the worker lcore scans there.
    let _turn = worker_turn();
    let worker: LcoreId = eal.workers()[0];
    let proto = list.prototype(socket()).unwrap();
    let proto = &proto;
    let found = eal.scope(|s| {
        s.launch(worker, move || {
            let mut own = proto.clone_on(SocketId::current()).unwrap();
            (own.memory_socket(), own.matches(b"cdn.ads.example").unwrap())
        })
        .unwrap()
        .join()
        .unwrap()
    });
    assert_eq!(found, (Some(worker.socket()), true));
}

#[test]
fn blocklist_errors_name_the_pattern() {
    eal();
    match Blocklist::compile(&["fine", "(unclosed"], socket()) {
        Err(BlocklistError::Compile { index: Some(1), message }) => {
            assert!(!message.is_empty())
        }
        other => panic!("expected a compile error on pattern 1, got {other:?}"),
    }
    assert!(matches!(
        Blocklist::compile(&["a\0b"], socket()),
        Err(BlocklistError::Nul { index: 0 })
    ));
}

/// The generator's traffic through the engine in bursts: the counters match what was
/// generated, and every answer carries the RCODE its category calls for.
#[test]
fn engine_answers_generated_traffic_as_the_list_says() {
    use dns_dataplane::engine::{Counters, Engine, Verdict, BURST};
    use dns_dataplane::table::DomainTable;
    use dns_wire::{rcode, BuildOptions, Category, DomainList, Generator, Mix, Parsed};

    eal();
    let list = DomainList::default_list();
    let table = DomainTable::load(&list, &unique_name("dom"), socket()).unwrap();
    assert_eq!(table.len(), list.len());
    assert_eq!(table.memory_sockets(), (Some(socket()), Some(socket())));
    let mut engine = Engine::new(&table, BuildOptions::default(), ());
    let mut gen = Generator::new(7, &list, Mix::default()).unwrap();
    let mut counters = Counters::default();
    let mut sent = 0u64;
    for _ in 0..200 {
        let mut frames = Vec::with_capacity(BURST);
        let mut expected = Vec::with_capacity(BURST);
        for _ in 0..BURST {
            let mut buf = vec![0u8; 2048];
            let (len, e) = gen.next_frame(&mut buf).unwrap();
            frames.push((buf, len));
            expected.push(e);
        }
        let mut verdicts = [Verdict::Drop; BURST];
        engine.process(&mut frames, &mut verdicts, &mut counters);
        for ((frame, e), v) in frames.iter().zip(&expected).zip(verdicts) {
            if e.category == Category::Malformed {
                assert_eq!(v, Verdict::Drop, "{e:?}");
                continue;
            }
            assert_eq!(v, Verdict::Send, "{e:?}");
            sent += 1;
            let bytes = &frame.0[..frame.1];
            assert!(matches!(dns_wire::parse(bytes), Parsed::NotDns(_)), "a response now");
            // The DNS header follows Ethernet (+VLAN), IP and UDP; find it by the ID.
            let want = match e.category {
                Category::Hit => rcode::NOERROR,
                Category::Blocked => rcode::REFUSED,
                Category::Miss => rcode::NXDOMAIN,
                Category::Counted => {
                    let entry = &list.entries()[e.entry.unwrap()];
                    entry.answer().rcode()
                }
                Category::Malformed => unreachable!(),
            };
            let dns = dns_offset(bytes);
            assert_eq!(u16::from_be_bytes([bytes[dns], bytes[dns + 1]]), e.id);
            assert_eq!(bytes[dns + 2] & 0x80, 0x80, "QR set");
            assert_eq!(bytes[dns + 3] & 0x0f, want, "{e:?}");
        }
    }
    let g = gen.counts();
    assert_eq!(counters.frames, g.frames);
    assert_eq!(
        (counters.hits, counters.counted, counters.blocked, counters.misses, counters.malformed),
        (g.hits, g.counted, g.blocked, g.misses, g.malformed)
    );
    assert_eq!((counters.not_dns, counters.no_room, counters.pattern_blocked), (0, 0, 0));
    assert_eq!(counters.queries, sent);
}

/// Where the DNS header starts in an Ethernet frame (optional VLAN tag, IPv4 or IPv6, UDP).
fn dns_offset(frame: &[u8]) -> usize {
    let mut l3 = 14;
    let mut ethertype = u16::from_be_bytes([frame[12], frame[13]]);
    if ethertype == 0x8100 {
        ethertype = u16::from_be_bytes([frame[16], frame[17]]);
        l3 = 18;
    }
    let l4 = if ethertype == 0x0800 { l3 + usize::from(frame[l3] & 0x0f) * 4 } else { l3 + 40 };
    l4 + 8
}
