//! Checks the live [`dpdk::numa::Topology`] reader against what the kernel
//! says, read independently: the node files of `/sys` parsed by the test
//! itself, `lscpu` (util-linux) and `getconf` (glibc). Each test asserts that
//! our reader reports what the kernel reports, never that two kernel files
//! agree with each other (they need not: memory ballooning, offline zones).
//!
//! Needs no DPDK and no hugepages; needs `lscpu` (package `util-linux`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

use dpdk::numa::Topology;

/// Runs `program args`, panicking with `missing` if it is not installed.
fn command_output(program: &str, args: &[&str], missing: &str) -> String {
    let output = match Command::new(program).args(args).env("LC_ALL", "C").output() {
        Ok(output) => output,
        Err(e) if e.kind() == io::ErrorKind::NotFound => panic!("{program} not found: {missing}"),
        Err(e) => panic!("cannot run {program}: {e}"),
    };
    assert!(
        output.status.success(),
        "{program} {args:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// CPU -> node as `lscpu -p=CPU,NODE` reports it (online CPUs; an empty NODE,
/// as on a kernel without NUMA, is node 0).
fn lscpu_nodes() -> BTreeMap<u32, u32> {
    let text = command_output(
        "lscpu",
        &["-p=CPU,NODE"],
        "install util-linux (apt-get install util-linux) to run this test",
    );
    let mut nodes = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (cpu, node) =
            line.split_once(',').unwrap_or_else(|| panic!("unexpected lscpu line {line:?}"));
        let cpu: u32 = cpu.parse().unwrap_or_else(|_| panic!("bad CPU in lscpu line {line:?}"));
        let node: u32 = if node.is_empty() {
            0
        } else {
            node.parse().unwrap_or_else(|_| panic!("bad NODE in lscpu line {line:?}"))
        };
        assert!(nodes.insert(cpu, node).is_none(), "lscpu lists CPU {cpu} twice");
    }
    assert!(!nodes.is_empty(), "lscpu listed no CPU:\n{text}");
    nodes
}

#[test]
fn cpus_and_nodes_match_lscpu() {
    let topology = Topology::read().expect("read topology");
    let expected = lscpu_nodes();

    let mut actual = BTreeMap::new();
    for node in &topology.nodes {
        for &cpu in &node.cpus {
            if let Some(other) = actual.insert(cpu, node.id) {
                panic!("CPU {cpu} is in node {other} and node {}", node.id);
            }
        }
    }
    assert_eq!(
        actual.keys().collect::<BTreeSet<_>>(),
        expected.keys().collect::<BTreeSet<_>>(),
        "CPU set differs from lscpu's"
    );
    for (&cpu, &node) in &expected {
        assert_eq!(topology.node_of_cpu(cpu), Some(node), "node of CPU {cpu} differs from lscpu's");
    }
    assert_eq!(topology.cpu_count(), expected.len());
}

#[test]
fn cpu_count_matches_online_cpus() {
    let topology = Topology::read().expect("read topology");

    let online: usize =
        command_output("getconf", &["_NPROCESSORS_ONLN"], "install libc-bin to run this test")
            .trim()
            .parse()
            .expect("getconf _NPROCESSORS_ONLN prints a number");
    assert_eq!(topology.cpu_count(), online, "cpu_count differs from getconf _NPROCESSORS_ONLN");

    // available_parallelism honours the affinity mask and cgroup quotas, so
    // it can be smaller, never larger.
    let available = thread::available_parallelism().expect("available_parallelism").get();
    assert!(
        available <= topology.cpu_count(),
        "available_parallelism {available} > cpu_count {}",
        topology.cpu_count()
    );
}

/// What the kernel says each node holds, read by this test on its own: node
/// -> (`MemTotal`, `MemFree`) in bytes, from
/// `/sys/devices/system/node/nodeN/meminfo`, or on a kernel without NUMA the
/// one node 0 from `/proc/meminfo`.
fn kernel_node_memory() -> BTreeMap<u32, (u64, u64)> {
    let node_dir = Path::new("/sys/devices/system/node");
    let files: Vec<(u32, PathBuf)> = if node_dir.is_dir() {
        fs::read_dir(node_dir)
            .expect("list /sys/devices/system/node")
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let id = entry.file_name().to_str()?.strip_prefix("node")?.parse().ok()?;
                Some((id, entry.path().join("meminfo")))
            })
            .collect()
    } else {
        vec![(0, PathBuf::from("/proc/meminfo"))]
    };
    files
        .into_iter()
        .map(|(id, file)| {
            let text = fs::read_to_string(&file).expect("read meminfo");
            let field = |name: &str| -> u64 {
                let line = text
                    .lines()
                    .find(|line| {
                        line.split(':').next().unwrap().split_whitespace().last() == Some(name)
                    })
                    .unwrap_or_else(|| panic!("{}: no {name} line", file.display()));
                let kb = line.split(':').nth(1).unwrap().split_whitespace().next().unwrap();
                kb.parse::<u64>().expect("a number of kB") * 1024
            };
            (id, (field("MemTotal"), field("MemFree")))
        })
        .collect()
}

/// Our reader reports each node's `MemTotal` and `MemFree` as the kernel's
/// own file for that node does. Whether the kernel's files agree with each
/// other (node totals against `/proc/zoneinfo` or `/proc/meminfo`) is the
/// kernel's business: with memory ballooning they do not, and nothing we
/// promise depends on it.
#[test]
fn memory_matches_the_kernels_node_files() {
    // Free memory moves with every allocation on the machine: each sample
    // brackets our read with two of the kernel's, and the reader's free count
    // must lie between them, give or take what moved meanwhile and 16 MiB.
    // (A unit mistake, kB read as bytes or the reverse, is off by 1024x.)
    const SLACK: u64 = 16 << 20;
    let before = kernel_node_memory();
    let topology = Topology::read().expect("read topology");
    let after = kernel_node_memory();

    let ids: Vec<u32> = topology.nodes.iter().map(|node| node.id).collect();
    assert_eq!(ids, before.keys().copied().collect::<Vec<_>>(), "node ids differ");
    for node in &topology.nodes {
        let (total_before, free_before) = before[&node.id];
        let (total_after, free_after) = after[&node.id];
        assert!(
            (total_before.min(total_after)..=total_before.max(total_after))
                .contains(&node.memory_total_bytes),
            "node {}: reader says MemTotal {} bytes, the kernel {total_before} then {total_after}",
            node.id,
            node.memory_total_bytes
        );
        let low = free_before.min(free_after).saturating_sub(SLACK);
        let high = free_before.max(free_after) + SLACK;
        assert!(
            (low..=high).contains(&node.memory_free_bytes),
            "node {}: reader says MemFree {} bytes, the kernel {free_before} then {free_after}",
            node.id,
            node.memory_free_bytes
        );
        assert!(
            node.memory_free_bytes <= node.memory_total_bytes,
            "node {}: free > total",
            node.id
        );
    }
}

/// What the kernel says of each node's hugepage pools, read by this test on
/// its own: (node, page size in bytes) -> (`nr_hugepages`, `free_hugepages`),
/// from each node's `hugepages/` directory, or without NUMA from
/// `/sys/kernel/mm/hugepages` as node 0.
fn kernel_hugepage_pools() -> BTreeMap<(u32, u64), (u64, u64)> {
    let node_dir = Path::new("/sys/devices/system/node");
    let dirs: Vec<(u32, PathBuf)> = if node_dir.is_dir() {
        fs::read_dir(node_dir)
            .expect("list /sys/devices/system/node")
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let id = entry.file_name().to_str()?.strip_prefix("node")?.parse().ok()?;
                Some((id, entry.path().join("hugepages")))
            })
            .collect()
    } else {
        vec![(0, PathBuf::from("/sys/kernel/mm/hugepages"))]
    };
    let number = |path: PathBuf| -> u64 {
        fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{}: not a number", path.display()))
    };
    let mut pools = BTreeMap::new();
    for (id, dir) in dirs {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries {
            let entry = entry.expect("hugepages entry");
            let name = entry.file_name().into_string().expect("UTF-8 name");
            let Some(kb) = name.strip_prefix("hugepages-").and_then(|n| n.strip_suffix("kB"))
            else {
                continue;
            };
            let size = kb.parse::<u64>().expect("page size in kB") * 1024;
            let counts = (
                number(entry.path().join("nr_hugepages")),
                number(entry.path().join("free_hugepages")),
            );
            pools.insert((id, size), counts);
        }
    }
    pools
}

/// Our reader reports every node's hugepage pools, of every size, as the
/// kernel's own files for that node do.
#[test]
fn hugepages_match_the_kernels_node_files() {
    // Other processes (DPDK tests running beside this one) take and give back
    // hugepages, so a sample counts only when the kernel's files did not
    // change across our read; such a sample must match exactly.
    for _ in 0..100 {
        let before = kernel_hugepage_pools();
        let topology = Topology::read().expect("read topology");
        let after = kernel_hugepage_pools();
        if before != after {
            thread::sleep(Duration::from_millis(20));
            continue;
        }
        let ours: BTreeMap<(u32, u64), (u64, u64)> = topology
            .nodes
            .iter()
            .flat_map(|node| {
                node.hugepages
                    .iter()
                    .map(move |pool| ((node.id, pool.page_size_bytes), (pool.total, pool.free)))
            })
            .collect();
        assert_eq!(ours, before, "(node, page size) -> (total, free) differs from the kernel's");
        return;
    }
    panic!("the kernel's hugepage counts changed across every one of 100 reads");
}

/// The shape `cargo xtask test --numa` gave its two-node guest: node -> (CPUs, MiB), from
/// `DPDK_RS_GUEST_NODES` (`node:first-last:MiB,...`), and the 2 MiB hugepages its init
/// reserved on each node (`DPDK_RS_GUEST_HUGEPAGES`).
fn guest_shape() -> (BTreeMap<u32, (Vec<u32>, u64)>, u64) {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: this test runs in the two-node guest (cargo xtask test --numa)"
            )
        })
    };
    let mut nodes = BTreeMap::new();
    for item in var("DPDK_RS_GUEST_NODES").split(',') {
        let fields: Vec<&str> = item.split(':').collect();
        let [node, cpus, mib] = fields[..] else { panic!("bad guest node {item:?}") };
        let cpus = dpdk::numa::parse_cpulist(cpus).expect("a CPU list");
        nodes.insert(node.parse().unwrap(), (cpus, mib.parse().unwrap()));
    }
    (nodes, var("DPDK_RS_GUEST_HUGEPAGES").parse().unwrap())
}

#[test]
#[ignore = "needs two NUMA nodes: runs in the two-node guest (cargo xtask test --numa)"]
fn the_reader_sees_the_two_nodes_the_guest_was_given() {
    let (shape, hugepages) = guest_shape();
    let topology = Topology::read().expect("read topology");
    let ids: Vec<u32> = topology.nodes.iter().map(|n| n.id).collect();
    assert_eq!(ids, shape.keys().copied().collect::<Vec<_>>(), "the nodes:\n{topology}");
    for node in &topology.nodes {
        let (cpus, mib) = &shape[&node.id];
        assert_eq!(&node.cpus, cpus, "node {}'s CPUs:\n{topology}", node.id);
        // The kernel keeps some of each node's memory for itself (its image and page
        // tables on node 0, per-node structures everywhere), never more than a quarter.
        let given = mib << 20;
        assert!(
            node.memory_total_bytes <= given && node.memory_total_bytes >= given / 4 * 3,
            "node {}: {} bytes of memory, the guest gave it {given}:\n{topology}",
            node.id,
            node.memory_total_bytes
        );
        assert!(node.memory_free_bytes <= node.memory_total_bytes);
        let pool = node.hugepages.iter().find(|p| p.page_size_bytes == 2 << 20);
        let pool = pool.unwrap_or_else(|| panic!("node {} has a 2 MiB pool:\n{topology}", node.id));
        assert_eq!(pool.total, hugepages, "node {}'s reserved hugepages:\n{topology}", node.id);
        assert!(pool.free <= pool.total);
    }
    for (node, (cpus, _)) in &shape {
        for &cpu in cpus {
            assert_eq!(topology.node_of_cpu(cpu), Some(*node), "CPU {cpu}");
        }
    }
}
