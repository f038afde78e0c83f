//! Checks the live [`dpdk::numa::Topology`] reader against sources that do not
//! go through the same sysfs files: `/proc/meminfo`, `/proc/zoneinfo`,
//! `lscpu` (util-linux), `getconf` (glibc) and `std::thread::available_parallelism`.
//!
//! Needs no DPDK and no hugepages; needs `lscpu` (package `util-linux`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

use dpdk::numa::{parse_cpulist, Topology};

/// `/proc/meminfo` as key -> first number (kB for the `kB` lines, a count for
/// the `HugePages_*` lines).
fn proc_meminfo() -> BTreeMap<String, u64> {
    let text = fs::read_to_string("/proc/meminfo").expect("read /proc/meminfo");
    text.lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            let number = value.split_whitespace().next()?.parse().ok()?;
            Some((key.trim().to_string(), number))
        })
        .collect()
}

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
fn cpu_count_matches_online_cpus_and_available_parallelism() {
    let topology = Topology::read().expect("read topology");

    let online: usize =
        command_output("getconf", &["_NPROCESSORS_ONLN"], "install libc-bin to run this test")
            .trim()
            .parse()
            .expect("getconf _NPROCESSORS_ONLN prints a number");
    assert_eq!(topology.cpu_count(), online, "cpu_count differs from getconf _NPROCESSORS_ONLN");

    let available = thread::available_parallelism().expect("available_parallelism").get();
    assert!(
        available <= topology.cpu_count(),
        "available_parallelism {available} > cpu_count {}",
        topology.cpu_count()
    );
    if available == topology.cpu_count() {
        return;
    }
    // available_parallelism honours the affinity mask and the cgroup CPU
    // quota: a difference is only an error when neither restricts this process.
    let restricted_affinity = !affinity_covers_online_cpus();
    let quota = cgroup_cpu_quota();
    assert!(
        restricted_affinity || quota.is_some(),
        "available_parallelism {available} != cpu_count {} although the affinity \
         mask covers all online CPUs and no cgroup CPU quota was found",
        topology.cpu_count()
    );
    eprintln!(
        "note: available_parallelism {available} < cpu_count {} \
         (affinity restricted: {restricted_affinity}, cgroup quota: {quota:?})",
        topology.cpu_count()
    );
}

/// Whether `Cpus_allowed_list` of this process includes every online CPU.
fn affinity_covers_online_cpus() -> bool {
    let status = fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let allowed = status
        .lines()
        .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
        .expect("Cpus_allowed_list in /proc/self/status");
    let allowed: BTreeSet<u32> = parse_cpulist(allowed).unwrap().into_iter().collect();
    let online = fs::read_to_string("/sys/devices/system/cpu/online").unwrap();
    parse_cpulist(&online).unwrap().iter().all(|cpu| allowed.contains(cpu))
}

/// A cgroup CPU quota (v2 `cpu.max` or v1 `cpu.cfs_quota_us`) on this
/// process's cgroup or an ancestor, as the file and its contents.
fn cgroup_cpu_quota() -> Option<String> {
    let cgroups = fs::read_to_string("/proc/self/cgroup").ok()?;
    for line in cgroups.lines() {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        let candidates: Vec<(PathBuf, &str)> = if controllers.is_empty() {
            ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
                .iter()
                .map(|base| (PathBuf::from(base), "cpu.max"))
                .collect()
        } else if controllers.split(',').any(|c| c == "cpu") {
            ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"]
                .iter()
                .map(|base| (PathBuf::from(base), "cpu.cfs_quota_us"))
                .collect()
        } else {
            continue;
        };
        for (base, file) in candidates {
            let mut dir = base.join(path.trim_start_matches('/'));
            loop {
                let quota_file = dir.join(file);
                if let Ok(text) = fs::read_to_string(&quota_file) {
                    let text = text.trim();
                    if !(text.starts_with("max") || text == "-1") {
                        return Some(format!("{}: {text}", quota_file.display()));
                    }
                }
                if dir == base || !dir.pop() {
                    break;
                }
            }
        }
    }
    None
}

/// Sums `MemTotal` over nodes and checks it against `/proc/meminfo` and, node
/// by node, against the managed pages of `/proc/zoneinfo`.
#[test]
fn memory_total_matches_proc() {
    let topology = Topology::read().expect("read topology");
    let meminfo_total = proc_meminfo()["MemTotal"] * 1024;
    let node_total: u64 = topology.nodes.iter().map(|node| node.memory_total_bytes).sum();
    for node in &topology.nodes {
        assert!(
            node.memory_free_bytes <= node.memory_total_bytes,
            "node {}: free > total",
            node.id
        );
    }
    let within_5_percent = |a: u64, b: u64| a.abs_diff(b) * 20 <= b;

    // The kernel's own per-zone accounting: node MemTotal is the sum of the
    // managed pages of the node's zones.
    let page_size: u64 = command_output("getconf", &["PAGESIZE"], "install libc-bin")
        .trim()
        .parse()
        .expect("getconf PAGESIZE prints a number");
    let zone_totals = zoneinfo_managed_bytes(page_size);
    if Path::new("/sys/devices/system/node").is_dir() {
        for node in &topology.nodes {
            let zone_total = zone_totals.get(&node.id).copied().unwrap_or(0);
            assert!(
                within_5_percent(node.memory_total_bytes, zone_total),
                "node {}: MemTotal {} bytes, /proc/zoneinfo managed pages {} bytes",
                node.id,
                node.memory_total_bytes,
                zone_total
            );
        }
    }

    let zone_sum: u64 = zone_totals.values().sum();
    if within_5_percent(zone_sum, meminfo_total) {
        assert!(
            within_5_percent(node_total, meminfo_total),
            "sum of node MemTotal {node_total} bytes is not within 5% of \
             /proc/meminfo MemTotal {meminfo_total} bytes"
        );
    } else {
        // Seen on a Firecracker guest kernel: /proc/meminfo counts memory that
        // no zone manages, so no per-node view can add up to it. The
        // per-node comparison with /proc/zoneinfo above still checks the reader.
        eprintln!(
            "note: the kernel's per-zone managed pages ({zone_sum} bytes) disagree with \
             /proc/meminfo MemTotal ({meminfo_total} bytes) by more than 5%; \
             not comparing the node sum ({node_total} bytes) with /proc/meminfo"
        );
    }
}

/// Node -> bytes of managed pages over its zones, from `/proc/zoneinfo`.
fn zoneinfo_managed_bytes(page_size: u64) -> BTreeMap<u32, u64> {
    let text = fs::read_to_string("/proc/zoneinfo").expect("read /proc/zoneinfo");
    let mut totals = BTreeMap::new();
    let mut node = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Node ") {
            let id = rest.split(',').next().unwrap().trim();
            node = Some(id.parse::<u32>().expect("node number in /proc/zoneinfo"));
        } else if let Some(pages) = line.trim().strip_prefix("managed") {
            let pages: u64 = pages.trim().parse().expect("managed pages number");
            *totals.entry(node.expect("zone before Node line")).or_insert(0) += pages * page_size;
        }
    }
    totals
}

/// Hugepages of the default size (`Hugepagesize:`) summed over nodes, as
/// (total, free).
fn default_size_hugepages(topology: &Topology, page_size_bytes: u64) -> (u64, u64) {
    topology
        .nodes
        .iter()
        .flat_map(|node| &node.hugepages)
        .filter(|pool| pool.page_size_bytes == page_size_bytes)
        .fold((0, 0), |(total, free), pool| (total + pool.total, free + pool.free))
}

#[test]
fn hugepages_match_proc_meminfo() {
    let meminfo = proc_meminfo();
    let Some(&size_kb) = meminfo.get("Hugepagesize") else {
        // A kernel without hugetlbfs: no pools anywhere.
        let topology = Topology::read().expect("read topology");
        assert!(
            topology.nodes.iter().all(|node| node.hugepages.is_empty()),
            "/proc/meminfo has no Hugepagesize but the reader found pools: {topology:?}"
        );
        return;
    };
    let page_size = size_kb * 1024;

    // Counts can change while we read if another process (e.g. a DPDK test)
    // allocates hugepages or someone resizes a pool, so each sample brackets
    // the sysfs read with two reads of /proc/meminfo. Totals (nr_hugepages)
    // only change when a pool is resized: a stable sample must match exactly.
    // Free counts change with every allocation: they must match in at least
    // one sample, unless they kept changing for the whole test, in which case
    // the comparison is skipped with a note.
    let mut free_matched = false;
    let mut free_churn = false;
    let mut last = None;
    for _ in 0..50 {
        let before = proc_meminfo();
        let topology = Topology::read().expect("read topology");
        let after = proc_meminfo();
        let (total, free) = default_size_hugepages(&topology, page_size);
        for node in &topology.nodes {
            for pool in &node.hugepages {
                assert!(
                    pool.free <= pool.total,
                    "node {}: {pool:?} has more free than total pages",
                    node.id
                );
            }
        }
        let expected_total = before["HugePages_Total"];
        if expected_total == after["HugePages_Total"] {
            assert_eq!(
                total, expected_total,
                "{size_kb} kB hugepages summed over nodes differ from HugePages_Total"
            );
        }
        let expected_free = before["HugePages_Free"];
        if free == expected_free && expected_free == after["HugePages_Free"] {
            free_matched = true;
            break;
        }
        let sample = (free, expected_free, after["HugePages_Free"]);
        free_churn |= expected_free != after["HugePages_Free"] || last.is_some_and(|l| l != sample);
        last = Some(sample);
        thread::sleep(Duration::from_millis(100));
    }
    if !free_matched {
        let (free, before, after) = last.unwrap();
        assert!(
            free_churn,
            "{size_kb} kB free hugepages summed over nodes ({free}) differ from \
             HugePages_Free ({before}, then {after}) in every sample although they did not change"
        );
        eprintln!(
            "note: free hugepages kept changing (another process is allocating them); \
             free count not compared (last: nodes {free}, /proc/meminfo {before} -> {after})"
        );
    }
}
