//! NUMA topology of the host, read from sysfs and procfs.
//!
//! This module is pure Rust and needs no DPDK: it does not initialise the EAL
//! and can be used before deciding which lcores, memory sockets and hugepage
//! sizes to hand to DPDK.
//!
//! The sources are the files the kernel exports:
//!
//! * `/sys/devices/system/node/nodeN/cpulist` - the online CPUs of node `N`;
//! * `/sys/devices/system/node/nodeN/meminfo` - `MemTotal` and `MemFree` of
//!   node `N`;
//! * the hugepage pools of node `N`, one directory per page size:
//!   `/sys/devices/system/node/nodeN/hugepages/hugepages-<size>kB/{nr_hugepages,free_hugepages}`;
//! * `/sys/bus/pci/devices/<address>/numa_node` - the node a PCI device is
//!   attached to.
//!
//! On a kernel built without NUMA support `/sys/devices/system/node` does not
//! exist; the topology is then a single node 0 holding every CPU of
//! `/sys/devices/system/cpu/online`, the memory of `/proc/meminfo` and the
//! hugepages of `/sys/kernel/mm/hugepages`.
//!
//! Every error is a [`std::io::Error`] whose message names the file (or the
//! text) that failed.
//!
//! # Examples
//!
//! ```
//! use dpdk::numa::Topology;
//!
//! let topology = Topology::read()?;
//! assert!(!topology.nodes.is_empty());
//! println!("{topology}");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The longest range (`a-b`) [`parse_cpulist`] accepts, in CPUs.
///
/// Linux supports at most a few thousand CPUs; the limit only guards against
/// allocating gigabytes for a corrupt list such as `0-4294967295`.
const MAX_CPU_RANGE: u64 = 1 << 20;

/// The NUMA topology of the host: its nodes, their CPUs, memory and hugepages.
///
/// [`Display`](fmt::Display) renders it as a table with one row per node.
///
/// # Examples
///
/// ```
/// use dpdk::numa::{HugepagePool, Node, Topology};
///
/// let topology = Topology {
///     nodes: vec![Node {
///         id: 0,
///         cpus: vec![0, 1, 2, 3],
///         memory_total_bytes: 8 << 30,
///         memory_free_bytes: 4 << 30,
///         hugepages: vec![HugepagePool { page_size_bytes: 2 << 20, total: 512, free: 510 }],
///     }],
/// };
/// assert_eq!(topology.cpu_count(), 4);
/// assert_eq!(topology.node_of_cpu(2), Some(0));
/// let table = topology.to_string();
/// assert!(table.contains("0-3"));
/// assert!(table.contains("2048kB: 512 total, 510 free"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// The nodes, sorted by id.
    pub nodes: Vec<Node>,
}

/// One NUMA node.
///
/// # Examples
///
/// ```
/// use dpdk::numa::Topology;
///
/// let topology = Topology::read()?;
/// for node in &topology.nodes {
///     println!("node {} has {} CPUs and {} bytes of memory",
///              node.id, node.cpus.len(), node.memory_total_bytes);
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The node number (the `N` of `nodeN`).
    pub id: u32,
    /// The online CPUs of the node, sorted ascending.
    pub cpus: Vec<u32>,
    /// `MemTotal` of the node, in bytes.
    pub memory_total_bytes: u64,
    /// `MemFree` of the node, in bytes.
    pub memory_free_bytes: u64,
    /// The hugepage pools of the node, sorted by page size.
    pub hugepages: Vec<HugepagePool>,
}

/// The hugepages of one page size on one node.
///
/// # Examples
///
/// ```
/// use dpdk::numa::Topology;
///
/// let topology = Topology::read()?;
/// for node in &topology.nodes {
///     for pool in &node.hugepages {
///         println!("node {}: {} x {} bytes, {} free",
///                  node.id, pool.total, pool.page_size_bytes, pool.free);
///     }
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HugepagePool {
    /// The size of one page in bytes (e.g. 2 MiB or 1 GiB).
    pub page_size_bytes: u64,
    /// The number of pages in the pool (`nr_hugepages`).
    pub total: u64,
    /// The number of pages not in use (`free_hugepages`).
    pub free: u64,
}

impl Topology {
    /// Reads the topology of this machine from the live `/sys` (and
    /// `/proc/meminfo` on a kernel without NUMA).
    ///
    /// Equivalent to [`Topology::read_from`]`(Path::new("/"))`.
    ///
    /// # Errors
    ///
    /// An [`io::Error`] naming the file that could not be read or parsed.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpdk::numa::Topology;
    ///
    /// let topology = Topology::read()?;
    /// assert!(topology.cpu_count() >= 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read() -> io::Result<Topology> {
        Self::read_from(Path::new("/"))
    }

    /// Reads the topology from a tree laid out like `/` below `root`:
    /// `<root>/sys/devices/system/node/...`, or without it the fallback
    /// `<root>/sys/devices/system/cpu/online`, `<root>/proc/meminfo` and
    /// `<root>/sys/kernel/mm/hugepages/...`.
    ///
    /// Meant for tests against a fake tree; [`Topology::read`] is
    /// `read_from(Path::new("/"))`.
    ///
    /// A node without a `hugepages` directory has no hugepage pools. A node
    /// directory without any `nodeN` entry is an error (only a missing node
    /// directory means "no NUMA").
    ///
    /// # Errors
    ///
    /// An [`io::Error`] naming the file that could not be read or parsed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use dpdk::numa::Topology;
    ///
    /// // Memory and hugepage counts may change between two reads; CPUs do not.
    /// let cpus = |t: &Topology| t.nodes.iter().map(|n| (n.id, n.cpus.clone())).collect::<Vec<_>>();
    /// assert_eq!(cpus(&Topology::read_from(Path::new("/"))?), cpus(&Topology::read()?));
    /// assert!(Topology::read_from(Path::new("/nonexistent")).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read_from(root: &Path) -> io::Result<Topology> {
        let node_dir = root.join("sys/devices/system/node");
        if !node_dir.is_dir() {
            return Self::read_without_numa(root);
        }
        let mut nodes = Vec::new();
        for (id, path) in numbered_entries(&node_dir, "node", "")? {
            let id = u32::try_from(id).map_err(|_| {
                invalid_data(format!("{}: node number out of range", path.display()))
            })?;
            nodes.push(read_node(id, &path)?);
        }
        if nodes.is_empty() {
            return Err(invalid_data(format!("{}: no nodeN directory", node_dir.display())));
        }
        nodes.sort_by_key(|node| node.id);
        Ok(Topology { nodes })
    }

    /// The single-node topology of a kernel without `/sys/devices/system/node`.
    fn read_without_numa(root: &Path) -> io::Result<Topology> {
        let cpus = read_cpulist_file(&root.join("sys/devices/system/cpu/online"))?;
        let meminfo = root.join("proc/meminfo");
        let (memory_total_bytes, memory_free_bytes) = read_meminfo(&meminfo)?;
        let hugepages = read_hugepage_pools(&root.join("sys/kernel/mm/hugepages"))?;
        Ok(Topology {
            nodes: vec![Node { id: 0, cpus, memory_total_bytes, memory_free_bytes, hugepages }],
        })
    }

    /// The node holding `cpu`, or `None` if no node lists it (e.g. an offline
    /// or nonexistent CPU).
    ///
    /// # Examples
    ///
    /// ```
    /// use dpdk::numa::{Node, Topology};
    ///
    /// let node = |id, cpus: Vec<u32>| Node {
    ///     id,
    ///     cpus,
    ///     memory_total_bytes: 0,
    ///     memory_free_bytes: 0,
    ///     hugepages: Vec::new(),
    /// };
    /// let topology = Topology { nodes: vec![node(0, vec![0, 1]), node(1, vec![2, 3])] };
    /// assert_eq!(topology.node_of_cpu(3), Some(1));
    /// assert_eq!(topology.node_of_cpu(4), None);
    /// ```
    pub fn node_of_cpu(&self, cpu: u32) -> Option<u32> {
        self.nodes.iter().find(|node| node.cpus.contains(&cpu)).map(|node| node.id)
    }

    /// The number of CPUs over all nodes.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpdk::numa::Topology;
    ///
    /// let topology = Topology::read()?;
    /// let sum: usize = topology.nodes.iter().map(|node| node.cpus.len()).sum();
    /// assert_eq!(topology.cpu_count(), sum);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn cpu_count(&self) -> usize {
        self.nodes.iter().map(|node| node.cpus.len()).sum()
    }
}

impl fmt::Display for Topology {
    /// One header row, then one row per node: id, CPU list, memory total and
    /// free in MiB, and per hugepage size `<size>kB: <total> total, <free> free`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MIB: u64 = 1 << 20;
        let header = ["node", "cpus", "mem total MiB", "mem free MiB", "hugepages"];
        let rows: Vec<[String; 5]> = self
            .nodes
            .iter()
            .map(|node| {
                let cpus =
                    if node.cpus.is_empty() { "-".to_string() } else { format_cpulist(&node.cpus) };
                let hugepages = if node.hugepages.is_empty() {
                    "-".to_string()
                } else {
                    node.hugepages
                        .iter()
                        .map(|pool| {
                            format!(
                                "{}kB: {} total, {} free",
                                pool.page_size_bytes / 1024,
                                pool.total,
                                pool.free
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                [
                    node.id.to_string(),
                    cpus,
                    (node.memory_total_bytes / MIB).to_string(),
                    (node.memory_free_bytes / MIB).to_string(),
                    hugepages,
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.len());
            }
        }
        writeln!(
            f,
            "{:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {}",
            header[0],
            header[1],
            header[2],
            header[3],
            header[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
        )?;
        for row in &rows {
            writeln!(
                f,
                "{:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {}",
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2],
                w3 = widths[3],
            )?;
        }
        Ok(())
    }
}

/// The CPUs the calling thread may run on (`sched_getaffinity`), in order: where an
/// EAL's lcores can be placed on this machine, whatever its CPU numbering, container
/// cpuset or `taskset`.
///
/// ```
/// let cpus = dpdk::numa::allowed_cpus()?;
/// assert!(!cpus.is_empty());
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// What the kernel reports.
pub fn allowed_cpus() -> io::Result<Vec<u32>> {
    // SAFETY: a zeroed cpu_set_t is an empty set; the kernel fills it for this thread.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a cpu_set_t of the size given.
    let rc =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let max = 8 * std::mem::size_of::<libc::cpu_set_t>() as u32;
    // SAFETY: `set` is initialised; CPU_ISSET reads bit `cpu` below its size.
    Ok((0..max).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu as usize, &set) }).collect())
}

/// Parses the kernel's CPU list format (`0-3,8,10-11`) into sorted, distinct
/// CPU numbers. Surrounding whitespace (such as the trailing newline of a
/// sysfs file) is ignored; an empty string is an empty list.
///
/// # Errors
///
/// [`io::ErrorKind::InvalidData`] naming the bad text: a non-number, an empty
/// element, a reversed range (`3-1`) or a range longer than 2^20 CPUs.
///
/// # Examples
///
/// ```
/// use dpdk::numa::parse_cpulist;
///
/// assert_eq!(parse_cpulist("0-3,8,10-11\n")?, vec![0, 1, 2, 3, 8, 10, 11]);
/// assert_eq!(parse_cpulist("")?, Vec::<u32>::new());
/// let err = parse_cpulist("0-x").unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
/// assert!(err.to_string().contains("0-x"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn parse_cpulist(s: &str) -> io::Result<Vec<u32>> {
    let text = s.trim();
    let mut cpus = Vec::new();
    if text.is_empty() {
        return Ok(cpus);
    }
    let bad = |element: &str, why: &str| {
        invalid_data(format!("invalid CPU list {text:?}: {why} in element {element:?}"))
    };
    let number = |element: &str, digits: &str| -> io::Result<u32> {
        let digits = digits.trim();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(element, "expected a CPU number"));
        }
        digits.parse().map_err(|_| bad(element, "CPU number out of range"))
    };
    for element in text.split(',') {
        match element.split_once('-') {
            None => cpus.push(number(element, element)?),
            Some((first, last)) => {
                let (first, last) = (number(element, first)?, number(element, last)?);
                if first > last {
                    return Err(bad(element, "range end is below its start"));
                }
                if u64::from(last - first) >= MAX_CPU_RANGE {
                    return Err(bad(element, "range too long"));
                }
                cpus.extend(first..=last);
            }
        }
    }
    cpus.sort_unstable();
    cpus.dedup();
    Ok(cpus)
}

/// Formats CPU numbers in the kernel's compact list format, the inverse of
/// [`parse_cpulist`]: runs of two or more consecutive CPUs become `a-b`.
/// The input need not be sorted; duplicates are ignored. An empty slice is an
/// empty string.
///
/// # Examples
///
/// ```
/// use dpdk::numa::{format_cpulist, parse_cpulist};
///
/// assert_eq!(format_cpulist(&[0, 1, 2, 3, 8, 10, 11]), "0-3,8,10-11");
/// assert_eq!(format_cpulist(&[1, 0]), "0-1");
/// assert_eq!(format_cpulist(&[]), "");
/// assert_eq!(parse_cpulist(&format_cpulist(&[5, 6, 9]))?, vec![5, 6, 9]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn format_cpulist(cpus: &[u32]) -> String {
    let mut sorted = cpus.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut start = 0;
    while start < sorted.len() {
        let mut end = start;
        while end + 1 < sorted.len() && sorted[end].checked_add(1) == Some(sorted[end + 1]) {
            end += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if end == start {
            out.push_str(&sorted[start].to_string());
        } else {
            out.push_str(&format!("{}-{}", sorted[start], sorted[end]));
        }
        start = end + 1;
    }
    out
}

/// The NUMA node of a PCI device, from `/sys/bus/pci/devices/<addr>/numa_node`.
///
/// `pci_address` is `DDDD:BB:DD.F` or the short form `BB:DD.F` (domain
/// `0000`); hex digits may be upper or lower case. Returns `Ok(None)` when the
/// platform does not say (`-1`, or a kernel without NUMA which has no
/// `numa_node` file).
///
/// # Errors
///
/// [`io::ErrorKind::NotFound`] naming the address if there is no such device;
/// [`io::ErrorKind::InvalidInput`] for an address that is not of the forms
/// above; otherwise an [`io::Error`] naming the file that failed.
///
/// # Examples
///
/// ```
/// use dpdk::numa::pci_numa_node;
///
/// let err = pci_numa_node("ffff:ff:1f.7").unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// assert!(err.to_string().contains("ffff:ff:1f.7"));
///
/// if let Ok(node) = pci_numa_node("00:00.0") {
///     println!("host bridge on node {node:?}");
/// }
/// ```
pub fn pci_numa_node(pci_address: &str) -> io::Result<Option<u32>> {
    pci_numa_node_from(Path::new("/"), pci_address)
}

/// [`pci_numa_node`] reading `<root>/sys/bus/pci/devices/<addr>/numa_node`
/// instead of the live `/sys`, for tests against a fake tree.
///
/// # Errors
///
/// As [`pci_numa_node`].
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// use dpdk::numa::{pci_numa_node, pci_numa_node_from};
///
/// let err = pci_numa_node_from(Path::new("/nonexistent"), "01:00.0").unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// assert!(err.to_string().contains("0000:01:00.0"));
/// ```
pub fn pci_numa_node_from(root: &Path, pci_address: &str) -> io::Result<Option<u32>> {
    let address = normalize_pci_address(pci_address)?;
    let device = root.join("sys/bus/pci/devices").join(&address);
    if !device.exists() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("PCI device {address} not found ({} does not exist)", device.display()),
        ));
    }
    let file = device.join("numa_node");
    let text = match fs::read_to_string(&file) {
        Ok(text) => text,
        // A kernel without CONFIG_NUMA has no numa_node attribute.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(file_error(&file, e)),
    };
    let node: i64 = text.trim().parse().map_err(|_| {
        invalid_data(format!("{}: expected a node number, found {:?}", file.display(), text.trim()))
    })?;
    if node < 0 {
        return Ok(None);
    }
    u32::try_from(node)
        .map(Some)
        .map_err(|_| invalid_data(format!("{}: node number {node} out of range", file.display())))
}

/// `BB:DD.F` -> `0000:BB:DD.F`, lower-cased; rejects anything that is not
/// hex digits, `:` and `.` (so the address cannot escape the sysfs directory).
fn normalize_pci_address(pci_address: &str) -> io::Result<String> {
    let address = pci_address.trim().to_ascii_lowercase();
    let well_formed = |s: &str| {
        let Some((bus_dev, function)) = s.rsplit_once('.') else {
            return false;
        };
        let parts: Vec<&str> = bus_dev.split(':').collect();
        let hex = |p: &str, len: usize| p.len() == len && p.bytes().all(|b| b.is_ascii_hexdigit());
        match parts.as_slice() {
            [domain, bus, device] => {
                hex(domain, 4) && hex(bus, 2) && hex(device, 2) && hex(function, 1)
            }
            [bus, device] => hex(bus, 2) && hex(device, 2) && hex(function, 1),
            _ => false,
        }
    };
    if !well_formed(&address) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid PCI address {pci_address:?}: expected DDDD:BB:DD.F or BB:DD.F"),
        ));
    }
    if address.matches(':').count() == 1 {
        Ok(format!("0000:{address}"))
    } else {
        Ok(address)
    }
}

/// One `nodeN` directory.
fn read_node(id: u32, dir: &Path) -> io::Result<Node> {
    let cpus = read_cpulist_file(&dir.join("cpulist"))?;
    let (memory_total_bytes, memory_free_bytes) = read_meminfo(&dir.join("meminfo"))?;
    let hugepages = read_hugepage_pools(&dir.join("hugepages"))?;
    Ok(Node { id, cpus, memory_total_bytes, memory_free_bytes, hugepages })
}

/// The `hugepages-<size>kB` pools below `dir`, sorted by page size; none if
/// `dir` does not exist (a kernel without hugetlbfs).
fn read_hugepage_pools(dir: &Path) -> io::Result<Vec<HugepagePool>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut pools = Vec::new();
    for (size_kb, path) in numbered_entries(dir, "hugepages-", "kB")? {
        let page_size_bytes = size_kb
            .checked_mul(1024)
            .ok_or_else(|| invalid_data(format!("{}: page size out of range", path.display())))?;
        pools.push(HugepagePool {
            page_size_bytes,
            total: read_u64_file(&path.join("nr_hugepages"))?,
            free: read_u64_file(&path.join("free_hugepages"))?,
        });
    }
    pools.sort_by_key(|pool| pool.page_size_bytes);
    Ok(pools)
}

/// The entries of `dir` named `<prefix><decimal number><suffix>`, as
/// (number, path); other entries are ignored.
fn numbered_entries(dir: &Path, prefix: &str, suffix: &str) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| file_error(dir, e))? {
        let entry = entry.map_err(|e| file_error(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(digits) = name.strip_prefix(prefix).and_then(|rest| rest.strip_suffix(suffix))
        else {
            continue;
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let number = digits.parse().map_err(|_| {
            invalid_data(format!("{}: number out of range", entry.path().display()))
        })?;
        found.push((number, entry.path()));
    }
    Ok(found)
}

/// `MemTotal` and `MemFree`, in bytes, from a node's `meminfo`
/// (`Node 0 MemTotal:  24576000 kB`) or `/proc/meminfo` (`MemTotal:  ... kB`).
fn read_meminfo(path: &Path) -> io::Result<(u64, u64)> {
    let text = read_text(path)?;
    let mut total = None;
    let mut free = None;
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let slot = match key.split_whitespace().last() {
            Some("MemTotal") => &mut total,
            Some("MemFree") => &mut free,
            _ => continue,
        };
        let mut words = value.split_whitespace();
        let bytes = match (words.next().map(str::parse::<u64>), words.next()) {
            (Some(Ok(kb)), Some("kB")) => kb.checked_mul(1024),
            (Some(Ok(bytes)), None) => Some(bytes),
            _ => None,
        };
        *slot = Some(bytes.ok_or_else(|| {
            invalid_data(format!("{}: cannot parse line {line:?}", path.display()))
        })?);
    }
    match (total, free) {
        (Some(total), Some(free)) => Ok((total, free)),
        (None, _) => Err(invalid_data(format!("{}: no MemTotal line", path.display()))),
        (_, None) => Err(invalid_data(format!("{}: no MemFree line", path.display()))),
    }
}

/// A CPU list file such as `cpulist` or `cpu/online`.
fn read_cpulist_file(path: &Path) -> io::Result<Vec<u32>> {
    parse_cpulist(&read_text(path)?)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// A file holding one unsigned decimal number.
fn read_u64_file(path: &Path) -> io::Result<u64> {
    let text = read_text(path)?;
    text.trim().parse().map_err(|_| {
        invalid_data(format!("{}: expected a number, found {:?}", path.display(), text.trim()))
    })
}

/// [`fs::read_to_string`] with the path in the error message.
fn read_text(path: &Path) -> io::Result<String> {
    fs::read_to_string(path).map_err(|e| file_error(path, e))
}

/// `e` with `path` prefixed to its message, keeping its kind.
fn file_error(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// An [`io::ErrorKind::InvalidData`] error.
fn invalid_data(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A directory under the system temp dir, removed on drop.
    struct FakeRoot(PathBuf);

    impl FakeRoot {
        fn new(name: &str) -> FakeRoot {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "dpdk-numa-test-{}-{}-{name}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            FakeRoot(dir)
        }

        fn write(&self, relative: &str, contents: &str) {
            let path = self.0.join(relative);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, contents).unwrap();
        }

        fn node(&self, id: u32, cpulist: &str, total_kb: u64, free_kb: u64) {
            let dir = format!("sys/devices/system/node/node{id}");
            self.write(&format!("{dir}/cpulist"), &format!("{cpulist}\n"));
            self.write(
                &format!("{dir}/meminfo"),
                &format!(
                    "Node {id} MemTotal:       {total_kb} kB\n\
                     Node {id} MemFree:        {free_kb} kB\n\
                     Node {id} MemUsed:        {} kB\n\
                     Node {id} HugePages_Total:   0\n",
                    total_kb - free_kb
                ),
            );
        }

        fn pool(&self, dir: &str, size_kb: u64, total: u64, free: u64) {
            let dir = format!("{dir}/hugepages-{size_kb}kB");
            self.write(&format!("{dir}/nr_hugepages"), &format!("{total}\n"));
            self.write(&format!("{dir}/free_hugepages"), &format!("{free}\n"));
            self.write(&format!("{dir}/surplus_hugepages"), "0\n");
        }
    }

    impl Drop for FakeRoot {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn pool(page_size_bytes: u64, total: u64, free: u64) -> HugepagePool {
        HugepagePool { page_size_bytes, total, free }
    }

    #[test]
    fn parse_cpulist_forms() {
        assert_eq!(parse_cpulist("").unwrap(), Vec::<u32>::new());
        assert_eq!(parse_cpulist("\n").unwrap(), Vec::<u32>::new());
        assert_eq!(parse_cpulist("0").unwrap(), vec![0]);
        assert_eq!(parse_cpulist("0-1\n").unwrap(), vec![0, 1]);
        assert_eq!(parse_cpulist("0-3,8,10-11").unwrap(), vec![0, 1, 2, 3, 8, 10, 11]);
        assert_eq!(parse_cpulist("5-5").unwrap(), vec![5]);
        assert_eq!(parse_cpulist("8,0-2,1").unwrap(), vec![0, 1, 2, 8]);
        assert_eq!(parse_cpulist("4294967294-4294967295").unwrap(), vec![u32::MAX - 1, u32::MAX]);
    }

    #[test]
    fn parse_cpulist_errors_name_the_text() {
        for bad in [
            "x",
            "0-",
            "-3",
            "3-1",
            "0,,1",
            "1,",
            "0-2-4",
            "0x3",
            "+1",
            "1 2",
            "4294967296",
            "0-4294967295",
        ] {
            let err = parse_cpulist(bad).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{bad:?}");
            assert!(err.to_string().contains(bad), "{bad:?}: {err}");
        }
    }

    #[test]
    fn format_cpulist_forms() {
        assert_eq!(format_cpulist(&[]), "");
        assert_eq!(format_cpulist(&[7]), "7");
        assert_eq!(format_cpulist(&[0, 1]), "0-1");
        assert_eq!(format_cpulist(&[0, 2]), "0,2");
        assert_eq!(format_cpulist(&[11, 10, 8, 3, 2, 1, 0, 0]), "0-3,8,10-11");
        assert_eq!(format_cpulist(&[u32::MAX - 1, u32::MAX]), "4294967294-4294967295");
    }

    #[test]
    fn cpulist_round_trips() {
        for text in ["", "0", "0-1", "0-3,8,10-11", "1,3,5", "0-63,128-191", "4294967295"] {
            let cpus = parse_cpulist(text).unwrap();
            assert_eq!(format_cpulist(&cpus), text);
            assert_eq!(parse_cpulist(&format_cpulist(&cpus)).unwrap(), cpus);
        }
        let cpus: Vec<u32> = (0..100).filter(|cpu| cpu % 7 != 3).collect();
        assert_eq!(parse_cpulist(&format_cpulist(&cpus)).unwrap(), cpus);
    }

    fn two_node_tree() -> FakeRoot {
        let root = FakeRoot::new("two-nodes");
        root.node(0, "0-3,8-11", 16 * 1024 * 1024, 8 * 1024 * 1024);
        root.node(1, "4-7,12-15", 16 * 1024 * 1024, 12 * 1024 * 1024);
        for (id, total_2m, free_2m, total_1g, free_1g) in [(0, 512, 510, 4, 4), (1, 256, 256, 2, 1)]
        {
            let dir = format!("sys/devices/system/node/node{id}/hugepages");
            // Written largest first: the reader must sort by size.
            root.pool(&dir, 1048576, total_1g, free_1g);
            root.pool(&dir, 2048, total_2m, free_2m);
        }
        // Entries the reader must ignore.
        root.write("sys/devices/system/node/online", "0-1\n");
        root.write("sys/devices/system/node/possible", "0-1\n");
        root.write("sys/devices/system/node/has_cpu", "0-1\n");
        root.write("sys/devices/system/node/node0/cpumap", "0f0f\n");
        root
    }

    #[test]
    fn reads_two_nodes_and_two_page_sizes() {
        let root = two_node_tree();
        let topology = Topology::read_from(&root.0).unwrap();
        let expected = Topology {
            nodes: vec![
                Node {
                    id: 0,
                    cpus: vec![0, 1, 2, 3, 8, 9, 10, 11],
                    memory_total_bytes: 16 << 30,
                    memory_free_bytes: 8 << 30,
                    hugepages: vec![pool(2 << 20, 512, 510), pool(1 << 30, 4, 4)],
                },
                Node {
                    id: 1,
                    cpus: vec![4, 5, 6, 7, 12, 13, 14, 15],
                    memory_total_bytes: 16 << 30,
                    memory_free_bytes: 12 << 30,
                    hugepages: vec![pool(2 << 20, 256, 256), pool(1 << 30, 2, 1)],
                },
            ],
        };
        assert_eq!(topology, expected);
        assert_eq!(topology.cpu_count(), 16);
        assert_eq!(topology.node_of_cpu(9), Some(0));
        assert_eq!(topology.node_of_cpu(12), Some(1));
        assert_eq!(topology.node_of_cpu(16), None);

        let table = topology.to_string();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(lines[0].starts_with("node"), "{table}");
        for (line, cpus, free_mib) in
            [(lines[1], "0-3,8-11", "8192"), (lines[2], "4-7,12-15", "12288")]
        {
            assert!(line.contains(cpus), "{table}");
            assert!(line.contains("16384"), "{table}");
            assert!(line.contains(free_mib), "{table}");
        }
        assert!(lines[1].contains("2048kB: 512 total, 510 free; 1048576kB: 4 total, 4 free"));
        assert!(lines[2].contains("2048kB: 256 total, 256 free; 1048576kB: 2 total, 1 free"));
    }

    #[test]
    fn node_without_hugepages_or_cpus() {
        let root = FakeRoot::new("memory-only");
        root.node(0, "0-1", 1024, 512);
        root.node(1, "", 2048, 2048);
        let topology = Topology::read_from(&root.0).unwrap();
        assert_eq!(topology.nodes.len(), 2);
        assert_eq!(topology.nodes[1].cpus, Vec::<u32>::new());
        assert!(topology.nodes.iter().all(|node| node.hugepages.is_empty()));
        assert_eq!(topology.cpu_count(), 2);
        assert!(topology.to_string().lines().nth(2).unwrap().contains(" - "));
    }

    #[test]
    fn errors_name_the_file() {
        let root = two_node_tree();
        let meminfo = root.0.join("sys/devices/system/node/node1/meminfo");
        fs::write(&meminfo, "Node 1 MemFree: 1 kB\n").unwrap();
        let err = Topology::read_from(&root.0).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains(&meminfo.display().to_string()), "{err}");
        assert!(err.to_string().contains("MemTotal"), "{err}");

        fs::write(&meminfo, "Node 1 MemTotal: lots kB\nNode 1 MemFree: 1 kB\n").unwrap();
        let err = Topology::read_from(&root.0).unwrap_err();
        assert!(err.to_string().contains(&meminfo.display().to_string()), "{err}");
        assert!(err.to_string().contains("lots"), "{err}");

        let root = two_node_tree();
        let cpulist = root.0.join("sys/devices/system/node/node0/cpulist");
        fs::write(&cpulist, "0-3,x\n").unwrap();
        let err = Topology::read_from(&root.0).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains(&cpulist.display().to_string()), "{err}");
        assert!(err.to_string().contains("0-3,x"), "{err}");

        let root = two_node_tree();
        let free =
            root.0.join("sys/devices/system/node/node1/hugepages/hugepages-2048kB/free_hugepages");
        fs::remove_file(&free).unwrap();
        let err = Topology::read_from(&root.0).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().contains(&free.display().to_string()), "{err}");

        let root = FakeRoot::new("empty");
        let err = Topology::read_from(&root.0).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().contains("sys/devices/system/cpu/online"), "{err}");
    }

    fn no_numa_tree() -> FakeRoot {
        let root = FakeRoot::new("no-numa");
        root.write("sys/devices/system/cpu/online", "0-5\n");
        root.write("sys/devices/system/cpu/possible", "0-7\n");
        root.write(
            "proc/meminfo",
            "MemTotal:        8000000 kB\n\
             MemFree:         6000000 kB\n\
             MemAvailable:    7000000 kB\n\
             HugePages_Total:     128\n\
             HugePages_Free:      100\n\
             Hugepagesize:       2048 kB\n",
        );
        root.pool("sys/kernel/mm/hugepages", 2048, 128, 100);
        root.pool("sys/kernel/mm/hugepages", 1048576, 1, 0);
        root
    }

    #[test]
    fn falls_back_without_numa() {
        let root = no_numa_tree();
        let topology = Topology::read_from(&root.0).unwrap();
        assert_eq!(
            topology,
            Topology {
                nodes: vec![Node {
                    id: 0,
                    cpus: (0..6).collect(),
                    memory_total_bytes: 8_000_000 * 1024,
                    memory_free_bytes: 6_000_000 * 1024,
                    hugepages: vec![pool(2 << 20, 128, 100), pool(1 << 30, 1, 0)],
                }],
            }
        );
        assert_eq!(topology.node_of_cpu(5), Some(0));
        assert_eq!(topology.node_of_cpu(6), None);

        fs::remove_dir_all(root.0.join("sys/kernel/mm/hugepages")).unwrap();
        assert!(Topology::read_from(&root.0).unwrap().nodes[0].hugepages.is_empty());

        let meminfo = root.0.join("proc/meminfo");
        fs::remove_file(&meminfo).unwrap();
        let err = Topology::read_from(&root.0).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().contains(&meminfo.display().to_string()), "{err}");
    }

    #[test]
    fn pci_numa_node_values() {
        let root = FakeRoot::new("pci");
        let devices = "sys/bus/pci/devices";
        root.write(&format!("{devices}/0000:00:03.0/numa_node"), "-1\n");
        root.write(&format!("{devices}/0000:01:00.0/numa_node"), "0\n");
        root.write(&format!("{devices}/0000:81:00.1/numa_node"), "1\n");
        root.write(&format!("{devices}/0001:02:00.0/numa_node"), "garbage\n");
        root.write(&format!("{devices}/0000:03:00.0/class"), "0x020000\n");

        assert_eq!(pci_numa_node_from(&root.0, "0000:00:03.0").unwrap(), None);
        assert_eq!(pci_numa_node_from(&root.0, "0000:01:00.0").unwrap(), Some(0));
        assert_eq!(pci_numa_node_from(&root.0, "01:00.0").unwrap(), Some(0));
        assert_eq!(pci_numa_node_from(&root.0, "0000:81:00.1").unwrap(), Some(1));
        assert_eq!(pci_numa_node_from(&root.0, "81:00.1").unwrap(), Some(1));
        // No numa_node attribute (kernel without NUMA): the platform does not say.
        assert_eq!(pci_numa_node_from(&root.0, "03:00.0").unwrap(), None);

        let err = pci_numa_node_from(&root.0, "0000:02:00.0").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().contains("0000:02:00.0"), "{err}");
        let err = pci_numa_node_from(&root.0, "02:00.0").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().contains("0000:02:00.0"), "{err}");

        let err = pci_numa_node_from(&root.0, "0001:02:00.0").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("numa_node"), "{err}");
        assert!(err.to_string().contains("garbage"), "{err}");

        for bad in ["", "01:00", "1:00.0", "../../etc", "0000:01:00.0/..", "zz:00.0"] {
            let err = pci_numa_node_from(&root.0, bad).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
        }
    }
}
