/*
 * C side of the ring rows, mirroring ring_perf_autotest (app/test/test_ring_perf.c):
 * enqueue then dequeue on one core, the size held in a variable, and two-core
 * producer/consumer loops. Each function returns TSC ticks (0 on an unexpected failure).
 */
#include <rte_cycles.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

/* The loops of bench_c_ring_pair for one element size, given as a constant so that the
 * compiler specialises DPDK's inline copy for it, as it does in ring_perf_autotest. */
#define PAIR_LOOPS(ES)                                                                    \
	do {                                                                              \
		if (single && bulk) {                                                     \
			for (uint64_t i = 0; i < iters; i++) {                            \
				if (rte_ring_sp_enqueue_bulk_elem(r, table, ES, n, NULL) != n) \
					return 0;                                         \
				if (rte_ring_sc_dequeue_bulk_elem(r, table, ES, n, NULL) != n) \
					return 0;                                         \
			}                                                                 \
		} else if (single) {                                                      \
			for (uint64_t i = 0; i < iters; i++) {                            \
				if (rte_ring_sp_enqueue_burst_elem(r, table, ES, n, NULL) != n) \
					return 0;                                         \
				if (rte_ring_sc_dequeue_burst_elem(r, table, ES, n, NULL) != n) \
					return 0;                                         \
			}                                                                 \
		} else if (bulk) {                                                        \
			for (uint64_t i = 0; i < iters; i++) {                            \
				if (rte_ring_mp_enqueue_bulk_elem(r, table, ES, n, NULL) != n) \
					return 0;                                         \
				if (rte_ring_mc_dequeue_bulk_elem(r, table, ES, n, NULL) != n) \
					return 0;                                         \
			}                                                                 \
		} else {                                                                  \
			for (uint64_t i = 0; i < iters; i++) {                            \
				if (rte_ring_mp_enqueue_burst_elem(r, table, ES, n, NULL) != n) \
					return 0;                                         \
				if (rte_ring_mc_dequeue_burst_elem(r, table, ES, n, NULL) != n) \
					return 0;                                         \
			}                                                                 \
		}                                                                         \
	} while (0)

/* `iters` times: enqueue `n` elements of `esize` (8 or 16) bytes from a table and dequeue
 * them back (bulk when `bulk`, else burst), single-producer/consumer calls when `single`. */
uint64_t bench_c_ring_pair(struct rte_ring *r, unsigned int esize, unsigned int n, int single,
			   int bulk, uint64_t iters)
{
	uint64_t table[2 * 64];
	uint64_t start = rte_rdtsc();
	if (esize == 8)
		PAIR_LOOPS(8);
	else
		PAIR_LOOPS(16);
	return rte_rdtsc() - start;
}

/* `iters` bulk dequeues of `n` from an empty ring (they all fail). */
uint64_t bench_c_ring_empty_dequeue(struct rte_ring *r, unsigned int esize, unsigned int n,
				    int single, uint64_t iters)
{
	uint64_t table[2 * 64];
	unsigned int got = 0;
	uint64_t start = rte_rdtsc();
	(void)esize; /* the empty rows use 8-byte elements */
	if (single)
		for (uint64_t i = 0; i < iters; i++)
			got += rte_ring_sc_dequeue_bulk_elem(r, table, 8, n, NULL);
	else
		for (uint64_t i = 0; i < iters; i++)
			got += rte_ring_mc_dequeue_bulk_elem(r, table, 8, n, NULL);
	return got == 0 ? rte_rdtsc() - start : 0;
}

/* Two-core halves: enqueue (dequeue) `total` 8-byte values in bulks of `n`, pausing and
 * retrying while the ring is full (empty), as ring_perf_autotest's two-core loop does. */
void bench_c_ring_produce(struct rte_ring *r, unsigned int n, int single, uint64_t total)
{
	void *table[64] = {0};
	for (uint64_t done = 0; done < total; ) {
		unsigned int k = single ? rte_ring_sp_enqueue_bulk(r, table, n, NULL)
					: rte_ring_mp_enqueue_bulk(r, table, n, NULL);
		if (k == 0)
			rte_pause();
		done += k;
	}
}

void bench_c_ring_consume(struct rte_ring *r, unsigned int n, int single, uint64_t total)
{
	void *table[64];
	for (uint64_t done = 0; done < total; ) {
		unsigned int k = single ? rte_ring_sc_dequeue_bulk(r, table, n, NULL)
					: rte_ring_mc_dequeue_bulk(r, table, n, NULL);
		if (k == 0)
			rte_pause();
		done += k;
	}
}
