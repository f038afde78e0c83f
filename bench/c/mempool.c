/*
 * C side of the mempool rows: the same loops as the Rust side, compiled into the same
 * benchmark binary. Counts come in as arguments (not compile-time constants), as in
 * DPDK's mempool_perf_autotest with its variable n_get_bulk.
 */
#include <rte_cycles.h>
#include <rte_mempool.h>

/* `iters` times: get `n` objects from the pool with rte_mempool_get_bulk and put them
 * back with rte_mempool_put_bulk. Returns the TSC ticks taken, or 0 if a get failed. */
uint64_t bench_c_mempool_get_put_bulk(struct rte_mempool *mp, unsigned int n, uint64_t iters)
{
	void *objs[512];
	uint64_t start = rte_rdtsc();
	for (uint64_t i = 0; i < iters; i++) {
		if (rte_mempool_get_bulk(mp, objs, n) != 0)
			return 0;
		rte_mempool_put_bulk(mp, objs, n);
	}
	return rte_rdtsc() - start;
}
