//! What a pool hands out: one object (`Pooled`), a caller-owned batch (`Batch`), a
//! user-owned cache (`MempoolCache`).

use super::*;

/// An object of a [`Mempool`]: derefs to `T`, goes back to its pool when dropped.
pub struct Pooled<'p, T, S: Sharing = Shared> {
    pub(super) ptr: NonNull<T>,
    pub(super) pool: &'p Mempool<T, S>,
}

// SAFETY: the object is owned by this handle; sending it sends the T (T: Send) and a
// &Mempool, which needs the pool to be Sync (Shared pools only).
unsafe impl<T: Send> Send for Pooled<'_, T, Shared> {}
// SAFETY: &Pooled only gives &T.
unsafe impl<T: Sync> Sync for Pooled<'_, T, Shared> {}

impl<'p, T, S: Sharing> Pooled<'p, T, S> {
    /// Gives up the object without returning it: the pointer can travel (through a ring,
    /// to another lcore) and comes back with [`Mempool::from_raw`].
    pub fn into_raw(self) -> NonNull<T> {
        ManuallyDrop::new(self).ptr
    }

    /// The pool the object belongs to.
    pub fn pool(&self) -> &'p Mempool<T, S> {
        self.pool
    }

    /// Returns the object to its pool now (the same as dropping it).
    #[doc(alias = "rte_mempool_put")]
    pub fn put(self) {}
}

impl<T, S: Sharing> Drop for Pooled<'_, T, S> {
    #[inline]
    fn drop(&mut self) {
        let raw = &self.pool.raw;
        // SAFETY: this handle owned the object and gives it back once, through the
        // calling thread's lcore cache.
        unsafe { raw.put_one(self.ptr.as_ptr().cast(), raw.default_cache()) }
    }
}

impl<T, S: Sharing> Deref for Pooled<'_, T, S> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: an initialised object owned by this handle.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T, S: Sharing> DerefMut for Pooled<'_, T, S> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: an initialised object owned by this handle; `&mut self` is exclusive.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T: fmt::Debug, S: Sharing> fmt::Debug for Pooled<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

/// A caller-owned buffer of up to `N` objects of one pool, for all-or-nothing bulk gets
/// and bulk puts with no per-object handle: what DPDK's `void *obj_table[]` is in C.
/// Objects still in it go back to the pool when it is dropped.
///
/// A batch looks the calling lcore's cache up once, when it is made, like DPDK's own
/// loops do, and so belongs to that thread (it is not `Send`; it keeps the thread's lcore
/// id from being released while it lives).
pub struct Batch<'p, T, const N: usize, S: Sharing = Shared> {
    pub(super) pool: &'p Mempool<T, S>,
    pub(super) cache: *mut ffi::rte_mempool_cache,
    pub(super) _pin: crate::lcore::LcorePin,
    pub(super) len: usize,
    pub(super) ptrs: [MaybeUninit<*mut c_void>; N],
}

impl<'p, T, const N: usize, S: Sharing> Batch<'p, T, N, S> {
    /// Gets `n` more objects (`rte_mempool_get_bulk`): all of them, or none.
    ///
    /// # Errors
    /// [`PoolEmpty`] if the pool (with this lcore's cache) has fewer than `n`.
    ///
    /// # Panics
    /// If the batch has no room for `n` more.
    #[doc(alias = "rte_mempool_get_bulk")]
    #[inline(always)]
    pub fn get_bulk(&mut self, n: usize) -> Result<(), PoolEmpty> {
        if n > N - self.len {
            no_room(N, self.len, n);
        }
        let (raw, cache) = (&self.pool.raw, self.cache);
        // SAFETY: room for n pointers after `len`.
        let dst = unsafe { self.ptrs.as_mut_ptr().add(self.len).cast::<*mut c_void>() };
        // SAFETY: as above; `cache` is this pinned thread's lcore cache.
        if unsafe { raw.get(dst, n as u32, cache) } {
            self.len += n;
            Ok(())
        } else {
            Err(PoolEmpty { requested: n as u32 })
        }
    }

    /// Puts the last `n` objects back (`rte_mempool_put_bulk`).
    ///
    /// # Panics
    /// If the batch holds fewer than `n`.
    #[doc(alias = "rte_mempool_put_bulk")]
    #[inline(always)]
    pub fn put_bulk(&mut self, n: usize) {
        if n > self.len {
            too_few(self.len, n);
        }
        self.len -= n;
        let (raw, cache) = (&self.pool.raw, self.cache);
        // SAFETY: the n objects after the new `len` are owned by the batch and handed back;
        // `cache` is this pinned thread's lcore cache.
        unsafe {
            let src = self.ptrs.as_ptr().add(self.len).cast::<*mut c_void>();
            raw.put(src, n as u32, cache)
        }
    }

    /// Puts every object back.
    pub fn put_all(&mut self) {
        self.put_bulk(self.len);
    }

    /// How many objects it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The objects, shared.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        // SAFETY: the first `len` entries are objects owned by the batch.
        self.ptrs[..self.len].iter().map(|p| unsafe { &*p.assume_init().cast::<T>() })
    }

    /// The objects, exclusively.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> + '_ {
        // SAFETY: as in `iter`; the objects are distinct and `&mut self` is exclusive.
        self.ptrs[..self.len].iter().map(|p| unsafe { &mut *p.assume_init().cast::<T>() })
    }

    /// Takes the last object out as its own handle.
    pub fn pop(&mut self) -> Option<Pooled<'p, T, S>> {
        self.len = self.len.checked_sub(1)?;
        // SAFETY: entry `len` was an object owned by the batch; ownership moves out.
        let ptr = unsafe { NonNull::new_unchecked(self.ptrs[self.len].assume_init().cast::<T>()) };
        Some(Pooled { ptr, pool: self.pool })
    }

    /// Adds an object of the same pool, or hands it back when the batch is full or the
    /// object belongs to another pool.
    pub fn push(&mut self, obj: Pooled<'p, T, S>) -> Result<(), Pooled<'p, T, S>> {
        if self.len == N || !std::ptr::eq(obj.pool, self.pool) {
            return Err(obj);
        }
        self.ptrs[self.len] = MaybeUninit::new(obj.into_raw().as_ptr().cast());
        self.len += 1;
        Ok(())
    }
}

// The panics of `Batch`'s bulk calls, out of line and taking the numbers by value, so
// that the inlined fast path holds only a compare and a jump for them (a message borrowing
// `self.len` puts the formatting, and a pointer into the batch, in every caller's loop).

#[cold]
#[inline(never)]
#[track_caller]
fn no_room(capacity: usize, len: usize, n: usize) -> ! {
    panic!("a batch of {capacity} holding {len} has no room for {n}")
}

#[cold]
#[inline(never)]
#[track_caller]
fn too_few(len: usize, n: usize) -> ! {
    panic!("a batch holding {len} cannot put {n}")
}

impl<T, const N: usize, S: Sharing> Drop for Batch<'_, T, N, S> {
    fn drop(&mut self) {
        self.put_all();
    }
}

impl<T, const N: usize, S: Sharing> std::ops::Index<usize> for Batch<'_, T, N, S> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        assert!(i < self.len, "index {i} out of a batch of {}", self.len);
        // SAFETY: entry i < len is an object owned by the batch.
        unsafe { &*self.ptrs[i].assume_init().cast::<T>() }
    }
}

impl<T, const N: usize, S: Sharing> std::ops::IndexMut<usize> for Batch<'_, T, N, S> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        assert!(i < self.len, "index {i} out of a batch of {}", self.len);
        // SAFETY: as in `index`; `&mut self` is exclusive.
        unsafe { &mut *self.ptrs[i].assume_init().cast::<T>() }
    }
}

/// A user-owned cache of a pool's objects, for a thread that has no lcore id
/// (`rte_mempool_cache_create`). One thread uses it at a time (`&mut self`; not `Sync`);
/// dropping it flushes its objects back to the pool and frees it.
pub struct MempoolCache<'p, T, S: Sharing = Shared> {
    pub(super) cache: NonNull<ffi::rte_mempool_cache>,
    pub(super) pool: &'p Mempool<T, S>,
    pub(super) _not_sync: PhantomData<std::cell::Cell<()>>,
}

// SAFETY: the cache is plain memory owned by this handle; moving it between threads is
// fine as long as one uses it at a time (it is not Sync). The pool reference needs a
// Shared pool.
unsafe impl<T: Send> Send for MempoolCache<'_, T, Shared> {}

impl<'p, T, S: Sharing> MempoolCache<'p, T, S> {
    /// An object through this cache, or `None` if the pool is empty.
    pub fn get(&mut self) -> Option<Pooled<'p, T, S>> {
        // SAFETY: `&mut self` makes the cache exclusively ours.
        let obj = unsafe { self.pool.raw.get_one(self.cache.as_ptr()) }?;
        Some(Pooled { ptr: obj.cast(), pool: self.pool })
    }

    /// Returns an object through this cache (an object of another pool goes back to its
    /// own pool instead).
    pub fn put(&mut self, obj: Pooled<'p, T, S>) {
        if !std::ptr::eq(obj.pool, self.pool) {
            return drop(obj);
        }
        let ptr = obj.into_raw().as_ptr().cast::<c_void>();
        // SAFETY: an object of this pool owned by us; the cache is exclusively ours.
        unsafe { self.pool.raw.put_one(ptr, self.cache.as_ptr()) }
    }

    /// Objects the cache holds now.
    pub fn len(&self) -> u32 {
        // SAFETY: our live cache.
        unsafe { (*self.cache.as_ptr()).len }
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T, S: Sharing> fmt::Debug for MempoolCache<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MempoolCache").field("len", &self.len()).finish_non_exhaustive()
    }
}

impl<T, const N: usize, S: Sharing> fmt::Debug for Batch<'_, T, N, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch").field("len", &self.len).field("capacity", &N).finish()
    }
}

impl<T, S: Sharing> Drop for MempoolCache<'_, T, S> {
    fn drop(&mut self) {
        // SAFETY: flushes our cache into its pool, then frees it once.
        unsafe {
            ffi::rte_mempool_cache_flush(self.cache.as_ptr(), self.pool.raw.mp.as_ptr());
            ffi::rte_mempool_cache_free(self.cache.as_ptr());
        }
    }
}
