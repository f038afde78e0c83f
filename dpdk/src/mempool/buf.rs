//! Untyped byte buffers of a size chosen at run time: `BufPool`, `Buf`.

use super::*;

/// A pool of untyped byte buffers whose size is chosen at run time (zeroed at creation).
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::mempool::{BufPool, MempoolOptions};
/// let pool = BufPool::new("doc_bufs", 255, 2048, dpdk::SocketId::current(), MempoolOptions::new())?;
/// let mut buf = pool.get().unwrap();
/// assert_eq!(buf.len(), 2048);
/// buf[..4].copy_from_slice(b"DPDK");
/// # Ok::<(), dpdk::Error>(())
/// ```
pub struct BufPool {
    pub(super) inner: Mempool<u8, Shared>,
    pub(super) size: usize,
}

impl BufPool {
    /// `count` buffers of `size` bytes on `socket`.
    ///
    /// # Errors
    /// As [`Mempool::new_with`]; [`Error::InvalidArgument`] for a size of 0 or above
    /// [`ELT_SIZE_MAX`].
    pub fn new(
        name: &str,
        count: u32,
        size: usize,
        socket: SocketId,
        options: MempoolOptions,
    ) -> Result<Self> {
        let call = || Call::new("rte_mempool_create", format!("name={name:?}, elt_size={size}"));
        let elt = u32::try_from(size).ok().filter(|&s| s > 0 && s <= ELT_SIZE_MAX);
        let elt = elt.ok_or_else(|| Error::InvalidArgument {
            call: call(),
            message: format!("buffer size {size} is not in 1..={ELT_SIZE_MAX}"),
        })?;
        let cname = check_name(name, NAME_MAX, call)?;
        let cache = options.cache_size;
        if count == 0 || cache > CACHE_MAX || cache as u64 * 3 > count as u64 * 2 {
            return Err(Error::InvalidArgument {
                call: call(),
                message: format!("count {count} / cache {cache} outside DPDK's limits"),
            });
        }
        let eal = Eal::current()?;
        unsafe extern "C" fn zero(
            mp: *mut ffi::rte_mempool,
            _: *mut c_void,
            obj: *mut c_void,
            _: c_uint,
        ) {
            // SAFETY: `obj` is an element of `elt_size` bytes.
            unsafe { std::ptr::write_bytes(obj.cast::<u8>(), 0, (*mp).elt_size as usize) };
        }
        // SAFETY: checked arguments; the callback zeroes each buffer.
        let mp = unsafe {
            ffi::rte_mempool_create(
                cname.as_ptr(),
                count,
                elt,
                cache,
                0,
                None,
                std::ptr::null_mut(),
                Some(zero),
                std::ptr::null_mut(),
                socket.as_raw(),
                options.flags,
            )
        };
        let mp = NonNull::new(mp).ok_or_else(|| Error::from_rte_errno(call()))?;
        Ok(BufPool { inner: Mempool { raw: RawPool::new(mp, eal), _owns: PhantomData }, size })
    }

    /// A buffer, or `None` if the pool is empty.
    pub fn get(&self) -> Option<Buf<'_>> {
        self.inner.get().map(|obj| Buf { ptr: obj.into_raw(), pool: self })
    }

    /// Bytes per buffer.
    pub fn buffer_size(&self) -> usize {
        self.size
    }

    /// The typed view of the pool's counts and batches (objects of one byte each).
    pub fn counts(&self) -> PoolInfo {
        self.inner.info()
    }
}

impl fmt::Debug for BufPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BufPool").field(&self.inner.info()).finish()
    }
}

/// A buffer of a [`BufPool`]: derefs to `[u8]`, goes back when dropped.
pub struct Buf<'p> {
    pub(super) ptr: NonNull<u8>,
    pub(super) pool: &'p BufPool,
}

// SAFETY: owns its bytes; the pool is Sync.
unsafe impl Send for Buf<'_> {}
// SAFETY: &Buf gives &[u8].
unsafe impl Sync for Buf<'_> {}

impl Deref for Buf<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: a buffer of `size` initialised bytes owned by this handle.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.pool.size) }
    }
}

impl DerefMut for Buf<'_> {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above; `&mut self` is exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.pool.size) }
    }
}

impl Drop for Buf<'_> {
    fn drop(&mut self) {
        // SAFETY: the buffer came from this pool and goes back once.
        drop(unsafe { self.pool.inner.from_raw(self.ptr) });
    }
}
