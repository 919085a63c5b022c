//! The calling thread's CPU clock, shared by the benchmark binaries (included with `#[path]`,
//! not part of the library's API).

use std::time::Duration;

/// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`), or `None` if unavailable.
pub fn thread_cpu() -> Option<Duration> {
	let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
	// SAFETY: `now` is a valid, writable timespec for the duration of the call.
	let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
	if rc != 0 {
		return None;
	}
	Some(Duration::new(u64::try_from(now.tv_sec).ok()?, u32::try_from(now.tv_nsec).ok()?))
}
