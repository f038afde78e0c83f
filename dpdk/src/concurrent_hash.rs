//! A hash table that one writer changes while many lcores read it, lock-free:
//! `rte_hash` with `RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF`, and DPDK's RCU (QSBR) to know
//! when readers can no longer see a removed or replaced value.
//!
//! - [`HashWriter`] (one; `Send`, not `Sync` or `Clone`) inserts, replaces and removes.
//!   A replaced or removed value is not dropped, and its key slot not reused, until every
//!   reader has left the read section it might have seen it in (a grace period); the
//!   writer reclaims those on its next writes, or in [`HashWriter::reclaim`].
//! - [`HashReader`]s (one per reading thread; up to the number given at creation) open a
//!   read section with [`HashReader::read`]; references to values live only as long as
//!   the section, and closing it (dropping the [`ReadSection`]) tells RCU the reader is
//!   quiescent.
//!
//! Values live on the table's socket in a preallocated slab (twice the key slots, so
//! replacements can wait out their grace period); no allocation per entry.
//!
//! The writer stores values through a handle that readers share, so the table and its
//! handles are invariant in the value type: none can be viewed with a shorter-lived `V`
//! that would let a dangling reference in. Each of these fails to compile:
//!
//! ```compile_fail
//! use dpdk::concurrent_hash::ConcurrentHash;
//! fn shorten<'a>(h: ConcurrentHash<u32, &'static str>) -> ConcurrentHash<u32, &'a str> { h }
//! ```
//!
//! ```compile_fail
//! use dpdk::concurrent_hash::HashWriter;
//! fn shorten<'a>(w: HashWriter<u32, &'static str>) -> HashWriter<u32, &'a str> { w }
//! ```
//!
//! ```compile_fail
//! use dpdk::concurrent_hash::HashReader;
//! fn shorten<'a>(r: HashReader<u32, &'static str>) -> HashReader<u32, &'a str> { r }
//! ```
//!
//! while the same signatures with `V` kept compile:
//!
//! ```
//! use dpdk::concurrent_hash::{HashReader, HashWriter};
//! use dpdk::concurrent_hash::ConcurrentHash;
//! type V = &'static str;
//! fn table(h: ConcurrentHash<u32, V>) -> ConcurrentHash<u32, V> { h }
//! fn writer(w: HashWriter<u32, V>) -> HashWriter<u32, V> { w }
//! fn reader(r: HashReader<u32, V>) -> HashReader<u32, V> { r }
//! ```
//!
//! ([`Hash`](crate::Hash) stays covariant in `V`, like `HashMap`: it stores values only
//! through `&mut self`.)

use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::ffi::c_void;
use std::fmt;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};

use crate::eal::Eal;
use crate::error::{Call, Error, Result};
use crate::ffi;
use crate::hash::{HashKey, HashOptions, BULK_MAX};
use crate::{SocketBox, SocketId};

const NONE: u32 = u32::MAX;

/// What the writer keeps: free value slots, and what waits for a grace period.
struct WriterState {
    /// Keys present (rte_hash_count also counts removed keys whose slots still wait).
    live: usize,
    free: Vec<u32>,
    /// `(token, value slot, key slot to free or NONE)`, oldest first.
    deferred: VecDeque<(u64, u32, u32)>,
}

struct Inner<K, V> {
    h: NonNull<ffi::rte_hash>,
    qsbr: SocketBox<[MaybeUninit<u8>]>,
    values: SocketBox<[UnsafeCell<MaybeUninit<V>>]>,
    writer: Mutex<WriterState>,
    readers: Mutex<Vec<bool>>,
    name: String,
    _eal: Eal,
    _keys: PhantomData<K>,
}

// SAFETY: values are written only by the writer into slots no reader can reach, and read
// through &V by readers: V must be Send + Sync; rte_hash's LF mode and QSBR are made for
// use from many threads.
unsafe impl<K: HashKey, V: Send + Sync> Send for Inner<K, V> {}
// SAFETY: as above.
unsafe impl<K: HashKey, V: Send + Sync> Sync for Inner<K, V> {}

impl<K: HashKey, V> Inner<K, V> {
    fn qsbr(&self) -> *mut ffi::rte_rcu_qsbr {
        self.qsbr.as_ptr().cast_mut().cast()
    }

    /// The key's signature, computed once per write so that every step of the write sees
    /// the same one (a custom hash function could answer differently each time).
    fn signature(&self, key: &K) -> u32 {
        // SAFETY: a live table.
        unsafe { ffi::rte_hash_hash(self.h.as_ptr(), (key as *const K).cast()) }
    }

    /// The value slot stored as the key's data, with a precomputed signature.
    fn lookup_with(&self, key: &K, sig: u32) -> Option<u32> {
        let mut data: *mut c_void = std::ptr::null_mut();
        // SAFETY: LF mode allows lookups concurrent with the writer.
        let pos = unsafe {
            ffi::rte_hash_lookup_with_hash_data(
                self.h.as_ptr(),
                (key as *const K).cast(),
                sig,
                &mut data,
            )
        };
        (pos >= 0).then_some(data as usize as u32)
    }

    /// The value slot stored as the key's data, if the key is present.
    #[inline]
    fn lookup(&self, key: &K) -> Option<u32> {
        let mut data: *mut c_void = std::ptr::null_mut();
        // SAFETY: LF mode allows lookups concurrent with the writer.
        let pos = unsafe {
            ffi::rte_hash_lookup_data(self.h.as_ptr(), (key as *const K).cast(), &mut data)
        };
        (pos >= 0).then_some(data as usize as u32)
    }

    /// # Safety
    /// `slot` was published for a key seen in a read section that is still open (or by the
    /// writer, which is the only one to free slots).
    unsafe fn value(&self, slot: u32) -> &V {
        // SAFETY: per the contract the slot holds a value that stays until a grace period
        // after it is unpublished.
        unsafe { (*self.values[slot as usize].get()).assume_init_ref() }
    }

    /// Drops value slot `slot` (its value).
    ///
    /// # Safety
    /// No reader can reach the slot any more, and it holds a value.
    unsafe fn drop_value(&self, slot: u32) {
        // SAFETY: per the contract.
        unsafe { (*self.values[slot as usize].get()).assume_init_drop() }
    }
}

impl<K, V> Drop for Inner<K, V> {
    fn drop(&mut self) {
        // Nobody reads any more: drop the live values (the keys' data) and the deferred ones.
        let mut slots: Vec<u32> = Vec::new();
        let (mut key, mut data, mut next): (*const c_void, *mut c_void, u32) =
            (std::ptr::null(), std::ptr::null_mut(), 0);
        // SAFETY: a live table, walked by its only user.
        while unsafe { ffi::rte_hash_iterate(self.h.as_ptr(), &mut key, &mut data, &mut next) } >= 0
        {
            slots.push(data as usize as u32);
        }
        let state = self.writer.get_mut().unwrap_or_else(|p| p.into_inner());
        slots.extend(state.deferred.iter().map(|&(_, s, _)| s));
        let mut panic = crate::unwind::FirstPanic::default();
        for slot in slots {
            // SAFETY: each slot holds a value, dropped once; no reader remains.
            panic.run(|| unsafe { (*self.values[slot as usize].get()).assume_init_drop() });
        }
        // SAFETY: the table is freed once, whether or not a value's drop panicked.
        unsafe { ffi::rte_hash_free(self.h.as_ptr()) };
        panic.resume();
    }
}

/// The handle that makes readers; see the module docs.
pub struct ConcurrentHash<K: HashKey, V> {
    inner: Arc<Inner<K, V>>,
}

impl<K: HashKey, V> Clone for ConcurrentHash<K, V> {
    fn clone(&self) -> Self {
        ConcurrentHash { inner: self.inner.clone() }
    }
}

impl<K: HashKey, V: Send + Sync> ConcurrentHash<K, V> {
    /// A lock-free reader/writer table for up to `capacity` keys, read by up to
    /// `max_readers` readers at a time, on `socket`. Returns the one writer and the
    /// handle that makes readers.
    ///
    /// # Errors
    /// As [`crate::Hash::new`]; [`Error::InvalidArgument`] for `max_readers` of 0.
    ///
    /// ```
    /// # let eal = dpdk::doc_eal();
    /// use dpdk::hash::HashOptions;
    /// use dpdk::concurrent_hash::ConcurrentHash;
    /// let (mut writer, table) = ConcurrentHash::<u32, String>::new("doc_lf", 1024, dpdk::SocketId::current(), HashOptions::new(), 4)?;
    /// writer.insert(1, "one".into())?;
    /// let mut reader = table.reader()?;
    /// let section = reader.read();
    /// assert_eq!(section.get(&1).map(String::as_str), Some("one"));
    /// drop(section); // quiescent: the writer may reclaim what this reader could see
    /// writer.remove(&1);
    /// # Ok::<(), dpdk::Error>(())
    /// ```
    #[doc(alias = "rte_hash_rcu_qsbr_add")]
    pub fn new(
        name: &str,
        capacity: u32,
        socket: SocketId,
        options: HashOptions,
        max_readers: u32,
    ) -> Result<(HashWriter<K, V>, ConcurrentHash<K, V>)> {
        if max_readers == 0 {
            return Err(Error::InvalidArgument {
                call: Call::new("rte_rcu_qsbr_get_memsize", format!("name={name:?}")),
                message: "readers must be at least one".into(),
            });
        }
        let (h, eal) = crate::hash::create_table::<K>(
            name,
            capacity,
            socket,
            &options,
            (ffi::RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | ffi::RTE_HASH_EXTRA_FLAGS_NO_FREE_ON_DEL)
                as u8,
        )?;
        let free_table = |e: Error| {
            // SAFETY: made above, known to nobody else.
            unsafe { ffi::rte_hash_free(h.as_ptr()) };
            e
        };
        // SAFETY: a live table.
        let value_slots = (unsafe { ffi::rte_hash_max_key_id(h.as_ptr()) } as usize + 1) * 2;
        // SAFETY: a size query.
        let qsbr_size = unsafe { ffi::rte_rcu_qsbr_get_memsize(max_readers) };
        let qsbr =
            SocketBox::<[u8]>::try_new_zeroed_slice(qsbr_size, socket).map_err(free_table)?;
        let values = SocketBox::<[UnsafeCell<MaybeUninit<V>>]>::try_new_uninit_slice(
            value_slots,
            socket,
            crate::malloc::CACHE_LINE,
        )
        .map_err(free_table)?;
        // SAFETY: an UnsafeCell<MaybeUninit<V>> needs no initialisation.
        let values = unsafe { values.assume_init() };
        // SAFETY: zeroed memory of the size DPDK asked for, cache-line aligned.
        let rc = unsafe { ffi::rte_rcu_qsbr_init(qsbr.as_ptr().cast_mut().cast(), max_readers) };
        if rc != 0 {
            return Err(free_table(Error::from_rte_errno(Call::new("rte_rcu_qsbr_init", ""))));
        }
        let writer = WriterState {
            live: 0,
            free: (0..value_slots as u32).rev().collect(),
            deferred: VecDeque::new(),
        };
        let inner = Arc::new(Inner {
            h,
            qsbr,
            values,
            writer: Mutex::new(writer),
            readers: Mutex::new(vec![false; max_readers as usize]),
            name: name.to_owned(),
            _eal: eal,
            _keys: PhantomData,
        });
        let table = ConcurrentHash { inner: inner.clone() };
        Ok((HashWriter { inner, _not_sync: PhantomData }, table))
    }

    /// The sockets of the table's memory and of its values, from DPDK's memsegs, as
    /// [`crate::Hash::memory_sockets`] reports them.
    ///
    /// ```
    /// # let eal = dpdk::doc_eal();
    /// use dpdk::concurrent_hash::ConcurrentHash;
    /// use dpdk::hash::HashOptions;
    /// let socket = dpdk::SocketId::current();
    /// let (_w, t) = ConcurrentHash::<u32, u64>::new("doc_lf_sock", 64, socket, HashOptions::new(), 1)?;
    /// assert_eq!(t.memory_sockets(), (Some(socket), Some(socket)));
    /// # Ok::<(), dpdk::Error>(())
    /// ```
    pub fn memory_sockets(&self) -> (Option<SocketId>, Option<SocketId>) {
        (crate::malloc::socket_of(self.inner.h.as_ptr().cast()), self.inner.values.socket())
    }

    /// The raw table, for DPDK calls this crate does not wrap.
    pub fn as_ptr(&self) -> *mut ffi::rte_hash {
        self.inner.h.as_ptr()
    }

    /// A reader for the calling thread (`rte_rcu_qsbr_thread_register`).
    ///
    /// # Errors
    /// [`Error::NoSpace`] when `max_readers` readers exist.
    pub fn reader(&self) -> Result<HashReader<K, V>> {
        let mut readers = self.inner.readers.lock().unwrap_or_else(|p| p.into_inner());
        let id = readers.iter().position(|used| !used).ok_or_else(|| Error::NoSpace {
            call: Call::new("rte_rcu_qsbr_thread_register", format!("table={:?}", self.inner.name)),
            message: format!("all {} readers are taken", readers.len()),
        })?;
        // SAFETY: a live QSBR variable; the id is free and below max_readers.
        unsafe { ffi::rte_rcu_qsbr_thread_register(self.inner.qsbr(), id as u32) };
        readers[id] = true;
        Ok(HashReader { inner: self.inner.clone(), id: id as u32, _not_sync: PhantomData })
    }
}

impl<K: HashKey, V> fmt::Debug for ConcurrentHash<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConcurrentHash({:?})", self.inner.name)
    }
}

/// The one writer of a [`ConcurrentHash`].
pub struct HashWriter<K: HashKey, V> {
    inner: Arc<Inner<K, V>>,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

// SAFETY: the writer may move to another thread (V: Send + Sync as for the table); it is
// not Sync, so one thread at a time writes.
unsafe impl<K: HashKey, V: Send + Sync> Send for HashWriter<K, V> {}

impl<K: HashKey, V> HashWriter<K, V> {
    /// Inserts or replaces `key`'s value (`rte_hash_add_key_data`): readers see the old
    /// or the new value, never a torn one. Returns whether a value was replaced; the old
    /// one is dropped after a grace period.
    ///
    /// # Errors
    /// [`Error::TableFull`] when the key's buckets are full, or when every value slot
    /// still waits for readers to leave a grace period; the key and value come back.
    pub fn insert(
        &mut self,
        key: K,
        value: V,
    ) -> std::result::Result<bool, crate::hash::InsertError<K, V>> {
        self.reclaim();
        let inner = &*self.inner;
        let mut state = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
        let full = |len| Error::TableFull {
            call: Call::new("rte_hash_add_key_data", format!("table={:?}", inner.name)),
            len,
        };
        let Some(slot) = state.free.pop() else {
            let len = state.live;
            return Err(crate::hash::InsertError { error: full(len), key, value });
        };
        // The slot the key uses now, if any (only this writer changes it), found with the
        // same signature the add uses.
        let sig = inner.signature(&key);
        let old = inner.lookup_with(&key, sig);
        // SAFETY: a free slot: no key points at it and no reader can reach it.
        unsafe { (*inner.values[slot as usize].get()).write(value) };
        // SAFETY: publishes the slot as the key's data (with release order in LF mode).
        let rc = unsafe {
            ffi::rte_hash_add_key_with_hash_data(
                inner.h.as_ptr(),
                (&key as *const K).cast(),
                sig,
                slot as usize as *mut c_void,
            )
        };
        if rc < 0 {
            // SAFETY: never published; the value moves back out.
            let value = unsafe { (*inner.values[slot as usize].get()).assume_init_read() };
            state.free.push(slot);
            let error = if rc == -libc::ENOSPC {
                full(state.live)
            } else {
                Error::from_errno(
                    Call::new("rte_hash_add_key_data", format!("table={:?}", inner.name)),
                    rc,
                )
            };
            return Err(crate::hash::InsertError { error, key, value });
        }
        if let Some(old) = old {
            // SAFETY: a live QSBR variable.
            let token = unsafe { ffi::rte_rcu_qsbr_start(inner.qsbr()) };
            state.deferred.push_back((token, old, NONE));
        } else {
            state.live += 1;
        }
        Ok(old.is_some())
    }

    /// Removes `key` (`rte_hash_del_key`); its value is dropped, and its key slot freed,
    /// after a grace period. Returns whether it was present.
    pub fn remove(&mut self, key: &K) -> bool {
        let inner = &*self.inner;
        let mut state = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
        let sig = inner.signature(key);
        let Some(old) = inner.lookup_with(key, sig) else {
            return false;
        };
        // SAFETY: the only writer removes, with the signature it looked the key up with.
        let pos = unsafe {
            ffi::rte_hash_del_key_with_hash(inner.h.as_ptr(), (key as *const K).cast(), sig)
        };
        if pos < 0 {
            return false;
        }
        // SAFETY: a live QSBR variable.
        let token = unsafe { ffi::rte_rcu_qsbr_start(inner.qsbr()) };
        state.deferred.push_back((token, old, pos as u32));
        state.live -= 1;
        true
    }

    /// Drops the values (and frees the key slots) whose grace period has ended; returns
    /// how many. Writes call it too.
    pub fn reclaim(&mut self) -> usize {
        let inner = &*self.inner;
        let mut state = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut done = 0;
        while let Some(&(token, slot, key_slot)) = state.deferred.front() {
            // SAFETY: a live QSBR variable; a non-blocking check.
            if unsafe { ffi::rte_rcu_qsbr_check(inner.qsbr(), token, false) } != 1 {
                break;
            }
            state.deferred.pop_front();
            // SAFETY: the grace period after unpublishing ended: no reader can reach it.
            unsafe { inner.drop_value(slot) };
            if key_slot != NONE {
                // SAFETY: the deleted key's slot, freed once after its grace period.
                unsafe { ffi::rte_hash_free_key_with_position(inner.h.as_ptr(), key_slot as i32) };
            }
            state.free.push(slot);
            done += 1;
        }
        done
    }

    /// The value of `key`, as the writer sees it.
    pub fn get(&self, key: &K) -> Option<&V> {
        let slot = self.inner.lookup(key)?;
        // SAFETY: only this writer frees slots, and it cannot while `&self` is borrowed.
        Some(unsafe { self.inner.value(slot) })
    }

    /// Keys in the table.
    pub fn len(&self) -> usize {
        self.inner.writer.lock().unwrap_or_else(|p| p.into_inner()).live
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Values waiting for a grace period.
    pub fn pending(&self) -> usize {
        self.inner.writer.lock().unwrap_or_else(|p| p.into_inner()).deferred.len()
    }
}

impl<K: HashKey, V> fmt::Debug for HashWriter<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HashWriter({:?})", self.inner.name)
    }
}

/// A reader of a [`ConcurrentHash`], for one thread at a time.
pub struct HashReader<K: HashKey, V> {
    inner: Arc<Inner<K, V>>,
    id: u32,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

// SAFETY: a reader may move between threads (its QSBR id goes with it); it is not Sync,
// so one thread at a time reads through it.
unsafe impl<K: HashKey, V: Send + Sync> Send for HashReader<K, V> {}

impl<K: HashKey, V> HashReader<K, V> {
    /// Opens a read section (`rte_rcu_qsbr_thread_online`): values found through it stay
    /// valid until it is dropped.
    pub fn read(&mut self) -> ReadSection<'_, K, V> {
        // SAFETY: this reader's registered id.
        unsafe { ffi::rte_rcu_qsbr_thread_online(self.inner.qsbr(), self.id) };
        ReadSection { reader: self }
    }
}

impl<K: HashKey, V> Drop for HashReader<K, V> {
    fn drop(&mut self) {
        // SAFETY: this reader's registered id: offline first (a forgotten section may have
        // left it online), then unregistered once.
        unsafe {
            ffi::rte_rcu_qsbr_thread_offline(self.inner.qsbr(), self.id);
            ffi::rte_rcu_qsbr_thread_unregister(self.inner.qsbr(), self.id);
        }
        self.inner.readers.lock().unwrap_or_else(|p| p.into_inner())[self.id as usize] = false;
    }
}

impl<K: HashKey, V> fmt::Debug for HashReader<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HashReader({:?}, {})", self.inner.name, self.id)
    }
}

/// An open read section; see [`HashReader::read`].
pub struct ReadSection<'r, K: HashKey, V> {
    reader: &'r mut HashReader<K, V>,
}

impl<K: HashKey, V> ReadSection<'_, K, V> {
    /// The value of `key` (`rte_hash_lookup_data`), valid for this section.
    #[inline]
    pub fn get(&self, key: &K) -> Option<&V> {
        let slot = self.reader.inner.lookup(key)?;
        // SAFETY: found in this open section: the writer will not drop it until we leave.
        Some(unsafe { self.reader.inner.value(slot) })
    }

    /// Up to [`BULK_MAX`] lookups at once (`rte_hash_lookup_bulk_data`); returns how many
    /// keys were found.
    ///
    /// # Panics
    /// If `keys` holds more than [`BULK_MAX`] keys or `out` is shorter than `keys`.
    pub fn get_bulk<'s>(&'s self, keys: &[K], out: &mut [Option<&'s V>]) -> usize {
        let n = keys.len();
        assert!(n <= BULK_MAX && out.len() >= n, "up to {BULK_MAX} keys, and room for each");
        let mut key_ptrs = crate::hash::key_pointers(keys);
        let mut hits: u64 = 0;
        let mut data = [MaybeUninit::<*mut c_void>::uninit(); BULK_MAX];
        // SAFETY: n key pointers and room for n data pointers.
        unsafe {
            ffi::rte_hash_lookup_bulk_data(
                self.reader.inner.h.as_ptr(),
                key_ptrs.as_mut_ptr().cast(),
                n as u32,
                &mut hits,
                data.as_mut_ptr().cast(),
            )
        };
        for (i, o) in out.iter_mut().take(n).enumerate() {
            *o = if hits & (1 << i) != 0 {
                // SAFETY: DPDK wrote data for hit i: a slot published for the key.
                Some(unsafe { self.reader.inner.value(data[i].assume_init() as usize as u32) })
            } else {
                None
            };
        }
        hits.count_ones() as usize
    }
}

impl<K: HashKey, V> Drop for ReadSection<'_, K, V> {
    fn drop(&mut self) {
        // SAFETY: leaves the section: nothing found through it is borrowed any more.
        unsafe { ffi::rte_rcu_qsbr_thread_offline(self.reader.inner.qsbr(), self.reader.id) };
    }
}
