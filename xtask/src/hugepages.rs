//! Hugepages: what the kernel offers, reserving pages and mounting hugetlbfs as root, and
//! the memory mode (`DPDK_RS_MEMORY`) that follows from it.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Hugepage memory the programs and tests want free: 512 x 2 MiB.
pub const BYTES_WANTED: u64 = 512 * 2 * 1024 * 1024;
/// Where hugetlbfs gets mounted when there is no mount yet.
pub const DEFAULT_MOUNT: &str = "/dev/hugepages";
/// The number of default-size hugepages the kernel keeps.
const NR_HUGEPAGES: &str = "/proc/sys/vm/nr_hugepages";

/// How DPDK gets its memory, passed on as `DPDK_RS_MEMORY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryMode {
    /// Hugepages from a hugetlbfs mount.
    Hugepages,
    /// `--no-huge`: ordinary anonymous memory.
    NoHuge,
}

impl MemoryMode {
    /// The environment variable read by the test harness and the examples.
    pub const ENV: &'static str = "DPDK_RS_MEMORY";

    /// The value of [`MemoryMode::ENV`].
    pub fn as_str(self) -> &'static str {
        match self {
            MemoryMode::Hugepages => "hugepages",
            MemoryMode::NoHuge => "no-huge",
        }
    }

    /// Parses a value of [`MemoryMode::ENV`].
    pub fn parse(value: &str) -> Option<MemoryMode> {
        match value.trim() {
            "hugepages" => Some(MemoryMode::Hugepages),
            "no-huge" => Some(MemoryMode::NoHuge),
            _ => None,
        }
    }
}

impl fmt::Display for MemoryMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The hugepage lines of `/proc/meminfo` (default page size only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemInfo {
    /// `HugePages_Total`.
    pub total: u64,
    /// `HugePages_Free`.
    pub free: u64,
    /// `Hugepagesize`, in KiB.
    pub page_size_kib: u64,
}

impl MemInfo {
    /// Parses `/proc/meminfo`; `None` when the kernel has no hugepage support.
    pub fn parse(text: &str) -> Option<MemInfo> {
        let mut total = None;
        let mut free = None;
        let mut page_size_kib = None;
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let number = value.split_whitespace().next().and_then(|n| n.parse().ok());
            match key.trim() {
                "HugePages_Total" => total = number,
                "HugePages_Free" => free = number,
                "Hugepagesize" => page_size_kib = number,
                _ => {}
            }
        }
        Some(MemInfo {
            total: total?,
            free: free?,
            page_size_kib: page_size_kib.filter(|&size| size > 0)?,
        })
    }

    /// Pages of this size that make up [`BYTES_WANTED`].
    pub fn pages_wanted(&self) -> u64 {
        BYTES_WANTED.div_ceil(self.page_size_kib * 1024)
    }

    /// Free pages missing to reach [`MemInfo::pages_wanted`].
    pub fn shortfall(&self) -> u64 {
        self.pages_wanted().saturating_sub(self.free)
    }

    /// What to write to `/proc/sys/vm/nr_hugepages`, if anything: the total plus the shortfall.
    pub fn nr_hugepages_target(&self) -> Option<u64> {
        let shortfall = self.shortfall();
        (shortfall > 0).then(|| self.total + shortfall)
    }

    /// `512 x 2 MiB free`.
    pub fn free_text(&self) -> String {
        format!("{} x {} free", self.free, format_kib(self.page_size_kib))
    }
}

/// `2 MiB`, `1 GiB`, `64 KiB`.
pub fn format_kib(kib: u64) -> String {
    if kib >= 1024 * 1024 && kib % (1024 * 1024) == 0 {
        format!("{} GiB", kib / (1024 * 1024))
    } else if kib >= 1024 && kib % 1024 == 0 {
        format!("{} MiB", kib / 1024)
    } else {
        format!("{kib} KiB")
    }
}

/// A hugetlbfs mount from `/proc/mounts`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// The mount point.
    pub path: PathBuf,
    /// Its `pagesize=` option in KiB; `None` means the default hugepage size.
    pub page_size_kib: Option<u64>,
}

/// Parses a `pagesize=` value: `2M`, `1G`, `1024M`, `2048k`.
fn parse_size_kib(text: &str) -> Option<u64> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor = match unit {
        "" => return Some(number / 1024),
        "k" | "K" => 1,
        "m" | "M" => 1024,
        "g" | "G" => 1024 * 1024,
        _ => return None,
    };
    Some(number * factor)
}

/// Undoes the octal escapes (`\040` for a space) of `/proc/mounts`.
fn unescape_mount_field(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).and_then(|digits| {
            let digits = std::str::from_utf8(digits).ok()?;
            u8::from_str_radix(digits, 8).ok()
        });
        match (bytes[i], octal) {
            (b'\\', Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The hugetlbfs mounts listed in `/proc/mounts` text.
pub fn parse_hugetlbfs_mounts(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 3 || fields[2] != "hugetlbfs" {
                return None;
            }
            let page_size_kib = fields
                .get(3)
                .into_iter()
                .flat_map(|options| options.split(','))
                .find_map(|option| option.strip_prefix("pagesize="))
                .and_then(parse_size_kib);
            Some(Mount { path: PathBuf::from(unescape_mount_field(fields[1])), page_size_kib })
        })
        .collect()
}

/// The first mount that serves pages of `page_size_kib`.
pub fn pick_mount(mounts: &[Mount], page_size_kib: u64) -> Option<&Mount> {
    mounts.iter().find(|m| m.page_size_kib.map_or(true, |size| size == page_size_kib))
}

/// Whether a file in a hugetlbfs mount looks like a hugepage file of a dpdk-rs run
/// (EAL file prefix `rs...` or `dpdk-rs-...`: `rs*map_*`, `dpdk-rs-*map_*`).
pub fn is_dpdk_rs_hugepage_file(name: &str) -> bool {
    let rest = name.strip_prefix("dpdk-rs-").or_else(|| name.strip_prefix("rs"));
    rest.is_some_and(|rest| rest.contains("map_"))
}

/// What was seen (and tried) on this machine: the input of [`decide`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// Hugepage counters after any reservation; `None`: no hugepage support.
    pub meminfo: Option<MemInfo>,
    /// A hugetlbfs mount for the default page size, after any mounting.
    pub mount: Option<Mount>,
    /// Whether we run as root.
    pub is_root: bool,
    /// Whether set-up was attempted (false with `--no-setup`).
    pub setup_attempted: bool,
    /// Why writing `/proc/sys/vm/nr_hugepages` failed, if it did.
    pub reserve_error: Option<String>,
    /// Why mounting hugetlbfs failed, if it did.
    pub mount_error: Option<String>,
    /// Why a file could not be created in the mount, if it could not.
    pub mount_unwritable: Option<String>,
}

/// Hugepages are usable (`Ok`) or not, and why not (`Err`).
pub fn decide(facts: &Facts) -> Result<(), String> {
    let Some(info) = facts.meminfo else {
        return Err("the kernel offers no hugepages (no Hugepagesize in /proc/meminfo)".to_owned());
    };
    let size = format_kib(info.page_size_kib);
    if info.shortfall() > 0 {
        let have = format!("{} free {size} hugepages, {} wanted", info.free, info.pages_wanted());
        return Err(if !facts.setup_attempted {
            format!("{have}; set-up skipped (--no-setup)")
        } else if !facts.is_root {
            format!("{have}; not root, so none were reserved")
        } else if let Some(error) = &facts.reserve_error {
            format!("{have}; writing {NR_HUGEPAGES} failed: {error}")
        } else {
            format!("{have}; the kernel granted no more (too little or too fragmented memory)")
        });
    }
    let Some(mount) = &facts.mount else {
        let none = format!("no hugetlbfs mount for {size} pages");
        return Err(if !facts.setup_attempted {
            format!("{none}; set-up skipped (--no-setup)")
        } else if !facts.is_root {
            format!("{none}; not root, so none was mounted")
        } else if let Some(error) = &facts.mount_error {
            format!("{none}; mounting at {DEFAULT_MOUNT} failed: {error}")
        } else {
            none
        });
    };
    if let Some(error) = &facts.mount_unwritable {
        return Err(format!("cannot create files in {}: {error}", mount.path.display()));
    }
    Ok(())
}

/// The boxed notice printed (on stderr) when hugepages are unavailable.
pub fn banner(why: &str) -> String {
    let lines = [
        format!("HUGEPAGES UNAVAILABLE: {why} - falling back to --no-huge"),
        String::new(),
        "DPDK_RS_MEMORY=no-huge: DPDK takes ordinary memory (EAL --no-huge), which is".to_owned(),
        "slower and single-segment; the hugepage code paths are NOT exercised.".to_owned(),
        "To get hugepages, run as root: `cargo xtask setup`, or by hand:".to_owned(),
        "  echo 512 | sudo tee /proc/sys/vm/nr_hugepages".to_owned(),
        "  sudo mkdir -p /dev/hugepages && sudo mount -t hugetlbfs nodev /dev/hugepages".to_owned(),
    ];
    let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let edge = "#".repeat(width + 8);
    let mut out = format!("{edge}\n");
    for line in &lines {
        let pad = width - line.chars().count();
        out.push_str(&format!("##  {line}{}  ##\n", " ".repeat(pad)));
    }
    out.push_str(&edge);
    out
}

/// Prints [`banner`] on stderr, with blank lines around it.
pub fn print_banner(why: &str) {
    eprintln!("\n{}\n", banner(why));
}

/// The hugepage situation after set-up, and the memory mode that follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// What was seen.
    pub facts: Facts,
    /// The mode to run in.
    pub mode: MemoryMode,
    /// Why hugepages are unavailable, when they are.
    pub why_not: Option<String>,
    /// Hugepage files of earlier dpdk-rs runs found in the mount (left in place).
    pub dpdk_rs_files: usize,
}

impl State {
    /// Decides the mode from the facts.
    pub fn from_facts(facts: Facts, dpdk_rs_files: usize) -> State {
        let why_not = decide(&facts).err();
        let mode = if why_not.is_none() { MemoryMode::Hugepages } else { MemoryMode::NoHuge };
        State { facts, mode, why_not, dpdk_rs_files }
    }

    /// `hugepages (512 x 2 MiB free)` or `no-huge`.
    pub fn describe(&self) -> String {
        match (self.mode, self.facts.meminfo) {
            (MemoryMode::Hugepages, Some(info)) => format!("hugepages ({})", info.free_text()),
            (mode, _) => mode.to_string(),
        }
    }

    /// Prints the state, and the banner when hugepages are unavailable.
    pub fn report(&self) {
        match self.facts.meminfo {
            Some(info) => println!(
                "hugepages: {} total, {} free, {} each ({} free wanted)",
                info.total,
                info.free,
                format_kib(info.page_size_kib),
                info.pages_wanted()
            ),
            None => println!("hugepages: not supported by this kernel"),
        }
        match &self.facts.mount {
            Some(mount) => println!("hugetlbfs: mounted at {}", mount.path.display()),
            None => println!("hugetlbfs: no usable mount"),
        }
        if self.dpdk_rs_files > 0 {
            println!(
                "hugetlbfs: {} hugepage file(s) of earlier dpdk-rs runs (rs*map_*, dpdk-rs-*map_*) \
                 left in place; delete them once no dpdk-rs program runs if pages run short",
                self.dpdk_rs_files
            );
        }
        println!("memory mode: {} ({}={})", self.describe(), MemoryMode::ENV, self.mode);
        if let Some(why) = &self.why_not {
            print_banner(why);
        }
    }
}

/// Reads `/proc/meminfo`.
fn read_meminfo() -> Option<MemInfo> {
    MemInfo::parse(&fs::read_to_string("/proc/meminfo").ok()?)
}

/// The hugetlbfs mount for `page_size_kib`, from `/proc/mounts`.
fn find_mount(page_size_kib: u64) -> Option<Mount> {
    let text = fs::read_to_string("/proc/mounts").unwrap_or_default();
    pick_mount(&parse_hugetlbfs_mounts(&text), page_size_kib).cloned()
}

/// Creates and removes an empty file in `dir` (takes no hugepage), to see if EAL could.
fn check_writable(dir: &Path) -> Result<(), String> {
    let probe = dir.join(format!(".xtask-probe-{}", std::process::id()));
    fs::OpenOptions::new().write(true).create_new(true).open(&probe).map_err(|e| e.to_string())?;
    fs::remove_file(&probe).map_err(|e| e.to_string())
}

/// Hugepage files of earlier dpdk-rs runs in `dir`.
fn count_dpdk_rs_files(dir: &Path) -> usize {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| is_dpdk_rs_hugepage_file(&e.file_name().to_string_lossy()))
                .count()
        })
        .unwrap_or(0)
}

/// Looks without changing anything (`--no-setup`).
pub fn probe(is_root: bool) -> State {
    observe(Facts { meminfo: read_meminfo(), is_root, setup_attempted: false, ..Facts::default() })
}

/// Fills in the mount facts and decides.
fn observe(mut facts: Facts) -> State {
    let mut files = 0;
    if let Some(info) = facts.meminfo {
        facts.mount = find_mount(info.page_size_kib);
        if let Some(mount) = &facts.mount {
            facts.mount_unwritable = check_writable(&mount.path).err();
            files = count_dpdk_rs_files(&mount.path);
        }
    }
    State::from_facts(facts, files)
}

/// As root: reserves pages up to [`BYTES_WANTED`] free and mounts hugetlbfs if needed.
/// Not root: only looks.
pub fn prepare(is_root: bool) -> State {
    let mut facts =
        Facts { meminfo: read_meminfo(), is_root, setup_attempted: true, ..Facts::default() };
    let Some(info) = facts.meminfo else {
        return observe(facts);
    };
    if let (true, Some(target)) = (is_root, info.nr_hugepages_target()) {
        println!(
            "hugepages: {} free, {} wanted: echo {target} > {NR_HUGEPAGES}",
            info.free,
            info.pages_wanted()
        );
        if let Err(e) = fs::write(NR_HUGEPAGES, format!("{target}\n")) {
            facts.reserve_error = Some(e.to_string());
        }
        facts.meminfo = read_meminfo();
        if let Some(after) = facts.meminfo {
            println!("hugepages: the kernel now has {} total, {} free", after.total, after.free);
        }
    }
    if is_root && find_mount(info.page_size_kib).is_none() {
        println!("hugetlbfs: mkdir -p {DEFAULT_MOUNT}; mount -t hugetlbfs nodev {DEFAULT_MOUNT}");
        facts.mount_error = mount_hugetlbfs().err();
    }
    observe(facts)
}

/// As root, raises the kernel's reservation until `pages` hugepages are free (the
/// benchmarks' 1 GiB array needs more than the tests' 512). Returns what the kernel
/// granted, or why not.
pub fn top_up_free(pages: u64) -> Result<MemInfo, String> {
    let info = read_meminfo().ok_or("the kernel reports no hugepages")?;
    if info.free >= pages {
        return Ok(info);
    }
    let target = info.total + (pages - info.free);
    println!("hugepages: {} free, {pages} wanted: echo {target} > {NR_HUGEPAGES}", info.free);
    fs::write(NR_HUGEPAGES, format!("{target}\n")).map_err(|e| e.to_string())?;
    let after = read_meminfo().ok_or("the kernel reports no hugepages")?;
    println!("hugepages: the kernel now has {} total, {} free", after.total, after.free);
    Ok(after)
}

/// `mkdir -p /dev/hugepages; mount -t hugetlbfs nodev /dev/hugepages`.
fn mount_hugetlbfs() -> Result<(), String> {
    fs::create_dir_all(DEFAULT_MOUNT).map_err(|e| format!("mkdir: {e}"))?;
    let output = Command::new("mount")
        .args(["-t", "hugetlbfs", "nodev", DEFAULT_MOUNT])
        .output()
        .map_err(|e| format!("cannot run mount: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMINFO: &str = "\
MemTotal:        8039264 kB
MemFree:         1024000 kB
AnonHugePages:         0 kB
ShmemHugePages:        0 kB
FileHugePages:      6144 kB
HugePages_Total:     600
HugePages_Free:      100
HugePages_Rsvd:        0
HugePages_Surp:        0
Hugepagesize:       2048 kB
Hugetlb:         1228800 kB
";

    fn info(total: u64, free: u64) -> MemInfo {
        MemInfo { total, free, page_size_kib: 2048 }
    }

    fn usable() -> Facts {
        Facts {
            meminfo: Some(info(512, 512)),
            mount: Some(Mount { path: PathBuf::from("/dev/hugepages"), page_size_kib: Some(2048) }),
            is_root: true,
            setup_attempted: true,
            ..Facts::default()
        }
    }

    #[test]
    fn parses_meminfo() {
        assert_eq!(MemInfo::parse(MEMINFO), Some(info(600, 100)));
        assert_eq!(MemInfo::parse("MemTotal: 1 kB\nMemFree: 1 kB\n"), None);
    }

    #[test]
    fn reservation_target_is_total_plus_shortfall() {
        let info = info(600, 100);
        assert_eq!(info.pages_wanted(), 512);
        assert_eq!(info.shortfall(), 412);
        assert_eq!(info.nr_hugepages_target(), Some(1012));
        assert_eq!(self::info(0, 0).nr_hugepages_target(), Some(512));
        assert_eq!(self::info(1024, 600).nr_hugepages_target(), None);
        let gigantic = MemInfo { total: 0, free: 0, page_size_kib: 1024 * 1024 };
        assert_eq!(gigantic.pages_wanted(), 1);
        assert_eq!(gigantic.free_text(), "0 x 1 GiB free");
    }

    #[test]
    fn parses_hugetlbfs_mounts() {
        let text = "\
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0
nodev /mnt/huge\\0401G hugetlbfs rw,relatime,pagesize=1024M 0 0
none /mnt/plain hugetlbfs rw,relatime 0 0
tmpfs /dev/shm tmpfs rw 0 0
";
        let mounts = parse_hugetlbfs_mounts(text);
        assert_eq!(mounts.len(), 3);
        assert_eq!(mounts[0].path, PathBuf::from("/dev/hugepages"));
        assert_eq!(mounts[0].page_size_kib, Some(2048));
        assert_eq!(mounts[1].path, PathBuf::from("/mnt/huge 1G"));
        assert_eq!(mounts[1].page_size_kib, Some(1024 * 1024));
        assert_eq!(mounts[2].page_size_kib, None);
        assert_eq!(pick_mount(&mounts, 2048), Some(&mounts[0]));
        assert_eq!(pick_mount(&mounts, 1024 * 1024), Some(&mounts[1]));
        assert_eq!(pick_mount(&mounts[1..2], 2048), None);
        assert_eq!(pick_mount(&mounts[2..], 2048), Some(&mounts[2]));
        assert!(parse_hugetlbfs_mounts("tmpfs /tmp tmpfs rw 0 0").is_empty());
    }

    #[test]
    fn page_sizes() {
        assert_eq!(parse_size_kib("2M"), Some(2048));
        assert_eq!(parse_size_kib("1G"), Some(1024 * 1024));
        assert_eq!(parse_size_kib("2048k"), Some(2048));
        assert_eq!(parse_size_kib("2x"), None);
        assert_eq!(format_kib(2048), "2 MiB");
        assert_eq!(format_kib(1024 * 1024), "1 GiB");
        assert_eq!(format_kib(64), "64 KiB");
    }

    #[test]
    fn recognises_only_dpdk_rs_hugepage_files() {
        assert!(is_dpdk_rs_hugepage_file("rs1234map_0"));
        assert!(is_dpdk_rs_hugepage_file("dpdk-rs-test-eal-7map_12"));
        assert!(!is_dpdk_rs_hugepage_file("rtemap_0"));
        assert!(!is_dpdk_rs_hugepage_file("rs1234"));
        assert!(!is_dpdk_rs_hugepage_file("other-rsmap_0"));
    }

    #[test]
    fn hugepages_when_enough_pages_and_a_mount() {
        let state = State::from_facts(usable(), 0);
        assert_eq!(state.mode, MemoryMode::Hugepages);
        assert_eq!(state.why_not, None);
        assert_eq!(state.describe(), "hugepages (512 x 2 MiB free)");
    }

    #[test]
    fn no_huge_without_kernel_support() {
        let facts = Facts { meminfo: None, ..usable() };
        let state = State::from_facts(facts, 0);
        assert_eq!(state.mode, MemoryMode::NoHuge);
        assert_eq!(state.describe(), "no-huge");
        assert!(state.why_not.unwrap().contains("no hugepages"));
    }

    #[test]
    fn no_huge_when_pages_are_short_says_why() {
        let short = Facts { meminfo: Some(info(0, 0)), ..usable() };
        let not_root = Facts { is_root: false, ..short.clone() };
        assert!(decide(&not_root).unwrap_err().contains("not root"));
        let skipped = Facts { setup_attempted: false, ..short.clone() };
        assert!(decide(&skipped).unwrap_err().contains("--no-setup"));
        let refused = Facts {
            reserve_error: Some("Read-only file system (os error 30)".to_owned()),
            ..short.clone()
        };
        assert!(decide(&refused).unwrap_err().contains("Read-only file system"));
        assert!(decide(&short).unwrap_err().contains("granted no more"));
    }

    #[test]
    fn no_huge_without_a_usable_mount() {
        let unmounted =
            Facts { mount: None, mount_error: Some("permission denied".to_owned()), ..usable() };
        let why = decide(&unmounted).unwrap_err();
        assert!(why.contains("no hugetlbfs mount") && why.contains("permission denied"));
        let read_only = Facts {
            mount_unwritable: Some("Permission denied (os error 13)".to_owned()),
            ..usable()
        };
        assert!(decide(&read_only).unwrap_err().contains("cannot create files"));
    }

    #[test]
    fn memory_mode_values() {
        for mode in [MemoryMode::Hugepages, MemoryMode::NoHuge] {
            assert_eq!(MemoryMode::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(MemoryMode::parse("huge"), None);
    }

    #[test]
    fn banner_is_boxed_and_says_why() {
        let text = banner("not root");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() > 3);
        let width = lines[0].chars().count();
        assert!(lines.iter().all(|l| l.chars().count() == width));
        assert!(lines[0].chars().all(|c| c == '#'));
        assert!(lines[1].contains("HUGEPAGES UNAVAILABLE: not root - falling back to --no-huge"));
    }
}
