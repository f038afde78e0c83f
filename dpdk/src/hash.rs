//! A typed hash table over `rte_hash`: fixed-size keys, values of any type stored on the
//! table's socket, bulk lookups.
//!
//! [`Hash<K, V>`](struct@Hash) keeps `rte_hash`'s own key store and, beside it, an array of values on
//! the same socket, indexed by the position `rte_hash` gives each key; no allocation per
//! entry. The key length comes from `K` ([`HashKey`]), so a length mismatch cannot be
//! written.
//!
//! # Concurrency
//! This table is created without DPDK's concurrency flags: it is written through
//! `&mut self` and read through `&self`, so any number of lcores may read it at once
//! (it is `Sync`) while nobody writes. For one writer and many readers at the same time,
//! see [`crate::concurrent_hash::ConcurrentHash`].
//!
//! # Capacity
//! Without extendable buckets ([`HashOptions::extendable_buckets`]) a table may report
//! [`Error::TableFull`] before it holds `capacity` keys: a key's two candidate buckets can
//! both be full while other buckets still have room.

use std::ffi::c_void;
use std::fmt;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr::NonNull;

use crate::eal::Eal;
use crate::error::{check_name, Call, Error, Result};
use crate::ffi;
use crate::{SocketBox, SocketId};

/// The longest table name that DPDK keeps whole, in bytes (25).
///
/// `rte_hash_create` names its key ring `HT_<name>`, and the ring's memzone is
/// `RG_HT_<name>`, within a memzone name's 31 bytes; a longer name is cut there, so two
/// names that differ only past it would collide. Tables with extendable buckets also make
/// `HT_EXT_<name>`: see [`NAME_MAX_EXTENDABLE`].
pub const NAME_MAX: usize = MEMZONE_NAME_MAX - RING_MZ_PREFIX.len() - "HT_".len();

/// The longest name of a table with extendable buckets ([`HashOptions::extendable_buckets`]),
/// whose second ring's memzone is `RG_HT_EXT_<name>` (21 bytes).
pub const NAME_MAX_EXTENDABLE: usize = MEMZONE_NAME_MAX - RING_MZ_PREFIX.len() - "HT_EXT_".len();

const MEMZONE_NAME_MAX: usize = ffi::RTE_MEMZONE_NAMESIZE as usize - 1;
/// `RTE_RING_MZ_PREFIX` without its NUL.
const RING_MZ_PREFIX: &[u8] = {
    let p = ffi::RTE_RING_MZ_PREFIX;
    p.split_at(p.len() - 1).0
};
const _: () = assert!(NAME_MAX < ffi::RTE_HASH_NAMESIZE as usize);

/// Keys per bulk lookup at most (`RTE_HASH_LOOKUP_BULK_MAX`).
pub const BULK_MAX: usize = ffi::RTE_HASH_LOOKUP_BULK_MAX as usize;

/// The largest table DPDK makes (`RTE_HASH_ENTRIES_MAX`).
pub const CAPACITY_MAX: u32 = ffi::RTE_HASH_ENTRIES_MAX;

/// A fixed-size key that `rte_hash` can hash and compare as bytes.
///
/// # Safety
/// Every byte of a value must be initialised (no padding), and two values must be equal
/// exactly when their bytes are: `rte_hash` hashes and compares the raw bytes.
pub unsafe trait HashKey: Copy + Send + Sync + 'static {}

macro_rules! keys {
    ($($t:ty),*) => {$(
        // SAFETY: an integer has no padding; equal values have equal bytes.
        unsafe impl HashKey for $t {}
    )*};
}
keys!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, usize, isize);

// SAFETY: an array of padding-free keys has no padding; equality is element-wise.
unsafe impl<T: HashKey, const N: usize> HashKey for [T; N] {}

/// How keys are hashed.
#[derive(Clone, Copy)]
pub enum HashFunction {
    /// DPDK's CRC32-based `rte_hash_crc` (its default; uses the CPU's CRC instructions).
    Crc,
    /// `rte_jhash` (Bob Jenkins' hash). Needs keys whose size is a multiple of 4 bytes:
    /// DPDK's jhash may read past the end of shorter keys.
    Jhash,
    /// A function of your own with DPDK's signature `(key, key_len, init_val) -> hash`.
    /// It must not unwind (a panic across `extern "C"` aborts), and should give the same
    /// hash for the same key every time: otherwise lookups miss keys that are present (the
    /// tables stay memory-safe; writes of the concurrent table hash each key once).
    Custom(unsafe extern "C" fn(*const c_void, u32, u32) -> u32),
}

impl fmt::Debug for HashFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HashFunction::Crc => "Crc",
            HashFunction::Jhash => "Jhash",
            HashFunction::Custom(_) => "Custom",
        })
    }
}

/// How to create a table: hash function, seed and DPDK's extra flags.
///
/// ```
/// use dpdk::hash::{HashFunction, HashOptions};
/// let options = HashOptions::new().hash_function(HashFunction::Jhash).extendable_buckets(true);
/// assert_eq!(options.flags(), dpdk::ffi::RTE_HASH_EXTRA_FLAGS_EXT_TABLE as u8);
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct HashOptions {
    function: HashFunction,
    seed: u32,
    extendable: bool,
    rw_concurrency: bool,
}

impl Default for HashOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl HashOptions {
    /// CRC hash, seed 0, no extendable buckets.
    pub fn new() -> Self {
        HashOptions {
            function: HashFunction::Crc,
            seed: 0,
            extendable: false,
            rw_concurrency: false,
        }
    }

    /// The hash function.
    pub fn hash_function(mut self, function: HashFunction) -> Self {
        self.function = function;
        self
    }

    /// The hash function's initial value.
    pub fn seed(mut self, seed: u32) -> Self {
        self.seed = seed;
        self
    }

    /// Chain extra buckets when a key's buckets are full
    /// (`RTE_HASH_EXTRA_FLAGS_EXT_TABLE`): the table then holds `capacity` keys.
    pub fn extendable_buckets(mut self, yes: bool) -> Self {
        self.extendable = yes;
        self
    }

    /// DPDK's reader/writer lock (`RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY`), for tables
    /// shared with C code. It adds no concurrency to [`Hash`](struct@Hash) (reads borrow, writes borrow
    /// exclusively); for one writer beside lock-free readers use
    /// [`crate::concurrent_hash::ConcurrentHash`].
    ///
    /// DPDK's multi-writer add (`RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD`) is deliberately not
    /// offered: with it, DPDK indexes per-lcore free-slot caches by `rte_lcore_id()` on every
    /// add and delete, which reads out of bounds on a thread without an lcore id (a crash
    /// seen here), and `&mut self` writes would gain nothing from it.
    pub fn rw_concurrency(mut self, yes: bool) -> Self {
        self.rw_concurrency = yes;
        self
    }

    /// The hash function chosen.
    pub fn function(&self) -> HashFunction {
        self.function
    }

    /// The seed chosen.
    pub fn seed_value(&self) -> u32 {
        self.seed
    }

    /// The C function that hashes keys.
    pub(crate) fn raw_function(&self) -> unsafe extern "C" fn(*const c_void, u32, u32) -> u32 {
        match self.function {
            HashFunction::Crc => ffi::rte_hash_crc,
            HashFunction::Jhash => ffi::rte_jhash,
            HashFunction::Custom(f) => f,
        }
    }

    /// The `extra_flag` of `rte_hash_parameters`.
    pub fn flags(&self) -> u8 {
        let flag = |on: bool, bit: u32| if on { bit as u8 } else { 0 };
        flag(self.extendable, ffi::RTE_HASH_EXTRA_FLAGS_EXT_TABLE)
            | flag(self.rw_concurrency, ffi::RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY)
    }
}

/// A key's signature (`rte_hash_hash`), for lookups that skip hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Signature(pub u32);

/// A failed insert: why, and the key and value, which were not stored.
pub struct InsertError<K, V> {
    /// Why ([`Error::TableFull`] when there is no room).
    pub error: Error,
    /// The key.
    pub key: K,
    /// The value.
    pub value: V,
}

impl<K, V> fmt::Debug for InsertError<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InsertError").field("error", &self.error).finish_non_exhaustive()
    }
}

impl<K, V> fmt::Display for InsertError<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl<K, V> std::error::Error for InsertError<K, V> {}

impl<K, V> From<InsertError<K, V>> for Error {
    fn from(e: InsertError<K, V>) -> Error {
        e.error
    }
}

/// A hash table of `K -> V` over `rte_hash` on a chosen socket.
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::hash::{Hash, HashOptions};
/// let mut table: Hash<[u8; 16], u32> = Hash::new("doc_hash", 1024, dpdk::SocketId::current(), HashOptions::new())?;
/// let key = *b"example.com\0\0\0\0\0";
/// assert_eq!(table.insert(key, 7)?, None);
/// assert_eq!(table.insert(key, 8)?, Some(7)); // the old value comes back
/// assert_eq!(table.get(&key), Some(&8));
/// assert_eq!(table.remove(&key), Some(8));
/// assert!(table.is_empty());
/// # Ok::<(), dpdk::Error>(())
/// ```
pub struct Hash<K: HashKey, V> {
    h: NonNull<ffi::rte_hash>,
    /// Values by key position; `occupied` says which hold one.
    values: SocketBox<[MaybeUninit<V>]>,
    occupied: SocketBox<[u64]>,
    name: String,
    _eal: Eal,
    _keys: PhantomData<K>,
}

// SAFETY: the table owns its values (V: Send) and keys (K: Send by HashKey); DPDK's table
// may be used from any thread as long as writes are exclusive (`&mut self`).
unsafe impl<K: HashKey, V: Send> Send for Hash<K, V> {}
// SAFETY: through &Hash only lookups run, which rte_hash allows from many threads while
// no one writes; they hand out &V (V: Sync).
unsafe impl<K: HashKey, V: Sync> Sync for Hash<K, V> {}

/// Checks the arguments and makes an `rte_hash` with `options` plus `extra_flags`: the part
/// [`Hash::new`] and [`ConcurrentHash::new`](crate::ConcurrentHash::new) share.
pub(crate) fn create_table<K>(
    name: &str,
    capacity: u32,
    socket: SocketId,
    options: &HashOptions,
    extra_flags: u8,
) -> Result<(NonNull<ffi::rte_hash>, Eal)> {
    let key_len = std::mem::size_of::<K>();
    let flags = options.flags() | extra_flags;
    let call = || {
        Call::new(
            "rte_hash_create",
            format!(
                "name={name:?}, entries={capacity}, key_len={key_len}, socket={}, extra_flag={flags:#x}, hash={:?}",
                socket.as_raw(),
                options.function
            ),
        )
    };
    let max = if options.extendable { NAME_MAX_EXTENDABLE } else { NAME_MAX };
    let cname = check_name(name, max, call)?;
    let invalid = |message: String| Error::InvalidArgument { call: call(), message };
    if capacity == 0 || capacity > CAPACITY_MAX {
        return Err(invalid(format!("capacity {capacity} is not in 1..={CAPACITY_MAX}")));
    }
    if key_len == 0 {
        return Err(invalid("keys of zero bytes cannot be hashed".into()));
    }
    if matches!(options.function, HashFunction::Jhash) && key_len % 4 != 0 {
        return Err(invalid(format!("jhash needs keys of a multiple of 4 bytes, not {key_len}")));
    }
    let eal = Eal::current()?;
    let params = ffi::rte_hash_parameters {
        name: cname.as_ptr(),
        entries: capacity,
        reserved: 0,
        key_len: u32::try_from(key_len)
            .map_err(|_| invalid(format!("a key of {key_len} bytes")))?,
        hash_func: Some(options.raw_function()),
        hash_func_init_val: options.seed,
        socket_id: socket.as_raw(),
        extra_flag: flags,
    };
    // SAFETY: valid parameters; DPDK copies what it keeps.
    let h = unsafe { ffi::rte_hash_create(&params) };
    let h = NonNull::new(h).ok_or_else(|| Error::from_rte_errno(call()))?;
    Ok((h, eal))
}

/// Pointers to each of `keys` for a bulk lookup; only the first `keys.len()` are written.
#[inline(always)]
pub(crate) fn key_pointers<K>(keys: &[K]) -> [MaybeUninit<*const c_void>; BULK_MAX] {
    // Uninitialised: zeroing 64 pointers would cost more than a burst.
    let mut key_ptrs = [MaybeUninit::<*const c_void>::uninit(); BULK_MAX];
    for (p, k) in key_ptrs.iter_mut().zip(keys) {
        p.write((k as *const K).cast());
    }
    key_ptrs
}

/// The answers of one [`Hash::lookup_bulk`]: for each key, in order, its value or `None`.
///
/// It borrows the table, so no write can move or drop a value while it is read.
pub struct BulkLookup<'a, V> {
    values: &'a [MaybeUninit<V>],
    /// DPDK's answer per key: the key's position, or a negative errno when absent.
    positions: [MaybeUninit<i32>; BULK_MAX],
    len: usize,
}

impl<'a, V> BulkLookup<'a, V> {
    /// How many keys were looked up.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no key was looked up.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline(always)]
    fn position(&self, i: usize) -> i32 {
        assert!(i < self.len, "answer {i} of {}", self.len);
        // SAFETY: DPDK wrote the first `len` positions.
        unsafe { self.positions.get_unchecked(i).assume_init() }
    }

    /// The value of the `i`-th key, or `None` when it is absent.
    ///
    /// # Panics
    /// If `i` is not below [`len`](Self::len).
    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a V> {
        let pos = self.position(i);
        if pos < 0 {
            return None;
        }
        // SAFETY: a position rte_hash returned for a present key holds that key's value
        // (the index is still checked against the slab); the table stays borrowed for 'a.
        Some(unsafe { self.values[pos as usize].assume_init_ref() })
    }

    /// Whether the `i`-th key was found.
    ///
    /// # Panics
    /// If `i` is not below [`len`](Self::len).
    #[inline]
    pub fn contains(&self, i: usize) -> bool {
        self.position(i) >= 0
    }

    /// How many of the keys were found.
    #[inline]
    pub fn found(&self) -> usize {
        (0..self.len).filter(|&i| self.contains(i)).count()
    }

    /// Each key's value or `None`, in the order of the keys.
    #[inline]
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Option<&'a V>> + '_ {
        (0..self.len).map(move |i| self.get(i))
    }
}

impl<V: std::fmt::Debug> std::fmt::Debug for BulkLookup<'_, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<K: HashKey, V> Hash<K, V> {
    /// A table for up to `capacity` keys named `name` on `socket` (`rte_hash_create`), its
    /// values on the same socket.
    ///
    /// # Errors
    /// Name errors; [`Error::InvalidArgument`] for a capacity of 0 or above
    /// [`CAPACITY_MAX`], a zero-sized key, or jhash with a key size not a multiple of 4;
    /// [`Error::AlreadyExists`]; [`Error::NoMemory`].
    #[doc(alias = "rte_hash_create")]
    pub fn new(name: &str, capacity: u32, socket: SocketId, options: HashOptions) -> Result<Self> {
        let (h, eal) = create_table::<K>(name, capacity, socket, &options, 0)?;
        // SAFETY: a live table.
        let slots = unsafe { ffi::rte_hash_max_key_id(h.as_ptr()) } as usize + 1;
        let free_table = |e: Error| {
            // SAFETY: the table was made above and nothing else knows it.
            unsafe { ffi::rte_hash_free(h.as_ptr()) };
            e
        };
        let values =
            SocketBox::<[V]>::try_new_uninit_slice(slots, socket, crate::malloc::CACHE_LINE)
                .map_err(free_table)?;
        let occupied = SocketBox::<[u64]>::try_new_zeroed_slice(slots.div_ceil(64), socket)
            .map_err(free_table)?;
        // SAFETY: all-zero u64s are valid.
        let occupied = unsafe { occupied.assume_init() };
        Ok(Hash { h, values, occupied, name: name.to_owned(), _eal: eal, _keys: PhantomData })
    }

    #[inline(always)]
    fn is_occupied(&self, pos: usize) -> bool {
        self.occupied[pos / 64] & (1 << (pos % 64)) != 0
    }

    #[inline(always)]
    fn set_occupied(&mut self, pos: usize, yes: bool) {
        let bit = 1u64 << (pos % 64);
        if yes {
            self.occupied[pos / 64] |= bit;
        } else {
            self.occupied[pos / 64] &= !bit;
        }
    }

    /// Inserts or replaces the value of `key` (`rte_hash_add_key`); returns the old value.
    ///
    /// The key may be given by value or by reference (`&K`): DPDK copies it into the
    /// table either way, and a reference spares a copy of large keys.
    ///
    /// # Errors
    /// [`Error::TableFull`] when the key's buckets (and the extendable ones) are full; the
    /// key and value come back in the error.
    #[doc(alias = "rte_hash_add_key")]
    #[inline]
    pub fn insert(
        &mut self,
        key: impl std::borrow::Borrow<K>,
        value: V,
    ) -> std::result::Result<Option<V>, InsertError<K, V>> {
        let key: &K = key.borrow();
        // SAFETY: a live table; the key is key_len plain bytes.
        let pos = unsafe { ffi::rte_hash_add_key(self.h.as_ptr(), (key as *const K).cast()) };
        if pos < 0 {
            return Err(self.insert_error(pos, *key, value));
        }
        let pos = pos as usize;
        let slot = &mut self.values[pos];
        if self.occupied[pos / 64] & (1 << (pos % 64)) != 0 {
            // SAFETY: an occupied slot holds a value; it is replaced.
            Ok(Some(std::mem::replace(unsafe { slot.assume_init_mut() }, value)))
        } else {
            slot.write(value);
            self.set_occupied(pos, true);
            Ok(None)
        }
    }

    #[cold]
    fn insert_error(&self, rc: i32, key: K, value: V) -> InsertError<K, V> {
        let call = Call::new("rte_hash_add_key", format!("table={:?}", self.name));
        let error = if rc == -libc::ENOSPC {
            Error::TableFull { call, len: self.len() }
        } else {
            Error::from_errno(call, rc)
        };
        InsertError { error, key, value }
    }

    /// The value of `key` (`rte_hash_lookup`).
    #[doc(alias = "rte_hash_lookup")]
    #[inline]
    pub fn get(&self, key: &K) -> Option<&V> {
        // SAFETY: a live table; a lookup reads only.
        let pos = unsafe { ffi::rte_hash_lookup(self.h.as_ptr(), (key as *const K).cast()) };
        self.value_at(pos)
    }

    #[inline(always)]
    fn value_at(&self, pos: i32) -> Option<&V> {
        if pos < 0 {
            return None;
        }
        let pos = pos as usize;
        debug_assert!(self.is_occupied(pos));
        // SAFETY: a position rte_hash returned for a present key holds a value.
        Some(unsafe { self.values[pos].assume_init_ref() })
    }

    /// The value of `key`, exclusively.
    #[inline]
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        // SAFETY: a live table.
        let pos = unsafe { ffi::rte_hash_lookup(self.h.as_ptr(), (key as *const K).cast()) };
        if pos < 0 {
            return None;
        }
        // SAFETY: as in value_at; `&mut self` is exclusive.
        Some(unsafe { self.values[pos as usize].assume_init_mut() })
    }

    /// Whether `key` is present.
    #[inline]
    pub fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// The signature of `key` under this table's hash function (`rte_hash_hash`).
    #[doc(alias = "rte_hash_hash")]
    #[inline]
    pub fn signature(&self, key: &K) -> Signature {
        // SAFETY: a live table.
        Signature(unsafe { ffi::rte_hash_hash(self.h.as_ptr(), (key as *const K).cast()) })
    }

    /// The value of `key`, given its precomputed signature (`rte_hash_lookup_with_hash`).
    #[doc(alias = "rte_hash_lookup_with_hash")]
    #[inline]
    pub fn get_with_signature(&self, key: &K, sig: Signature) -> Option<&V> {
        // SAFETY: a live table; a wrong signature only makes the lookup miss.
        let pos = unsafe {
            ffi::rte_hash_lookup_with_hash(self.h.as_ptr(), (key as *const K).cast(), sig.0)
        };
        self.value_at(pos)
    }

    /// Looks up to [`BULK_MAX`] keys at once (`rte_hash_lookup_bulk`) and returns the
    /// answers, read in place: [`BulkLookup::get`]`(i)` is the value of `keys[i]`.
    ///
    /// This is the cheapest way to look up a burst: nothing is copied per key beyond the
    /// position DPDK writes.
    ///
    /// # Panics
    /// If `keys` holds more than [`BULK_MAX`] keys.
    ///
    /// # Examples
    /// ```
    /// # let eal = dpdk::doc_eal();
    /// use dpdk::hash::{Hash, HashOptions};
    /// let mut t: Hash<u32, &str> = Hash::new("doc_hash_lb", 64, dpdk::SocketId::current(), HashOptions::new())?;
    /// t.insert(&1, "one").unwrap();
    /// t.insert(&3, "three").unwrap();
    /// let hits = t.lookup_bulk(&[1, 2, 3]);
    /// assert_eq!(hits.found(), 2);
    /// assert_eq!(hits.iter().collect::<Vec<_>>(), [Some(&"one"), None, Some(&"three")]);
    /// # Ok::<(), dpdk::Error>(())
    /// ```
    #[doc(alias = "rte_hash_lookup_bulk")]
    #[inline]
    pub fn lookup_bulk(&self, keys: &[K]) -> BulkLookup<'_, V> {
        let n = keys.len();
        assert!(n <= BULK_MAX, "up to {BULK_MAX} keys");
        let mut key_ptrs = key_pointers(keys);
        let mut positions = [MaybeUninit::<i32>::uninit(); BULK_MAX];
        // SAFETY: n initialised key pointers and room for n positions.
        unsafe {
            ffi::rte_hash_lookup_bulk(
                self.h.as_ptr(),
                key_ptrs.as_mut_ptr().cast(),
                n as u32,
                positions.as_mut_ptr().cast(),
            )
        };
        BulkLookup { values: &self.values, positions, len: n }
    }

    /// [`lookup_bulk`](Self::lookup_bulk) for keys that are not side by side, e.g. each
    /// inside the parsed packet it came from: DPDK takes an array of key pointers anyway,
    /// so no key is copied.
    ///
    /// # Panics
    /// If `keys` holds more than [`BULK_MAX`] keys.
    ///
    /// # Examples
    /// ```
    /// # let eal = dpdk::doc_eal();
    /// use dpdk::hash::{Hash, HashOptions};
    /// let mut t: Hash<u32, &str> = Hash::new("doc_hash_lbr", 64, dpdk::SocketId::current(), HashOptions::new())?;
    /// t.insert(&7, "seven").unwrap();
    /// let (a, b) = (7u32, 8u32);
    /// let hits = t.lookup_bulk_refs(&[&b, &a]);
    /// assert_eq!(hits.iter().collect::<Vec<_>>(), [None, Some(&"seven")]);
    /// # Ok::<(), dpdk::Error>(())
    /// ```
    #[doc(alias = "rte_hash_lookup_bulk")]
    #[inline]
    pub fn lookup_bulk_refs(&self, keys: &[&K]) -> BulkLookup<'_, V> {
        let n = keys.len();
        assert!(n <= BULK_MAX, "up to {BULK_MAX} keys");
        let mut positions = [MaybeUninit::<i32>::uninit(); BULK_MAX];
        // SAFETY: `&K` has the layout of a pointer to the key's key_len bytes, so `keys`
        // is the array of n key pointers DPDK reads; room for n positions.
        unsafe {
            ffi::rte_hash_lookup_bulk(
                self.h.as_ptr(),
                keys.as_ptr().cast_mut().cast(),
                n as u32,
                positions.as_mut_ptr().cast(),
            )
        };
        BulkLookup { values: &self.values, positions, len: n }
    }

    /// [`lookup_bulk_refs`](Self::lookup_bulk_refs) with each key's signature given
    /// (`rte_hash_lookup_with_hash_bulk`): DPDK skips hashing the keys. Worth it when the
    /// signatures come cheaper than the table's hash function would, e.g. computed while
    /// the keys were built (see [`HashFunction::Custom`]).
    ///
    /// A wrong signature only makes its key miss.
    ///
    /// # Panics
    /// If `keys` holds more than [`BULK_MAX`] keys, or `signatures` fewer than `keys`.
    ///
    /// # Examples
    /// ```
    /// # let eal = dpdk::doc_eal();
    /// use dpdk::hash::{Hash, HashOptions};
    /// let mut t: Hash<u32, &str> = Hash::new("doc_hash_lbs", 64, dpdk::SocketId::current(), HashOptions::new())?;
    /// t.insert(&7, "seven").unwrap();
    /// let (a, b) = (7u32, 8u32);
    /// let sigs = [t.signature(&b), t.signature(&a)];
    /// let hits = t.lookup_bulk_refs_with_signatures(&[&b, &a], &sigs);
    /// assert_eq!(hits.iter().collect::<Vec<_>>(), [None, Some(&"seven")]);
    /// # Ok::<(), dpdk::Error>(())
    /// ```
    #[doc(alias = "rte_hash_lookup_with_hash_bulk")]
    #[inline]
    pub fn lookup_bulk_refs_with_signatures(
        &self,
        keys: &[&K],
        signatures: &[Signature],
    ) -> BulkLookup<'_, V> {
        let n = keys.len();
        assert!(n <= BULK_MAX, "up to {BULK_MAX} keys");
        assert!(signatures.len() >= n, "a signature for each key");
        let mut positions = [MaybeUninit::<i32>::uninit(); BULK_MAX];
        // SAFETY: `&K` has the layout of a pointer to the key's key_len bytes, so `keys`
        // is the array of n key pointers DPDK reads; `Signature` is a transparent u32, and
        // DPDK only reads the n signatures; room for n positions.
        unsafe {
            ffi::rte_hash_lookup_with_hash_bulk(
                self.h.as_ptr(),
                keys.as_ptr().cast_mut().cast(),
                signatures.as_ptr().cast_mut().cast(),
                n as u32,
                positions.as_mut_ptr().cast(),
            )
        };
        BulkLookup { values: &self.values, positions, len: n }
    }

    /// Looks up to [`BULK_MAX`] keys at once (`rte_hash_lookup_bulk`), writing each key's
    /// value (or `None`) into `out`, and returns how many were found. See
    /// [`lookup_bulk`](Self::lookup_bulk) for the same without the copy into `out`.
    ///
    /// # Panics
    /// If `keys` holds more than [`BULK_MAX`] keys or `out` is shorter than `keys`.
    #[doc(alias = "rte_hash_lookup_bulk")]
    #[inline]
    pub fn get_bulk<'a>(&'a self, keys: &[K], out: &mut [Option<&'a V>]) -> usize {
        assert!(out.len() >= keys.len(), "room for each key's answer");
        let hits = self.lookup_bulk(keys);
        for (o, v) in out.iter_mut().zip(hits.iter()) {
            *o = v;
        }
        hits.found()
    }

    /// Removes `key` (`rte_hash_del_key`) and returns its value.
    #[doc(alias = "rte_hash_del_key")]
    #[inline]
    pub fn remove(&mut self, key: &K) -> Option<V> {
        // SAFETY: a live table.
        let pos = unsafe { ffi::rte_hash_del_key(self.h.as_ptr(), (key as *const K).cast()) };
        if pos < 0 {
            return None;
        }
        let pos = pos as usize;
        self.set_occupied(pos, false);
        // SAFETY: the slot held the key's value, which moves out once.
        Some(unsafe { self.values[pos].assume_init_read() })
    }

    /// Where the table's memory landed, from DPDK's memsegs: the `rte_hash` header and the
    /// values slab (`None` for memory DPDK does not know).
    ///
    /// ```
    /// # let eal = dpdk::doc_eal();
    /// use dpdk::hash::{Hash, HashOptions};
    /// let socket = dpdk::SocketId::current();
    /// let t: Hash<u32, u64> = Hash::new("doc_hash_sock", 64, socket, HashOptions::new())?;
    /// assert_eq!(t.memory_sockets(), (Some(socket), Some(socket)));
    /// # Ok::<(), dpdk::Error>(())
    /// ```
    pub fn memory_sockets(&self) -> (Option<SocketId>, Option<SocketId>) {
        (crate::malloc::socket_of(self.h.as_ptr().cast()), self.values.socket())
    }

    /// Keys in the table (`rte_hash_count`).
    #[doc(alias = "rte_hash_count")]
    pub fn len(&self) -> usize {
        // SAFETY: a live table.
        unsafe { ffi::rte_hash_count(self.h.as_ptr()) }.max(0) as usize
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every key and value (`rte_hash_iterate`), in table order.
    #[doc(alias = "rte_hash_iterate")]
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter { table: self, next: 0 }
    }

    /// Removes every entry, dropping the values (`rte_hash_reset`).
    #[doc(alias = "rte_hash_reset")]
    pub fn clear(&mut self) {
        // Keys first: once the table is reset, no lookup reaches a value, so a panicking
        // drop below cannot leave a key pointing at a dropped value.
        // SAFETY: a live table, written exclusively.
        unsafe { ffi::rte_hash_reset(self.h.as_ptr()) };
        self.drop_values().resume();
    }

    /// Drops every stored value. The bitmap is cleared before the first drop, and the
    /// drops continue past panicking ones; the first panic is returned, to resume.
    fn drop_values(&mut self) -> crate::unwind::FirstPanic {
        let mut positions = Vec::new();
        for (word, bits) in self.occupied.iter_mut().enumerate() {
            let mut bits = std::mem::replace(bits, 0);
            while bits != 0 {
                positions.push(word * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        }
        let mut panic = crate::unwind::FirstPanic::default();
        for pos in positions {
            // SAFETY: an occupied slot (its bit was just cleared) holds a value, dropped
            // once.
            panic.run(|| unsafe { self.values[pos].assume_init_drop() });
        }
        panic
    }

    /// The raw table, for DPDK calls this crate does not wrap.
    pub fn as_ptr(&self) -> *mut ffi::rte_hash {
        self.h.as_ptr()
    }
}

impl<K: HashKey, V> Drop for Hash<K, V> {
    fn drop(&mut self) {
        // Every value is dropped and the table freed even if a value's drop panics.
        let panic = self.drop_values();
        // SAFETY: the table is freed once; nothing borrows it any more.
        unsafe { ffi::rte_hash_free(self.h.as_ptr()) };
        panic.resume();
    }
}

impl<K: HashKey, V> fmt::Debug for Hash<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hash").field("name", &self.name).field("len", &self.len()).finish()
    }
}

/// The entries of a [`Hash`](struct@Hash); see [`Hash::iter`].
pub struct Iter<'a, K: HashKey, V> {
    table: &'a Hash<K, V>,
    next: u32,
}

impl<'a, K: HashKey, V> Iterator for Iter<'a, K, V> {
    type Item = (K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        let mut key: *const c_void = std::ptr::null();
        let mut data: *mut c_void = std::ptr::null_mut();
        // SAFETY: a live table; DPDK writes a pointer to its stored key.
        let pos = unsafe {
            ffi::rte_hash_iterate(self.table.h.as_ptr(), &mut key, &mut data, &mut self.next)
        };
        if pos < 0 {
            return None;
        }
        // SAFETY: the key store holds key_len bytes of a K (copied from one at insert).
        let key = unsafe { key.cast::<K>().read_unaligned() };
        Some((key, self.table.value_at(pos)?))
    }
}
