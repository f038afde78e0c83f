//! A caller-owned buffer of packets for the burst calls: `Burst`.

use super::*;

/// A caller-owned buffer of up to `N` packets: what RX bursts fill and TX bursts drain
/// (the `struct rte_mbuf *pkts[N]` array of a C dataplane, with its count).
///
/// - [`RxQueue::rx_burst`](crate::ethdev::RxQueue::rx_burst) receives into the free
///   room at the end and returns the packets it added.
/// - [`TxQueue::tx_burst`](crate::ethdev::TxQueue::tx_burst) hands packets to the
///   device from the front; those the device did not take stay, moved to the front, so
///   the next call retries them (or dropping the burst frees them).
/// - Packets still in it are freed when it is cleared or dropped, in bulk.
///
/// It derefs to `[Mbuf]` for reading and editing packets in place.
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::mbuf::{Burst, PktMbufPool, DEFAULT_DATA_ROOM};
/// let pool = PktMbufPool::new("doc_burst", 255, 0, DEFAULT_DATA_ROOM, dpdk::SocketId::current())?;
/// let mut burst = Burst::<32>::new();
/// pool.alloc_bulk(&mut burst, 32)?;
/// for m in burst.iter_mut() {
///     m.append(60)?.fill(0xab);
/// }
/// assert_eq!(pool.in_use(), 32);
/// burst.clear();
/// assert_eq!(pool.in_use(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Burst<'p, const N: usize> {
    pub(super) len: usize,
    pub(super) slots: [MaybeUninit<Mbuf<'p>>; N],
}

impl<'p, const N: usize> Default for Burst<'p, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'p, const N: usize> Burst<'p, N> {
    /// An empty burst.
    pub const fn new() -> Self {
        // DPDK counts a bulk in 32 bits (and a burst in 16): no larger burst is filled.
        const { assert!(N <= u32::MAX as usize, "a burst holds at most u32::MAX packets") };
        Burst { len: 0, slots: [const { MaybeUninit::uninit() }; N] }
    }

    /// How many packets it holds.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether it holds `N`.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.len == N
    }

    /// `N`.
    #[inline]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Adds a packet at the end, or hands it back when full.
    ///
    /// # Errors
    /// The packet, when the burst is full.
    #[inline]
    pub fn push(&mut self, m: Mbuf<'p>) -> Result<(), Mbuf<'p>> {
        if self.len == N {
            return Err(m);
        }
        self.slots[self.len] = MaybeUninit::new(m);
        self.len += 1;
        Ok(())
    }

    /// Takes the last packet out.
    #[inline]
    pub fn pop(&mut self) -> Option<Mbuf<'p>> {
        self.len = self.len.checked_sub(1)?;
        // SAFETY: slot `len` held a packet; ownership moves out and the slot is now free.
        Some(unsafe { self.slots[self.len].assume_init_read() })
    }

    /// Frees every packet (in bulk).
    #[inline]
    pub fn clear(&mut self) {
        self.truncate(0);
    }

    /// Frees the packets from index `len` on.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let n = self.len - len;
        self.len = len;
        // SAFETY: slots len..len+n held packets owned by the burst, freed once (the
        // length already excludes them).
        unsafe { free_bulk(self.slots.as_mut_ptr().add(len).cast(), n) }
    }

    /// The free room at the end, as raw packet pointers (for burst calls).
    #[inline]
    pub(crate) fn spare_ptr(&mut self) -> (*mut *mut ffi::rte_mbuf, usize) {
        // SAFETY: `len <= N`.
        let ptr = unsafe { self.slots.as_mut_ptr().add(self.len) };
        (ptr.cast(), N - self.len)
    }

    /// Records `n` packets written into the spare room.
    ///
    /// # Safety
    /// The first `n` spare slots now hold packets owned by the burst.
    #[inline]
    pub(crate) unsafe fn added(&mut self, n: usize) -> &mut [Mbuf<'p>] {
        let start = self.len;
        self.len += n;
        &mut self[start..]
    }

    /// The held packets as raw pointers.
    #[inline]
    pub(crate) fn as_raw(&mut self) -> *mut *mut ffi::rte_mbuf {
        self.slots.as_mut_ptr().cast()
    }

    /// Forgets the first `n` packets (handed to a device) and moves the rest to the
    /// front.
    ///
    /// # Safety
    /// The first `n` packets are no longer owned by the burst.
    #[inline]
    pub(crate) unsafe fn consumed(&mut self, n: usize) {
        let rest = self.len - n;
        if rest != 0 && n != 0 {
            // SAFETY: both ranges lie within the first `len` slots; they may overlap.
            unsafe {
                let base = self.slots.as_mut_ptr();
                std::ptr::copy(base.add(n), base, rest);
            }
        }
        self.len = rest;
    }
}

impl<'p, const N: usize> Deref for Burst<'p, N> {
    type Target = [Mbuf<'p>];
    #[inline]
    fn deref(&self) -> &[Mbuf<'p>] {
        // SAFETY: the first `len` slots hold packets.
        unsafe { std::slice::from_raw_parts(self.slots.as_ptr().cast(), self.len) }
    }
}

impl<'p, const N: usize> DerefMut for Burst<'p, N> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [Mbuf<'p>] {
        // SAFETY: as above; `&mut self` is exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.slots.as_mut_ptr().cast(), self.len) }
    }
}

impl<const N: usize> Drop for Burst<'_, N> {
    fn drop(&mut self) {
        self.clear();
    }
}

impl<const N: usize> fmt::Debug for Burst<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Burst").field("len", &self.len).field("capacity", &N).finish()
    }
}

// SAFETY: an `Mbuf` is one pointer (`repr(transparent)`); `into_raw`/`from_raw` move the
// packet's ownership through it. The ring's type carries `'p`, so it cannot outlive the
// pool, and a ring dropped with packets in it frees them.
unsafe impl<'p> crate::ring::RingItem for Mbuf<'p> {
    fn into_raw(self) -> *mut std::ffi::c_void {
        Mbuf::into_raw(self).as_ptr().cast()
    }
    unsafe fn from_raw(ptr: *mut std::ffi::c_void) -> Self {
        // SAFETY: per the contract, a non-null packet pointer from `into_raw`.
        Mbuf { ptr: unsafe { NonNull::new_unchecked(ptr.cast()) }, _pool: PhantomData }
    }
}

impl<'p, P: crate::ring::SyncMode> crate::ring::Producer<Mbuf<'p>, P> {
    /// Moves packets from the front of `burst` into the ring, as many as fit, and returns
    /// how many; the rest stay in `burst`, moved to its front.
    ///
    /// ```
    /// # let eal = dpdk::doc_eal();
    /// use dpdk::mbuf::{Burst, Mbuf, PktMbufPool, DEFAULT_DATA_ROOM};
    /// use dpdk::ring::{Ring, RingOptions};
    /// let socket = dpdk::SocketId::current();
    /// let pool = PktMbufPool::new("doc_ring_mb", 63, 0, DEFAULT_DATA_ROOM, socket)?;
    /// let ring: Ring<Mbuf<'_>> = Ring::new("doc_mb_ring", 8, socket, RingOptions::new())?;
    /// let (tx, rx) = ring.split();
    /// let mut burst = Burst::<16>::new();
    /// pool.alloc_bulk(&mut burst, 10)?;
    /// assert_eq!(tx.enqueue_from_burst(&mut burst), 7); // a ring of 8 holds 7
    /// assert_eq!(burst.len(), 3);
    /// assert_eq!(rx.dequeue_to_burst(&mut burst).len(), 7);
    /// assert_eq!(burst.len(), 10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn enqueue_from_burst<const N: usize>(&self, burst: &mut Burst<'p, N>) -> usize {
        let n = burst.len() as u32;
        // SAFETY: an Mbuf's bits are its raw pointer (repr(transparent)), so the burst's
        // first `n` slots are `n` raw items; the ring owns the first `sent` now.
        unsafe {
            let sent = self.enqueue_raw_burst(burst.as_raw().cast(), n) as usize;
            burst.consumed(sent);
            sent
        }
    }
}

impl<'p, C: crate::ring::SyncMode> crate::ring::Consumer<Mbuf<'p>, C> {
    /// Moves up to the free room of `burst` from the ring to its end and returns them.
    #[inline]
    pub fn dequeue_to_burst<'b, const N: usize>(
        &self,
        burst: &'b mut Burst<'p, N>,
    ) -> &'b mut [Mbuf<'p>] {
        let (dst, room) = burst.spare_ptr();
        // SAFETY: room for `room` pointers; each packet written is now the burst's.
        unsafe {
            let got = self.dequeue_raw_burst(dst.cast(), room as u32) as usize;
            burst.added(got)
        }
    }
}
