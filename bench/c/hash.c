/*
 * C side of the hash rows, mirroring hash_perf_autotest (app/test/test_hash_perf.c):
 * add, lookup (with and without precomputed signatures), lookup_bulk in bursts of 16 and
 * delete over an array of keys; lookups also read a value from an array indexed by the
 * returned position, as an application (and the Rust table) does.
 */
#include <rte_cycles.h>
#include <rte_hash.h>

/* Adds `n` keys of `key_len` bytes (packed in `keys`) to an empty table, storing each
 * key's value at its position as an application (and the Rust table) does. */
uint64_t bench_c_hash_add(struct rte_hash *h, const uint8_t *keys, unsigned int key_len, unsigned int n,
			  uint32_t *values)
{
	rte_hash_reset(h);
	uint64_t start = rte_rdtsc();
	for (unsigned int i = 0; i < n; i++) {
		int32_t pos = rte_hash_add_key(h, keys + (size_t)i * key_len);
		if (pos < 0)
			return 0;
		values[pos] = i;
	}
	return rte_rdtsc() - start;
}

/* Looks `n` keys up (with signatures when `sigs` is not NULL), summing their values. */
uint64_t bench_c_hash_lookup(struct rte_hash *h, const uint8_t *keys, const hash_sig_t *sigs,
			     unsigned int key_len, unsigned int n, const uint32_t *values, uint64_t *sum)
{
	uint64_t s = 0;
	uint64_t start = rte_rdtsc();
	for (unsigned int i = 0; i < n; i++) {
		const void *k = keys + (size_t)i * key_len;
		int32_t pos = sigs ? rte_hash_lookup_with_hash(h, k, sigs[i]) : rte_hash_lookup(h, k);
		if (pos < 0)
			return 0;
		s += values[pos];
	}
	uint64_t t = rte_rdtsc() - start;
	*sum = s;
	return t;
}

/* Deletes `n` keys (all present), reading each one's value as it goes. */
uint64_t bench_c_hash_delete(struct rte_hash *h, const uint8_t *keys, unsigned int key_len, unsigned int n,
			     const uint32_t *values, uint64_t *sum)
{
	uint64_t s = 0;
	uint64_t start = rte_rdtsc();
	for (unsigned int i = 0; i < n; i++) {
		int32_t pos = rte_hash_del_key(h, keys + (size_t)i * key_len);
		if (pos < 0)
			return 0;
		s += values[pos];
	}
	uint64_t t = rte_rdtsc() - start;
	*sum = s;
	return t;
}

/* Looks `n` keys up in bursts of 16 (`n` a multiple of 16), some of them absent: sums the
 * values of those found and counts the misses in `*misses`. */
uint64_t bench_c_hash_lookup_bulk_misses(struct rte_hash *h, const uint8_t *keys, unsigned int key_len,
					 unsigned int n, const uint32_t *values, uint64_t *sum,
					 uint64_t *misses)
{
	const void *key_ptrs[16];
	int32_t positions[16];
	uint64_t s = 0, m = 0;
	uint64_t start = rte_rdtsc();
	for (unsigned int i = 0; i < n; i += 16) {
		for (unsigned int j = 0; j < 16; j++)
			key_ptrs[j] = keys + (size_t)(i + j) * key_len;
		rte_hash_lookup_bulk(h, key_ptrs, 16, positions);
		for (unsigned int j = 0; j < 16; j++) {
			if (positions[j] < 0)
				m++;
			else
				s += values[positions[j]];
		}
	}
	uint64_t t = rte_rdtsc() - start;
	*sum = s;
	*misses = m;
	return t;
}

/* Looks `n` keys up in bursts of 16 (`n` a multiple of 16), all present, summing their
 * values; 0 if any is absent. */
uint64_t bench_c_hash_lookup_bulk(struct rte_hash *h, const uint8_t *keys, unsigned int key_len,
				  unsigned int n, const uint32_t *values, uint64_t *sum)
{
	uint64_t misses;
	uint64_t t = bench_c_hash_lookup_bulk_misses(h, keys, key_len, n, values, sum, &misses);
	return misses == 0 ? t : 0;
}
