//! Rings of plain `Copy` elements of any size: `ElemRing` and its ends.

use super::*;

/// A ring of plain `Copy` values of `size_of::<E>()` bytes (a multiple of 4) through
/// DPDK's `_elem` API; split into [`ElemProducer`] and [`ElemConsumer`].
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::ring::{ElemRing, RingOptions};
/// #[derive(Clone, Copy, Debug, PartialEq)]
/// #[repr(C)]
/// struct Desc { addr: u64, len: u32, flags: u32 }
/// let ring: ElemRing<Desc> = ElemRing::new("doc_desc", 512, dpdk::SocketId::current(), RingOptions::new())?;
/// let (tx, rx) = ring.split();
/// assert_eq!(tx.enqueue_burst(&[Desc { addr: 1, len: 2, flags: 3 }; 4]), 4);
/// let mut buf = [std::mem::MaybeUninit::uninit(); 8];
/// assert_eq!(rx.dequeue_burst(&mut buf).len(), 4);
/// # Ok::<(), dpdk::Error>(())
/// ```
pub struct ElemRing<E: Copy, P: SyncMode = Multi, C: SyncMode = Multi> {
    pub(super) shared: Arc<Owner<E>>,
    pub(super) _modes: PhantomData<(P, C)>,
}

impl<E: Copy, P: SyncMode, C: SyncMode> ElemRing<E, P, C> {
    /// A ring of `count` elements of `E` (`rte_ring_create_elem`).
    ///
    /// # Errors
    /// As [`Ring::new`]; [`Error::InvalidArgument`] if `size_of::<E>()` is not a nonzero
    /// multiple of 4.
    pub fn new(
        name: &str,
        count: u32,
        socket: SocketId,
        options: RingOptions<P, C>,
    ) -> Result<Self> {
        let esize = u32::try_from(std::mem::size_of::<E>()).unwrap_or(0);
        let raw = RawRing::create(name, esize, count, socket, options.flags())?;
        let shared =
            Arc::new(Owner { raw, drop_items: drain_nothing, owned: true, _items: PhantomData });
        Ok(ElemRing { shared, _modes: PhantomData })
    }

    /// The two ends.
    pub fn split(self) -> (ElemProducer<E, P>, ElemConsumer<E, C>) {
        let ring = *self.shared.raw;
        let producer = ElemProducer { shared: self.shared.clone(), ring, _mode: PhantomData };
        (producer, ElemConsumer { shared: self.shared, ring, _mode: PhantomData })
    }

    /// How many elements it holds at most.
    pub fn capacity(&self) -> u32 {
        self.shared.raw.capacity()
    }
}

impl<E: Copy, P: SyncMode, C: SyncMode> fmt::Debug for ElemRing<E, P, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ElemRing({:?})", self.shared.raw.name())
    }
}

/// The producing end of an [`ElemRing`] (sharing rules as [`Producer`]).
pub struct ElemProducer<E: Copy, P: SyncMode = Multi> {
    pub(super) shared: Arc<Owner<E>>,
    /// `shared.raw`'s pointer, valid as long as `shared` (the fast paths' one load).
    pub(super) ring: RingPtr,
    pub(super) _mode: PhantomData<(P, *const ())>,
}

/// The consuming end of an [`ElemRing`].
pub struct ElemConsumer<E: Copy, C: SyncMode = Multi> {
    pub(super) shared: Arc<Owner<E>>,
    /// `shared.raw`'s pointer, valid as long as `shared` (the fast paths' one load).
    pub(super) ring: RingPtr,
    pub(super) _mode: PhantomData<(C, *const ())>,
}

// SAFETY: as for Producer/Consumer: values move between threads (E: Send).
unsafe impl<E: Copy + Send, P: SyncMode> Send for ElemProducer<E, P> {}
// SAFETY: shared modes are DPDK's multi-thread algorithms.
unsafe impl<E: Copy + Send, P: SharedMode> Sync for ElemProducer<E, P> {}
// SAFETY: as above.
unsafe impl<E: Copy + Send, C: SyncMode> Send for ElemConsumer<E, C> {}
// SAFETY: as above.
unsafe impl<E: Copy + Send, C: SharedMode> Sync for ElemConsumer<E, C> {}

impl<E: Copy, P: SharedMode> Clone for ElemProducer<E, P> {
    fn clone(&self) -> Self {
        ElemProducer { shared: self.shared.clone(), ring: self.ring, _mode: PhantomData }
    }
}

impl<E: Copy, C: SharedMode> Clone for ElemConsumer<E, C> {
    fn clone(&self) -> Self {
        ElemConsumer { shared: self.shared.clone(), ring: self.ring, _mode: PhantomData }
    }
}

impl<E: Copy, P: SyncMode> ElemProducer<E, P> {
    /// Enqueues one value; `Err` with it when the ring is full.
    #[inline]
    pub fn enqueue(&self, value: E) -> std::result::Result<(), E> {
        // SAFETY: the ring's elements are size_of::<E>() bytes; this end's mode is P.
        if unsafe { self.ring.enqueue_value::<P, E>(value) } {
            Ok(())
        } else {
            Err(value)
        }
    }

    /// Enqueues all of `values` or none.
    ///
    /// # Errors
    /// [`RingFull`] when there is no room for all.
    #[inline]
    pub fn enqueue_bulk(&self, values: &[E]) -> std::result::Result<(), RingFull> {
        let Some(n) = bulk_count(values.len()) else {
            // SAFETY: a live ring.
            return Err(RingFull { free: unsafe { ffi::rte_ring_free_count(self.ring.ring()) } });
        };
        // SAFETY: n elements of esize bytes.
        match unsafe {
            self.ring.enqueue::<P>(values.as_ptr().cast(), n, true, std::mem::size_of::<E>())
        } {
            (done, _) if done == n => Ok(()),
            (_, free) => Err(RingFull { free }),
        }
    }

    /// Enqueues as many values as fit from the front of `values`; returns how many.
    #[inline]
    pub fn enqueue_burst(&self, values: &[E]) -> usize {
        // SAFETY: n elements of esize bytes.
        unsafe {
            self.ring
                .enqueue::<P>(
                    values.as_ptr().cast(),
                    burst_count(values.len()),
                    false,
                    std::mem::size_of::<E>(),
                )
                .0 as usize
        }
    }
}

impl<E: Copy, C: SyncMode> ElemConsumer<E, C> {
    /// Dequeues one value.
    #[inline]
    pub fn dequeue(&self) -> Option<E> {
        // SAFETY: the ring's elements are size_of::<E>()-byte values of E written by this
        // ring's producers; this end's mode is C.
        unsafe { self.ring.dequeue_value::<C, E>() }
    }

    /// Dequeues exactly `buf.len()` values or none.
    #[inline]
    pub fn dequeue_bulk<'b>(&self, buf: &'b mut [MaybeUninit<E>]) -> Option<&'b mut [E]> {
        let n = bulk_count(buf.len())?;
        // SAFETY: room for n elements.
        let got = unsafe {
            self.ring.dequeue::<C>(buf.as_mut_ptr().cast(), n, true, std::mem::size_of::<E>())
        };
        // SAFETY: all n written.
        (got == n).then(|| unsafe { &mut *(buf as *mut [MaybeUninit<E>] as *mut [E]) })
    }

    /// Dequeues up to `buf.len()` values; returns the filled front.
    #[inline]
    pub fn dequeue_burst<'b>(&self, buf: &'b mut [MaybeUninit<E>]) -> &'b mut [E] {
        // SAFETY: room for buf.len() elements; the first `got` are written.
        unsafe {
            let got = self.ring.dequeue::<C>(
                buf.as_mut_ptr().cast(),
                burst_count(buf.len()),
                false,
                std::mem::size_of::<E>(),
            );
            &mut *(&mut buf[..got as usize] as *mut [MaybeUninit<E>] as *mut [E])
        }
    }
}
