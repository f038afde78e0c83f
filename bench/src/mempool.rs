//! Rows of the mempool issue: `mempool_perf_autotest`'s workload (objects of 2048 bytes,
//! cache 0 and 512, bulk sizes 1, 4, 8, 32, n_keep 32 and 128, one core) through the
//! safe API next to the same loop in C, plus single-object get/put.

use std::hint::black_box;

use dpdk::mempool::{Mempool, MempoolOptions};
use dpdk::SocketId;

use crate::{rdtsc, Rig};

extern "C" {
    fn bench_c_mempool_perf(
        mp: *mut dpdk::ffi::rte_mempool,
        n_get: u32,
        n_put: u32,
        n_keep: u32,
        rounds: u64,
    ) -> u64;
    fn bench_c_mempool_get_put_one(mp: *mut dpdk::ffi::rte_mempool, iters: u64) -> u64;
}

/// mempool_perf_autotest's pool size for two lcores: lcores * (MAX_KEEP + 3 * cache max) - 1.
const POOL_SIZE: u32 = 2 * (128 + 3 * 512) - 1;
/// Objects moved per timed call, as the autotest's N.
const N: u64 = 65536;

type Object = [u8; 2048];

/// The safe-API version of the autotest's loop.
fn rust_perf(
    pool: &Mempool<Object>,
    n_get: usize,
    n_put: usize,
    n_keep: usize,
    rounds: u64,
) -> Option<u64> {
    let mut batch = pool.batch::<128>();
    let start = rdtsc();
    for _ in 0..rounds {
        while batch.len() < n_keep {
            batch.get_bulk(n_get).ok()?;
        }
        while !batch.is_empty() {
            batch.put_bulk(n_put);
        }
    }
    Some(rdtsc() - start)
}

/// All mempool rows.
pub fn rows(rig: &mut Rig, socket: SocketId) {
    for cache in [0u32, 512] {
        let name = format!("bench_mp_c{cache}");
        let pool: Mempool<Object> = Mempool::new_with(
            &name,
            POOL_SIZE,
            socket,
            MempoolOptions::new().cache_size(cache),
            |_| [0; 2048],
        )
        .expect("benchmark pool");
        for n_keep in [32usize, 128] {
            for n in [1usize, 4, 8, 32] {
                // Sizes reach both sides as run-time values, as in the autotest.
                let (n, n_keep) = (black_box(n), black_box(n_keep));
                let rounds = N / n_keep as u64;
                let mp = pool.as_ptr();
                rig.row(
                    &format!("mempool cache={cache} get/put={n} keep={n_keep}"),
                    rounds,
                    n_keep as u64,
                    Box::new(|r| rust_perf(&pool, n, n, n_keep, r)),
                    Box::new(move |r| {
                        // SAFETY: gets and puts objects of this pool, all of them returned.
                        let t = unsafe {
                            bench_c_mempool_perf(mp, n as u32, n as u32, n_keep as u32, r)
                        };
                        (t > 0).then_some(t)
                    }),
                );
                rig.print_rate("objects");
            }
        }
        let mp = pool.as_ptr();
        rig.row(
            &format!("mempool cache={cache} single get()+drop"),
            N,
            1,
            Box::new(|iters| {
                let start = rdtsc();
                for _ in 0..iters {
                    drop(pool.get()?);
                }
                Some(rdtsc() - start)
            }),
            Box::new(move |iters| {
                // SAFETY: gets one object of this pool and puts it back, `iters` times.
                let t = unsafe { bench_c_mempool_get_put_one(mp, iters) };
                (t > 0).then_some(t)
            }),
        );
    }
}
