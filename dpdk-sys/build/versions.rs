//! Which DPDK releases this project builds against: the one list, read by `dpdk-sys`'s
//! build script and by `xtask` (which includes this file by path).

/// The LTS releases built, tested and benchmarked in CI, oldest first, as (year, month).
pub const TESTED_LTS: &[(u32, u32)] = &[(22, 11), (24, 11), (25, 11)];

/// Oldest release the build accepts (inclusive).
pub const MIN_VERSION: (u32, u32) = (22, 11);

/// First release the build refuses (exclusive): newer than anything tested.
pub const UNTESTED_VERSION: (u32, u32) = (26, 3);

/// `(year, month)` of a DPDK version string (`24.11.8`, `22.11.0-rc1`).
pub fn parse_version(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.trim().split('.');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.trim_end_matches(|c: char| !c.is_ascii_digit()).parse().ok()?;
    Some((year, month))
}

/// Whether the build accepts this release.
pub fn supported(version: (u32, u32)) -> bool {
    version >= MIN_VERSION && version < UNTESTED_VERSION
}

/// The tested releases as text: `22.11, 24.11, 25.11`.
pub fn tested_list() -> String {
    TESTED_LTS.iter().map(|(y, m)| format!("{y}.{m:02}")).collect::<Vec<_>>().join(", ")
}
