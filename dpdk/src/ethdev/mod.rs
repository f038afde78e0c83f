//! Ethernet ports (`rte_ethdev`): [`Port`] (a device found by id or name, or a virtual
//! device plugged in at run time), [`ConfiguredPort`] (its queues set up with a packet
//! pool), and the per-queue handles [`RxQueue`] / [`TxQueue`] whose bursts move
//! [`Mbuf`]s through a caller's [`Burst`].
//!
//! ```
//! # let eal = dpdk::doc_eal();
//! use dpdk::ethdev::{Port, PortConfig};
//! use dpdk::mbuf::{Burst, PktMbufPool, DEFAULT_DATA_ROOM};
//!
//! // A ring-backed port: what is sent on TX queue i comes back on RX queue i.
//! let port = Port::attach_vdev("net_ring_doc")?;
//! let pool = PktMbufPool::new("doc_port_pool", 1023, 32, DEFAULT_DATA_ROOM, port.socket())?;
//! let mut port = port.configure(&PortConfig::new(1, 1), &pool)?;
//! port.start()?;
//! let (mut rx, mut tx) = (port.rx_queue(0)?, port.tx_queue(0)?);
//!
//! let mut out = Burst::<32>::new();
//! pool.alloc_bulk(&mut out, 4)?;
//! for m in out.iter_mut() {
//!     m.append(64)?.fill(7);
//! }
//! assert_eq!(tx.tx_burst(&mut out), 4);
//! let mut got = Burst::<32>::new();
//! assert_eq!(rx.rx_burst(&mut got).len(), 4);
//! assert!(got.iter().all(|m| m.data() == [7; 64]));
//! # drop((rx, tx));
//! # drop(got);
//! # drop(port);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Safety model
//! - One [`Port`] per device in the process: a port id is claimed when a handle is made
//!   and released when it is closed, so two handles can never configure, start or close
//!   the same device.
//! - A [`ConfiguredPort<'p>`](ConfiguredPort) borrows its packet pool for `'p`: the
//!   device refills its RX rings from that pool and keeps sent packets until it frees
//!   them, so the pool must outlive the port, which closes (releasing every queue and the
//!   packets in it) when dropped. Packets sent must come from pools that live as long.
//! - Queue handles borrow the configured port, so it cannot be stopped, reconfigured or
//!   closed while a burst may run. Each queue has at most one handle at a time, which is
//!   `Send` (it can move to the lcore that polls it) but not `Sync`: DPDK's burst calls
//!   are not thread-safe per queue.
//! - The port's read-only calls (statistics, link, MAC address) may run on another
//!   thread while lcores burst, as DPDK allows (its drivers keep the counters with plain
//!   stores, so a snapshot may be slightly stale).
//! - Device arguments are passed to drivers as they are. Drivers trust them: give only
//!   device strings you would give the EAL's `--vdev` (net_ring's `internal=` argument,
//!   a raw pointer, is refused).
//!
//! ```compile_fail
//! # let eal = dpdk::doc_eal();
//! use dpdk::ethdev::{Port, PortConfig};
//! use dpdk::mbuf::PktMbufPool;
//! let port = Port::attach_vdev("net_ring_cf1").unwrap();
//! let pool = PktMbufPool::new("cf_ep", 255, 0, 2176, port.socket()).unwrap();
//! let port = port.configure(&PortConfig::new(1, 1), &pool).unwrap();
//! drop(pool); // error: the port borrows its pool
//! drop(port);
//! ```
//!
//! ```compile_fail
//! # let eal = dpdk::doc_eal();
//! use dpdk::ethdev::{Port, PortConfig};
//! use dpdk::mbuf::PktMbufPool;
//! let port = Port::attach_vdev("net_ring_cf2").unwrap();
//! let pool = PktMbufPool::new("cf_ep2", 255, 0, 2176, port.socket()).unwrap();
//! let mut port = port.configure(&PortConfig::new(1, 1), &pool).unwrap();
//! port.start().unwrap();
//! let rx = port.rx_queue(0).unwrap();
//! port.stop().unwrap(); // error: the queue handle borrows the port
//! drop(rx);
//! ```
//!
//! ```compile_fail
//! # let eal = dpdk::doc_eal();
//! use dpdk::ethdev::{Port, PortConfig};
//! use dpdk::mbuf::PktMbufPool;
//! let port = Port::attach_vdev("net_ring_cf3").unwrap();
//! let pool = PktMbufPool::new("cf_ep3", 255, 0, 2176, port.socket()).unwrap();
//! let mut port = port.configure(&PortConfig::new(1, 1), &pool).unwrap();
//! port.start().unwrap();
//! let rx = port.rx_queue(0).unwrap();
//! std::thread::scope(|s| {
//!     s.spawn(|| drop(&rx)); // error: a queue handle is not Sync
//! });
//! ```
//!
//! Packets sent must come from a pool that outlives the port's own, since the device may
//! hold them until it is closed:
//!
//! ```compile_fail
//! # let eal = dpdk::doc_eal();
//! use dpdk::ethdev::{Port, PortConfig};
//! use dpdk::mbuf::{Burst, PktMbufPool};
//! let s = dpdk::SocketId::current();
//! let pool = PktMbufPool::new("cf_ep4", 255, 0, 2176, s).unwrap();
//! let port = Port::attach_vdev("net_ring_cf4").unwrap();
//! let mut port = port.configure(&PortConfig::new(1, 1), &pool).unwrap();
//! port.start().unwrap();
//! {
//!     let short = PktMbufPool::new("cf_ep5", 63, 0, 2176, s).unwrap();
//!     let mut burst = Burst::<4>::new();
//!     short.alloc_bulk(&mut burst, 4).unwrap();
//!     port.tx_queue(0).unwrap().tx_burst(&mut burst); // error: `short` dies first
//! }
//! ```
//!
//! # Speed
//! `rx_burst` and `tx_burst` are DPDK's inline `rte_eth_rx_burst` / `rte_eth_tx_burst`
//! of 22.11 ported to Rust: they index `rte_eth_fp_ops` (public in `rte_ethdev_core.h`),
//! call the driver's burst function and check the queue's callback list the same way,
//! so no wrapper call is added. With fast-path tracing compiled into DPDK they call the
//! C wrappers instead.
//!
//! `rx_burst` then checks each packet's header against its buffer (a driver is not trusted
//! to stay inside it): about 1.5 ticks a packet on hugepages, more on 4 KiB pages.
//! [`RxQueue::rx_burst_trusted`] is the unsafe call without the check.

use std::cell::Cell;
use std::ffi::{c_char, CStr, CString};
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::eal::ObjectRef;
use crate::error::{check_rc, Call, Error, Result};
use crate::ffi;
use crate::mbuf::{Burst, PktMbufPool};
use crate::SocketId;

/// How many ports DPDK can hold (`RTE_MAX_ETHPORTS`).
pub const MAX_PORTS: usize = ffi::RTE_MAX_ETHPORTS as usize;

/// Per port id: whether a [`Port`] handle owns it.
static CLAIMED: [AtomicBool; MAX_PORTS] = [const { AtomicBool::new(false) }; MAX_PORTS];

/// Held from finding a port to claiming it, and from closing a port to releasing its
/// claim: DPDK reuses a closed port's id at once, so without it a port plugged in on
/// another thread could get the id while the old handle still claims it.
static HOTPLUG: Mutex<()> = Mutex::new(());

fn hotplug() -> MutexGuard<'static, ()> {
    HOTPLUG.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The ids of the ports DPDK knows now (`RTE_ETH_FOREACH_DEV`), owned or not by a handle.
///
/// ```
/// # let eal = dpdk::doc_eal();
/// let port = dpdk::ethdev::Port::attach_vdev("net_null_doc_ids")?;
/// assert!(dpdk::ethdev::port_ids().contains(&port.id()));
/// # Ok::<(), dpdk::Error>(())
/// ```
#[doc(alias = "RTE_ETH_FOREACH_DEV")]
pub fn port_ids() -> Vec<u16> {
    let mut ids = Vec::new();
    if crate::eal::ensure_running(|| Call::new("port_ids", "")).is_err() {
        return ids;
    }
    let mut next = 0u16;
    loop {
        // SAFETY: iterates DPDK's port table; any start id is accepted.
        let id = unsafe { ffi::rte_eth_find_next_owned_by(next, ffi::RTE_ETH_DEV_NO_OWNER as u64) };
        if id >= MAX_PORTS as u64 {
            return ids;
        }
        ids.push(id as u16);
        next = id as u16 + 1;
    }
}

mod configured;
mod info;
mod queue;

pub use crate::error::DescriptorLimits;
use crate::mbuf::Mbuf;
use crate::vdev::{check_net_ring_name, check_vdev, net_null_packet_size};
pub use crate::vdev::{NET_RING_NAME_MAX, SAFE_VDEV_DRIVERS};
pub use configured::ConfiguredPort;
pub use info::{Link, MacAddr, PortConfig, PortInfo, Stats};
pub use queue::{RxQueue, TxQueue};

/// The warning for an RX pool on another socket than its port, if they differ.
fn socket_mismatch(
    port: &str,
    port_socket: SocketId,
    pool: &str,
    pool_socket: Option<SocketId>,
) -> Option<String> {
    let pool_socket = pool_socket?;
    if port_socket.is_any() || pool_socket.is_any() || port_socket == pool_socket {
        return None;
    }
    Some(format!(
        "port {port} is on {port_socket} but its RX pool {pool:?} is on {pool_socket}: every \
         received packet crosses sockets; create the pool on Port::socket()"
    ))
}

/// An Ethernet device, owned by this handle: not yet configured. Closed when dropped
/// (`rte_eth_dev_close`), and removed too when it was plugged in by
/// [`attach_vdev`](Self::attach_vdev).
pub struct Port {
    id: u16,
    /// The name to `rte_vdev_uninit` after closing, for hot-plugged devices.
    vdev: Option<CString>,
    _eal: ObjectRef,
}

impl Port {
    /// The port with id `id`.
    ///
    /// # Errors
    /// [`Error::UnknownPort`] when DPDK has no such port; [`Error::Busy`] when another
    /// handle owns it; [`Error::EalNotRunning`].
    #[doc(alias = "rte_eth_dev_is_valid_port")]
    pub fn by_id(id: u16) -> Result<Port> {
        let eal = ObjectRef::take("Port::by_id")?;
        let call = || Call::new("rte_eth_dev_is_valid_port", format!("port_id={id}"));
        let _hotplug = hotplug();
        // SAFETY: a plain lookup in DPDK's port table.
        if (id as usize) >= MAX_PORTS || unsafe { ffi::rte_eth_dev_is_valid_port(id) } == 0 {
            return Err(Error::UnknownPort { call: call(), port: id, known: port_ids() });
        }
        Self::claim(id, None, eal, call)
    }

    /// The port of the device named `name` (`rte_eth_dev_get_port_by_name`), e.g. a vdev
    /// given to [`EalBuilder::vdev`](crate::EalBuilder::vdev) (`net_ring0`).
    ///
    /// # Errors
    /// [`Error::UnknownDevice`]; [`Error::Busy`] when another handle owns it.
    #[doc(alias = "rte_eth_dev_get_port_by_name")]
    pub fn by_name(name: &str) -> Result<Port> {
        let eal = ObjectRef::take("Port::by_name")?;
        let call = || Call::new("rte_eth_dev_get_port_by_name", format!("name={name:?}"));
        let _hotplug = hotplug();
        let id =
            lookup(name).ok_or_else(|| Error::UnknownDevice { call: call(), name: name.into() })?;
        Self::claim(id, None, eal, call)
    }

    /// Plugs in a virtual device (`rte_vdev_init`) and returns its port; dropping the
    /// port closes and removes the device. `devargs` is what `--vdev` takes: the device
    /// name (which starts with the driver's, e.g. `net_ring_a`, `net_null3`) and
    /// optional `,key=value` arguments (`net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap`).
    ///
    /// # Errors
    /// [`Error::InvalidName`] for an empty name or a NUL byte; [`Error::InvalidArgument`]
    /// for a driver outside [`SAFE_VDEV_DRIVERS`] or arguments to net_ring;
    /// [`Error::AlreadyExists`] when a device of that name exists (or, for net_ring, a
    /// ring it would adopt); what the driver reports otherwise (an unknown driver
    /// is [`Error::NotFound`]).
    #[doc(alias = "rte_vdev_init")]
    pub fn attach_vdev(devargs: &str) -> Result<Port> {
        let eal = ObjectRef::take("Port::attach_vdev")?;
        let (name, args) = devargs.split_once(',').unwrap_or((devargs, ""));
        let call = || Call::new("rte_vdev_init", format!("name={name:?}, args={args:?}"));
        let cname = crate::error::check_name(name, 63, call)?;
        let cargs = CString::new(args).map_err(|_| Error::InvalidName {
            call: call(),
            name: args.into(),
            reason: "it holds a NUL byte",
        })?;
        check_vdev(devargs).map_err(|message| Error::InvalidArgument { call: call(), message })?;
        check_net_ring_name(name, call)?;
        let _hotplug = hotplug();
        if lookup(name).is_some() {
            return Err(Error::AlreadyExists {
                call: call(),
                message: "a port of that name exists".into(),
            });
        }
        if name.starts_with("net_ring") {
            // When it cannot create its rings, net_ring adopts existing ones of the same
            // names: refuse rather than let a port hand out someone else's ring contents.
            for ring in net_ring_rings(name) {
                // SAFETY: a lookup by NUL-terminated name.
                if !unsafe { ffi::rte_ring_lookup(ring.as_ptr()) }.is_null() {
                    return Err(Error::AlreadyExists {
                        call: call(),
                        message: format!("a ring named {ring:?}, which net_ring would adopt"),
                    });
                }
            }
        }
        // SAFETY: NUL-terminated name and arguments; the driver parses them.
        let rc = unsafe { ffi::rte_vdev_init(cname.as_ptr(), cargs.as_ptr()) };
        check_rc(rc, call)?;
        let Some(id) = lookup(name) else {
            // SAFETY: removes the device just plugged in, which made no port.
            unsafe { ffi::rte_vdev_uninit(cname.as_ptr()) };
            return Err(Error::InvalidArgument {
                call: call(),
                message: "the device is not an Ethernet port".into(),
            });
        };
        Self::claim(id, Some(cname), eal, call)
    }

    fn claim(
        id: u16,
        vdev: Option<CString>,
        eal: ObjectRef,
        call: impl Fn() -> Call,
    ) -> Result<Port> {
        if CLAIMED[id as usize].swap(true, Ordering::AcqRel) {
            return Err(Error::Busy {
                call: call(),
                message: format!("port {id} is owned by another Port handle"),
            });
        }
        Ok(Port { id, vdev, _eal: eal })
    }

    /// The port id.
    #[inline]
    pub fn id(&self) -> u16 {
        self.id
    }

    /// The device name (`rte_eth_dev_get_name_by_port`).
    #[doc(alias = "rte_eth_dev_get_name_by_port")]
    pub fn name(&self) -> String {
        let mut buf = [0 as c_char; ffi::RTE_ETH_NAME_MAX_LEN as usize];
        // SAFETY: a valid port and a buffer of RTE_ETH_NAME_MAX_LEN bytes.
        let rc = unsafe { ffi::rte_eth_dev_get_name_by_port(self.id, buf.as_mut_ptr()) };
        if rc != 0 {
            return format!("port{}", self.id);
        }
        // SAFETY: DPDK wrote a NUL-terminated name.
        unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
    }

    /// The socket the device is attached to (`rte_eth_dev_socket_id`):
    /// [`SocketId::ANY`] when DPDK does not know (many virtual devices). Create the
    /// port's packet pool here.
    #[doc(alias = "rte_eth_dev_socket_id")]
    pub fn socket(&self) -> SocketId {
        // SAFETY: a valid port.
        SocketId::from_dpdk(unsafe { ffi::rte_eth_dev_socket_id(self.id) })
    }

    /// What the device tells about itself (`rte_eth_dev_info_get`).
    ///
    /// # Errors
    /// What DPDK reports.
    #[doc(alias = "rte_eth_dev_info_get")]
    pub fn info(&self) -> Result<PortInfo> {
        let info = self.raw_info()?;
        let lim = |l: &ffi::rte_eth_desc_lim| DescriptorLimits {
            min: l.nb_min,
            max: l.nb_max,
            align: l.nb_align,
        };
        let driver = if info.driver_name.is_null() {
            String::new()
        } else {
            // SAFETY: DPDK's static NUL-terminated driver name.
            unsafe { CStr::from_ptr(info.driver_name) }.to_string_lossy().into_owned()
        };
        Ok(PortInfo {
            driver,
            max_rx_queues: info.max_rx_queues,
            max_tx_queues: info.max_tx_queues,
            rx_descriptors: lim(&info.rx_desc_lim),
            tx_descriptors: lim(&info.tx_desc_lim),
            min_rx_buffer: info.min_rx_bufsize,
            max_rx_frame: info.max_rx_pktlen,
        })
    }

    /// The device's arguments (`rte_dev_devargs`): what `--vdev` or
    /// [`attach_vdev`](Self::attach_vdev) gave after its name; empty when none.
    ///
    /// ```
    /// # let eal = dpdk::doc_eal();
    /// let port = dpdk::ethdev::Port::attach_vdev("net_null_doc_args,size=128")?;
    /// assert_eq!(port.devargs()?, "size=128");
    /// # Ok::<(), dpdk::Error>(())
    /// ```
    ///
    /// # Errors
    /// What DPDK reports for the device's information.
    #[doc(alias = "rte_dev_devargs")]
    pub fn devargs(&self) -> Result<String> {
        let info = self.raw_info()?;
        if info.device.is_null() {
            return Ok(String::new());
        }
        // SAFETY: the device of a port we own, alive as long as the port; DPDK keeps its
        // devargs (possibly none) with it.
        let devargs = unsafe { ffi::rte_dev_devargs(info.device) };
        if devargs.is_null() {
            return Ok(String::new());
        }
        // SAFETY: `args` is the arm every bus but the class-based ones use; a null or
        // NUL-terminated string that lives with the devargs.
        let args = unsafe { (*devargs).__bindgen_anon_1.args };
        if args.is_null() {
            return Ok(String::new());
        }
        // SAFETY: as above.
        Ok(unsafe { CStr::from_ptr(args) }.to_string_lossy().into_owned())
    }

    /// net_null writes its `size=` bytes into every packet it receives, without looking
    /// at the packet's room: refuse a pool whose packets cannot hold that many.
    fn check_net_null_room(&self, pool: &PktMbufPool, call: impl Fn() -> Call) -> Result<()> {
        let args = self.devargs()?;
        let size = net_null_packet_size(&args)
            .map_err(|message| Error::InvalidArgument { call: call(), message })?;
        let room = pool.data_room();
        let room = room - room.min(crate::mbuf::HEADROOM);
        if size > u64::from(room) {
            return Err(Error::InvalidArgument {
                call: call(),
                message: format!(
                    "net_null writes {size} bytes into every packet it receives, but the \
                     packets of pool {:?} hold {room} after their headroom",
                    pool.info().name
                ),
            });
        }
        Ok(())
    }

    fn raw_info(&self) -> Result<ffi::rte_eth_dev_info> {
        let mut info = ffi::rte_eth_dev_info::default();
        // SAFETY: a valid port; DPDK fills the struct.
        let rc = unsafe { ffi::rte_eth_dev_info_get(self.id, &mut info) };
        check_rc(rc, || Call::new("rte_eth_dev_info_get", format!("port_id={}", self.id)))?;
        Ok(info)
    }

    /// The device's MAC address (`rte_eth_macaddr_get`).
    ///
    /// # Errors
    /// What DPDK reports.
    #[doc(alias = "rte_eth_macaddr_get")]
    pub fn mac(&self) -> Result<MacAddr> {
        let mut addr = ffi::rte_ether_addr::default();
        // SAFETY: a valid port; DPDK writes the address.
        let rc = unsafe { ffi::rte_eth_macaddr_get(self.id, &mut addr) };
        check_rc(rc, || Call::new("rte_eth_macaddr_get", format!("port_id={}", self.id)))?;
        Ok(MacAddr(addr.addr_bytes))
    }

    /// The link, without waiting for it to settle (`rte_eth_link_get_nowait`).
    ///
    /// # Errors
    /// What DPDK reports.
    #[doc(alias = "rte_eth_link_get_nowait")]
    pub fn link(&self) -> Result<Link> {
        let mut link = ffi::rte_eth_link::default();
        // SAFETY: a valid port; DPDK writes the link.
        let rc = unsafe { ffi::rte_eth_link_get_nowait(self.id, &mut link) };
        check_rc(rc, || Call::new("rte_eth_link_get_nowait", format!("port_id={}", self.id)))?;
        Ok(Link {
            up: link.is_up(),
            speed_mbps: link.speed_mbps(),
            full_duplex: link.is_full_duplex(),
            autoneg: link.is_autoneg(),
        })
    }

    /// Whether promiscuous mode is on (`rte_eth_promiscuous_get`).
    #[doc(alias = "rte_eth_promiscuous_get")]
    pub fn promiscuous(&self) -> bool {
        // SAFETY: a valid port.
        unsafe { ffi::rte_eth_promiscuous_get(self.id) == 1 }
    }

    /// The device's counters (`rte_eth_stats_get`).
    ///
    /// # Errors
    /// What DPDK reports.
    #[doc(alias = "rte_eth_stats_get")]
    pub fn stats(&self) -> Result<Stats> {
        let mut s = ffi::rte_eth_stats::default();
        // SAFETY: a valid port; DPDK writes the counters.
        let rc = unsafe { ffi::rte_eth_stats_get(self.id, &mut s) };
        check_rc(rc, || Call::new("rte_eth_stats_get", format!("port_id={}", self.id)))?;
        Ok(Stats {
            rx_packets: s.ipackets,
            tx_packets: s.opackets,
            rx_bytes: s.ibytes,
            tx_bytes: s.obytes,
            rx_missed: s.imissed,
            rx_errors: s.ierrors,
            tx_errors: s.oerrors,
            rx_no_mbuf: s.rx_nombuf,
        })
    }

    /// Configures `config.rx_queues()` RX queues that receive into `pool` and
    /// `config.tx_queues()` TX queues (`rte_eth_dev_configure`, `rte_eth_rx_queue_setup`,
    /// `rte_eth_tx_queue_setup`). The queues are placed on the port's socket; a pool on
    /// another socket is logged as a warning naming both.
    ///
    /// # Errors
    /// The port comes back inside [`ConfigureError`] with why:
    /// [`Error::InvalidArgument`] for more queues than the device has;
    /// [`Error::DescriptorsRefused`] for descriptor counts outside the device's limits;
    /// what DPDK reports otherwise. `?` turns it into an [`Error`] (closing the port).
    #[doc(alias = "rte_eth_dev_configure")]
    pub fn configure<'p>(
        self,
        config: &PortConfig,
        pool: &'p PktMbufPool,
    ) -> Result<ConfiguredPort<'p>, ConfigureError> {
        let mut rx_set_up = false;
        match self.setup(config, pool, &mut rx_set_up) {
            Ok(()) => {
                let claims = |n: u16| (0..n).map(|_| AtomicBool::new(false)).collect();
                Ok(ConfiguredPort {
                    _invariant: PhantomData,
                    rx: claims(config.rx_queues()),
                    tx: claims(config.tx_queues()),
                    port: self,
                    pool,
                    started: false,
                    rx_outside: AtomicU64::new(0),
                })
            }
            // RX queues set up before the failure hold packets of `pool` (drivers fill
            // their rings at setup) and a reference to it, but the port handed back does
            // not borrow the pool: release them now, or close the port while the pool
            // is still alive.
            Err(error) if rx_set_up && !self.release_rx_queues() => {
                drop(self);
                Err(ConfigureError { port: None, error })
            }
            Err(error) => Err(ConfigureError { port: Some(self), error }),
        }
    }

    /// Releases every RX queue (and the packets in them) by configuring the port with
    /// none (DPDK releases queues beyond the new count; one TX queue keeps the count
    /// pair valid). Whether that worked.
    fn release_rx_queues(&self) -> bool {
        let conf = ffi::rte_eth_conf::default();
        // SAFETY: a stopped port we own; reconfiguring releases the old RX queues.
        let rc = unsafe { ffi::rte_eth_dev_configure(self.id, 0, 1, &conf) };
        rc == 0
    }

    fn setup(&self, config: &PortConfig, pool: &PktMbufPool, rx_set_up: &mut bool) -> Result<()> {
        let id = self.id;
        let PortConfig { rx_queues, tx_queues, rx_descriptors, tx_descriptors } = *config;
        let info = self.info()?;
        let call = || {
            Call::new(
                "rte_eth_dev_configure",
                format!("port_id={id}, nb_rx_q={rx_queues}, nb_tx_q={tx_queues}"),
            )
        };
        if rx_queues > 0 && info.driver == "net_null" {
            self.check_net_null_room(pool, call)?;
        }
        if rx_queues > info.max_rx_queues || tx_queues > info.max_tx_queues {
            return Err(Error::InvalidArgument {
                call: call(),
                message: format!(
                    "{} has at most {} RX and {} TX queues",
                    info.driver, info.max_rx_queues, info.max_tx_queues
                ),
            });
        }
        for (direction, n, limits, function) in [
            ("RX", rx_descriptors, info.rx_descriptors, "rte_eth_rx_queue_setup"),
            ("TX", tx_descriptors, info.tx_descriptors, "rte_eth_tx_queue_setup"),
        ] {
            if n != 0 && !limits.accepts(n) {
                return Err(Error::DescriptorsRefused {
                    call: Call::new(function, format!("port_id={id}, nb_desc={n}")),
                    direction,
                    requested: n,
                    limits,
                });
            }
        }
        let conf = ffi::rte_eth_conf::default();
        // SAFETY: a valid port we own, stopped; a zeroed configuration is DPDK's default.
        check_rc(unsafe { ffi::rte_eth_dev_configure(id, rx_queues, tx_queues, &conf) }, call)?;
        let socket = self.socket();
        if let Some(warning) =
            socket_mismatch(&self.name(), socket, &pool.info().name, pool.socket())
        {
            log::warn!("{warning}");
        }
        let raw_socket = socket.as_raw() as u32; // SOCKET_ID_ANY stays -1 as DPDK expects
        for q in 0..rx_queues {
            // SAFETY: a configured port, a queue index below its count, a live packet pool
            // (borrowed by the ConfiguredPort for as long as the queue exists).
            let rc = unsafe {
                ffi::rte_eth_rx_queue_setup(
                    id,
                    q,
                    rx_descriptors,
                    raw_socket,
                    std::ptr::null(),
                    pool.as_ptr(),
                )
            };
            *rx_set_up = true; // even a failed setup may leave packets behind
            check_rc(rc, || {
                Call::new(
                    "rte_eth_rx_queue_setup",
                    format!(
                        "port_id={id}, rx_queue_id={q}, nb_rx_desc={rx_descriptors}, socket_id={}",
                        socket.as_raw()
                    ),
                )
            })?;
        }
        for q in 0..tx_queues {
            // SAFETY: a configured port and a queue index below its count.
            let rc = unsafe {
                ffi::rte_eth_tx_queue_setup(id, q, tx_descriptors, raw_socket, std::ptr::null())
            };
            check_rc(rc, || {
                Call::new(
                    "rte_eth_tx_queue_setup",
                    format!(
                        "port_id={id}, tx_queue_id={q}, nb_tx_desc={tx_descriptors}, socket_id={}",
                        socket.as_raw()
                    ),
                )
            })?;
        }
        Ok(())
    }
}

/// The names of the rings net_ring makes for device `name` (`ETH_RXTX<queue>_<name>`, one
/// per queue it can have; RX queue q and TX queue q share ring q).
fn net_ring_rings(name: &str) -> impl Iterator<Item = CString> + '_ {
    let queues = ffi::RTE_PMD_RING_MAX_RX_RINGS.max(ffi::RTE_PMD_RING_MAX_TX_RINGS);
    (0..queues).filter_map(move |q| {
        CString::new(format!("{}{q}_{name}", crate::vdev::NET_RING_PREFIX)).ok()
    })
}

/// What net_ring leaves when its device is closed: it frees only the rings of configured
/// RX queues, and those without freeing the packets in them. Frees the packets of every
/// ring of device `name` (call with the device stopped, before closing it), or the rings
/// themselves (after closing and removing it, when the driver holds them no more).
fn clean_net_ring(name: &str, free_rings: bool) {
    for ring in net_ring_rings(name) {
        // SAFETY: a lookup by NUL-terminated name.
        let r = unsafe { ffi::rte_ring_lookup(ring.as_ptr()) };
        if r.is_null() {
            continue;
        }
        if free_rings {
            // SAFETY: the device is closed and removed, so nothing uses its rings; their
            // packets were freed before the close.
            unsafe { ffi::rte_ring_free(r) };
            continue;
        }
        let mut burst = [std::ptr::null_mut::<std::ffi::c_void>(); 32];
        loop {
            // SAFETY: the device is stopped and no queue handle exists (they borrow the
            // port), so this is the ring's only user; room for 32 pointers.
            let n = unsafe {
                ffi::rte_ring_dequeue_burst(r, burst.as_mut_ptr(), 32, std::ptr::null_mut())
            };
            if n == 0 {
                break;
            }
            for &m in &burst[..n as usize] {
                // SAFETY: a packet sent on the port, owned by the ring until now; its pool
                // outlives the port (the pool borrows of ConfiguredPort and tx_burst).
                unsafe { ffi::rte_pktmbuf_free(m.cast()) };
            }
        }
    }
}

fn lookup(name: &str) -> Option<u16> {
    let cname = CString::new(name).ok()?;
    let mut id = 0u16;
    // SAFETY: a NUL-terminated name; DPDK writes the id on success.
    let rc = unsafe { ffi::rte_eth_dev_get_port_by_name(cname.as_ptr(), &mut id) };
    (rc == 0).then_some(id)
}

impl Drop for Port {
    fn drop(&mut self) {
        let id = self.id;
        let _hotplug = hotplug();
        let net_ring = self.info().is_ok_and(|i| i.driver == "net_ring").then(|| self.name());
        // SAFETY: we own the port: stop it if someone started it, then close it (which
        // frees its queues and the packets in them). Both tolerate a stopped device.
        unsafe {
            ffi::rte_eth_dev_stop(id);
            if let Some(name) = &net_ring {
                clean_net_ring(name, false);
            }
            let rc = ffi::rte_eth_dev_close(id);
            if rc != 0 {
                log::warn!("rte_eth_dev_close(port_id={id}): {}", crate::error::strerror(-rc));
            }
        }
        if let Some(name) = &self.vdev {
            // SAFETY: removes the device we plugged in; its port is closed.
            let rc = unsafe { ffi::rte_vdev_uninit(name.as_ptr()) };
            if rc != 0 {
                log::warn!("rte_vdev_uninit({name:?}): {}", crate::error::strerror(-rc));
            }
        }
        if let Some(name) = &net_ring {
            clean_net_ring(name, true);
        }
        CLAIMED[id as usize].store(false, Ordering::Release);
    }
}

impl fmt::Debug for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Port").field("id", &self.id).field("name", &self.name()).finish()
    }
}

/// A failed [`Port::configure`]: the port, still owned (without queues that reference
/// the pool), and why.
pub struct ConfigureError {
    /// The port, to retry with another configuration; `None` in the rare case where the
    /// RX queues set up before the failure could not be released, so the port was closed
    /// (while the pool they reference was still alive).
    pub port: Option<Port>,
    /// Why configuring failed.
    pub error: Error,
}

impl fmt::Debug for ConfigureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigureError")
            .field("port", &self.port.as_ref().map(Port::id))
            .field("error", &self.error)
            .finish()
    }
}

impl fmt::Display for ConfigureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for ConfigureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<ConfigureError> for Error {
    fn from(e: ConfigureError) -> Error {
        e.error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_limits() {
        let l = DescriptorLimits { min: 64, max: 4096, align: 32 };
        assert!(l.accepts(64) && l.accepts(4096) && l.accepts(96));
        assert!(!l.accepts(32) && !l.accepts(100) && !l.accepts(8192));
        assert!(DescriptorLimits { min: 0, max: u16::MAX, align: 1 }.accepts(7));
    }

    #[test]
    fn mac_addresses_print_like_ip_link() {
        assert_eq!(MacAddr([0x02, 0, 0, 0xab, 0xcd, 0xef]).to_string(), "02:00:00:ab:cd:ef");
    }

    #[test]
    fn a_pool_on_another_socket_is_named_with_both_sockets() {
        let s0 = SocketId::from_dpdk(0);
        let s1 = SocketId::from_dpdk(1);
        let w = socket_mismatch("net_x", s0, "pool", Some(s1)).unwrap();
        assert!(w.contains("socket 0") && w.contains("socket 1"), "{w}");
        assert!(socket_mismatch("net_x", s0, "pool", Some(s0)).is_none());
        assert!(socket_mismatch("net_x", SocketId::ANY, "pool", Some(s1)).is_none());
        assert!(socket_mismatch("net_x", s0, "pool", None).is_none());
    }
}
