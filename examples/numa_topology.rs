//! Part A: the NUMA topology reader.
//!
//! Prints the NUMA nodes of this machine (CPUs, memory, hugepages) and the
//! node every network-class PCI device is attached to. Needs no DPDK: it only
//! reads `/sys` (and `/proc/meminfo` on a kernel without NUMA) through
//! [`dpdk::numa`].
//!
//! ```text
//! cargo run -p dpdk-examples --example numa_topology
//! ```

use std::fs;
use std::io;
use std::path::Path;
use std::process::ExitCode;

use dpdk::numa::{self, Topology};

/// Where the kernel lists PCI devices.
const PCI_DEVICES: &str = "/sys/bus/pci/devices";

/// The PCI base class of network controllers (the top byte of `class`).
const NETWORK_CLASS_PREFIX: &str = "0x02";

fn main() -> ExitCode {
    env_logger::init();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("numa_topology: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> io::Result<()> {
    let topology = Topology::read()?;
    log::debug!("{topology:?}");
    println!("NUMA topology: {} node(s), {} CPU(s)", topology.nodes.len(), topology.cpu_count());
    print!("{topology}");
    println!();

    let devices = network_devices(Path::new(PCI_DEVICES))?;
    if devices.is_empty() {
        println!("No network-class PCI device (class {NETWORK_CLASS_PREFIX}xxxx) found under {PCI_DEVICES}.");
        return Ok(());
    }
    println!("Network-class PCI devices:");
    for device in devices {
        let node = match numa::pci_numa_node(&device.address)? {
            Some(node) => format!("NUMA node {node}"),
            None => "NUMA node unknown (numa_node is -1: the platform does not say)".to_string(),
        };
        println!(
            "  {}  class {}  driver {:<12}  {node}",
            device.address, device.class, device.driver
        );
    }
    Ok(())
}

/// A network-class PCI device.
struct NetworkDevice {
    /// `DDDD:BB:DD.F`.
    address: String,
    /// The `class` attribute, e.g. `0x020000`.
    class: String,
    /// The bound driver (e.g. `virtio-pci`, `vfio-pci`), or `none`.
    driver: String,
}

/// The network-class devices under `dir`, sorted by address; none if the
/// machine has no PCI bus.
fn network_devices(dir: &Path) -> io::Result<Vec<NetworkDevice>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            log::info!("{} does not exist: no PCI bus", dir.display());
            return Ok(Vec::new());
        }
        Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", dir.display()))),
    };
    let mut devices = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
        let path = entry.path();
        let class_file = path.join("class");
        let class = fs::read_to_string(&class_file)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", class_file.display())))?
            .trim()
            .to_string();
        log::debug!("{}: class {class}", path.display());
        if !class.starts_with(NETWORK_CLASS_PREFIX) {
            continue;
        }
        let driver = fs::read_link(path.join("driver"))
            .ok()
            .and_then(|link| link.file_name().map(|name| name.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "none".to_string());
        devices.push(NetworkDevice {
            address: entry.file_name().to_string_lossy().into_owned(),
            class,
            driver,
        });
    }
    devices.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(devices)
}
