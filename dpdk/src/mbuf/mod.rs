//! Packet buffers: [`PktMbufPool`] (`rte_pktmbuf_pool_create` on a chosen socket), its
//! RAII packets ([`Mbuf`]) and a fixed-capacity buffer of packets ([`Burst`]) that the
//! RX/TX burst calls of [`crate::ethdev`] fill and drain.
//!
//! # Safety model
//! - An [`Mbuf<'p>`](Mbuf) borrows the pool it came from (`'p`), like
//!   [`Pooled`](crate::mempool::Pooled): safe code cannot free a pool while one of its
//!   packets is out, nor let a packet outlive the EAL (the pool keeps it alive).
//! - A packet is owned by one handle: its data is `&[u8]` through `&Mbuf` and `&mut [u8]`
//!   through `&mut Mbuf`. Every packet this crate makes has reference count 1 and owns its
//!   data buffer; [`PktMbufPool::from_raw`] requires the same of raw packets.
//! - Dropping a packet frees it (all its segments) once, into the pool it names. The
//!   common case (one segment, reference count 1, its own data buffer) is DPDK's inline
//!   `rte_pktmbuf_free_seg` ported to Rust over the mempool cache; anything else
//!   (chains, clones, external buffers) is freed by DPDK's C (`rte_pktmbuf_free`).
//! - Data rooms are zeroed when the pool is created, so every byte a packet can show is
//!   initialised memory.
//!
//! ```compile_fail
//! # let eal = dpdk::doc_eal();
//! use dpdk::mbuf::PktMbufPool;
//! let pool = PktMbufPool::new("cf_mb", 63, 0, 2048, dpdk::SocketId::ANY).unwrap();
//! let m = pool.alloc().unwrap();
//! drop(pool); // error: the pool is borrowed by `m`
//! drop(m);
//! ```

use std::ffi::{c_uint, c_void};
use std::fmt;
use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU16, Ordering};

use crate::eal::Eal;
use crate::error::{check_name, Call, Error, Result};
use crate::ffi;
use crate::mempool::{PoolEmpty, PoolInfo, RawPool, CACHE_MAX, NAME_MAX};
use crate::SocketId;

/// Bytes DPDK keeps in front of the data of a fresh packet (`RTE_PKTMBUF_HEADROOM`).
pub const HEADROOM: u16 = ffi::RTE_PKTMBUF_HEADROOM as u16;

/// DPDK's default data room of a packet buffer, headroom included
/// (`RTE_MBUF_DEFAULT_BUF_SIZE`: 2048 bytes of data after 128 of headroom).
pub const DEFAULT_DATA_ROOM: u16 = ffi::RTE_MBUF_DEFAULT_BUF_SIZE as u16;

/// Why a length change of a packet was refused; the packet is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MbufError {
    /// `prepend`: fewer bytes of headroom than asked for.
    NoHeadroom {
        /// Bytes asked for.
        requested: usize,
        /// Headroom there is.
        available: usize,
    },
    /// `append`: fewer bytes of tailroom (in the last segment) than asked for.
    NoTailroom {
        /// Bytes asked for.
        requested: usize,
        /// Tailroom there is.
        available: usize,
    },
    /// `adj` / `trim`: the packet (its first, resp. last, segment) holds fewer bytes.
    TooShort {
        /// Bytes asked to remove.
        requested: usize,
        /// Bytes there are.
        available: usize,
    },
    /// `room_mut` / `set_len`: the packet has more than one segment.
    Segmented {
        /// Its segments.
        segments: u16,
    },
    /// The packet or its data buffer is shared (a reference count above 1, an indirect
    /// packet, or an external buffer with other users), as some drivers hand them out:
    /// writing would change what another holder sees.
    Shared,
}

impl fmt::Display for MbufError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MbufError::NoHeadroom { requested, available } => {
                write!(f, "cannot prepend {requested} bytes: {available} bytes of headroom")
            }
            MbufError::NoTailroom { requested, available } => {
                write!(f, "cannot append {requested} bytes: {available} bytes of tailroom")
            }
            MbufError::TooShort { requested, available } => {
                write!(f, "cannot remove {requested} bytes: the segment holds {available}")
            }
            MbufError::Segmented { segments } => {
                write!(f, "the packet has {segments} segments; this needs exactly one")
            }
            MbufError::Shared => {
                write!(f, "the packet or its data buffer is shared; it cannot be written")
            }
        }
    }
}

impl std::error::Error for MbufError {}

/// A pool of packet buffers (`rte_pktmbuf_pool_create`) on a chosen socket.
///
/// Place it on the socket of the port that receives into it ([`Port::socket`]): a pool
/// on another socket makes every received packet cross the interconnect.
///
/// [`Port::socket`]: crate::ethdev::Port::socket
///
/// ```
/// # let eal = dpdk::doc_eal();
/// use dpdk::mbuf::{PktMbufPool, DEFAULT_DATA_ROOM};
/// let pool = PktMbufPool::new("doc_pkts", 1023, 32, DEFAULT_DATA_ROOM, dpdk::SocketId::current())?;
/// let mut m = pool.alloc().expect("a free mbuf");
/// m.append(4)?.copy_from_slice(b"ping");
/// assert_eq!(m.data(), b"ping");
/// assert_eq!(pool.in_use(), 1);
/// drop(m);
/// assert_eq!(pool.in_use(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PktMbufPool {
    raw: RawPool,
}

// SAFETY: the pool is DPDK memory usable from any thread; its ring is multi-producer /
// multi-consumer and each lcore cache is used only by its lcore's thread, so handing out
// and taking back packets from several threads at once is what DPDK supports.
unsafe impl Send for PktMbufPool {}
// SAFETY: as above.
unsafe impl Sync for PktMbufPool {}

unsafe extern "C" fn zero_data_room(
    _: *mut ffi::rte_mempool,
    _: *mut c_void,
    obj: *mut c_void,
    _: c_uint,
) {
    let m = obj.cast::<ffi::rte_mbuf>();
    // SAFETY: `obj` is an mbuf that rte_pktmbuf_init set up: buf_addr points at buf_len
    // bytes of its own data room.
    unsafe { std::ptr::write_bytes((*m).buf_addr.cast::<u8>(), 0, (*m).buf_len() as usize) };
}

impl PktMbufPool {
    /// `count` packet buffers of `data_room` bytes each (headroom included, so at most
    /// `data_room - HEADROOM` bytes of packet), with a per-lcore cache of `cache_size`,
    /// on `socket` (`rte_pktmbuf_pool_create`).
    ///
    /// # Errors
    /// [`Error::InvalidName`] / [`Error::NameTooLong`]; [`Error::InvalidArgument`] for a
    /// zero count, a cache above [`CACHE_MAX`] or `count / 1.5`, or a data room smaller
    /// than [`HEADROOM`]; [`Error::AlreadyExists`]; [`Error::NoMemory`].
    #[doc(alias = "rte_pktmbuf_pool_create")]
    pub fn new(
        name: &str,
        count: u32,
        cache_size: u32,
        data_room: u16,
        socket: SocketId,
    ) -> Result<Self> {
        let call = || {
            Call::new(
                "rte_pktmbuf_pool_create",
                format!(
                    "name={name:?}, n={count}, cache_size={cache_size}, priv_size=0, \
                     data_room_size={data_room}, socket_id={}",
                    socket.as_raw()
                ),
            )
        };
        let cname = check_name(name, NAME_MAX, call)?;
        let invalid = |message: String| Error::InvalidArgument { call: call(), message };
        if count == 0 {
            return Err(invalid("a pool needs at least one mbuf".into()));
        }
        if cache_size > CACHE_MAX || cache_size as u64 * 3 > count as u64 * 2 {
            return Err(invalid(format!(
                "cache size {cache_size} exceeds DPDK's limit: at most {CACHE_MAX} and count / 1.5"
            )));
        }
        if data_room < HEADROOM {
            return Err(invalid(format!(
                "a data room of {data_room} is below the {HEADROOM}-byte headroom"
            )));
        }
        let eal = Eal::current()?;
        // SAFETY: checked arguments and a NUL-terminated name.
        let mp = unsafe {
            ffi::rte_pktmbuf_pool_create(
                cname.as_ptr(),
                count,
                cache_size,
                0,
                data_room,
                socket.as_raw(),
            )
        };
        let mp = NonNull::new(mp).ok_or_else(|| Error::from_rte_errno(call()))?;
        // SAFETY: every mbuf is in the pool and was initialised by rte_pktmbuf_init.
        unsafe {
            ffi::rte_mempool_obj_iter(mp.as_ptr(), Some(zero_data_room), std::ptr::null_mut())
        };
        Ok(PktMbufPool { raw: RawPool::new(mp, eal) })
    }

    /// A fresh packet: one empty segment with [`HEADROOM`] bytes of headroom
    /// (`rte_pktmbuf_alloc`), or `None` if the pool (with this lcore's cache) is empty.
    #[doc(alias = "rte_pktmbuf_alloc")]
    #[inline]
    pub fn alloc(&self) -> Option<Mbuf<'_>> {
        // SAFETY: the calling thread's lcore cache.
        let obj = unsafe { self.raw.get_one(self.raw.default_cache()) }?;
        let m = obj.cast::<ffi::rte_mbuf>();
        // SAFETY: a packet just taken from the pool, owned by us.
        unsafe { reset(m.as_ptr()) };
        Some(Mbuf { ptr: m, _pool: PhantomData })
    }

    /// Appends `n` fresh packets to `burst`, all or nothing (`rte_pktmbuf_alloc_bulk`).
    ///
    /// # Errors
    /// [`PoolEmpty`] if the pool has fewer than `n` (nothing is taken).
    ///
    /// # Panics
    /// If `burst` has no room for `n` more.
    #[doc(alias = "rte_pktmbuf_alloc_bulk")]
    #[inline]
    pub fn alloc_bulk<'p, const N: usize>(
        &'p self,
        burst: &mut Burst<'p, N>,
        n: usize,
    ) -> Result<(), PoolEmpty> {
        let len = burst.len;
        assert!(n <= N - len, "a burst of {N} holding {len} has no room for {n}");
        let cache = self.raw.default_cache();
        // SAFETY: room for n pointers after `len`; the calling thread's lcore cache.
        let dst = unsafe { burst.slots.as_mut_ptr().add(len).cast::<*mut c_void>() };
        // SAFETY: as above.
        if !unsafe { self.raw.get(dst, n as u32, cache) } {
            return Err(PoolEmpty { requested: n as u32 });
        }
        for i in 0..n {
            // SAFETY: the packets just taken, owned by the burst from here on.
            unsafe { reset(*dst.add(i).cast::<*mut ffi::rte_mbuf>()) };
        }
        burst.len = len + n;
        Ok(())
    }

    /// Takes back a packet given up with [`Mbuf::into_raw`] (e.g. after a trip through a
    /// ring).
    ///
    /// # Safety
    /// `ptr` is a packet that nobody else owns or references (reference count 1, its data
    /// not shared with another packet), taken back once, from a pool that lives at least
    /// as long as `self` (this pool, in practice).
    pub unsafe fn from_raw(&self, ptr: NonNull<ffi::rte_mbuf>) -> Mbuf<'_> {
        Mbuf { ptr, _pool: PhantomData }
    }

    /// Packets in the pool and in lcore caches (`rte_mempool_avail_count`).
    #[doc(alias = "rte_mempool_avail_count")]
    pub fn available(&self) -> u32 {
        self.raw.available()
    }

    /// Packets handed out (`rte_mempool_in_use_count`), including those held by ports'
    /// RX rings.
    #[doc(alias = "rte_mempool_in_use_count")]
    pub fn in_use(&self) -> u32 {
        self.raw.in_use()
    }

    /// How many packets the pool has.
    pub fn capacity(&self) -> u32 {
        self.raw.capacity()
    }

    /// Bytes of data room per packet, headroom included (`rte_pktmbuf_data_room_size`).
    #[doc(alias = "rte_pktmbuf_data_room_size")]
    pub fn data_room(&self) -> u16 {
        // SAFETY: a live packet pool.
        unsafe { ffi::rte_pktmbuf_data_room_size(self.raw.mp.as_ptr()) }
    }

    /// Name, counts, sizes and the socket asked for.
    pub fn info(&self) -> PoolInfo {
        self.raw.info()
    }

    /// The socket the pool's memory is on (from DPDK's memsegs of its first packet), or
    /// `None` when DPDK cannot tell.
    pub fn socket(&self) -> Option<SocketId> {
        self.raw.socket()
    }

    /// The raw pool, for DPDK calls this crate does not wrap.
    pub fn as_ptr(&self) -> *mut ffi::rte_mempool {
        self.raw.mp.as_ptr()
    }
}

impl Drop for PktMbufPool {
    fn drop(&mut self) {
        let out = self.in_use();
        if out != 0 {
            log::warn!(
                "mbuf pool {:?} freed with {out} packets out (given up with into_raw)",
                self.info().name
            );
        }
        // SAFETY: freed once; packets and ports borrowing the pool are gone.
        unsafe { ffi::rte_mempool_free(self.raw.mp.as_ptr()) };
    }
}

impl fmt::Debug for PktMbufPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PktMbufPool").field(&self.info()).finish()
    }
}

mod burst;
mod packet;

use crate::inline::mbuf::{free_bulk, reset};
pub use burst::Burst;
pub use packet::Mbuf;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_was_missing() {
        let e = MbufError::NoTailroom { requested: 10, available: 4 };
        assert_eq!(e.to_string(), "cannot append 10 bytes: 4 bytes of tailroom");
        assert!(MbufError::TooShort { requested: 3, available: 1 }.to_string().contains("holds 1"));
    }

    #[test]
    fn an_mbuf_is_a_pointer() {
        assert_eq!(std::mem::size_of::<Mbuf<'static>>(), std::mem::size_of::<*mut u8>());
        assert_eq!(std::mem::size_of::<Option<Mbuf<'static>>>(), std::mem::size_of::<*mut u8>());
    }
}
