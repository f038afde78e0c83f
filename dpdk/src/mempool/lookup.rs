//! Pools found by name: `lookup` and the non-owning `MempoolRef`.

use super::*;

/// Finds a pool by name (`rte_mempool_lookup`), e.g. one another process or C code made,
/// and copies what DPDK says about it. The handle does not own the pool and never frees
/// it, and cannot keep its owner from freeing it: so it reads the pool only once, at the
/// lookup ([`MempoolRef::info`]); reading it again is `unsafe`
/// ([`MempoolRef::info_now`]).
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::mempool::{self, Mempool, MempoolOptions};
/// let pool: Mempool<u64> = Mempool::new("doc_lookup", 63, dpdk::SocketId::ANY, MempoolOptions::new())?;
/// let found = mempool::lookup("doc_lookup")?;
/// drop(pool); // the owner frees the pool
/// assert_eq!(found.info().capacity, 63); // what the lookup saw, still readable
/// assert!(format!("{found:?}").contains("doc_lookup"));
/// # Ok::<(), dpdk::Error>(())
/// ```
///
/// # Errors
/// [`Error::NotFound`]; name errors as in [`Mempool::new`].
#[doc(alias = "rte_mempool_lookup")]
pub fn lookup(name: &str) -> Result<MempoolRef> {
    let call = || Call::new("rte_mempool_lookup", format!("name={name:?}"));
    let cname = check_name(name, NAME_MAX, call)?;
    let eal = Eal::current()?;
    // SAFETY: a lookup by NUL-terminated name.
    let mp = unsafe { ffi::rte_mempool_lookup(cname.as_ptr()) };
    let mp = NonNull::new(mp).ok_or_else(|| Error::from_errno(call(), libc::ENOENT))?;
    // The pool lives at least until its owner frees it, which the owner could do at any
    // time from here on; reading it right after the lookup is what every user of
    // `rte_mempool_lookup` relies on.
    let info = PoolInfo::read(mp.as_ptr());
    Ok(MempoolRef { mp, info, _eal: eal })
}

/// A pool found by name ([`lookup`]): what DPDK said about it then, and its address.
pub struct MempoolRef {
    pub(super) mp: NonNull<ffi::rte_mempool>,
    pub(super) info: PoolInfo,
    pub(super) _eal: Eal,
}

impl MempoolRef {
    /// Name, counts, sizes and socket, as they were at the lookup.
    pub fn info(&self) -> &PoolInfo {
        &self.info
    }

    /// Name, counts, sizes and socket as they are now (`rte_mempool_avail_count` ...).
    ///
    /// # Safety
    /// The pool must still exist: its owner (another process, C code, or a [`Mempool`]
    /// of this one) has not freed it.
    pub unsafe fn info_now(&self) -> PoolInfo {
        PoolInfo::read(self.mp.as_ptr())
    }

    /// The raw pool (which may have been freed since the lookup).
    pub fn as_ptr(&self) -> *mut ffi::rte_mempool {
        self.mp.as_ptr()
    }
}

// SAFETY: holds a copy and an address it does not dereference in safe code.
unsafe impl Send for MempoolRef {}
// SAFETY: as above.
unsafe impl Sync for MempoolRef {}

impl fmt::Debug for MempoolRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MempoolRef").field(&self.info).finish()
    }
}
