//! Mirrors of `rte_ethdev.h`: `rte_eth_rx_burst` and `rte_eth_tx_burst`.

use std::sync::atomic::{AtomicPtr, Ordering};

use crate::ffi;

/// `&rte_eth_fp_ops[port]`.
#[inline(always)]
fn fp_ops(port: u16) -> *const ffi::rte_eth_fp_ops {
    // SAFETY: port ids of handles are below RTE_MAX_ETHPORTS, the array's length.
    unsafe {
        std::ptr::addr_of!(ffi::rte_eth_fp_ops).cast::<ffi::rte_eth_fp_ops>().add(port as usize)
    }
}

/// The callback list head of queue `queue`, loaded like DPDK's relaxed atomic load.
///
/// # Safety
/// `clbk` is the started port's callback array (RTE_MAX_QUEUES_PER_PORT entries).
#[inline(always)]
unsafe fn callbacks(clbk: *mut *mut std::ffi::c_void, queue: u16) -> *mut std::ffi::c_void {
    // SAFETY: per the contract; DPDK stores it atomically (release) when adding one.
    unsafe { AtomicPtr::from_ptr(clbk.add(queue as usize)).load(Ordering::Relaxed) }
}

/// `rte_eth_rx_burst(port, queue, dst, room)`: the Rust copy when the `ethdev` group is
/// in use, else DPDK's C.
///
/// # Safety
/// `port` is started and `queue` configured, polled by this thread alone; `dst` has room
/// for `room` pointers.
#[inline(always)]
pub(crate) unsafe fn rx_burst(
    port: u16,
    queue: u16,
    dst: *mut *mut ffi::rte_mbuf,
    room: u16,
) -> u16 {
    if !super::ETHDEV {
        // SAFETY: per the contract.
        return unsafe { ffi::rte_eth_rx_burst(port, queue, dst, room) };
    }
    // SAFETY: per the contract. rte_eth_rx_burst without its debug checks (the caller
    // guarantees a valid port and queue): the driver's burst function on the queue's
    // data, then the RX callbacks if any were added.
    unsafe {
        let p = fp_ops(port);
        let qd = *(*p).rxq.data.add(queue as usize);
        let burst = (*p).rx_pkt_burst.unwrap_unchecked();
        let mut n = burst(qd, dst, room);
        let cb = callbacks((*p).rxq.clbk, queue);
        if !cb.is_null() {
            n = ffi::rte_eth_call_rx_callbacks(port, queue, dst, n, room, cb);
        }
        n
    }
}

/// `rte_eth_tx_burst(port, queue, pkts, n)`: the Rust copy when the `ethdev` group is in
/// use, else DPDK's C.
///
/// # Safety
/// `port` is started and `queue` configured, used by this thread alone; `pkts` holds `n`
/// packets the caller owns (the device takes those it returns as sent).
#[inline(always)]
pub(crate) unsafe fn tx_burst(port: u16, queue: u16, pkts: *mut *mut ffi::rte_mbuf, n: u16) -> u16 {
    if !super::ETHDEV {
        // SAFETY: per the contract.
        return unsafe { ffi::rte_eth_tx_burst(port, queue, pkts, n) };
    }
    // SAFETY: per the contract. rte_eth_tx_burst without its debug checks: the TX
    // callbacks if any were added, then the driver's burst function.
    unsafe {
        let p = fp_ops(port);
        let qd = *(*p).txq.data.add(queue as usize);
        let mut n = n;
        let cb = callbacks((*p).txq.clbk, queue);
        if !cb.is_null() {
            n = ffi::rte_eth_call_tx_callbacks(port, queue, pkts, n, cb);
        }
        let burst = (*p).tx_pkt_burst.unwrap_unchecked();
        burst(qd, pkts, n)
    }
}
