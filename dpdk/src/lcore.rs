//! Logical cores: ids and sockets, closures launched on worker lcores (plain and
//! scoped), and registration of non-EAL threads.

use std::any::Any;
use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::fmt;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::eal::{ensure_running, Eal};
use crate::error::{check_rc, Call, Error, Result};
use crate::ffi;
use crate::SocketId;

/// An lcore id: a thread DPDK runs (the main lcore and workers) or has registered.
///
/// ```
/// # let eal = dpdk::doc_eal();
/// for lcore in eal.lcores() {
///     println!("{lcore} on {} (cpus {:?})", lcore.socket(), lcore.cpus());
/// }
/// // The thread that ran rte_eal_init is the main lcore.
/// assert_eq!(dpdk::LcoreId::current(), Some(eal.main_lcore()));
/// ```
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct LcoreId(u32);

impl LcoreId {
    /// The enabled lcore with this id.
    ///
    /// # Errors
    /// [`Error::UnknownLcore`] if the id is out of range or the lcore is not enabled;
    /// [`Error::EalNotRunning`] before initialisation.
    pub fn new(id: u32) -> Result<LcoreId> {
        let call = || Call::new("LcoreId::new", id.to_string());
        ensure_running(call)?;
        // SAFETY: id is range-checked before rte_lcore_is_enabled indexes its table.
        if id < ffi::RTE_MAX_LCORE && unsafe { ffi::rte_lcore_is_enabled(id) } != 0 {
            Ok(LcoreId(id))
        } else {
            Err(Error::UnknownLcore { call: call(), lcore: id, enabled: enabled_ids() })
        }
    }

    /// The lcore of the calling thread (`rte_lcore_id`), or `None` for a thread that is not
    /// an EAL thread and not registered (see [`Eal::register_thread`]).
    #[doc(alias = "rte_lcore_id")]
    #[inline]
    pub fn current() -> Option<LcoreId> {
        let id = raw_lcore_id();
        (id != ffi::LCORE_ID_ANY).then_some(LcoreId(id))
    }

    /// The numeric id.
    #[inline]
    pub fn id(self) -> u32 {
        self.0
    }

    /// The NUMA socket of this lcore (`rte_lcore_to_socket_id`).
    #[doc(alias = "rte_lcore_to_socket_id")]
    pub fn socket(self) -> SocketId {
        // SAFETY: self.0 < RTE_MAX_LCORE by construction.
        SocketId::from_dpdk(unsafe { ffi::rte_lcore_to_socket_id(self.0) } as i32)
    }

    /// The operating system's CPUs this lcore's thread is pinned to (`rte_lcore_cpuset`),
    /// ascending: one CPU for a plain `-l` lcore, several for a `--lcores` group; empty for
    /// a registered non-EAL thread.
    ///
    /// ```
    /// # let eal = dpdk::doc_eal();
    /// let main = eal.main_lcore();
    /// let topology = dpdk::numa::Topology::read().unwrap();
    /// assert_eq!(main.cpus().len(), 1);
    /// assert_eq!(main.socket().id(), topology.node_of_cpu(main.cpus()[0]));
    /// ```
    #[doc(alias = "rte_lcore_cpuset")]
    pub fn cpus(self) -> Vec<u32> {
        // SAFETY: self.0 < RTE_MAX_LCORE by construction; the set is returned by value.
        let set = unsafe { ffi::rte_lcore_cpuset(self.0) };
        let bits = 8 * std::mem::size_of_val(&set.__bits[0]);
        (0..set.__bits.len() * bits)
            .filter(|&cpu| set.__bits[cpu / bits] >> (cpu % bits) & 1 == 1)
            .map(|cpu| cpu as u32)
            .collect()
    }

    /// DPDK's core id of this lcore's CPU (`rte_lcore_to_cpu_id`): the kernel's
    /// `topology/core_id`, the core's number *within its socket*, not the operating
    /// system's CPU number (on two sockets of two cores, CPUs 2 and 3 are cores 0 and 1);
    /// [`cpus`](Self::cpus) gives the CPUs. -1 for registered non-EAL threads.
    #[doc(alias = "rte_lcore_to_cpu_id")]
    pub fn cpu(self) -> i32 {
        // SAFETY: self.0 < RTE_MAX_LCORE by construction.
        unsafe { ffi::rte_lcore_to_cpu_id(self.0 as c_int) }
    }
}

impl fmt::Display for LcoreId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lcore {}", self.0)
    }
}

/// The calling thread's lcore id as DPDK keeps it (`rte_lcore_id()`): `LCORE_ID_ANY` on
/// threads that are neither EAL threads nor registered.
///
/// On x86-64 Linux this reads DPDK's thread-local `per_lcore__lcore_id` directly, with the
/// initial-exec TLS sequence a C compiler emits for an executable (two instructions), so
/// fast paths such as the mempool cache pay no call for it. Elsewhere it calls DPDK's
/// `rte_lcore_id` through the generated wrapper.
#[inline(always)]
pub(crate) fn raw_lcore_id() -> u32 {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        let id: u32;
        // SAFETY: loads the TLS offset of librte_eal's `per_lcore__lcore_id` from the GOT
        // (R_X86_64_GOTTPOFF) and reads the variable through %fs, exactly as C does for a
        // `__thread` variable of a library the executable links. Reads only.
        unsafe {
            std::arch::asm!(
                "mov {off}, qword ptr [rip + {var}@GOTTPOFF]",
                "mov {id:e}, dword ptr fs:[{off}]",
                var = sym ffi::per_lcore__lcore_id,
                off = out(reg) _,
                id = out(reg) id,
                options(nostack, readonly, preserves_flags, pure),
            );
        }
        id
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    // SAFETY: reads a thread-local variable; LCORE_ID_ANY on unregistered threads.
    unsafe {
        ffi::rte_lcore_id()
    }
}

fn enabled_ids() -> Vec<u32> {
    // SAFETY: the EAL is running (callers check); ids are within RTE_MAX_LCORE.
    (0..ffi::RTE_MAX_LCORE).filter(|&id| unsafe { ffi::rte_lcore_is_enabled(id) } != 0).collect()
}

/// Per worker lcore: whether a handle of this crate owns it (launched and not yet waited
/// for). DPDK's `rte_eal_remote_launch` checks the worker's state without claiming it,
/// so two threads launching on one worker would race; this makes launching exclusive.
static CLAIMED: [AtomicBool; ffi::RTE_MAX_LCORE as usize] =
    [const { AtomicBool::new(false) }; ffi::RTE_MAX_LCORE as usize];

impl Eal {
    /// All enabled lcores, the main one included, in id order.
    pub fn lcores(&self) -> Vec<LcoreId> {
        enabled_ids().into_iter().map(LcoreId).collect()
    }

    /// The main lcore (`rte_get_main_lcore`): the thread that initialised the EAL.
    #[doc(alias = "rte_get_main_lcore")]
    pub fn main_lcore(&self) -> LcoreId {
        // SAFETY: the EAL is running while a handle exists.
        LcoreId(unsafe { ffi::rte_get_main_lcore() })
    }

    /// The worker lcores: every enabled lcore but the main one.
    pub fn workers(&self) -> Vec<LcoreId> {
        let main = self.main_lcore();
        self.lcores().into_iter().filter(|&l| l != main).collect()
    }

    /// Runs `f` on worker `lcore` (`rte_eal_remote_launch`) and returns a handle to its
    /// result.
    ///
    /// A panic in `f` is caught on the worker (it never unwinds into DPDK) and handed to
    /// whoever joins. The handle owns the lcore until its job is waited for: dropping the
    /// handle waits for the job.
    ///
    /// # Errors
    /// [`Error::UnknownLcore`] for an lcore that is not enabled, [`Error::NotAWorker`] for
    /// the main lcore, [`Error::Busy`] if the lcore runs another job.
    ///
    /// ```
    /// # let eal = dpdk::doc_eal();
    /// let worker = eal.workers()[0];
    /// let job = eal.launch(worker, move || dpdk::LcoreId::current().map(|l| l.id()))?;
    /// assert_eq!(job.join().unwrap(), Some(worker.id()));
    ///
    /// let job = eal.launch(worker, || -> u32 { panic!("boom") })?;
    /// assert!(job.join().is_err()); // the panic is reported; the process goes on
    /// # Ok::<(), dpdk::Error>(())
    /// ```
    #[doc(alias = "rte_eal_remote_launch")]
    pub fn launch<F, R>(&self, lcore: LcoreId, f: F) -> Result<LcoreJoinHandle<R>>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let job = Arc::new(Job::new(lcore, false));
        // SAFETY: F and R are 'static, so nothing the closure uses can go away first.
        unsafe { launch_job(self, lcore, &job, f)? };
        Ok(LcoreJoinHandle { job, _eal: self.clone() })
    }

    /// Runs `body` with a scope in which closures that borrow from the caller's stack can
    /// be launched on worker lcores; every one of them has finished when `scope` returns.
    ///
    /// # Panics
    /// If a launched closure panicked and its handle was not joined (like
    /// [`std::thread::scope`]).
    ///
    /// ```
    /// # let eal = dpdk::doc_eal();
    /// let mut counts = vec![0u64; 4];
    /// eal.scope(|s| {
    ///     let (left, right) = counts.split_at_mut(2);
    ///     let job = s.launch(eal.workers()[0], || left.iter_mut().for_each(|c| *c += 1))?;
    ///     right.iter_mut().for_each(|c| *c += 2); // meanwhile, on this thread
    ///     job.join().unwrap();
    ///     Ok::<(), dpdk::Error>(())
    /// })?;
    /// assert_eq!(counts, [1, 1, 2, 2]);
    /// # Ok::<(), dpdk::Error>(())
    /// ```
    pub fn scope<'env, F, T>(&self, body: F) -> T
    where
        F: for<'scope> FnOnce(&'scope LcoreScope<'scope, 'env>) -> T,
    {
        let scope = LcoreScope {
            eal: self.clone(),
            jobs: Mutex::new(Vec::new()),
            _scope: PhantomData,
            _env: PhantomData,
        };
        // Wait for every job even when `body` panics: they may borrow what unwinding frees.
        let result = catch_unwind(AssertUnwindSafe(|| body(&scope)));
        // A job may itself launch more jobs into the scope while we wait, so repeat until a
        // round finds the list empty: every job is launched by the body or by a job that is
        // still running, so once all are finished, no more can come.
        let mut unjoined_panic = false;
        loop {
            let jobs = std::mem::take(&mut *scope.jobs.lock().unwrap_or_else(|p| p.into_inner()));
            if jobs.is_empty() {
                break;
            }
            for job in &jobs {
                unjoined_panic |= job.finish_erased(); // every job, no short-circuit
            }
        }
        match result {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(_) if unjoined_panic => {
                panic!("a closure launched on an lcore in this scope panicked")
            }
            Ok(value) => value,
        }
    }

    /// Waits until every worker lcore is idle (`rte_eal_mp_wait_lcore`). Results stay
    /// with their handles.
    ///
    /// # Errors
    /// [`Error::WouldDeadlock`] when called on a worker lcore (from a launched closure):
    /// DPDK would wait for the calling lcore too, forever.
    ///
    /// ```
    /// # let eal = dpdk::doc_eal();
    /// let on_worker = eal.clone();
    /// let job = eal.launch(eal.workers()[0], move || on_worker.wait_all())?;
    /// assert!(matches!(job.join().unwrap(), Err(dpdk::Error::WouldDeadlock { .. })));
    /// eal.wait_all()?; // from the main lcore
    /// # Ok::<(), dpdk::Error>(())
    /// ```
    #[doc(alias = "rte_eal_mp_wait_lcore")]
    pub fn wait_all(&self) -> Result<()> {
        if let Some(lcore) = LcoreId::current().filter(|l| self.workers().contains(l)) {
            return Err(Error::WouldDeadlock {
                call: Call::new("rte_eal_mp_wait_lcore", ""),
                lcore: lcore.0,
                message: "called on a worker lcore, which DPDK would wait for too".into(),
            });
        }
        // SAFETY: waits on DPDK's per-lcore state; any thread but a worker may wait.
        unsafe { ffi::rte_eal_mp_wait_lcore() };
        Ok(())
    }

    /// Registers the calling thread with DPDK (`rte_thread_register`) so that it has an
    /// lcore id (and mempool caches serve it) until the returned guard is dropped.
    ///
    /// DPDK notes that registered non-EAL threads and multi-process do not mix: a primary
    /// that registers threads keeps secondaries from initialising.
    ///
    /// # Errors
    /// [`Error::ThreadAlreadyRegistered`] if the thread already has an lcore id (an EAL
    /// thread, or registered before); DPDK's error when it has no free lcore id.
    ///
    /// ```
    /// # let eal = dpdk::doc_eal();
    /// std::thread::spawn(move || {
    ///     let reg = eal.register_thread()?;
    ///     assert_eq!(dpdk::LcoreId::current(), Some(reg.lcore()));
    ///     drop(reg);
    ///     assert_eq!(dpdk::LcoreId::current(), None);
    ///     Ok::<(), dpdk::Error>(())
    /// }).join().unwrap()?;
    /// # Ok::<(), dpdk::Error>(())
    /// ```
    #[doc(alias = "rte_thread_register")]
    pub fn register_thread(&self) -> Result<ThreadRegistration> {
        if let Some(lcore) = LcoreId::current() {
            return Err(Error::ThreadAlreadyRegistered { lcore: lcore.id() });
        }
        // SAFETY: the EAL is running; registers the calling thread only.
        let rc = unsafe { ffi::rte_thread_register() };
        check_rc(rc, || Call::new("rte_thread_register", "")).map_err(|e| match e {
            Error::InvalidArgument { call, message } => Error::InvalidArgument {
                call,
                message: format!(
                    "{message}: DPDK registers no non-EAL thread while multi-process is in use"
                ),
            },
            other => other,
        })?;
        let lcore = LcoreId::current()
            .ok_or_else(|| Error::from_errno(Call::new("rte_thread_register", ""), libc::ENOMEM))?;
        Ok(ThreadRegistration { lcore, _eal: self.clone(), _not_send: PhantomData })
    }
}

/// What a launched closure leaves for its joiner.
struct Job<R> {
    lcore: LcoreId,
    result: Mutex<Option<std::thread::Result<R>>>,
    /// Set while this job owns its lcore's claim; cleared, under the lock, once the lcore
    /// has been waited for.
    claim: Mutex<bool>,
    joined: AtomicBool,
    /// Set by the job itself when it drops its own `'static` handle: nobody will wait for
    /// it, so it gives its lcore's claim back itself when it returns.
    detached: AtomicBool,
    /// Whether the job borrows from a scope (which waits for it whatever its handle does).
    scoped: bool,
}

impl<R> Job<R> {
    fn new(lcore: LcoreId, scoped: bool) -> Self {
        Self {
            lcore,
            result: Mutex::new(None),
            claim: Mutex::new(false),
            joined: AtomicBool::new(false),
            detached: AtomicBool::new(false),
            scoped,
        }
    }

    /// Whether the calling thread is this job's own lcore (the job itself is calling).
    fn on_own_lcore(&self) -> bool {
        LcoreId::current() == Some(self.lcore)
    }

    /// The error for joining from the job itself.
    fn own_lcore_error(&self) -> Error {
        Error::WouldDeadlock {
            call: Call::new("rte_eal_wait_lcore", format!("lcore={}", self.lcore.0)),
            lcore: self.lcore.0,
            message: "a job cannot join itself; it was detached instead".into(),
        }
    }

    /// Waits until the lcore has returned from this job, then gives its claim back.
    /// Idempotent; concurrent callers all return after the wait. Called by the job itself
    /// (its handle dropped on its own lcore), it does not wait, which would be forever: a
    /// `'static` job is detached (it gives its claim back when it returns), a scoped one
    /// is left to its scope.
    fn finish(&self) {
        if self.on_own_lcore() {
            if !self.scoped {
                self.detached.store(true, Ordering::Relaxed);
            }
            return;
        }
        let mut claim = self.claim.lock().unwrap_or_else(|p| p.into_inner());
        if *claim {
            // SAFETY: the lcore is a worker; we own its claim, so the job it runs (or has
            // run) is ours.
            unsafe { ffi::rte_eal_wait_lcore(self.lcore.0) };
            CLAIMED[self.lcore.0 as usize].store(false, Ordering::Release);
            *claim = false;
        }
    }

    fn take_result(&self) -> std::thread::Result<R> {
        self.finish();
        self.joined.store(true, Ordering::Relaxed);
        self.result
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .expect("a finished job left its result")
    }
}

/// A job of any result type, as a scope sees it.
trait ScopedJob: Send + Sync {
    /// Waits for the job; returns whether it panicked and was not joined.
    fn finish_erased(&self) -> bool;
}

impl<R: Send> ScopedJob for Job<R> {
    fn finish_erased(&self) -> bool {
        self.finish();
        let result = self.result.lock().unwrap_or_else(|p| p.into_inner());
        !self.joined.load(Ordering::Relaxed) && matches!(*result, Some(Err(_)))
    }
}

/// The boxed closure handed to DPDK through `void *arg`.
type Payload<'a> = Box<dyn FnOnce() + Send + 'a>;

unsafe extern "C" fn trampoline(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the Box<Payload> that launch_job leaked for this one call.
    let payload = unsafe { Box::from_raw(arg.cast::<Payload<'static>>()) };
    // The payload catches the closure's panic itself; this guards the rest (e.g. a panic
    // while storing the result) from unwinding into C.
    match catch_unwind(AssertUnwindSafe(payload)) {
        Ok(()) => 0,
        Err(payload) => {
            // Dropping the payload could panic again; leak it instead.
            std::mem::forget(payload);
            -1
        }
    }
}

/// Claims `lcore`, then launches `f` on it, storing the outcome in `job`.
///
/// # Safety
/// Everything `f` borrows must outlive the job: the caller must wait for it
/// ([`Job::finish`]) before any of it goes away.
unsafe fn launch_job<'a, F, R>(eal: &Eal, lcore: LcoreId, job: &Arc<Job<R>>, f: F) -> Result<()>
where
    F: FnOnce() -> R + Send + 'a,
    R: Send + 'a,
{
    let call = || Call::new("rte_eal_remote_launch", format!("lcore={}", lcore.0));
    if lcore == eal.main_lcore() {
        return Err(Error::NotAWorker { call: call(), lcore: lcore.0 });
    }
    LcoreId::new(lcore.0).map_err(|e| match e {
        Error::UnknownLcore { lcore, enabled, .. } => {
            Error::UnknownLcore { call: call(), lcore, enabled }
        }
        other => other,
    })?;
    if CLAIMED[lcore.0 as usize]
        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return Err(Error::from_errno(call(), libc::EBUSY));
    }
    let slot = Arc::clone(job);
    let payload: Payload<'a> = Box::new(move || {
        let outcome = catch_unwind(AssertUnwindSafe(f));
        *slot.result.lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
        // Only this thread sets `detached` (the job dropping its own handle), and nobody
        // else will wait for a detached job: give the lcore back. The next launch on it
        // waits out the few instructions until DPDK sees the lcore idle.
        if slot.detached.load(Ordering::Relaxed) {
            CLAIMED[slot.lcore.0 as usize].store(false, Ordering::Release);
        }
    });
    // SAFETY: erases the lifetime for the trip through C; the caller guarantees the job
    // is waited for before 'a ends.
    let payload: Payload<'static> = unsafe { std::mem::transmute::<Payload<'a>, _>(payload) };
    let arg = Box::into_raw(Box::new(payload));
    // Mark the job's claim before DPDK can run it, so that whoever finishes it waits.
    let mut claim = job.claim.lock().unwrap_or_else(|p| p.into_inner());
    *claim = true;
    // SAFETY: we hold the claim, so the only job the lcore may still be returning from is
    // a detached one that gave its claim back at its end: wait for DPDK to see it idle
    // (at once when it already is), or the launch would fail with EBUSY.
    unsafe { ffi::rte_eal_wait_lcore(lcore.0) };
    // SAFETY: we hold the claim, so no other launch on this worker is in flight; the
    // trampoline takes ownership of `arg`.
    let rc = unsafe { ffi::rte_eal_remote_launch(Some(trampoline), arg.cast(), lcore.0) };
    if rc < 0 {
        *claim = false;
        drop(claim);
        // SAFETY: DPDK did not take the job; `arg` is still ours.
        drop(unsafe { Box::from_raw(arg) });
        CLAIMED[lcore.0 as usize].store(false, Ordering::Release);
        return Err(Error::from_errno(call(), rc));
    }
    Ok(())
}

/// A closure running on a worker lcore; [`join`](Self::join) returns its result or panic.
///
/// Dropping the handle waits for the closure to finish.
#[must_use = "dropping the handle waits for the job"]
pub struct LcoreJoinHandle<R> {
    job: Arc<Job<R>>,
    _eal: Eal,
}

impl<R> LcoreJoinHandle<R> {
    /// Waits for the closure (`rte_eal_wait_lcore`) and returns what it returned, or the
    /// payload of its panic.
    ///
    /// Called by the job itself (the handle sent to its own closure), it cannot wait: the
    /// job is detached and the `Err` holds an [`Error::WouldDeadlock`] instead of a panic
    /// payload (`err.downcast::<dpdk::Error>()`).
    #[doc(alias = "rte_eal_wait_lcore")]
    pub fn join(self) -> std::thread::Result<R> {
        if self.job.on_own_lcore() {
            return Err(Box::new(self.job.own_lcore_error())); // dropping `self` detaches
        }
        self.job.take_result()
    }

    /// The lcore the closure runs on.
    pub fn lcore(&self) -> LcoreId {
        self.job.lcore
    }

    /// Whether the closure has returned (or panicked).
    pub fn is_finished(&self) -> bool {
        self.job.result.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }
}

impl<R> Drop for LcoreJoinHandle<R> {
    fn drop(&mut self) {
        self.job.finish();
    }
}

impl<R> fmt::Debug for LcoreJoinHandle<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LcoreJoinHandle").field("lcore", &self.job.lcore).finish()
    }
}

/// A scope for closures that borrow from the stack; see [`Eal::scope`].
pub struct LcoreScope<'scope, 'env: 'scope> {
    eal: Eal,
    /// The scope's jobs, their lifetime erased (see `LcoreScope::launch`).
    jobs: Mutex<Vec<Arc<dyn ScopedJob>>>,
    _scope: PhantomData<&'scope mut &'scope ()>,
    _env: PhantomData<&'env mut &'env ()>,
}

impl<'scope> LcoreScope<'scope, '_> {
    /// Runs `f` on worker `lcore`; `f` may borrow anything that outlives the scope.
    ///
    /// # Errors
    /// As [`Eal::launch`].
    pub fn launch<F, R>(&'scope self, lcore: LcoreId, f: F) -> Result<ScopedJoinHandle<'scope, R>>
    where
        F: FnOnce() -> R + Send + 'scope,
        R: Send + 'scope,
    {
        let job = Arc::new(Job::new(lcore, true));
        // SAFETY: `scope` waits for every job in `jobs` before 'scope ends.
        unsafe { launch_job(&self.eal, lcore, &job, f)? };
        let scoped: Arc<dyn ScopedJob + 'scope> = job.clone();
        // SAFETY: only the lifetime bound changes (same layout). `Eal::scope` finishes and
        // drops every entry before it returns, i.e. before 'scope ends, and nothing else
        // reads the list.
        let erased: Arc<dyn ScopedJob> = unsafe { std::mem::transmute(scoped) };
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).push(erased);
        Ok(ScopedJoinHandle { job, _scope: PhantomData })
    }
}

/// A closure running on a worker lcore inside an [`LcoreScope`].
#[must_use = "dropping the handle waits for the job"]
pub struct ScopedJoinHandle<'scope, R> {
    job: Arc<Job<R>>,
    _scope: PhantomData<&'scope ()>,
}

impl<R> ScopedJoinHandle<'_, R> {
    /// Waits for the closure and returns what it returned, or the payload of its panic.
    /// Called by the job itself, it cannot wait: the `Err` holds an
    /// [`Error::WouldDeadlock`], and the scope waits for the job.
    pub fn join(self) -> std::thread::Result<R> {
        if self.job.on_own_lcore() {
            return Err(Box::new(self.job.own_lcore_error()));
        }
        self.job.take_result()
    }

    /// The lcore the closure runs on.
    pub fn lcore(&self) -> LcoreId {
        self.job.lcore
    }
}

impl<R> Drop for ScopedJoinHandle<'_, R> {
    fn drop(&mut self) {
        self.job.finish();
    }
}

/// The calling thread's registration with DPDK; see [`Eal::register_thread`].
///
/// Not `Send`: DPDK unregisters the thread that calls `rte_thread_unregister`, so the
/// guard must be dropped on the thread it registered.
#[must_use = "the thread is unregistered when this is dropped"]
pub struct ThreadRegistration {
    lcore: LcoreId,
    _eal: Eal,
    _not_send: PhantomData<*const ()>,
}

impl ThreadRegistration {
    /// The lcore id DPDK gave this thread.
    pub fn lcore(&self) -> LcoreId {
        self.lcore
    }
}

impl Drop for ThreadRegistration {
    fn drop(&mut self) {
        if PINS.with(Cell::get) > 0 {
            // Something on this thread still uses this lcore's caches (a mempool Batch):
            // the lcore id must stay ours until the last of them is gone.
            UNREGISTER_PENDING.with(|p| p.set(true));
        } else {
            // SAFETY: runs on the registered thread (the guard is not Send).
            unsafe { ffi::rte_thread_unregister() }
        }
    }
}

thread_local! {
    /// How many `LcorePin`s this thread holds.
    static PINS: Cell<usize> = const { Cell::new(0) };
    /// Whether the thread's registration ended while pins were held.
    static UNREGISTER_PENDING: Cell<bool> = const { Cell::new(false) };
}

/// Keeps the calling thread's lcore id from changing while alive: a registered thread
/// that drops its [`ThreadRegistration`] meanwhile is unregistered only when the last pin
/// goes. Per-lcore state (a mempool cache pointer) can then be looked up once and used
/// for as long as the pin lives. Not `Send`: it pins the thread it was made on.
pub(crate) struct LcorePin {
    id: u32,
    _not_send: PhantomData<*const ()>,
}

impl LcorePin {
    /// Pins the calling thread's lcore id (`LCORE_ID_ANY` on unregistered threads, which
    /// have no per-lcore state to protect).
    #[inline]
    pub(crate) fn new() -> LcorePin {
        let id = raw_lcore_id();
        if id != ffi::LCORE_ID_ANY {
            PINS.with(|p| p.set(p.get() + 1));
        }
        LcorePin { id, _not_send: PhantomData }
    }

    /// The pinned lcore id.
    #[inline]
    pub(crate) fn id(&self) -> u32 {
        self.id
    }
}

impl Drop for LcorePin {
    #[inline]
    fn drop(&mut self) {
        if self.id == ffi::LCORE_ID_ANY {
            return;
        }
        let left = PINS.with(|p| {
            p.set(p.get() - 1);
            p.get()
        });
        if left == 0 && UNREGISTER_PENDING.with(|p| p.replace(false)) {
            // SAFETY: the registration of this thread ended while pinned; this completes it.
            unsafe { ffi::rte_thread_unregister() }
        }
    }
}

impl fmt::Debug for ThreadRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadRegistration").field("lcore", &self.lcore).finish()
    }
}

/// A panic payload's message, for reports.
///
/// ```
/// let payload = std::panic::catch_unwind(|| panic!("lost {}", 3)).unwrap_err();
/// assert_eq!(dpdk::lcore::panic_message(&*payload), "lost 3");
/// ```
pub fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(non-string panic payload)"
    }
}
