//! The two-node NUMA pass: a QEMU guest with two NUMA nodes that runs commands of the
//! host's build, so that a test can fail when memory lands on the wrong socket.
//!
//! This machine has one node. The guest (TCG: nested KVM hangs here) has two sockets of
//! two CPUs, each with 2 GiB of its own memory. It boots Debian's `linux-image-amd64`
//! kernel, extracted into [`KERNEL_CACHE`] (the host's `/boot` stays untouched), with a
//! small initramfs made per run from `busybox-static` and the few modules the kernel does
//! not build in (virtio PCI, 9p, overlayfs). The host's `/` is shared read-only over 9p,
//! with a tmpfs overlay on top, so the guest runs the host's binaries and libraries as they
//! are and writes nothing back. The guest's init reserves hugepages on each node, runs the
//! command in the workspace, and powers off; the command's output comes back through a
//! second serial port written to a file, and its exit status as a last line.
//!
//! Under TCG no timing means anything: only functional checks belong here.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::run::{cargo_program, format_duration, output_of, run_checked, Failure, Step};
use crate::setup;

/// Where the extracted guest kernel lives between runs.
pub const KERNEL_CACHE: &str = "/var/cache/dpdk-rs/numa-kernel";

/// The host packages the guest needs.
const PACKAGES: &[&str] = &["qemu-system-x86", "busybox-static"];

/// The modules the guest's init loads (with what they depend on, found in the modules).
const ROOT_MODULES: &[&str] = &["virtio_pci", "9pnet_virtio", "9p", "overlay"];

/// The guest's NUMA nodes: (first CPU, last CPU, MiB of memory), node `i` at index `i`.
const NODES: &[(u32, u32, u32)] = &[(0, 1, 2048), (2, 3, 2048)];

/// The variable that tells the guest's tests the shape the guest was given, as
/// `node:cpus:MiB` items separated by commas (e.g. `0:0-1:2048,1:2-3:2048`), so that they
/// can check what the topology reader and DPDK report against it.
const SHAPE_ENV: &str = "DPDK_RS_GUEST_NODES";

/// The variable that tells the guest's tests how many 2 MiB hugepages its init reserved
/// on each node ([`HUGEPAGES_PER_NODE`]).
const HUGEPAGES_ENV: &str = "DPDK_RS_GUEST_HUGEPAGES";

/// [`NODES`] as [`SHAPE_ENV`] spells it.
fn shape() -> String {
    let nodes: Vec<String> = NODES
        .iter()
        .enumerate()
        .map(|(id, (first, last, mib))| format!("{id}:{first}-{last}:{mib}"))
        .collect();
    nodes.join(",")
}

/// 2 MiB hugepages reserved on each node.
pub const HUGEPAGES_PER_NODE: u32 = 256;

/// The longest a guest may run before it is killed.
const TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The line the guest prints last: the command's exit status follows.
const EXIT_MARK: &str = "DPDK_RS_GUEST_EXIT=";

/// The extracted kernel: its image and its module tree (`lib/modules/<release>`).
#[derive(Debug, Clone)]
pub struct Kernel {
    pub image: PathBuf,
    pub modules: PathBuf,
}

/// The prefix of the failures that mean the guest could not be had (tools, kernel), as
/// opposed to a test that failed in it.
const SETUP: &str = "two-node guest set-up: ";

/// Whether `failure` is one of the guest's set-up failures (see [`SETUP`]).
pub fn is_setup_failure(failure: &Failure) -> bool {
    failure.0.starts_with(SETUP)
}

/// Installs QEMU and busybox when missing (as root, unless `install` is false:
/// `--no-setup`).
pub fn ensure_tools(install: bool) -> Result<(), Failure> {
    let have =
        setup::find_program("qemu-system-x86_64").is_some() && Path::new("/bin/busybox").exists();
    if have {
        return Ok(());
    }
    if !install {
        return Err(Failure(format!(
            "the two-node guest needs {} (--no-setup: nothing installed)",
            PACKAGES.join(", ")
        )));
    }
    if !setup::is_root() {
        return Err(Failure(format!(
            "the two-node guest needs {} (as root: apt-get install -y {})",
            PACKAGES.join(", "),
            PACKAGES.join(" ")
        )));
    }
    println!("installing {} (for the two-node guest)", PACKAGES.join(", "));
    apt_install(PACKAGES)
}

fn apt_install(packages: &[&str]) -> Result<(), Failure> {
    let mut args = vec!["install", "-y"];
    args.extend(packages);
    Step::new("apt-get install", "apt-get", &args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .execute()
}

/// The kernel image and modules, extracted from Debian's package on first use (unless
/// `install` is false: `--no-setup`).
pub fn ensure_kernel(install: bool) -> Result<Kernel, Failure> {
    let cache = Path::new(KERNEL_CACHE);
    if let Some(kernel) = cached_kernel(cache) {
        return Ok(kernel);
    }
    if !install {
        return Err(Failure(format!("no guest kernel in {KERNEL_CACHE} (--no-setup)")));
    }
    if !setup::is_root() {
        return Err(Failure("fetching the guest kernel needs root".to_owned()));
    }
    // linux-image-amd64 is a metapackage: the image is the package it depends on.
    let depends = output_of("apt-cache", &["depends", "linux-image-amd64"])
        .ok_or_else(|| Failure("apt-cache depends linux-image-amd64 failed".to_owned()))?;
    let package = depends
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Depends: "))
        .find(|p| p.starts_with("linux-image-"))
        .ok_or_else(|| Failure(format!("apt-cache names no kernel image: {depends}")))?
        .trim()
        .to_owned();
    println!("fetching the guest kernel ({package}) into {}", cache.display());
    let partial = cache.with_extension("partial");
    let _ = fs::remove_dir_all(&partial);
    fs::create_dir_all(&partial).map_err(|e| io_failure(&partial, e))?;
    run_in(&partial, "apt-get", &["download", &package])?;
    let deb = fs::read_dir(&partial)
        .map_err(|e| io_failure(&partial, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or_else(|| Failure(format!("apt-get download {package} left no .deb")))?;
    let tree = partial.join("tree");
    run_in(&partial, "dpkg-deb", &["-x", &deb.to_string_lossy(), &tree.to_string_lossy()])?;
    let _ = fs::remove_file(&deb);
    let _ = fs::remove_dir_all(cache);
    fs::rename(&partial, cache).map_err(|e| io_failure(cache, e))?;
    cached_kernel(cache).ok_or_else(|| Failure(format!("{package} holds no kernel image")))
}

/// The kernel in `cache`, if one was extracted there completely.
fn cached_kernel(cache: &Path) -> Option<Kernel> {
    let tree = cache.join("tree");
    let image = fs::read_dir(tree.join("boot"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-")))?;
    let release = image.file_name()?.to_string_lossy().strip_prefix("vmlinuz-")?.to_owned();
    let modules = tree.join("lib/modules").join(release);
    modules.is_dir().then_some(Kernel { image, modules })
}

/// Every `.ko` under `dir`, by module name (`9pnet_virtio`).
fn module_index(dir: &Path) -> BTreeMap<String, PathBuf> {
    let mut index = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if path.is_dir() {
                stack.push(path);
            } else if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                if let Some(module) = name.strip_suffix(".ko") {
                    index.insert(module.replace('-', "_"), path.clone());
                }
            }
        }
    }
    index
}

/// The modules a module's `.modinfo` says it needs (`depends=a,b`).
pub fn depends_of(module: &[u8]) -> Vec<String> {
    let key = b"depends=";
    module
        .split(|&b| b == 0)
        .find_map(|field| field.strip_prefix(key))
        .map(|list| {
            String::from_utf8_lossy(list)
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.replace('-', "_"))
                .collect()
        })
        .unwrap_or_default()
}

/// `roots` and everything they depend on, each after its dependencies.
pub fn load_order(
    roots: &[&str],
    depends: &dyn Fn(&str) -> Option<Vec<String>>,
) -> Result<Vec<String>, String> {
    fn visit(
        name: &str,
        depends: &dyn Fn(&str) -> Option<Vec<String>>,
        done: &mut Vec<String>,
        visiting: &mut BTreeSet<String>,
    ) -> Result<(), String> {
        if done.iter().any(|d| d == name) {
            return Ok(());
        }
        if !visiting.insert(name.to_owned()) {
            return Err(format!("module {name} depends on itself"));
        }
        let needs = depends(name).ok_or_else(|| format!("module {name} is not in the kernel"))?;
        for need in &needs {
            visit(need, depends, done, visiting)?;
        }
        done.push(name.to_owned());
        Ok(())
    }
    let mut done = Vec::new();
    let mut visiting = BTreeSet::new();
    for root in roots {
        visit(root, depends, &mut done, &mut visiting)?;
    }
    Ok(done)
}

/// The first stage, in the initramfs: modules, the host's root as a writable overlay,
/// then the second stage inside it.
fn stage1(modules: &[String]) -> String {
    let bb = "/bin/busybox";
    let mut s = format!(
        "#!{bb} sh\n\
         {bb} mount -t proc proc /proc\n\
         {bb} mount -t sysfs sys /sys\n\
         {bb} mount -t devtmpfs dev /dev\n"
    );
    for m in modules {
        s += &format!("{bb} insmod /mods/{m}.ko || echo \"dpdk-rs guest: insmod {m} failed\"\n");
    }
    s += &format!(
        "{bb} mkdir -p /lower /upper /newroot\n\
         {bb} mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000 hostroot /lower\n\
         {bb} mount -t tmpfs -o size=1g upper /upper\n\
         {bb} mkdir -p /upper/u /upper/w\n\
         {bb} mount -t overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w root /newroot\n\
         {bb} cp /stage2 /newroot/dpdk-rs-stage2\n\
         exec {bb} switch_root /newroot /bin/sh /dpdk-rs-stage2\n\
         echo 'dpdk-rs guest: switch_root failed' > /dev/ttyS1\n\
         exec {bb} poweroff -f\n"
    );
    s
}

/// The second stage, in the host's root: kernel file systems, hugepages on each node,
/// the command (output on the second serial port), its status, power off.
fn stage2(workdir: &Path, env: &[(String, String)], command: &str) -> String {
    let mut s = String::from(
        "mount -t proc proc /proc\n\
         mount -t sysfs sys /sys\n\
         mount -t devtmpfs dev /dev\n\
         exec > /dev/ttyS1 2>&1\n\
         mount -t tmpfs tmpfs /tmp\n\
         mount -t tmpfs tmpfs /run\n\
         mkdir -p /dev/hugepages /dev/shm\n\
         mount -t tmpfs tmpfs /dev/shm\n\
         mount -t hugetlbfs nodev /dev/hugepages\n",
    );
    s += &format!(
        "for n in /sys/devices/system/node/node[0-9]*; do \
         echo {HUGEPAGES_PER_NODE} > $n/hugepages/hugepages-2048kB/nr_hugepages; done\n"
    );
    for (k, v) in env {
        s += &format!("export {k}={}\n", crate::lts::shell_quote(v));
    }
    s += &format!(
        "cd {}\n\
         sh -c {}\n\
         echo \"{EXIT_MARK}$?\"\n\
         sync\n\
         exec /bin/busybox poweroff -f\n",
        crate::lts::shell_quote(&workdir.to_string_lossy()),
        crate::lts::shell_quote(command)
    );
    s
}

/// Makes the initramfs in `dir` (a fresh directory) and returns its path.
fn make_initramfs(
    dir: &Path,
    kernel: &Kernel,
    workdir: &Path,
    env: &[(String, String)],
    command: &str,
) -> Result<PathBuf, Failure> {
    let index = module_index(&kernel.modules.join("kernel"));
    let depends = |name: &str| -> Option<Vec<String>> {
        let bytes = fs::read(index.get(name)?).ok()?;
        Some(depends_of(&bytes))
    };
    let order = load_order(ROOT_MODULES, &depends).map_err(Failure)?;
    let root = dir.join("root");
    for sub in ["bin", "mods", "proc", "sys", "dev"] {
        fs::create_dir_all(root.join(sub)).map_err(|e| io_failure(&root, e))?;
    }
    copy(Path::new("/bin/busybox"), &root.join("bin/busybox"))?;
    for m in &order {
        copy(&index[m], &root.join("mods").join(format!("{m}.ko")))?;
    }
    write_executable(&root.join("init"), &stage1(&order))?;
    write_executable(&root.join("stage2"), &stage2(workdir, env, command))?;
    let image = dir.join("initramfs.cpio");
    let list = "find . | /bin/busybox cpio -o -H newc > ../initramfs.cpio 2>/dev/null";
    let status = Command::new("sh")
        .args(["-c", list])
        .current_dir(&root)
        .status()
        .map_err(|e| Failure(format!("cannot run busybox cpio: {e}")))?;
    if !status.success() {
        return Err(Failure(format!("making the guest's initramfs: {status}")));
    }
    Ok(image)
}

/// The QEMU command line for `kernel` and `initramfs`, serial output to the two files.
fn qemu_args(kernel: &Kernel, initramfs: &Path, console: &Path, output: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "-accel",
        "tcg,thread=multi",
        "-cpu",
        "max",
        "-virtfs",
        "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
        "-nographic",
        "-no-reboot",
        "-nic",
        "none",
        "-monitor",
        "none",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let cpus: u32 = NODES.iter().map(|(first, last, _)| last - first + 1).sum();
    let mib: u32 = NODES.iter().map(|(_, _, mib)| mib).sum();
    let cores = cpus / NODES.len() as u32;
    args.extend(["-smp".into(), format!("{cpus},sockets={},cores={cores},threads=1", NODES.len())]);
    args.extend(["-m".into(), format!("{mib}M")]);
    for (id, (first, last, mib)) in NODES.iter().enumerate() {
        args.extend(["-object".into(), format!("memory-backend-ram,id=m{id},size={mib}M")]);
        args.extend(["-numa".into(), format!("node,nodeid={id},cpus={first}-{last},memdev=m{id}")]);
    }
    args.push("-kernel".into());
    args.push(kernel.image.to_string_lossy().into_owned());
    args.push("-initrd".into());
    args.push(initramfs.to_string_lossy().into_owned());
    args.push("-append".into());
    args.push("console=ttyS0 quiet panic=-1".into());
    for file in [console, output] {
        args.push("-serial".into());
        args.push(format!("file:{}", file.display()));
    }
    args
}

/// Runs `command` (a shell command line) in the two-node guest, in `workdir`, with `env`;
/// prints its output as it comes and returns its exit status.
/// `install`: whether missing tools and the kernel may be installed (not `--no-setup`).
pub fn run(
    command: &str,
    workdir: &Path,
    env: &[(String, String)],
    install: bool,
) -> Result<i32, Failure> {
    let setup_failure = |f: Failure| Failure(format!("{SETUP}{}", f.0));
    ensure_tools(install).map_err(setup_failure)?;
    let kernel = ensure_kernel(install).map_err(setup_failure)?;
    let dir = std::env::temp_dir().join(format!("dpdk-rs-guest-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| io_failure(&dir, e))?;
    let result = run_in_dir(&dir, &kernel, command, workdir, env);
    if result.is_ok() {
        let _ = fs::remove_dir_all(&dir);
    } else {
        eprintln!("(the guest's files are kept in {})", dir.display());
    }
    result
}

fn run_in_dir(
    dir: &Path,
    kernel: &Kernel,
    command: &str,
    workdir: &Path,
    env: &[(String, String)],
) -> Result<i32, Failure> {
    let initramfs = make_initramfs(dir, kernel, workdir, env, command)?;
    let (console, output) = (dir.join("console.log"), dir.join("output.log"));
    fs::write(&output, b"").map_err(|e| io_failure(&output, e))?;
    let started = Instant::now();
    let mut child = Command::new("qemu-system-x86_64")
        .args(qemu_args(kernel, &initramfs, &console, &output))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Failure(format!("cannot start qemu-system-x86_64: {e}")))?;
    let mut relay = Relay::default();
    let status = loop {
        relay.pump(&output);
        if let Some(status) = child.try_wait().map_err(|e| Failure(format!("qemu: {e}")))? {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Failure(format!(
                "the two-node guest ran over {}; killed",
                format_duration(TIMEOUT)
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    relay.pump(&output);
    relay.finish();
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    println!("(two-node guest: {} from boot to power-off)", format_duration(started.elapsed()));
    match relay.exit {
        Some(code) => Ok(code),
        None => {
            let tail = fs::read_to_string(&console).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(30).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            Err(Failure(format!(
                "the two-node guest stopped ({status}) without the command's status; \
                 qemu said: {}; the guest's console ended:\n{}",
                stderr.trim(),
                tail.join("\n")
            )))
        }
    }
}

/// The test targets the two-node pass runs, each with its ignored tests included.
pub const TEST_TARGETS: &[&str] = &["numa_guest", "numa_multiprocess", "numa", "numa_dataplane"];

/// The two-node pass: builds [`TEST_TARGETS`] on the host, runs them in the guest
/// (`install`: as in [`run`]).
pub fn pass(workspace: &Path, install: bool) -> Result<(), Failure> {
    let mut args = vec!["test", "-p", "dpdk-tests", "--no-run"];
    for target in TEST_TARGETS {
        args.extend(["--test", target]);
    }
    println!("$ cargo {}", args.join(" "));
    let out = Command::new(cargo_program())
        .args(&args)
        .current_dir(workspace)
        .stdout(Stdio::inherit())
        .output()
        .map_err(|e| Failure(format!("cannot run cargo: {e}")))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprint!("{stderr}");
    if !out.status.success() {
        return Err(Failure(format!("building the two-node tests: {}", out.status)));
    }
    let binaries = executables(&stderr);
    if binaries.len() != TEST_TARGETS.len() {
        return Err(Failure(format!(
            "expected {} test binaries from cargo, found {binaries:?}",
            TEST_TARGETS.len()
        )));
    }
    // Every binary runs, and the pass fails if any failed; --include-ignored runs the tests
    // that this one-node host only lists, except the `child_*` tests, which are processes
    // that their parent test starts (they refuse to run on their own).
    let mut command = String::from("rc=0\n");
    for binary in &binaries {
        let path = workspace.join(binary);
        command += &format!(
            "echo '--- {}'; {} --include-ignored --skip child_ --test-threads=1 --color never --nocapture || rc=1\n",
            binary,
            crate::lts::shell_quote(&path.to_string_lossy())
        );
    }
    command += "exit $rc\n";
    let env = [
        ("DPDK_RS_MEMORY".to_owned(), "hugepages".to_owned()),
        ("RUST_BACKTRACE".to_owned(), "1".to_owned()),
        (SHAPE_ENV.to_owned(), shape()),
        (HUGEPAGES_ENV.to_owned(), HUGEPAGES_PER_NODE.to_string()),
        (
            "PATH".to_owned(),
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
        ),
    ];
    let started = Instant::now();
    let code = run(&command, workspace, &env, install)?;
    println!("two-node pass: {}", format_duration(started.elapsed()));
    if code == 0 {
        Ok(())
    } else {
        Err(Failure(format!("the two-node pass failed (exit status {code} in the guest)")))
    }
}

/// The test executables cargo names in its `--no-run` output (relative to the workspace).
pub fn executables(cargo_stderr: &str) -> Vec<String> {
    cargo_stderr
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Executable "))
        .filter_map(|rest| rest.rsplit_once('(').map(|(_, p)| p.trim_end_matches(')').to_owned()))
        .collect()
}

/// Copies the guest's output file to stdout as it grows, holding back the status line.
#[derive(Default)]
struct Relay {
    offset: u64,
    partial: String,
    exit: Option<i32>,
}

impl Relay {
    fn pump(&mut self, path: &Path) {
        let Ok(mut file) = fs::File::open(path) else { return };
        if file.seek(SeekFrom::Start(self.offset)).is_err() {
            return;
        }
        let mut bytes = Vec::new();
        if file.read_to_end(&mut bytes).is_err() {
            return;
        }
        self.offset += bytes.len() as u64;
        self.partial += &String::from_utf8_lossy(&bytes).replace('\r', "");
        while let Some(end) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=end).collect();
            self.line(line.trim_end_matches('\n'));
        }
    }

    fn line(&mut self, line: &str) {
        if let Some(code) = line.strip_prefix(EXIT_MARK) {
            self.exit = code.trim().parse().ok();
        } else {
            println!("{line}");
        }
    }

    fn finish(&mut self) {
        if !self.partial.is_empty() {
            let rest = std::mem::take(&mut self.partial);
            self.line(&rest);
        }
        let _ = std::io::stdout().flush();
    }
}

/// `program args` in `dir`, output inherited.
fn run_in(dir: &Path, program: &str, args: &[&str]) -> Result<(), Failure> {
    let what = format!("{program} {}", args.join(" "));
    run_checked(Command::new(program).args(args).current_dir(dir), &what)
}

fn copy(from: &Path, to: &Path) -> Result<(), Failure> {
    fs::copy(from, to).map(drop).map_err(|e| io_failure(from, e))
}

fn write_executable(path: &Path, text: &str) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt;
    fs::write(path, text).map_err(|e| io_failure(path, e))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(|e| io_failure(path, e))
}

fn io_failure(path: &Path, e: std::io::Error) -> Failure {
    Failure(format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_executables_from_cargo() {
        let text = "   Compiling dpdk-tests v0.1.0\n    Finished `test` profile\n  \
                    Executable tests/numa_guest.rs (target/debug/deps/numa_guest-0a1b)\n  \
                    Executable tests/numa.rs (target/debug/deps/numa-99)\n";
        assert_eq!(
            executables(text),
            ["target/debug/deps/numa_guest-0a1b", "target/debug/deps/numa-99"]
        );
    }

    #[test]
    fn depends_are_read_from_modinfo() {
        let ko = b"\x7fELF junk\0license=GPL\0depends=virtio,9pnet,virtio_ring\0retpoline=Y\0";
        assert_eq!(depends_of(ko), ["virtio", "9pnet", "virtio_ring"]);
        assert!(depends_of(b"\0depends=\0").is_empty());
        assert!(depends_of(b"no modinfo at all").is_empty());
    }

    #[test]
    fn modules_load_after_what_they_need() {
        let table: BTreeMap<&str, Vec<&str>> = [
            ("9p", vec!["9pnet", "netfs", "fscache"]),
            ("9pnet", vec![]),
            ("netfs", vec![]),
            ("fscache", vec!["netfs"]),
            ("9pnet_virtio", vec!["virtio", "9pnet", "virtio_ring"]),
            ("virtio", vec!["virtio_ring"]),
            ("virtio_ring", vec![]),
        ]
        .into_iter()
        .collect();
        let depends = |n: &str| table.get(n).map(|d| d.iter().map(|s| s.to_string()).collect());
        let order = load_order(&["9pnet_virtio", "9p"], &depends).unwrap();
        let at = |n: &str| order.iter().position(|m| m == n).unwrap();
        for (module, needs) in &table {
            for need in needs {
                assert!(at(need) < at(module), "{need} before {module} in {order:?}");
            }
        }
        assert_eq!(order.len(), table.len(), "each once: {order:?}");
        assert!(load_order(&["missing"], &depends).unwrap_err().contains("missing"));
        let cycle = |n: &str| Some(vec![if n == "a" { "b" } else { "a" }.to_string()]);
        assert!(load_order(&["a"], &cycle).unwrap_err().contains("itself"));
    }
}
