//! Cleaning up past panics. A stored value whose `Drop` panics must not stop the other
//! values being dropped, nor the memory under them being freed, nor its name being given
//! back: each cleanup drops every value through [`FirstPanic::run`], frees what it holds,
//! and only then resumes the first panic.

use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

/// The first panic of a cleanup, resumed when the cleanup is done.
#[derive(Default)]
pub(crate) struct FirstPanic(Option<Box<dyn Any + Send>>);

impl FirstPanic {
    /// Runs `f`, keeping its panic if it is the first. Later payloads are leaked:
    /// dropping one could panic again.
    pub(crate) fn run(&mut self, f: impl FnOnce()) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
            if self.0.is_none() {
                self.0 = Some(payload);
            } else {
                std::mem::forget(payload);
            }
        }
    }

    /// Resumes the first panic, if any. When the thread is already unwinding (the cleanup
    /// runs in a drop during another panic), a second panic would abort the process, so
    /// the payload is leaked instead.
    #[inline]
    pub(crate) fn resume(self) {
        if let Some(payload) = self.0 {
            resume_payload(payload);
        }
    }
}

#[cold]
#[inline(never)]
fn resume_payload(payload: Box<dyn Any + Send>) {
    if std::thread::panicking() {
        std::mem::forget(payload);
    } else {
        resume_unwind(payload);
    }
}
