//! Device policy: which virtual devices safe code may plug in, with which arguments.
//!
//! Kept apart from `eal` and `ethdev` (both of which plug devices in) so that neither
//! needs the other, nor `ring` (whose name prefix net_ring borrows).

use crate::error::{Call, Error, Result};
use crate::ffi;

/// The prefix of the rings the net_ring driver makes (`ETH_RXTX<queue>_<device>`).
pub(crate) const NET_RING_PREFIX: &str = "ETH_RXTX";

/// The virtual-device drivers this crate lets safe code plug in (by `--vdev` name prefix).
///
/// Others can break the ownership the types promise: `net_bonding` and `net_failsafe`
/// take over ports that a [`ConfiguredPort`](crate::ConfiguredPort) already owns and feed them packets of
/// another pool; `net_ring`'s arguments adopt rings made elsewhere (or, with
/// `internal=`, a raw pointer). The policy holds for every `--vdev` the EAL is given,
/// typed ([`crate::EalBuilder::vdev`]) or raw ([`crate::EalBuilder::arg`],
/// `DPDK_RS_EAL_ARGS`).
pub const SAFE_VDEV_DRIVERS: &[&str] = &["net_null", "net_pcap", "net_tap", "net_ring"];

/// The longest net_ring device name: its rings are `ETH_RXTX<queue>_<name>` (queues up to
/// 15), in memzones `RG_ETH_RXTX15_<name>` within a memzone name's 31 bytes (17).
pub const NET_RING_NAME_MAX: usize = {
    let queues = if ffi::RTE_PMD_RING_MAX_RX_RINGS > ffi::RTE_PMD_RING_MAX_TX_RINGS {
        ffi::RTE_PMD_RING_MAX_RX_RINGS
    } else {
        ffi::RTE_PMD_RING_MAX_TX_RINGS
    };
    let digits = if queues > 10 { 2 } else { 1 }; // of the highest queue, queues - 1
    let prefix = crate::vdev::NET_RING_PREFIX.len();
    ffi::RTE_MEMZONE_NAMESIZE as usize - 1 - "RG_".len() - prefix - digits - "_".len()
};

/// [`Error::NameTooLong`] for a net_ring device whose ring names DPDK could not make.
pub(crate) fn check_net_ring_name(name: &str, call: impl Fn() -> Call) -> Result<()> {
    if name.starts_with("net_ring") && name.len() > NET_RING_NAME_MAX {
        return Err(Error::NameTooLong {
            call: call(),
            name: name.into(),
            len: name.len(),
            max: NET_RING_NAME_MAX,
        });
    }
    Ok(())
}

/// Whether `devargs` names an allowed driver with arguments it may take.
pub(crate) fn check_vdev(devargs: &str) -> std::result::Result<(), String> {
    let (name, args) = devargs.split_once(',').unwrap_or((devargs, ""));
    let Some(driver) = SAFE_VDEV_DRIVERS.iter().find(|d| name.starts_with(**d)) else {
        return Err(format!(
            "{name:?}: only the drivers {SAFE_VDEV_DRIVERS:?} are plugged in by safe code (others \
             can take over ports this crate owns)"
        ));
    };
    if *driver == "net_null" {
        for (key, value) in kvargs(args) {
            // copy=1 makes TX read `size` bytes from every packet sent, whatever its
            // length: past the end of a short packet's buffer.
            if key == "copy" && parse_c_ulong(value) != Some(0) {
                return Err(format!(
                    "{name:?}: net_null's copy={value} reads `size` bytes from every packet \
                     sent, past the buffer of shorter ones"
                ));
            }
        }
    }
    if *driver == "net_ring" && !args.trim().is_empty() {
        return Err(format!(
            "{name:?}: net_ring takes no arguments here (`nodeaction` adopts rings made \
             elsewhere, `internal` is a raw pointer)"
        ));
    }
    Ok(())
}

/// The `key=value` pairs of a device's arguments, as `rte_kvargs` splits them.
fn kvargs(args: &str) -> impl Iterator<Item = (&str, &str)> {
    args.split(',').filter(|a| !a.is_empty()).map(|a| a.split_once('=').unwrap_or((a, "")))
}

/// A number as C's `strtoul(value, NULL, 0)` reads a whole one (decimal, `0x` hex or
/// leading-`0` octal), which is how net_null reads `size=`; `None` for anything else.
fn parse_c_ulong(value: &str) -> Option<u64> {
    let value = value.trim_start();
    let value = value.strip_prefix('+').unwrap_or(value);
    if let Some(hex) = value.strip_prefix("0x").or_else(|| value.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()
    } else if value.len() > 1 && value.starts_with('0') {
        u64::from_str_radix(&value[1..], 8).ok()
    } else {
        value.parse().ok()
    }
}

/// net_null's packet size (`size=`, 64 when not given) from its arguments, or why it
/// cannot be told.
pub(crate) fn net_null_packet_size(args: &str) -> std::result::Result<u64, String> {
    let mut size = 64;
    for (key, value) in kvargs(args) {
        if key == "size" {
            size = parse_c_ulong(value)
                .ok_or_else(|| format!("net_null's size={value:?} is not a number"))?;
        }
    }
    Ok(size)
}
