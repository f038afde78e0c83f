//! The crate's one error type, and the helpers that turn DPDK's C conventions
//! (negative return codes, `NULL` + `rte_errno`) into it.

use std::ffi::CStr;
use std::fmt;

use crate::ffi;

/// A DPDK function call, with the arguments it was given: what every error names.
///
/// ```
/// let call = dpdk::Call::new("rte_memzone_reserve", format!("name={:?}, len={}", "zone", 0));
/// assert_eq!(call.to_string(), r#"rte_memzone_reserve(name="zone", len=0)"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The C function (or, for checks done before calling C, the Rust method).
    pub function: &'static str,
    /// Its arguments, rendered for people.
    pub args: String,
}

impl Call {
    /// Names a call and its arguments.
    pub fn new(function: &'static str, args: impl Into<String>) -> Self {
        Self { function, args: args.into() }
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.function, self.args)
    }
}

/// Every error of this crate.
///
/// Errors that come from DPDK carry the failed [`Call`], DPDK's `errno` value and DPDK's
/// message for it (`rte_strerror`); `errno` values are mapped to variants so callers can
/// match on what went wrong. Errors found before calling DPDK (an over-long name, an
/// unknown socket) say which call they stopped and why.
///
/// ```
/// use dpdk::{Call, Error};
/// let err = Error::from_errno(Call::new("rte_ring_create", "name=\"rx\""), libc::EEXIST);
/// assert!(matches!(err, Error::AlreadyExists { .. }));
/// assert_eq!(err.errno(), Some(libc::EEXIST));
/// assert!(err.to_string().starts_with("rte_ring_create(name=\"rx\"): already exists"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `EEXIST`: an object with that name already exists.
    #[error("{call}: already exists ({message})")]
    AlreadyExists {
        /// The failed call.
        call: Call,
        /// DPDK's message.
        message: String,
    },
    /// `ENOMEM`: not enough (hugepage) memory for the request.
    #[error("{call}: out of memory ({message})")]
    NoMemory {
        /// The failed call.
        call: Call,
        /// DPDK's message.
        message: String,
    },
    /// `ENOSPC`: a fixed-size table (memzones, lcores, ...) is full.
    #[error("{call}: no space left ({message})")]
    NoSpace {
        /// The failed call.
        call: Call,
        /// DPDK's message.
        message: String,
    },
    /// `ENOBUFS`: a ring, pool or table has no room (or no objects) for the request.
    #[error("{call}: full or exhausted ({message})")]
    Full {
        /// The failed call.
        call: Call,
        /// DPDK's message.
        message: String,
    },
    /// `EINVAL`: DPDK refused an argument.
    #[error("{call}: invalid argument ({message})")]
    InvalidArgument {
        /// The failed call.
        call: Call,
        /// DPDK's message.
        message: String,
    },
    /// `ENOENT`: no such object.
    #[error("{call}: not found ({message})")]
    NotFound {
        /// The failed call.
        call: Call,
        /// DPDK's message.
        message: String,
    },
    /// `EBUSY`: the object is in use.
    #[error("{call}: busy ({message})")]
    Busy {
        /// The failed call.
        call: Call,
        /// DPDK's message.
        message: String,
    },
    /// `ENOTSUP`: not supported in this configuration.
    #[error("{call}: not supported ({message})")]
    Unsupported {
        /// The failed call.
        call: Call,
        /// DPDK's message.
        message: String,
    },
    /// `E_RTE_SECONDARY`: only a primary process may make this call.
    #[error("{call}: not allowed in a secondary process ({message})")]
    Secondary {
        /// The failed call.
        call: Call,
        /// DPDK's message.
        message: String,
    },
    /// `E_RTE_NO_CONFIG`: DPDK's shared configuration is missing.
    #[error("{call}: no DPDK configuration ({message})")]
    NoConfig {
        /// The failed call.
        call: Call,
        /// DPDK's message.
        message: String,
    },
    /// Any other `errno` value.
    #[error("{call}: errno {errno} ({message})")]
    Dpdk {
        /// The failed call.
        call: Call,
        /// The `errno` / `rte_errno` value.
        errno: i32,
        /// DPDK's message.
        message: String,
    },
    /// A hash table has no room for the key: its buckets (and any extendable ones) are
    /// full. Without extendable buckets this can happen before the table's capacity.
    #[error("{call}: the table is full ({len} keys)")]
    TableFull {
        /// The failed call.
        call: Call,
        /// Keys in the table at the time.
        len: usize,
    },
    /// No Ethernet port has this id.
    #[error("{call}: no port {port} (DPDK has ports {known:?})")]
    UnknownPort {
        /// The call that was not made.
        call: Call,
        /// The port id asked for.
        port: u16,
        /// The ports DPDK has.
        known: Vec<u16>,
    },
    /// No Ethernet port has this device name.
    #[error("{call}: no port is named {name:?}")]
    UnknownDevice {
        /// The failed lookup.
        call: Call,
        /// The name asked for.
        name: String,
    },
    /// A queue index at or above the number of queues configured.
    #[error("{call}: queue {queue} is out of range ({configured} configured)")]
    QueueOutOfRange {
        /// The call that was not made.
        call: Call,
        /// The queue asked for.
        queue: u16,
        /// How many queues the port has.
        configured: u16,
    },
    /// A descriptor count outside what the device accepts.
    #[error(
        "{call}: the device refuses {requested} {direction} descriptors (it accepts \
         {}..={}, a multiple of {})", limits.min, limits.max, limits.align
    )]
    DescriptorsRefused {
        /// The call that was not made.
        call: Call,
        /// `RX` or `TX`.
        direction: &'static str,
        /// The count asked for.
        requested: u16,
        /// What the device accepts.
        limits: DescriptorLimits,
    },
    /// The port is started already.
    #[error("{call}: port {port} is already started")]
    AlreadyStarted {
        /// The call that was not made.
        call: Call,
        /// The port.
        port: u16,
    },
    /// The port must be started first.
    #[error("{call}: port {port} is not started")]
    NotStarted {
        /// The call that was not made.
        call: Call,
        /// The port.
        port: u16,
    },
    /// A name (of a ring, pool, memzone, ...) is longer than DPDK allows.
    #[error("{call}: name {name:?} is {len} bytes, longer than the {max} DPDK allows")]
    NameTooLong {
        /// The call that was not made.
        call: Call,
        /// The name.
        name: String,
        /// Its length in bytes.
        len: usize,
        /// The longest name DPDK accepts, in bytes.
        max: usize,
    },
    /// A name is empty or holds a NUL byte.
    #[error("{call}: invalid name {name:?}: {reason}")]
    InvalidName {
        /// The call that was not made.
        call: Call,
        /// The name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A NUMA socket id that DPDK did not find on this machine.
    #[error("{call}: socket {socket} does not exist (DPDK found sockets {known:?})")]
    UnknownSocket {
        /// The call that was not made.
        call: Call,
        /// The socket asked for.
        socket: u32,
        /// The sockets DPDK found.
        known: Vec<u32>,
    },
    /// An lcore id that is out of range or not enabled in this EAL.
    #[error("{call}: lcore {lcore} is not an enabled lcore (enabled: {enabled:?})")]
    UnknownLcore {
        /// The call that was not made.
        call: Call,
        /// The lcore asked for.
        lcore: u32,
        /// The enabled lcores.
        enabled: Vec<u32>,
    },
    /// Work can only be launched on worker lcores, not on the main lcore.
    #[error("{call}: lcore {lcore} is the main lcore, not a worker")]
    NotAWorker {
        /// The call that was not made.
        call: Call,
        /// The lcore asked for.
        lcore: u32,
    },
    /// The call would wait forever: for the calling lcore itself (a job joining or
    /// waiting for its own lcore).
    #[error("{call}: would wait forever for lcore {lcore}, which is the calling one ({message})")]
    WouldDeadlock {
        /// The call that was not made.
        call: Call,
        /// The lcore that would be waited for.
        lcore: u32,
        /// What to do instead.
        message: String,
    },
    /// The EAL can be initialised once per process.
    #[error("rte_eal_init: the EAL was already initialised in this process ({state})")]
    EalAlreadyInitialized {
        /// What became of the first initialisation.
        state: &'static str,
    },
    /// The EAL is not running (not initialised yet, or cleaned up).
    #[error("{call}: the EAL is not running ({state})")]
    EalNotRunning {
        /// The call that was not made.
        call: Call,
        /// Why.
        state: &'static str,
    },
    /// `rte_eal_init` failed.
    #[error("rte_eal_init({args:?}): {message} (errno {errno}){}", log_tail(.log))]
    EalInit {
        /// The arguments given to the EAL.
        args: Vec<String>,
        /// `rte_errno`.
        errno: i32,
        /// DPDK's message.
        message: String,
        /// Error lines DPDK logged during the attempt.
        log: Vec<String>,
    },
    /// The EAL cannot be cleaned up while other handles or objects keep it alive.
    #[error(
        "rte_eal_cleanup: {references} other reference(s) (handles and objects) still keep \
         the EAL alive"
    )]
    EalInUse {
        /// How many other references exist.
        references: usize,
    },
    /// The calling thread already has an lcore id.
    #[error("rte_thread_register: this thread already has lcore id {lcore}")]
    ThreadAlreadyRegistered {
        /// Its lcore id.
        lcore: u32,
    },
    /// An environment variable that configures this crate holds a value it cannot use.
    #[error("environment variable {var}={value:?}: {reason}")]
    Environment {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// Why it cannot be used.
        reason: String,
    },
}

fn log_tail(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!("; DPDK said: {}", lines.join(" | "))
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// DPDK's message for an `errno` value (`rte_strerror`, which knows DPDK's own values too).
pub fn strerror(errno: i32) -> String {
    // SAFETY: rte_strerror accepts any value and returns a NUL-terminated string that is
    // either static or in a thread-local buffer; we copy it before returning.
    let ptr = unsafe { ffi::rte_strerror(errno) };
    if ptr.is_null() {
        return format!("errno {errno}");
    }
    // SAFETY: non-null and NUL-terminated (see above), valid until the next call on this thread.
    unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned()
}

impl Error {
    /// Maps an `errno` / `rte_errno` value from a failed DPDK call to a variant.
    ///
    /// Accepts the value negated (as many DPDK calls return it) as well.
    #[cold]
    pub fn from_errno(call: Call, errno: i32) -> Self {
        let errno = errno.abs();
        let message = strerror(errno);
        match errno {
            libc::EEXIST => Error::AlreadyExists { call, message },
            libc::ENOMEM => Error::NoMemory { call, message },
            libc::ENOSPC => Error::NoSpace { call, message },
            libc::ENOBUFS => Error::Full { call, message },
            libc::EINVAL => Error::InvalidArgument { call, message },
            libc::ENOENT => Error::NotFound { call, message },
            libc::EBUSY => Error::Busy { call, message },
            libc::ENOTSUP => Error::Unsupported { call, message },
            e if e == ffi::E_RTE_SECONDARY as i32 => Error::Secondary { call, message },
            e if e == ffi::E_RTE_NO_CONFIG as i32 => Error::NoConfig { call, message },
            errno => Error::Dpdk { call, errno, message },
        }
    }

    /// The error for a failed call that reported its cause in `rte_errno`.
    #[cold]
    pub fn from_rte_errno(call: Call) -> Self {
        // SAFETY: reads the calling thread's rte_errno.
        let errno = unsafe { ffi::rte_errno() };
        Self::from_errno(call, errno)
    }

    /// The `errno` value DPDK reported, when the error came from DPDK.
    pub fn errno(&self) -> Option<i32> {
        let errno = match self {
            Error::AlreadyExists { .. } => libc::EEXIST,
            Error::NoMemory { .. } => libc::ENOMEM,
            Error::NoSpace { .. } => libc::ENOSPC,
            Error::Full { .. } => libc::ENOBUFS,
            Error::InvalidArgument { .. } => libc::EINVAL,
            Error::NotFound { .. } => libc::ENOENT,
            Error::Busy { .. } => libc::EBUSY,
            Error::Unsupported { .. } => libc::ENOTSUP,
            Error::Secondary { .. } => ffi::E_RTE_SECONDARY as i32,
            Error::NoConfig { .. } => ffi::E_RTE_NO_CONFIG as i32,
            Error::TableFull { .. } => libc::ENOSPC,
            Error::UnknownPort { .. } | Error::UnknownDevice { .. } => libc::ENODEV,
            Error::QueueOutOfRange { .. } | Error::DescriptorsRefused { .. } => libc::EINVAL,
            Error::Dpdk { errno, .. } | Error::EalInit { errno, .. } => *errno,
            Error::WouldDeadlock { .. } => libc::EDEADLK,
            _ => return None,
        };
        Some(errno)
    }
}

/// Turns a C return code into a `Result`: negative is an error (`-errno`, or `-1` with the
/// cause in `rte_errno`), anything else is returned.
#[inline]
pub(crate) fn check_rc(rc: i32, call: impl FnOnce() -> Call) -> Result<i32> {
    if rc >= 0 {
        Ok(rc)
    } else if rc == -1 {
        Err(Error::from_rte_errno(call()))
    } else {
        Err(Error::from_errno(call(), rc))
    }
}

/// Checks a name for a DPDK object against DPDK's limit (`max` bytes excluding the NUL).
pub(crate) fn check_name(
    name: &str,
    max: usize,
    call: impl Fn() -> Call,
) -> Result<std::ffi::CString> {
    if name.is_empty() {
        return Err(Error::InvalidName { call: call(), name: name.into(), reason: "it is empty" });
    }
    if name.len() > max {
        return Err(Error::NameTooLong { call: call(), name: name.into(), len: name.len(), max });
    }
    std::ffi::CString::new(name).map_err(|_| Error::InvalidName {
        call: call(),
        name: name.into(),
        reason: "it holds a NUL byte",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> Call {
        Call::new("rte_x", "a=1")
    }

    #[test]
    fn errno_values_map_to_variants_and_back() {
        for errno in [
            libc::EEXIST,
            libc::ENOMEM,
            libc::ENOSPC,
            libc::ENOBUFS,
            libc::EINVAL,
            libc::ENOENT,
            libc::EBUSY,
            libc::ENOTSUP,
            ffi::E_RTE_SECONDARY as i32,
            ffi::E_RTE_NO_CONFIG as i32,
            libc::EPERM,
        ] {
            assert_eq!(Error::from_errno(call(), errno).errno(), Some(errno));
            assert_eq!(Error::from_errno(call(), -errno).errno(), Some(errno));
        }
        assert!(matches!(
            Error::from_errno(call(), ffi::E_RTE_SECONDARY as i32),
            Error::Secondary { .. }
        ));
        assert!(matches!(
            Error::from_errno(call(), ffi::E_RTE_NO_CONFIG as i32),
            Error::NoConfig { .. }
        ));
    }

    #[test]
    fn messages_name_the_call_and_dpdks_words() {
        let e = Error::from_errno(call(), ffi::E_RTE_SECONDARY as i32);
        let text = e.to_string();
        assert!(text.starts_with("rte_x(a=1): not allowed in a secondary process"), "{text}");
        assert!(text.contains("secondary"), "{text}");
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("ok", 31, call).is_ok());
        assert!(matches!(check_name("", 31, call), Err(Error::InvalidName { .. })));
        assert!(matches!(check_name("a\0b", 31, call), Err(Error::InvalidName { .. })));
        let long = "x".repeat(32);
        match check_name(&long, 31, call) {
            Err(Error::NameTooLong { len: 32, max: 31, .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn return_codes() {
        assert_eq!(check_rc(3, call).unwrap(), 3);
        assert!(matches!(check_rc(-libc::ENOENT, call), Err(Error::NotFound { .. })));
    }
}

/// Descriptor counts a device accepts for a ring (`struct rte_eth_desc_lim`), as
/// [`Error::DescriptorsRefused`] reports them; also at `dpdk::ethdev::DescriptorLimits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DescriptorLimits {
    /// At least this many.
    pub min: u16,
    /// At most this many.
    pub max: u16,
    /// A multiple of this.
    pub align: u16,
}

impl DescriptorLimits {
    /// Whether `n` descriptors are within the limits.
    pub fn accepts(&self, n: u16) -> bool {
        n >= self.min && n <= self.max && (self.align <= 1 || n % self.align == 0)
    }
}
