//! Build script of `dpdk-sys`, split by job:
//! - `find`: locate the installed DPDK (env override, then pkg-config), check its version,
//!   and emit the link lines;
//! - `bind`: run bindgen over `wrapper.h` with DPDK's own cflags and compile the C wrappers
//!   bindgen writes for DPDK's `static inline` functions.

mod bind;
mod find;
mod versions;

fn main() {
    let dpdk = find::find_dpdk();
    find::emit_link_lines(&dpdk);
    find::emit_metadata(&dpdk);
    bind::generate(&dpdk);
}
