//! Safe DPDK.
