/*
 * C side of the mempool rows: the same loops as the Rust side, compiled into the same
 * benchmark binary. Counts come in as arguments (not compile-time constants), as in
 * DPDK's mempool_perf_autotest with its variable n_get_bulk.
 */
#include <rte_cycles.h>
#include <rte_mempool.h>


/*
 * mempool_perf_autotest's inner loop (app/test/test_mempool_perf.c, per_lcore_mempool_test):
 * `rounds` times, get `n_keep` objects in chunks of `n_get` with rte_mempool_generic_get
 * through the lcore's default cache, then put them back in chunks of `n_put`.
 * Returns the ticks taken, or 0 if a get failed.
 */
uint64_t bench_c_mempool_perf(struct rte_mempool *mp, unsigned int n_get, unsigned int n_put,
			      unsigned int n_keep, uint64_t rounds)
{
	void *obj_table[512];
	struct rte_mempool_cache *cache = rte_mempool_default_cache(mp, rte_lcore_id());
	uint64_t start = rte_rdtsc();
	for (uint64_t r = 0; r < rounds; r++) {
		unsigned int idx;
		for (idx = 0; idx < n_keep; idx += n_get)
			if (rte_mempool_generic_get(mp, &obj_table[idx], n_get, cache) < 0)
				return 0;
		for (idx = 0; idx < n_keep; idx += n_put)
			rte_mempool_generic_put(mp, &obj_table[idx], n_put, cache);
	}
	return rte_rdtsc() - start;
}

/* `iters` times: rte_mempool_get of one object and rte_mempool_put of it. */
uint64_t bench_c_mempool_get_put_one(struct rte_mempool *mp, uint64_t iters)
{
	void *obj;
	uint64_t start = rte_rdtsc();
	for (uint64_t i = 0; i < iters; i++) {
		if (rte_mempool_get(mp, &obj) < 0)
			return 0;
		rte_mempool_put(mp, obj);
	}
	return rte_rdtsc() - start;
}
