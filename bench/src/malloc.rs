//! Rows of the memory issue: `SocketBox` allocation against `rte_malloc_socket` in C,
//! and the seed's headline, random reads over 1 GiB on hugepages against 4 KiB pages.

use std::hint::black_box;

use dpdk::{SocketBox, SocketId};

use crate::{rdtsc, Rig};

extern "C" {
    fn bench_c_malloc_free(size: usize, socket: i32, iters: u64) -> u64;
}

/// `SocketBox::new_uninit` + drop (fixed-size types) and the slice variant, against
/// `rte_malloc_socket` + `rte_free` in C, at 64 B, 1 KiB and 64 KiB.
pub fn rows(rig: &mut Rig, socket: SocketId) {
    fn fixed<const N: usize>(socket: SocketId) -> impl FnMut(u64) -> Option<u64> {
        move |iters| {
            let start = rdtsc();
            for _ in 0..iters {
                let b = SocketBox::<[u8; N]>::try_new_uninit(socket).ok()?;
                drop(black_box(b));
            }
            Some(rdtsc() - start)
        }
    }
    let c = |size: usize| {
        move |iters| {
            // SAFETY: allocates and frees in C; no memory crosses to Rust.
            let ticks = unsafe { bench_c_malloc_free(size, socket.as_raw(), iters) };
            (ticks > 0).then_some(ticks)
        }
    };
    rig.row(
        "malloc 64 B: SocketBox::new_uninit+drop",
        200_000,
        1,
        Box::new(fixed::<64>(socket)),
        Box::new(c(64)),
    );
    rig.row(
        "malloc 1 KiB: SocketBox::new_uninit+drop",
        200_000,
        1,
        Box::new(fixed::<1024>(socket)),
        Box::new(c(1024)),
    );
    let slice = move |iters| {
        let start = rdtsc();
        for _ in 0..iters {
            let b = SocketBox::<[u8]>::try_new_uninit_slice(65536, socket, 64).ok()?;
            drop(black_box(b));
        }
        Some(rdtsc() - start)
    };
    rig.row(
        "malloc 64 KiB: SocketBox<[u8]> uninit+drop",
        50_000,
        1,
        Box::new(slice),
        Box::new(c(65536)),
    ); // Two controls: the same call through the raw FFI (no wrapper), and C against itself,
       // which shows how much of a ratio is the heap's own run-to-run noise.
    let raw = move |iters| {
        let start = rdtsc();
        for _ in 0..iters {
            // SAFETY: allocates 64 bytes and frees them at once.
            unsafe {
                let p =
                    dpdk::ffi::rte_malloc_socket(c"SocketBox".as_ptr(), 64, 64, socket.as_raw());
                if p.is_null() {
                    return None;
                }
                dpdk::ffi::rte_free(black_box(p));
            }
        }
        Some(rdtsc() - start)
    };
    rig.row("malloc 64 B control: raw FFI", 200_000, 1, Box::new(raw), Box::new(c(64)));
    rig.pair(
        "malloc 64 B control: C vs C",
        ("C", "C"),
        false,
        200_000,
        1,
        Box::new(c(64)),
        Box::new(c(64)),
    );
}
