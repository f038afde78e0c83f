/*
 * The DPDK headers dpdk-sys binds. bindgen reads this file with the exact
 * cflags pkg-config gives for libdpdk (which include `-include rte_config.h`
 * and `-march=...`), and the C file bindgen writes for the `static inline`
 * functions is compiled with the same flags.
 */
#include <rte_common.h>
#include <rte_version.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_per_lcore.h>
#include <rte_thread.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_cycles.h>
#include <rte_memory.h>
#include <rte_malloc.h>
#include <rte_memzone.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_hash_crc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mbuf_ptype.h>
#include <rte_ethdev.h>
#include <rte_bus_vdev.h>

/*
 * rte_errno is a per-lcore (thread-local) variable, which bindgen cannot
 * bind. This accessor is a static inline like DPDK's own fast paths, so the
 * generated C wrapper exports it under a real symbol.
 */
static inline int dpdk_sys_rte_errno(void) { return rte_errno; }

/* Sets rte_errno of the calling thread (the counterpart of the getter). */
static inline void dpdk_sys_set_rte_errno(int value) { rte_errno = value; }
