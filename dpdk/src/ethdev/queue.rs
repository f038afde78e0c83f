//! One RX or TX queue of a started port, polled by one thread.

use super::*;

/// An RX queue of a started port: one handle per queue, `Send`, not `Sync`.
pub struct RxQueue<'a, 'p> {
    pub(super) port: &'a ConfiguredPort<'p>,
    pub(super) queue: u16,
    pub(super) _not_sync: PhantomData<Cell<()>>,
}

impl<'p> RxQueue<'_, 'p> {
    /// Receives up to the free room of `burst` (`rte_eth_rx_burst`), appends the packets
    /// to it and returns them. Some drivers need the room to be a multiple of 4 or 8 to
    /// return anything. A packet whose first segment claims data beyond its buffer is
    /// freed, not returned, and counted in [`ConfiguredPort::rx_outside_buffer`].
    #[doc(alias = "rte_eth_rx_burst")]
    #[inline]
    pub fn rx_burst<'b, const N: usize>(
        &mut self,
        burst: &'b mut Burst<'p, N>,
    ) -> &'b mut [Mbuf<'p>] {
        let (dst, room) = burst.spare_ptr();
        let room = room.min(u16::MAX as usize) as u16;
        let n = self.rx_raw(dst, room);
        // SAFETY: the driver wrote `n` packets, now ours, into the spare room.
        let n = unsafe { self.keep_in_bounds(dst, n) };
        // SAFETY: the first `n` pointers are packets, now ours, that fit their buffers.
        unsafe { burst.added(n as usize) }
    }

    /// [`rx_burst`](Self::rx_burst) without the check that each packet's data lies in its
    /// buffer (about 2 ticks a packet, see BENCHMARKS.md), for a driver known to keep it
    /// there.
    ///
    /// # Safety
    /// The driver must return only packets whose first segment satisfies
    /// `data_off + data_len <= buf_len`: [`Mbuf::data`] trusts it. The virtual devices of
    /// [`SAFE_VDEV_DRIVERS`], as this crate configures them, do.
    #[doc(alias = "rte_eth_rx_burst")]
    #[inline]
    pub unsafe fn rx_burst_trusted<'b, const N: usize>(
        &mut self,
        burst: &'b mut Burst<'p, N>,
    ) -> &'b mut [Mbuf<'p>] {
        let (dst, room) = burst.spare_ptr();
        let room = room.min(u16::MAX as usize) as u16;
        let n = self.rx_raw(dst, room);
        // SAFETY: the driver wrote `n` packets, now ours, into the spare room; the caller
        // vouches that they fit their buffers.
        unsafe { burst.added(n as usize) }
    }

    /// Drops (and counts) received packets whose first segment claims data beyond its
    /// buffer (`data_off + data_len > buf_len`, as `rte_mbuf_check` tests): a driver is
    /// not trusted to stay inside a buffer, and [`Mbuf::data`] would read past it. The
    /// packets kept move to the front; how many.
    ///
    /// # Safety
    /// `pkts` holds `n` packets the caller owns.
    #[inline(always)]
    unsafe fn keep_in_bounds(&self, pkts: *mut *mut ffi::rte_mbuf, n: u16) -> u16 {
        // SAFETY: per the contract.
        let received = unsafe { std::slice::from_raw_parts(pkts, n as usize) };
        // The sign of buf_len - data_off - data_len, or-ed over the burst: no branch per
        // packet.
        let outside = received.iter().fold(0i32, |acc, &m| {
            // SAFETY: per the contract; the driver just wrote these headers. Read field by
            // field: the packet may be shared (its refcnt changed by other lcores).
            let (buf_len, data_off, data_len) = unsafe {
                use ffi::rte_mbuf as M;
                (M::buf_len_of(m), M::data_off_of(m), M::data_len_of(m))
            };
            acc | (i32::from(buf_len) - i32::from(data_off) - i32::from(data_len))
        });
        if outside >= 0 {
            return n;
        }
        // SAFETY: per the contract.
        unsafe { self.drop_outside(pkts, n) }
    }

    /// The cold half of [`keep_in_bounds`](Self::keep_in_bounds).
    ///
    /// # Safety
    /// As there.
    #[cold]
    #[inline(never)]
    unsafe fn drop_outside(&self, pkts: *mut *mut ffi::rte_mbuf, n: u16) -> u16 {
        let mut kept = 0;
        for i in 0..n as usize {
            // SAFETY: per the contract; `kept <= i`.
            unsafe {
                let m = *pkts.add(i);
                use ffi::rte_mbuf as M;
                if u32::from(M::data_off_of(m)) + u32::from(M::data_len_of(m))
                    > u32::from(M::buf_len_of(m))
                {
                    ffi::rte_pktmbuf_free(m);
                } else {
                    *pkts.add(kept) = m;
                    kept += 1;
                }
            }
        }
        let dropped = u64::from(n) - kept as u64;
        if self.port.rx_outside.fetch_add(dropped, Ordering::Relaxed) == 0 {
            log::warn!(
                "port {} RX queue {}: the driver returned {dropped} packet(s) with data beyond \
                 their buffer; dropped (ConfiguredPort::rx_outside_buffer counts them)",
                self.port.port.id,
                self.queue
            );
        }
        kept as u16
    }

    #[inline(always)]
    fn rx_raw(&mut self, dst: *mut *mut ffi::rte_mbuf, room: u16) -> u16 {
        // SAFETY: a started port and a configured queue that only this handle polls;
        // room for `room` pointers.
        unsafe { crate::inline::ethdev::rx_burst(self.port.port.id, self.queue, dst, room) }
    }

    /// The queue index.
    pub fn id(&self) -> u16 {
        self.queue
    }
}

impl Drop for RxQueue<'_, '_> {
    fn drop(&mut self) {
        self.port.rx[self.queue as usize].store(false, Ordering::Release);
    }
}

impl fmt::Debug for RxQueue<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RxQueue")
            .field("port", &self.port.port.id)
            .field("queue", &self.queue)
            .finish()
    }
}

/// A TX queue of a started port: one handle per queue, `Send`, not `Sync`.
pub struct TxQueue<'a, 'p> {
    pub(super) port: &'a ConfiguredPort<'p>,
    pub(super) queue: u16,
    pub(super) _not_sync: PhantomData<Cell<()>>,
}

impl<'p> TxQueue<'_, 'p> {
    /// Hands the packets of `burst` to the device, from the front (`rte_eth_tx_burst`),
    /// and returns how many it took. The device owns those now (it frees them once
    /// sent); the packets it did not take stay in `burst`, moved to its front, for a
    /// retry or to be freed with it.
    ///
    /// Packets may come from any pool that outlives the port (`'m: 'p`): the device may
    /// hold them until the port is closed.
    #[doc(alias = "rte_eth_tx_burst")]
    #[inline]
    pub fn tx_burst<'m: 'p, const N: usize>(&mut self, burst: &mut Burst<'m, N>) -> usize {
        let n = burst.len().min(u16::MAX as usize) as u16;
        let sent = self.tx_raw(burst.as_raw(), n) as usize;
        // SAFETY: the device took ownership of the first `sent` packets.
        unsafe { burst.consumed(sent) };
        sent
    }

    #[inline(always)]
    fn tx_raw(&mut self, pkts: *mut *mut ffi::rte_mbuf, n: u16) -> u16 {
        // SAFETY: a started port and a configured queue that only this handle uses; `n`
        // packets we own.
        unsafe { crate::inline::ethdev::tx_burst(self.port.port.id, self.queue, pkts, n) }
    }

    /// The queue index.
    pub fn id(&self) -> u16 {
        self.queue
    }
}

impl Drop for TxQueue<'_, '_> {
    fn drop(&mut self) {
        self.port.tx[self.queue as usize].store(false, Ordering::Release);
    }
}

impl fmt::Debug for TxQueue<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TxQueue")
            .field("port", &self.port.port.id)
            .field("queue", &self.queue)
            .finish()
    }
}
