//! What one run cost the machine: its wall time, the CPU time (user + system) and the peak
//! resident set size the kernel accounted to that one child process.
//!
//! The child is reaped with `wait4(pid, …)`, which returns the exit status and the
//! `rusage` of exactly that child (and of descendants it reaped itself), never of the
//! xtask's other children: `getrusage(RUSAGE_CHILDREN)` would sum every child reaped so
//! far, so a run's figure would include the runs before it. Once `wait4` has reaped the
//! child, std's `Child` handle must not wait for or signal it again (the pid may be reused):
//! [`Reaper`] owns that rule.

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// The kernel's accounting of one run's process.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    /// From spawn to exit, as the xtask saw it (start-up and exit included), in ms.
    pub wall_ms: f64,
    /// User-mode CPU time of the process and its threads, in ms.
    pub user_ms: f64,
    /// Kernel-mode CPU time, in ms.
    pub sys_ms: f64,
    /// Peak resident set size (`ru_maxrss`), in KiB.
    pub max_rss_kib: u64,
}

impl Usage {
    /// User + system CPU time, in ms.
    pub fn cpu_ms(&self) -> f64 {
        self.user_ms + self.sys_ms
    }

    /// CPU time / wall time: the average number of CPUs the process kept busy (1.0 = one
    /// CPU all the time; spinning threads push it up).
    pub fn cpus(&self) -> f64 {
        if self.wall_ms > 0.0 { self.cpu_ms() / self.wall_ms } else { 0.0 }
    }
}

fn ms(tv: libc::timeval) -> f64 {
    tv.tv_sec as f64 * 1e3 + tv.tv_usec as f64 / 1e3
}

/// A spawned child, reaped through `wait4` so its own resource usage is known.
pub struct Reaper {
    child: Child,
    started: Instant,
    /// Set once `wait4` has reaped the child: after that its pid is not ours any more.
    reaped: bool,
}

impl Reaper {
    /// Takes over `child`, spawned at about `started`.
    pub fn new(child: Child, started: Instant) -> Reaper {
        Reaper { child, started, reaped: false }
    }

    /// The std handle (for its pipes; never wait on it).
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// The exit status and usage if the child has exited (`block`: wait until it has).
    pub fn wait(&mut self, block: bool) -> io::Result<Option<(ExitStatus, Usage)>> {
        if self.reaped {
            return Err(io::Error::other("wait4: the child was already reaped"));
        }
        let pid = self.child.id() as libc::pid_t;
        let mut status: libc::c_int = 0;
        // SAFETY: an all-zero `rusage` is a valid value of the plain C struct.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        let flags = if block { 0 } else { libc::WNOHANG };
        let got = loop {
            // SAFETY: `pid` is our own unreaped child (`reaped` is false, and std never
            // waits on it: this type is the only one that does); `status` and `ru` are
            // valid for writes for the duration of the call.
            let r = unsafe { libc::wait4(pid, &mut status, flags, &mut ru) };
            if r >= 0 {
                break r;
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        };
        if got == 0 {
            return Ok(None); // still running (WNOHANG)
        }
        self.reaped = true;
        let usage = Usage {
            wall_ms: self.started.elapsed().as_secs_f64() * 1e3,
            user_ms: ms(ru.ru_utime),
            sys_ms: ms(ru.ru_stime),
            max_rss_kib: ru.ru_maxrss.max(0) as u64, // Linux reports KiB
        };
        Ok(Some((ExitStatus::from_raw(status), usage)))
    }

    /// Kills the child (by its handle) unless it was already reaped, and reaps it.
    pub fn kill(&mut self) -> Option<(ExitStatus, Usage)> {
        if self.reaped {
            return None;
        }
        let _ = self.child.kill(); // our own, not yet reaped, child
        self.wait(true).ok().flatten()
    }

    /// Polls every 5 ms until the child exits or `limit` has passed since it started;
    /// `Ok(None)` after a timeout (the child is then killed and reaped).
    pub fn wait_for(&mut self, limit: Duration) -> io::Result<Option<(ExitStatus, Usage)>> {
        loop {
            if let Some(done) = self.wait(false)? {
                return Ok(Some(done));
            }
            if self.started.elapsed() >= limit {
                self.kill();
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::Reaper;
    use std::process::Command;
    use std::time::{Duration, Instant};

    #[test]
    fn accounts_one_childs_cpu_and_exit_status() {
        // A child that burns CPU for a while, then exits with status 3.
        let script = "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exit 3";
        let child = Command::new("sh").args(["-c", script]).spawn().expect("sh");
        let mut r = Reaper::new(child, Instant::now());
        let (status, usage) = r.wait_for(Duration::from_secs(60)).unwrap().expect("exited");
        assert_eq!(status.code(), Some(3));
        assert!(usage.cpu_ms() > 0.0, "{usage:?}");
        assert!(usage.wall_ms >= usage.cpu_ms() * 0.5, "{usage:?}");
        assert!(usage.max_rss_kib > 0, "{usage:?}");
        // A second, idle child: its CPU is its own, not the first one's added in.
        let idle = Command::new("sleep").arg("0.05").spawn().expect("sleep");
        let mut r2 = Reaper::new(idle, Instant::now());
        let (_, u2) = r2.wait_for(Duration::from_secs(60)).unwrap().expect("exited");
        assert!(u2.cpu_ms() < usage.cpu_ms(), "{u2:?} vs {usage:?}");
        assert!(r2.wait(false).is_err(), "a reaped child is not waited for twice");
    }

    #[test]
    fn a_child_past_its_limit_is_killed() {
        let child = Command::new("sleep").arg("30").spawn().expect("sleep");
        let mut r = Reaper::new(child, Instant::now());
        assert!(r.wait_for(Duration::from_millis(50)).unwrap().is_none());
        assert!(r.kill().is_none(), "already reaped");
    }
}
