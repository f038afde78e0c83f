//! DPDK's log lines, delivered to the [`log`] crate.
//!
//! DPDK writes its log through a C `FILE*` (`rte_openlog_stream`). This module hands it a
//! stream made with `fopencookie` whose write callback splits the text into lines and
//! logs each with DPDK's level (`rte_log_cur_msg_loglevel`) under the target
//! `dpdk::<type>`, e.g. `dpdk::lib.eal`, so `RUST_LOG=dpdk=debug` or
//! `RUST_LOG=dpdk::lib.eal=info` select them like any Rust log.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void};
use std::sync::{Mutex, Once};

use log::{Level, LevelFilter};

use crate::ffi;

/// DPDK's level (`RTE_LOG_EMERG` = 1 ... `RTE_LOG_DEBUG` = 8) for a `log` crate filter.
///
/// ```
/// use log::LevelFilter;
/// assert_eq!(dpdk::log::dpdk_level(LevelFilter::Warn), 5);  // RTE_LOG_WARNING
/// assert_eq!(dpdk::log::dpdk_level(LevelFilter::Trace), 8); // RTE_LOG_DEBUG
/// ```
pub fn dpdk_level(filter: LevelFilter) -> u32 {
    match filter {
        LevelFilter::Off => ffi::RTE_LOG_EMERG,
        LevelFilter::Error => ffi::RTE_LOG_ERR,
        LevelFilter::Warn => ffi::RTE_LOG_WARNING,
        LevelFilter::Info => ffi::RTE_LOG_INFO,
        LevelFilter::Debug | LevelFilter::Trace => ffi::RTE_LOG_DEBUG,
    }
}

/// The `log` crate level of a DPDK level.
///
/// ```
/// assert_eq!(dpdk::log::rust_level(4), log::Level::Error); // RTE_LOG_ERR
/// assert_eq!(dpdk::log::rust_level(6), log::Level::Info);  // RTE_LOG_NOTICE
/// ```
pub fn rust_level(dpdk_level: u32) -> Level {
    match dpdk_level {
        0..=4 => Level::Error,
        5 => Level::Warn,
        6 | 7 => Level::Info,
        _ => Level::Debug,
    }
}

/// Sets DPDK's global log level from the `log` crate's current maximum level
/// (`rte_log_set_global_level`), for applications that change it after start-up.
#[doc(alias = "rte_log_set_global_level")]
pub fn follow_rust_level() {
    // SAFETY: sets an integer in DPDK's log configuration; valid before and after init.
    unsafe { ffi::rte_log_set_global_level(dpdk_level(log::max_level())) }
}

/// Routes DPDK's log stream to the `log` crate (done by [`crate::EalBuilder::build`]
/// unless told otherwise). Idempotent.
#[doc(alias = "rte_openlog_stream")]
pub fn route_to_log_crate() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let funcs =
            CookieIoFunctions { read: None, write: Some(write_cb), seek: None, close: None };
        // SAFETY: a write-only stream whose callbacks use no cookie; it is never closed,
        // so it stays valid for the rest of the process.
        let stream = unsafe { fopencookie(std::ptr::null_mut(), c"w".as_ptr(), funcs) };
        if stream.is_null() {
            log::warn!("fopencookie failed: DPDK keeps logging to stderr");
            return;
        }
        // SAFETY: `stream` is a valid FILE* for the rest of the process (never closed).
        unsafe { ffi::rte_openlog_stream(stream.cast()) };
    });
}

/// glibc's `cookie_io_functions_t` (not in the `libc` crate for this target).
#[repr(C)]
struct CookieIoFunctions {
    read: Option<unsafe extern "C" fn(*mut c_void, *mut c_char, usize) -> isize>,
    write: Option<unsafe extern "C" fn(*mut c_void, *const c_char, usize) -> isize>,
    seek: Option<unsafe extern "C" fn(*mut c_void, *mut i64, c_int) -> c_int>,
    close: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
}

extern "C" {
    /// glibc: a `FILE*` whose I/O goes through the given callbacks.
    fn fopencookie(
        cookie: *mut c_void,
        mode: *const c_char,
        funcs: CookieIoFunctions,
    ) -> *mut libc::FILE;
}

thread_local! {
    /// Text of the calling thread's current DPDK message, up to its last newline.
    static PENDING: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Error lines logged while `rte_eal_init` runs, for [`crate::Error::EalInit`].
static CAPTURE: Mutex<Option<Vec<String>>> = Mutex::new(None);

pub(crate) fn start_capture() {
    *CAPTURE.lock().unwrap_or_else(|p| p.into_inner()) = Some(Vec::new());
}

pub(crate) fn stop_capture() -> Vec<String> {
    CAPTURE.lock().unwrap_or_else(|p| p.into_inner()).take().unwrap_or_default()
}

unsafe extern "C" fn write_cb(_cookie: *mut c_void, buf: *const c_char, size: usize) -> isize {
    // A panic (in a logger implementation, say) must not unwind into DPDK's C; its payload
    // is leaked rather than dropped (dropping it could panic again).
    let outcome = std::panic::catch_unwind(|| {
        // SAFETY: stdio hands us `size` readable bytes at `buf`.
        let bytes = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), size) };
        PENDING.with(|pending| {
            let mut pending = pending.borrow_mut();
            pending.extend_from_slice(bytes);
            while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                emit(String::from_utf8_lossy(&line[..end]).trim_end());
            }
        });
    });
    if let Err(payload) = outcome {
        std::mem::forget(payload);
    }
    size as isize
}

fn emit(line: &str) {
    if line.is_empty() {
        return;
    }
    // SAFETY: per-thread values rte_vlog sets before writing the message we are handed.
    let (level, logtype) =
        unsafe { (ffi::rte_log_cur_msg_loglevel(), ffi::rte_log_cur_msg_logtype()) };
    let level = rust_level(level.max(0) as u32);
    if level == Level::Error {
        if let Some(lines) = CAPTURE.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            lines.push(line.to_owned());
        }
    }
    let target = format!("dpdk::{}", type_name(logtype));
    log::log!(target: &target, level, "{line}");
}

/// The name DPDK registered for a log type id (`lib.eal`, `pmd.net.ring`, ...).
fn type_name(logtype: c_int) -> String {
    static NAMES: Mutex<Option<HashMap<c_int, String>>> = Mutex::new(None);
    let mut names = NAMES.lock().unwrap_or_else(|p| p.into_inner());
    let names = names.get_or_insert_with(HashMap::new);
    if !names.contains_key(&logtype) {
        // Types are registered at run time; re-read DPDK's table for an unknown one.
        *names = read_type_names();
    }
    names.get(&logtype).cloned().unwrap_or_else(|| format!("type{logtype}"))
}

/// Parses `rte_log_dump`'s `id N: name, level is X` lines.
fn read_type_names() -> HashMap<c_int, String> {
    // SAFETY: rte_log_dump writes into the stream it is given.
    parse_type_names(&capture_stream(|f| unsafe { ffi::rte_log_dump(f) }))
}

/// What a DPDK dump function writes to a `FILE*`, as text.
pub(crate) fn capture_stream(write: impl FnOnce(*mut ffi::FILE)) -> String {
    let mut buf: *mut c_char = std::ptr::null_mut();
    let mut len: usize = 0;
    // SAFETY: open_memstream sets `buf` and `len` when the stream is closed; the buffer
    // is then ours to free. `write` gets a valid stream until we close it.
    unsafe {
        let stream = libc::open_memstream(&mut buf, &mut len);
        if stream.is_null() {
            return String::new();
        }
        write(stream.cast());
        libc::fclose(stream);
        let text =
            String::from_utf8_lossy(std::slice::from_raw_parts(buf.cast::<u8>(), len)).into_owned();
        libc::free(buf.cast());
        text
    }
}

fn parse_type_names(text: &str) -> HashMap<c_int, String> {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("id ")?;
            let (id, rest) = rest.split_once(": ")?;
            let (name, _) = rest.rsplit_once(", level is")?;
            Some((id.trim().parse().ok()?, name.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rte_log_dump() {
        let text = "global log level is debug\nid 0: lib.eal, level is info\n\
                    id 33: pmd.net.ring, level is notice\n";
        let names = parse_type_names(text);
        assert_eq!(names[&0], "lib.eal");
        assert_eq!(names[&33], "pmd.net.ring");
        assert_eq!(names.len(), 2);
    }

    #[test]
    fn levels_round_trip() {
        for filter in [LevelFilter::Error, LevelFilter::Warn, LevelFilter::Info, LevelFilter::Debug]
        {
            assert_eq!(rust_level(dpdk_level(filter)).to_level_filter(), filter);
        }
    }
}
