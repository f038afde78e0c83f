//! The DNS dataplane on two NUMA nodes: main lcore 0 on node 0, workers 2 and 3 on node 1.
//! Every object the workers use must be asked for, and land, on socket 1, and the answers
//! must still match what the generator sent.
//!
//! Its own test binary, because the dataplane brings up its own EAL. Ignored on a one-node
//! machine; `cargo xtask test --numa` runs it in the two-node guest.

use dns_dataplane::app::{self, Config, Input};

#[test]
#[ignore = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)"]
fn workers_on_node_1_get_their_objects_on_socket_1() {
    let config = Config {
        // Few frames: under TCG the guest runs the debug build slowly.
        input: Input::Generated { frames: 20_000, seed: 2026 },
        lcores: vec![0, 2, 3],
        ..Config::default()
    };
    let report = app::run(&config).unwrap_or_else(|e| panic!("the dataplane: {e}"));
    let placement = &report.placement;
    assert_eq!(placement.mismatches(), 0, "nothing landed elsewhere than asked:\n{placement}");
    for kind in ["domain table", "Hyperscan database", "Hyperscan scratch", "worker", "ring"] {
        let objects: Vec<_> =
            placement.objects.iter().filter(|p| p.object.starts_with(kind)).collect();
        assert!(!objects.is_empty(), "the report lists the {kind}:\n{placement}");
        for p in objects {
            // (Raw ids: the EAL is gone by now, and SocketId::new asks it.)
            assert_eq!(
                (p.asked.as_raw(), p.landed.map(|s| s.as_raw())),
                (1, Some(1)),
                "{} is used by workers on node 1:\n{placement}",
                p.object
            );
        }
    }
    let pool = placement.objects.iter().find(|p| p.object.starts_with("mbuf pool")).unwrap();
    assert_eq!(pool.landed, Some(pool.asked), "the mbuf pool where asked:\n{placement}");
    assert_eq!(report.matches_generator(), Some(true), "the counters match the generator");
}
