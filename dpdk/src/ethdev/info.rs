//! What a port reports about itself, and how it is configured.

use super::*;

/// An Ethernet address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MacAddr(pub [u8; 6]);

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5])
    }
}

impl fmt::Debug for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MacAddr({self})")
    }
}

/// A port's link as the driver reports it (`struct rte_eth_link`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// Whether the link is up.
    pub up: bool,
    /// Speed in Mbit/s (0 when unknown).
    pub speed_mbps: u32,
    /// Full duplex.
    pub full_duplex: bool,
    /// Speed negotiated automatically.
    pub autoneg: bool,
}

/// A port's basic counters (`struct rte_eth_stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Packets received.
    pub rx_packets: u64,
    /// Packets sent.
    pub tx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Packets dropped by the device because no RX descriptor was free.
    pub rx_missed: u64,
    /// Packets received with errors.
    pub rx_errors: u64,
    /// Packets that failed to be sent.
    pub tx_errors: u64,
    /// RX buffer allocation failures.
    pub rx_no_mbuf: u64,
}

/// What a device tells about itself (`rte_eth_dev_info_get`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInfo {
    /// The driver's name (`net_ring`, `net_pcap`, ...).
    pub driver: String,
    /// Most RX queues it supports.
    pub max_rx_queues: u16,
    /// Most TX queues it supports.
    pub max_tx_queues: u16,
    /// RX descriptor counts it accepts.
    pub rx_descriptors: DescriptorLimits,
    /// TX descriptor counts it accepts.
    pub tx_descriptors: DescriptorLimits,
    /// The smallest RX buffer it accepts, in bytes (after the headroom).
    pub min_rx_buffer: u32,
    /// The longest frame it can receive.
    pub max_rx_frame: u32,
}

/// Queues and descriptor counts for [`Port::configure`].
///
/// ```
/// use dpdk::ethdev::PortConfig;
/// let config = PortConfig::new(2, 2).rx_descriptors(1024).tx_descriptors(512);
/// assert_eq!((config.rx_queues(), config.tx_queues()), (2, 2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct PortConfig {
    pub(super) rx_queues: u16,
    pub(super) tx_queues: u16,
    pub(super) rx_descriptors: u16,
    pub(super) tx_descriptors: u16,
}

impl PortConfig {
    /// `rx_queues` RX and `tx_queues` TX queues, each with the driver's preferred
    /// descriptor count.
    pub fn new(rx_queues: u16, tx_queues: u16) -> Self {
        PortConfig { rx_queues, tx_queues, rx_descriptors: 0, tx_descriptors: 0 }
    }

    /// Descriptors per RX queue (0: the driver's preference).
    pub fn rx_descriptors(mut self, n: u16) -> Self {
        self.rx_descriptors = n;
        self
    }

    /// Descriptors per TX queue (0: the driver's preference).
    pub fn tx_descriptors(mut self, n: u16) -> Self {
        self.tx_descriptors = n;
        self
    }

    /// RX queues.
    pub fn rx_queues(&self) -> u16 {
        self.rx_queues
    }

    /// TX queues.
    pub fn tx_queues(&self) -> u16 {
        self.tx_queues
    }
}
