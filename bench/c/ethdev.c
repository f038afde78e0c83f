/*
 * C side of the packet I/O rows: the same loops as the Rust side, compiled into the same
 * benchmark binary, through DPDK's own inline functions.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

/* `iters` times: rte_pktmbuf_alloc of one packet and rte_pktmbuf_free of it. */
uint64_t bench_c_pktmbuf_alloc_free_one(struct rte_mempool *mp, uint64_t iters)
{
	uint64_t start = rte_rdtsc();
	for (uint64_t i = 0; i < iters; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		if (m == NULL)
			return 0;
		rte_pktmbuf_free(m);
	}
	return rte_rdtsc() - start;
}

/* `iters` times: rte_pktmbuf_alloc_bulk of `n` packets and rte_pktmbuf_free_bulk. */
uint64_t bench_c_pktmbuf_bulk(struct rte_mempool *mp, unsigned int n, uint64_t iters)
{
	struct rte_mbuf *pkts[512];
	uint64_t start = rte_rdtsc();
	for (uint64_t i = 0; i < iters; i++) {
		if (rte_pktmbuf_alloc_bulk(mp, pkts, n) != 0)
			return 0;
		rte_pktmbuf_free_bulk(pkts, n);
	}
	return rte_rdtsc() - start;
}

/*
 * `iters` times: rte_eth_rx_burst of up to `n` packets on queue 0 of `port`, then
 * rte_eth_tx_burst of them on its queue 0; packets the device did not take are freed.
 * Returns the ticks taken, or 0 if a receive came back empty.
 */
uint64_t bench_c_rx_tx_burst(uint16_t port, uint16_t n, uint64_t iters)
{
	struct rte_mbuf *pkts[512];
	uint64_t start = rte_rdtsc();
	for (uint64_t i = 0; i < iters; i++) {
		uint16_t got = rte_eth_rx_burst(port, 0, pkts, n);
		if (got == 0)
			return 0;
		uint16_t sent = rte_eth_tx_burst(port, 0, pkts, got);
		if (sent < got)
			rte_pktmbuf_free_bulk(&pkts[sent], got - sent);
	}
	return rte_rdtsc() - start;
}
