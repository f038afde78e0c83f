//! Mirrors of `rte_mbuf.h`: `rte_pktmbuf_reset` (and, from 25.11, `rte_mbuf_raw_reset_bulk`)
//! after `rte_mbuf_raw_alloc(_bulk)`, and the plain case of `rte_pktmbuf_prefree_seg` /
//! `rte_pktmbuf_free_seg` under `rte_pktmbuf_free` and `rte_pktmbuf_free_bulk`.

use std::ffi::c_void;
use std::sync::atomic::{AtomicU16, Ordering};

use crate::ffi;
use crate::mbuf::HEADROOM;
use crate::mempool::put_any;

/// `rte_pktmbuf_reset` of 22.11: an empty single segment with the default headroom.
///
/// # Safety
/// `m` is a packet owned by the caller.
#[inline(always)]
pub(crate) unsafe fn reset(m: *mut ffi::rte_mbuf) {
    // SAFETY: per the contract.
    unsafe {
        (*m).next = std::ptr::null_mut();
        (*m).set_pkt_len(0);
        (*m).__bindgen_anon_3.tx_offload = 0;
        (*m).set_vlan_tci(0);
        (*m).set_vlan_tci_outer(0);
        (*m).set_nb_segs(1);
        (*m).set_port(ffi::RTE_MBUF_PORT_INVALID as u16);
        (*m).ol_flags &= ffi::RTE_MBUF_F_EXTERNAL;
        (*m).set_packet_type(0);
        (*m).set_data_off(HEADROOM.min((*m).buf_len()));
        (*m).set_data_len(0);
    }
}

/// Whether freeing `m` is the plain case that [`free`] handles inline: reference count
/// 1 (read atomically, as DPDK does), its own data buffer, one segment.
///
/// # Safety
/// `m` is a live packet owned by the caller.
#[inline(always)]
unsafe fn is_plain(m: *mut ffi::rte_mbuf) -> bool {
    // SAFETY: per the contract; refcnt is read with a relaxed atomic load like
    // rte_mbuf_refcnt_read.
    unsafe {
        let refcnt = AtomicU16::from_ptr(ffi::rte_mbuf::refcnt_ptr(m));
        refcnt.load(Ordering::Relaxed) == 1
            && (*m).ol_flags & (ffi::RTE_MBUF_F_INDIRECT | ffi::RTE_MBUF_F_EXTERNAL) == 0
            && (*m).next.is_null()
    }
}

/// `rte_pktmbuf_free(m)`: the plain case (see [`is_plain`]) is `rte_pktmbuf_free_seg`'s
/// inline path ported to Rust; anything else is DPDK's C.
///
/// # Safety
/// `m` is a live packet owned by the caller, freed once.
#[inline(always)]
pub(crate) unsafe fn free(m: *mut ffi::rte_mbuf) {
    // SAFETY: per the contract.
    unsafe {
        if crate::inline::MBUF && is_plain(m) {
            if (*m).nb_segs() != 1 {
                (*m).set_nb_segs(1);
            }
            let obj = m.cast::<c_void>();
            put_any((*m).pool, &obj, 1);
        } else {
            ffi::rte_pktmbuf_free(m);
        }
    }
}

/// Frees `n` packets (`rte_pktmbuf_free_bulk`): runs of plain packets of one pool go
/// back with one bulk put, like DPDK's C does.
///
/// # Safety
/// `ms` holds `n` live packets owned by the caller, freed once.
#[inline]
pub(crate) unsafe fn free_bulk(ms: *mut *mut ffi::rte_mbuf, n: usize) {
    let mut start = 0;
    while start < n {
        // SAFETY: indices below n are the caller's packets.
        unsafe {
            let first = *ms.add(start);
            if !crate::inline::MBUF || !is_plain(first) {
                ffi::rte_pktmbuf_free(first);
                start += 1;
                continue;
            }
            let pool = (*first).pool;
            let mut end = start + 1;
            while end < n {
                let m = *ms.add(end);
                if (*m).pool != pool || !is_plain(m) {
                    break;
                }
                end += 1;
            }
            for i in start..end {
                let m = *ms.add(i);
                if (*m).nb_segs() != 1 {
                    (*m).set_nb_segs(1);
                }
            }
            put_any(pool, ms.add(start).cast::<*mut c_void>(), (end - start) as u32);
            start = end;
        }
    }
}
