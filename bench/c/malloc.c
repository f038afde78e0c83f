/*
 * C side of the malloc rows: rte_malloc_socket + rte_free of one size, as
 * malloc_perf_autotest times them, compiled into the benchmark binary.
 */
#include <rte_cycles.h>
#include <rte_malloc.h>

/* `iters` times: allocate `size` bytes on `socket` (cache-line aligned, with the type tag
 * SocketBox uses) and free them. Returns the TSC ticks taken, or 0 on a failed allocation. */
uint64_t bench_c_malloc_free(size_t size, int socket, uint64_t iters)
{
	uint64_t start = rte_rdtsc();
	for (uint64_t i = 0; i < iters; i++) {
		void *p = rte_malloc_socket("SocketBox", size, 64, socket);
		if (p == NULL)
			return 0;
		rte_free(p);
	}
	return rte_rdtsc() - start;
}
