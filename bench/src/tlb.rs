//! The seed's headline, measured: dependent random 8-byte reads over a 1 GiB array in a
//! `SocketBox<[u64]>` on 2 MiB hugepages against the same array on 4 KiB pages. The
//! indexes follow a full-period generator over all 2^27 elements, and each next index
//! adds the value just read (zero, but the CPU cannot know), so every read pays its full
//! latency, including the page walk when the TLB misses (1 GiB spans 512 hugepages but
//! 262,144 ordinary pages).

use std::hint::black_box;

use dpdk::{SocketBox, SocketId};

use crate::{rdtsc, Rig};

/// 1 GiB of `u64`.
const LEN: usize = 1 << 27;

/// `iters` dependent reads starting where the last run stopped; returns ticks.
fn chase(data: &[u64], at: &mut usize, iters: u64) -> u64 {
    let mask = data.len() - 1;
    // An LCG with full period modulo a power of two (multiplier = 1 mod 4, odd increment).
    const A: usize = 6364136223846793005;
    const C: usize = 1442695040888963407;
    let mut i = *at;
    let start = rdtsc();
    for _ in 0..iters {
        i = (i.wrapping_mul(A).wrapping_add(C).wrapping_add(data[i] as usize)) & mask;
    }
    let ticks = rdtsc() - start;
    *at = black_box(i);
    ticks
}

/// 1 GiB of ordinary pages from `mmap`, with transparent hugepages refused for it, so
/// the row shows 4 KiB pages whatever `/sys/kernel/mm/transparent_hugepage/enabled` says.
struct SmallPages {
    ptr: *mut u64,
}

impl SmallPages {
    fn new() -> Option<Self> {
        // SAFETY: a fresh private anonymous mapping, checked below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                LEN * 8,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        // SAFETY: advice on our own, not yet touched, mapping.
        if unsafe { libc::madvise(ptr, LEN * 8, libc::MADV_NOHUGEPAGE) } != 0 {
            eprintln!("madvise(MADV_NOHUGEPAGE) failed; the mapping may get transparent hugepages");
        }
        let mut pages = SmallPages { ptr: ptr.cast() };
        // Touch every page (an untouched page would read as the shared zero page).
        pages.as_mut().fill(0);
        Some(pages)
    }

    fn as_mut(&mut self) -> &mut [u64] {
        // SAFETY: LEN u64s of our own zero-filled mapping.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, LEN) }
    }

    fn as_slice(&self) -> &[u64] {
        // SAFETY: as in `as_mut`.
        unsafe { std::slice::from_raw_parts(self.ptr, LEN) }
    }
}

impl Drop for SmallPages {
    fn drop(&mut self) {
        // SAFETY: unmaps our own mapping once.
        unsafe { libc::munmap(self.ptr.cast(), LEN * 8) };
    }
}

/// The row, or a notice when 1 GiB of hugepage memory is not to be had.
pub fn rows(rig: &mut Rig, socket: SocketId, hugepages: bool) {
    let name = "random 8 B reads over 1 GiB";
    if !rig.selected(name) {
        return;
    }
    if !hugepages {
        println!("{name}: skipped, the EAL runs with --no-huge (the row compares page sizes)");
        return;
    }
    let Ok(huge) = SocketBox::<[u64]>::try_new_zeroed_slice(LEN, socket) else {
        println!("{name}: skipped, 1 GiB of free hugepage memory is needed (cargo xtask bench reserves it)");
        return;
    };
    // SAFETY: zeroed memory is a valid [u64].
    let huge = unsafe { huge.assume_init() };
    let Some(small) = SmallPages::new() else {
        println!("{name}: skipped, mmap of 1 GiB failed");
        return;
    };
    let thp =
        std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").unwrap_or_default();
    println!("(transparent hugepages: {}; the Vec opts out with MADV_NOHUGEPAGE)", thp.trim());
    let (mut at_huge, mut at_small) = (0usize, 0usize);
    rig.pair(
        &format!("{name} (dependent)"),
        ("2MiB-pages", "4KiB-pages"),
        true,
        1_000_000,
        1,
        Box::new(|iters| Some(chase(&huge, &mut at_huge, iters))),
        Box::new(|iters| Some(chase(small.as_slice(), &mut at_small, iters))),
    );
}
