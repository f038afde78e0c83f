//! NUMA sockets as DPDK sees them: [`SocketId`].

use std::fmt;

use crate::eal::ensure_running;
use crate::error::{Call, Error, Result};
use crate::ffi;

/// A NUMA node (DPDK calls it a socket) on which memory is placed.
///
/// Every constructor of this crate takes one, so placement is always a decision written
/// in the code. There is deliberately no `Default`: "wherever" is [`SocketId::ANY`], which
/// must be spelled out. Checked construction comes from [`SocketId::new`] (against the
/// sockets DPDK found), [`SocketId::current`] (the calling lcore's socket), or the sockets
/// of lcores ([`crate::LcoreId::socket`]) and, later, of devices.
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::SocketId;
/// let here = SocketId::current();          // the socket of the calling lcore
/// let zero = SocketId::new(0)?;            // checked against what DPDK found
/// assert!(SocketId::all()?.contains(&zero));
/// assert_eq!(SocketId::ANY.id(), None);
/// assert!(SocketId::new(7).is_err() || SocketId::all()?.len() > 7);
/// # let _ = here;
/// # Ok::<(), dpdk::Error>(())
/// ```
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId(i32);

impl SocketId {
    /// No NUMA constraint (`SOCKET_ID_ANY`): DPDK picks, usually the calling lcore's socket
    /// first. Use it when placement truly does not matter.
    pub const ANY: SocketId = SocketId(ffi::SOCKET_ID_ANY);

    /// The socket with physical id `id`, if DPDK found it on this machine.
    ///
    /// # Errors
    /// [`Error::UnknownSocket`] when DPDK found no such socket, [`Error::EalNotRunning`]
    /// when the EAL is not initialised (DPDK's socket list is not known before).
    pub fn new(id: u32) -> Result<SocketId> {
        let call = || Call::new("SocketId::new", id.to_string());
        ensure_running(call)?;
        let known = Self::physical_ids();
        if known.contains(&id) {
            Ok(SocketId(id as i32))
        } else {
            Err(Error::UnknownSocket { call: call(), socket: id, known })
        }
    }

    /// The socket of the calling thread's lcore (`rte_socket_id`), or [`SocketId::ANY`] on
    /// a thread that is not an EAL lcore nor registered, or when the EAL is not running.
    #[doc(alias = "rte_socket_id")]
    #[inline]
    pub fn current() -> SocketId {
        // SAFETY: rte_socket_id reads a thread-local variable, valid on any thread; before
        // rte_eal_init it holds its initial value (SOCKET_ID_ANY).
        SocketId(unsafe { ffi::rte_socket_id() } as i32)
    }

    /// All sockets DPDK found (`rte_socket_count` / `rte_socket_id_by_idx`), in its order.
    ///
    /// # Errors
    /// [`Error::EalNotRunning`] when the EAL is not initialised.
    pub fn all() -> Result<Vec<SocketId>> {
        ensure_running(|| Call::new("SocketId::all", ""))?;
        Ok(Self::physical_ids().into_iter().map(|id| SocketId(id as i32)).collect())
    }

    fn physical_ids() -> Vec<u32> {
        // SAFETY: the EAL is running (checked by callers); these read its lcore config.
        let count = unsafe { ffi::rte_socket_count() };
        (0..count)
            // SAFETY: idx < rte_socket_count().
            .map(|idx| unsafe { ffi::rte_socket_id_by_idx(idx) })
            .filter(|&id| id >= 0)
            .map(|id| id as u32)
            .collect()
    }

    /// The physical socket id, or `None` for [`SocketId::ANY`].
    pub fn id(self) -> Option<u32> {
        (self.0 >= 0).then_some(self.0 as u32)
    }

    /// Whether this is [`SocketId::ANY`].
    pub fn is_any(self) -> bool {
        self.0 < 0
    }

    /// The value DPDK's C API takes (`int socket_id`; `SOCKET_ID_ANY` is -1).
    #[inline]
    pub fn as_raw(self) -> i32 {
        self.0
    }

    /// Wraps a socket id that DPDK itself reported (from a memseg, an lcore, a device).
    /// Negative values mean [`SocketId::ANY`].
    #[inline]
    pub(crate) fn from_dpdk(raw: i32) -> SocketId {
        SocketId(if raw < 0 { ffi::SOCKET_ID_ANY } else { raw })
    }
}

impl fmt::Debug for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.id() {
            Some(id) => write!(f, "SocketId({id})"),
            None => f.write_str("SocketId::ANY"),
        }
    }
}

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.id() {
            Some(id) => write!(f, "socket {id}"),
            None => f.write_str("any socket"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_is_spelled_out_and_displayed() {
        assert!(SocketId::ANY.is_any());
        assert_eq!(SocketId::ANY.as_raw(), -1);
        assert_eq!(SocketId::ANY.to_string(), "any socket");
        assert_eq!(format!("{:?}", SocketId::from_dpdk(1)), "SocketId(1)");
        assert_eq!(SocketId::from_dpdk(-5), SocketId::ANY);
    }
}
