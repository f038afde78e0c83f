//! Mirrors of `rte_ring_elem_pvt.h` and `rte_ring_c11_pvt.h`: multi- and
//! single-producer/consumer enqueue and dequeue (`__rte_ring_do_enqueue_elem` /
//! `__rte_ring_do_dequeue_elem`: the head move, the element copy, the tail update), on
//! `RingPtr`, the raw ring every ring type of this crate is built on.

use std::mem::MaybeUninit;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::eal::Eal;
use crate::error::{check_name, Call, Error, Result};
use crate::ffi;
use crate::ring::*;
use crate::SocketId;

/// The ring pointer and DPDK's algorithms on it. A copy is valid while the [`RawRing`] it
/// came from lives: each end keeps one next to its `Arc` of the ring, so that the fast
/// paths reach the ring in one load rather than through the `Arc` (after a locked
/// instruction every load on that chain waits its turn).
#[derive(Clone, Copy)]
pub(crate) struct RingPtr {
    pub(crate) r: NonNull<ffi::rte_ring>,
    pub(crate) esize: u32,
}

/// Slots `old..new` (`n` of them, wrapping) claimed by moving a head.
#[derive(Clone, Copy)]
pub(crate) struct Claim {
    pub(crate) old: u32,
    pub(crate) n: u32,
    pub(crate) new: u32,
    /// The room seen when claiming (`n` of it taken).
    pub(crate) room: u32,
}

/// An owned reference to a ring: its pointer and a hold on the EAL.
pub(crate) struct RawRing {
    pub(crate) ptr: RingPtr,
    pub(crate) _eal: Eal,
}

impl std::ops::Deref for RawRing {
    type Target = RingPtr;
    #[inline(always)]
    fn deref(&self) -> &RingPtr {
        &self.ptr
    }
}

// SAFETY: the pointer refers to DPDK shared memory usable from any thread; which
// operations may run concurrently is governed by the Producer/Consumer types.
unsafe impl Send for RawRing {}
// SAFETY: as above.
unsafe impl Sync for RawRing {}

#[inline(always)]
pub(crate) fn atomic(p: *mut u32) -> &'static AtomicU32 {
    // SAFETY: `p` points at a live, aligned u32 of a ring's head/tail, which every party
    // accesses atomically (DPDK's C uses volatile accesses and lock cmpxchg on x86).
    unsafe { AtomicU32::from_ptr(p) }
}

impl RawRing {
    pub(crate) fn create(
        name: &str,
        esize: u32,
        count: u32,
        socket: SocketId,
        flags: u32,
    ) -> Result<RawRing> {
        let call = || {
            Call::new(
                "rte_ring_create_elem",
                format!(
                    "name={name:?}, esize={esize}, count={count}, socket={}, flags={flags:#x}",
                    socket.as_raw()
                ),
            )
        };
        let cname = check_name(name, NAME_MAX, call)?;
        if name.starts_with(crate::vdev::NET_RING_PREFIX) {
            // net_ring takes over existing rings of these names for a new port, which
            // would then hand out whatever this ring holds as packets.
            return Err(Error::InvalidName {
                call: call(),
                name: name.into(),
                reason: "names starting with ETH_RXTX are net_ring's own",
            });
        }
        let invalid = |message: String| Error::InvalidArgument { call: call(), message };
        if count == 0 {
            return Err(invalid("a ring needs a count of at least 1".into()));
        }
        if count > COUNT_MAX {
            return Err(invalid(format!("count {count} is above DPDK's maximum {COUNT_MAX}")));
        }
        if flags & ffi::RING_F_EXACT_SZ == 0 && !count.is_power_of_two() {
            return Err(invalid(format!("count {count} is not a power of two (use exact_size)")));
        }
        if esize == 0 || esize % 4 != 0 {
            return Err(invalid(format!("element size {esize} is not a multiple of 4")));
        }
        let eal = Eal::current()?;
        // SAFETY: NUL-terminated name, checked arguments.
        let r = unsafe {
            ffi::rte_ring_create_elem(cname.as_ptr(), esize, count, socket.as_raw(), flags)
        };
        let r = NonNull::new(r).ok_or_else(|| Error::from_rte_errno(call()))?;
        Ok(RawRing { ptr: RingPtr { r, esize }, _eal: eal })
    }
}

impl RingPtr {
    pub(crate) fn ring(&self) -> *mut ffi::rte_ring {
        self.r.as_ptr()
    }

    /// `(head, tail)` of the producer (`prod`) or consumer side.
    #[inline(always)]
    pub(crate) fn sides(&self) -> (*mut ffi::rte_ring_headtail, *mut ffi::rte_ring_headtail) {
        let r = self.r.as_ptr();
        // SAFETY: the headtails live inside the live ring (the unions' first member).
        unsafe {
            (
                std::ptr::addr_of_mut!((*r).__bindgen_anon_1.prod),
                std::ptr::addr_of_mut!((*r).__bindgen_anon_2.cons),
            )
        }
    }

    #[inline(always)]
    pub(crate) fn data(&self) -> *mut u8 {
        // SAFETY: DPDK places the elements right after the ring header.
        unsafe { self.r.as_ptr().add(1).cast() }
    }

    /// Moves this side's head (the producer's when `PROD`) by up to `n` slots, all of them
    /// or none when `fixed`, and returns the slots claimed, or (when it claimed none) the
    /// room it saw: DPDK's `__rte_ring_move_prod_head` / `__rte_ring_move_cons_head`. The
    /// producer may go `capacity` past the consumer's tail, the consumer up to the
    /// producer's tail.
    ///
    /// The claimed slots are the caller's to write (read) until [`publish`](Self::publish).
    ///
    /// # Safety
    /// The caller may act on this side in the ring's mode for it: `single` only with
    /// exclusive access to the side.
    #[inline(always)]
    pub(crate) unsafe fn claim<const PROD: bool>(
        &self,
        n: u32,
        fixed: bool,
        single: bool,
    ) -> std::result::Result<Claim, u32> {
        // SAFETY: per the contract; the head of a live ring.
        unsafe {
            let head = self.head::<PROD>();
            // The orderings are those of DPDK 25.11's C11 ring (rte_ring_c11_pvt.h,
            // __rte_ring_headtail_move_head), the strictest of the releases we support:
            // acquire on our head (A0, so their tail is read after it), acquire on their
            // tail (A1), release/acquire on the head's compare-and-swap (R1/A2). On x86
            // they compile to what the generic C ring does (plain loads, `lock cmpxchg`).
            let old = head.load(Ordering::Acquire);
            let c = self.measure::<PROD>(old, n, fixed)?;
            if single {
                head.store(c.new, Ordering::Relaxed);
                return Ok(c);
            }
            // One attempt here; another side's claim in between sends us to the retry
            // loop, out of line, so that the path of a poll that finds nothing (the hot
            // path of an idle consumer) is straight: two loads, a compare, no loop.
            match head.compare_exchange_weak(old, c.new, Ordering::Release, Ordering::Acquire) {
                Ok(_) => Ok(c),
                Err(now) => self.claim_contended::<PROD>(now, n, fixed),
            }
        }
    }

    /// [`claim`](Self::claim)'s retry loop for a multi-thread side, after a compare-and-swap
    /// lost to another thread (which costs a contended cache line already).
    ///
    /// # Safety
    /// As for `claim` with `single == false`.
    #[cold]
    #[inline(never)]
    pub(crate) unsafe fn claim_contended<const PROD: bool>(
        &self,
        mut old: u32,
        n: u32,
        fixed: bool,
    ) -> std::result::Result<Claim, u32> {
        // SAFETY: per the contract.
        unsafe {
            let head = self.head::<PROD>();
            loop {
                let c = self.measure::<PROD>(old, n, fixed)?;
                match head.compare_exchange_weak(old, c.new, Ordering::Release, Ordering::Acquire) {
                    Ok(_) => return Ok(c),
                    Err(now) => old = now,
                }
            }
        }
    }

    /// This side's head (the producer's when `PROD`).
    #[inline(always)]
    pub(crate) fn head<const PROD: bool>(&self) -> &AtomicU32 {
        let (prod, cons) = self.sides();
        let mine = if PROD { prod } else { cons };
        // SAFETY: the head of a live ring, only ever accessed atomically by this crate.
        unsafe { atomic(std::ptr::addr_of_mut!((*mine).head)) }
    }

    /// The claim of up to `n` slots from head `old` (all of them or none when `fixed`),
    /// given the other side's tail now; or, when none can be had, the room seen.
    ///
    /// # Safety
    /// A live ring (the fields are read atomically).
    #[inline(always)]
    pub(crate) unsafe fn measure<const PROD: bool>(
        &self,
        old: u32,
        n: u32,
        fixed: bool,
    ) -> std::result::Result<Claim, u32> {
        let (prod, cons) = self.sides();
        let theirs = if PROD { cons } else { prod };
        // SAFETY: fields of a live ring.
        unsafe {
            let base = if PROD { (*self.r.as_ptr()).capacity } else { 0 };
            // Read after our head (acquired by the caller), as the C ring's A1.
            let tail = atomic(std::ptr::addr_of_mut!((*theirs).tail)).load(Ordering::Acquire);
            let room = base.wrapping_add(tail).wrapping_sub(old);
            // Too little room: a bulk takes nothing, a burst what there is. (Written as
            // branches on `n > room` first: a failed bulk is then two compares.)
            let n = if n > room {
                if fixed || room == 0 {
                    return Err(room);
                }
                room
            } else if n == 0 {
                return Err(room);
            } else {
                n
            };
            Ok(Claim { old, n, new: old.wrapping_add(n), room })
        }
    }

    /// Hands the slots of `claim` on to the other side once earlier claims of this side
    /// are published: DPDK's `__rte_ring_update_tail`.
    ///
    /// # Safety
    /// `claim` came from [`claim`](Self::claim) with the same `PROD` and `single`, and its
    /// slots were written (read) in full.
    #[inline(always)]
    pub(crate) unsafe fn publish<const PROD: bool>(&self, claim: Claim, single: bool) {
        let (prod, cons) = self.sides();
        let mine = if PROD { prod } else { cons };
        // SAFETY: per the contract; the tail of a live ring.
        unsafe { update_tail(std::ptr::addr_of_mut!((*mine).tail), claim.old, claim.new, single) }
    }

    /// The slot of index `head` (masked), for elements of type `E`.
    ///
    /// # Safety
    /// The ring's element size is `size_of::<E>()`.
    #[inline(always)]
    pub(crate) unsafe fn slot<E>(&self, head: u32) -> *mut E {
        // SAFETY: head & mask < size, and the ring has `size` slots of size_of::<E>().
        unsafe { self.data().cast::<E>().add((head & (*self.r.as_ptr()).mask) as usize) }
    }

    /// Enqueues the one value `value` in mode `P`; whether it went in.
    ///
    /// The value is stored straight from where it is (a register, usually): copying it
    /// through memory first would make the slot's wide load wait on the value's narrow
    /// stores (a failed store-to-load forward, about ten cycles).
    ///
    /// # Safety
    /// The ring's element size is `size_of::<E>()`; producer mode as in `enqueue`.
    #[inline(always)]
    pub(crate) unsafe fn enqueue_value<P: SyncMode, E: Copy>(&self, value: E) -> bool {
        // SAFETY: per the contract; the one slot from the old head is ours to write.
        unsafe {
            if P::PORTED {
                let Ok(c) = self.claim::<true>(1, true, P::SINGLE) else { return false };
                self.slot::<E>(c.old).write_unaligned(value);
                self.publish::<true>(c, P::SINGLE);
                true
            } else {
                self.enqueue::<P>((&value as *const E).cast(), 1, true, std::mem::size_of::<E>()).0
                    == 1
            }
        }
    }

    /// Dequeues one value in mode `C`.
    ///
    /// # Safety
    /// The ring's element size is `size_of::<E>()` and its slots hold `E`s; consumer mode
    /// as in `dequeue`.
    #[inline(always)]
    pub(crate) unsafe fn dequeue_value<C: SyncMode, E: Copy>(&self) -> Option<E> {
        let mut value = MaybeUninit::<E>::uninit();
        // SAFETY: per the contract; the one slot from the old head is ours to read.
        unsafe {
            let got = if C::PORTED {
                let c = self.claim::<false>(1, true, C::SINGLE).ok()?;
                value.write(self.slot::<E>(c.old).read_unaligned());
                self.publish::<false>(c, C::SINGLE);
                1
            } else {
                self.dequeue::<C>(value.as_mut_ptr().cast(), 1, true, std::mem::size_of::<E>())
            };
            (got == 1).then(|| value.assume_init())
        }
    }

    /// Copies `n` elements from `src` into the slots from index `head`, wrapping.
    #[inline(always)]
    pub(crate) unsafe fn copy_in(&self, head: u32, src: *const u8, n: u32, es: usize) {
        // SAFETY: the slots head..head+n belong to this producer after moving the head;
        // the ring has `size` slots of `esize` bytes.
        unsafe {
            let r = self.r.as_ptr();
            let (size, idx) = ((*r).size, head & (*r).mask);
            let src = opaque(src);
            let dst = self.data().add(idx as usize * es);
            if idx + n <= size {
                copy_elems(src, dst, n as usize, es);
            } else {
                let first = (size - idx) as usize;
                copy_elems(src, dst, first, es);
                copy_elems(src.add(first * es), self.data(), n as usize - first, es);
            }
        }
    }

    /// Copies `n` elements from the slots from index `head` into `dst`, wrapping.
    #[inline(always)]
    pub(crate) unsafe fn copy_out(&self, head: u32, dst: *mut u8, n: u32, es: usize) {
        // SAFETY: the slots head..head+n belong to this consumer after moving the head.
        unsafe {
            let r = self.r.as_ptr();
            let (size, idx) = ((*r).size, head & (*r).mask);
            let src = self.data().add(idx as usize * es);
            let dst = opaque(dst).cast_mut();
            if idx + n <= size {
                copy_elems(src, dst, n as usize, es);
            } else {
                let first = (size - idx) as usize;
                copy_elems(src, dst, first, es);
                copy_elems(self.data(), dst.add(first * es), n as usize - first, es);
            }
        }
    }

    /// Enqueue in mode `P` (ported algorithm or DPDK's dispatch by the ring's sync type);
    /// returns how many went in and the free slots left (all there were when none went
    /// in: a failed bulk enqueue reports the room it saw, at no further cost).
    #[inline(always)]
    pub(crate) unsafe fn enqueue<P: SyncMode>(
        &self,
        src: *const u8,
        n: u32,
        fixed: bool,
        es: usize,
    ) -> (u32, u32) {
        // SAFETY: per the callers' contracts (the Producer types).
        unsafe {
            if P::PORTED {
                let c = match self.claim::<true>(n, fixed, P::SINGLE) {
                    Ok(c) => c,
                    Err(room) => return (0, room),
                };
                self.copy_in(c.old, src, c.n, es);
                self.publish::<true>(c, P::SINGLE);
                // The room seen, less what was claimed (as DPDK's free_space is).
                (c.n, c.room - c.n)
            } else {
                let mut free = 0;
                let f = if fixed {
                    ffi::rte_ring_enqueue_bulk_elem
                } else {
                    ffi::rte_ring_enqueue_burst_elem
                };
                (f(self.ring(), src.cast(), self.esize, n, &mut free), free)
            }
        }
    }

    /// Dequeue in mode `C`.
    #[inline(always)]
    pub(crate) unsafe fn dequeue<C: SyncMode>(
        &self,
        dst: *mut u8,
        n: u32,
        fixed: bool,
        es: usize,
    ) -> u32 {
        // SAFETY: per the callers' contracts (the Consumer types).
        unsafe {
            if C::PORTED {
                let Ok(c) = self.claim::<false>(n, fixed, C::SINGLE) else { return 0 };
                self.copy_out(c.old, dst, c.n, es);
                self.publish::<false>(c, C::SINGLE);
                c.n
            } else if fixed {
                ffi::rte_ring_dequeue_bulk_elem(
                    self.ring(),
                    dst.cast(),
                    self.esize,
                    n,
                    std::ptr::null_mut(),
                )
            } else {
                ffi::rte_ring_dequeue_burst_elem(
                    self.ring(),
                    dst.cast(),
                    self.esize,
                    n,
                    std::ptr::null_mut(),
                )
            }
        }
    }

    pub(crate) fn count(&self) -> u32 {
        // SAFETY: a live ring.
        unsafe { ffi::rte_ring_count(self.ring()) }
    }

    pub(crate) fn capacity(&self) -> u32 {
        // SAFETY: a live ring.
        unsafe { ffi::rte_ring_get_capacity(self.ring()) }
    }

    pub(crate) fn name(&self) -> String {
        // SAFETY: DPDK keeps the name NUL-terminated.
        unsafe { std::ffi::CStr::from_ptr((*self.ring()).name.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    }
}

/// The same pointer, with what the optimiser knew about it forgotten (no instruction).
///
/// A caller's buffer (`&[E]` to enqueue, or a local array to dequeue into) is known not to
/// alias the ring, and with that knowledge LLVM turns the element copy into a call to
/// libc's `memcpy`, which costs more than the whole ring operation for a few elements;
/// without it, the copy stays an inline vector loop, as DPDK's is.
#[inline(always)]
pub(crate) fn opaque(mut p: *const u8) -> *const u8 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: an empty asm that only claims to change a register.
    unsafe {
        std::arch::asm!("/* {0} */", inout(reg) p, options(pure, readonly, nostack, preserves_flags));
    }
    p
}

/// `__rte_ring_update_tail`: wait for earlier producers (consumers) to publish, then
/// publish ours.
#[inline(always)]
pub(crate) unsafe fn update_tail(tail: *mut u32, old: u32, new: u32, single: bool) {
    let tail = atomic(tail);
    if !single {
        while tail.load(Ordering::Relaxed) != old {
            std::hint::spin_loop();
        }
    }
    tail.store(new, Ordering::Release);
}

/// A bulk's count as DPDK takes it, or `None` above `u32::MAX` (more than any ring holds,
/// so such a bulk never fits, and must not be cut down to its low 32 bits).
#[inline(always)]
pub(crate) fn bulk_count(len: usize) -> Option<u32> {
    u32::try_from(len).ok()
}

/// A burst's count as DPDK takes it: a burst moves what it can, so it is capped.
#[inline(always)]
pub(crate) fn burst_count(len: usize) -> u32 {
    len.min(u32::MAX as usize) as u32
}

/// Copies `n` elements of `es` bytes (a multiple of 4): fixed-size moves for the common
/// sizes, as DPDK's `__rte_ring_enqueue_elems_64/128` do. The moves are of `MaybeUninit`
/// words: an element may have padding, which is not an integer.
#[inline(always)]
pub(crate) unsafe fn copy_elems(src: *const u8, dst: *mut u8, n: usize, es: usize) {
    // SAFETY: both ranges hold n * es bytes and do not overlap (ring vs caller memory).
    unsafe {
        match es {
            8 => {
                let (s, d) = (src.cast::<MaybeUninit<u64>>(), dst.cast::<MaybeUninit<u64>>());
                for i in 0..n {
                    d.add(i).write_unaligned(s.add(i).read_unaligned());
                }
            }
            16 => {
                let (s, d) = (src.cast::<MaybeUninit<u128>>(), dst.cast::<MaybeUninit<u128>>());
                for i in 0..n {
                    d.add(i).write_unaligned(s.add(i).read_unaligned());
                }
            }
            _ => std::ptr::copy_nonoverlapping(src, dst, n * es),
        }
    }
}
