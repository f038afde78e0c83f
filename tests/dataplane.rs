//! The DNS dataplane's parts against real DPDK (and Hyperscan, for the block list).

use dns_dataplane::blocklist::{Blocklist, BlocklistError};
use dpdk::{LcoreId, SocketId};
use dpdk_tests::{eal, worker_turn};

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
