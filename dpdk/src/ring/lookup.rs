//! Rings found by name: the non-owning `RingRef`.

use super::*;

/// A ring found by name (`rte_ring_lookup`), e.g. one C code created: it never frees it,
/// and cannot keep its owner from freeing it, so it reads the ring only at the lookup
/// (name and capacity); counting its items later is `unsafe` ([`len_now`](Self::len_now)),
/// and so are typed ends, since nothing records what the ring holds.
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::ring::{Ring, RingOptions, RingRef};
/// let ring: Ring<u64> = Ring::new("doc_ringref", 64, dpdk::SocketId::ANY, RingOptions::new())?;
/// let found = RingRef::lookup("doc_ringref")?;
/// drop(ring); // the owner frees the ring
/// assert_eq!((found.name(), found.capacity()), ("doc_ringref", 63)); // still readable
/// # Ok::<(), dpdk::Error>(())
/// ```
pub struct RingRef {
    pub(super) r: NonNull<ffi::rte_ring>,
    pub(super) name: String,
    pub(super) capacity: u32,
    pub(super) _eal: Eal,
}

impl RingRef {
    /// Finds a ring by name and copies its name and capacity.
    ///
    /// # Errors
    /// [`Error::NotFound`]; name errors.
    #[doc(alias = "rte_ring_lookup")]
    pub fn lookup(name: &str) -> Result<RingRef> {
        let call = || Call::new("rte_ring_lookup", format!("name={name:?}"));
        let cname = check_name(name, NAME_MAX, call)?;
        let eal = Eal::current()?;
        // SAFETY: a lookup by NUL-terminated name.
        let r = unsafe { ffi::rte_ring_lookup(cname.as_ptr()) };
        let r = NonNull::new(r).ok_or_else(|| Error::from_errno(call(), libc::ENOENT))?;
        // The ring lives at least until its owner frees it; reading it right after the
        // lookup is what every user of `rte_ring_lookup` relies on. esize is recorded
        // nowhere in 22.11's struct, and the count reads no element.
        let raw = RawRing { ptr: RingPtr { r, esize: 8 }, _eal: eal };
        let (name, capacity) = (raw.name(), raw.capacity());
        Ok(RingRef { r, name, capacity, _eal: raw._eal })
    }

    /// The ring's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many items it holds at most, as at the lookup (fixed for a ring's life).
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Items in the ring now (`rte_ring_count`).
    ///
    /// # Safety
    /// The ring must still exist: its owner (another process, C code, or a [`Ring`] of
    /// this one) has not freed it.
    #[doc(alias = "rte_ring_count")]
    pub unsafe fn len_now(&self) -> u32 {
        // SAFETY: a live ring, per the contract.
        unsafe { ffi::rte_ring_count(self.r.as_ptr()) }
    }

    /// The raw ring (which may have been freed since the lookup).
    pub fn as_ptr(&self) -> *mut ffi::rte_ring {
        self.r.as_ptr()
    }

    /// Typed ends over this ring, which does not belong to them: dropping them neither
    /// drains nor frees it.
    ///
    /// # Safety
    /// The ring must hold 8-byte elements that are `T`s made with `T::into_raw` (or will
    /// only ever hold such), its sync modes must be `P` and `C` as created, and whoever
    /// created it must not free it while these ends live. A `Single` end must be the
    /// only one of its side in every process.
    pub unsafe fn typed<T: RingItem, P: SyncMode, C: SyncMode>(
        &self,
    ) -> (Producer<T, P>, Consumer<T, C>) {
        let raw = RawRing { ptr: RingPtr { r: self.r, esize: 8 }, _eal: self._eal.clone() };
        let shared =
            Arc::new(Owner { raw, drop_items: drain_nothing, owned: false, _items: PhantomData });
        Ring { shared, _modes: PhantomData }.split()
    }
}

// SAFETY: holds copies and an address it dereferences only in `unsafe` calls.
unsafe impl Send for RingRef {}
// SAFETY: as above.
unsafe impl Sync for RingRef {}

impl fmt::Debug for RingRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingRef")
            .field("name", &self.name)
            .field("capacity", &self.capacity)
            .finish()
    }
}
