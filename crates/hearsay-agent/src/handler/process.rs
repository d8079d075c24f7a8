//! Running one handler: `sh -c COMMAND` with its environment, the payload on standard input,
//! standard output read up to a bound, and the whole process group killed at the timeout.
//!
//! The child gets a process group of its own, so a handler that starts children of its own
//! (`sh -c 'a | b'`, a `sleep` in a script) is killed with them: nothing outlives its timeout.
//! Standard input is written while the outputs are read, so a handler that never reads its
//! input, or writes more than a pipe holds before reading, cannot stall the runner.

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::{Child, Command};

/// Bytes of a failing handler's standard error kept for the log.
const STDERR_KEPT_BYTES: usize = 2048;

/// What one run may take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Killed after this long.
    pub timeout: Duration,
    /// Standard output beyond this is not used (the run counts as failed).
    pub max_output_bytes: usize,
}

/// How a run ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Exit status 0; its standard output (empty unless asked for).
    Succeeded { stdout: Vec<u8> },
    /// Exited with another status (or was killed by a signal); the start of its standard error.
    Failed { status: ExitStatus, stderr: String },
    /// Still running at the timeout; killed with its process group.
    TimedOut,
    /// Wrote more than `max_output_bytes` to standard output.
    OutputTooLarge,
    /// `sh` could not be started.
    SpawnFailed(std::io::Error),
}

/// Runs `sh -c command` with `env` added to the agent's environment and `stdin` as its
/// standard input; its standard output is kept when `keep_stdout` (else discarded).
pub(crate) async fn run(
    command: &str,
    env: &[(&'static str, String)],
    stdin: &[u8],
    keep_stdout: bool,
    limits: Limits,
) -> Outcome {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Outcome::SpawnFailed(e),
    };
    let (Some(mut input), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        unreachable!("all three are piped above");
    };
    let write = async move {
        // A handler that exits without reading all of it closes the pipe: that is its right.
        let _ = input.write_all(stdin).await;
        drop(input);
    };
    let out_limit = if keep_stdout {
        limits.max_output_bytes
    } else {
        0
    };
    let work = async {
        let ((), out, err, status) = tokio::join!(
            write,
            read_bounded(stdout, out_limit),
            read_bounded(stderr, STDERR_KEPT_BYTES),
            child.wait()
        );
        (out, err, status)
    };
    let Ok((out, err, status)) = tokio::time::timeout(limits.timeout, work).await else {
        kill(&mut child).await;
        return Outcome::TimedOut;
    };
    let status = match status {
        Ok(s) => s,
        Err(e) => return Outcome::SpawnFailed(e),
    };
    if !status.success() {
        return Outcome::Failed {
            status,
            stderr: String::from_utf8_lossy(&err.bytes).trim().to_owned(),
        };
    }
    if keep_stdout && out.over {
        return Outcome::OutputTooLarge;
    }
    Outcome::Succeeded { stdout: out.bytes }
}

/// What was read from a pipe: its first bytes, up to the bound.
struct Read {
    bytes: Vec<u8>,
    /// More than the bound came.
    over: bool,
}

/// Reads `from` to its end, keeping at most `max` bytes; the rest is read and dropped, so the
/// writer never blocks on a full pipe.
async fn read_bounded(mut from: impl AsyncRead + Unpin, max: usize) -> Read {
    let mut kept = Read {
        bytes: Vec::new(),
        over: false,
    };
    let mut chunk = [0u8; 8192];
    loop {
        let n = match from.read(&mut chunk).await {
            Ok(0) | Err(_) => return kept,
            Ok(n) => n,
        };
        let room = max - kept.bytes.len();
        kept.bytes.extend_from_slice(&chunk[..n.min(room)]);
        kept.over |= n > room;
    }
}

/// Kills the child's process group (its own children too), then the child, and reaps it.
async fn kill(child: &mut Child) {
    #[cfg(unix)]
    if let Some(pid) = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(timeout_ms: u64, max_output_bytes: usize) -> Limits {
        Limits {
            timeout: Duration::from_millis(timeout_ms),
            max_output_bytes,
        }
    }

    #[tokio::test]
    async fn the_environment_and_stdin_reach_the_command_and_stdout_comes_back() {
        let env = [("HEARSAY_EVENT", "user".to_owned())];
        let out = run(
            "printf '%s:' \"$HEARSAY_EVENT\"; cat",
            &env,
            b"payload",
            true,
            limits(5000, 1024),
        )
        .await;
        let Outcome::Succeeded { stdout } = out else {
            panic!("{out:?}")
        };
        assert_eq!(stdout, b"user:payload");
    }

    #[tokio::test]
    async fn a_nonzero_exit_is_a_failure_with_the_start_of_stderr() {
        let out = run("echo oops >&2; exit 3", &[], b"", false, limits(5000, 10)).await;
        let Outcome::Failed { status, stderr } = out else {
            panic!("{out:?}")
        };
        assert_eq!(status.code(), Some(3));
        assert_eq!(stderr, "oops");
    }

    #[tokio::test]
    async fn a_hanging_command_and_its_children_are_killed_at_the_timeout() {
        let dir = hearsay_test_support::temp_dir("handler-kill");
        let pid_file = dir.path().join("pid");
        // The background sleep is a grandchild: killing only `sh` would leave it behind.
        let command = format!("sleep 30 & echo $! > '{}'; wait", pid_file.display());
        let out = run(&command, &[], b"", false, limits(300, 10)).await;
        assert!(matches!(out, Outcome::TimedOut), "{out:?}");
        let pid = std::fs::read_to_string(&pid_file).expect("the handler wrote its child's pid");
        let stat = format!("/proc/{}/stat", pid.trim());
        // Gone, or a zombie waiting for whoever inherited it: either way, not running.
        hearsay_test_support::wait::wait_until_blocking(
            "the handler's child is killed",
            hearsay_test_support::PATIENCE,
            || std::fs::read_to_string(&stat).map_or(true, |s| s.contains(") Z ")),
        );
    }

    #[tokio::test]
    async fn output_over_the_bound_is_refused_but_read_to_the_end() {
        // 1 MiB: far more than a pipe holds, so a runner that stopped reading would time out.
        let out = run(
            "head -c 1048576 /dev/zero",
            &[],
            b"",
            true,
            limits(5000, 100),
        )
        .await;
        assert!(matches!(out, Outcome::OutputTooLarge), "{out:?}");
    }

    #[tokio::test]
    async fn a_command_that_ignores_a_large_stdin_still_finishes() {
        let big = vec![b'x'; 1 << 20];
        let out = run("echo done", &[], &big, true, limits(5000, 100)).await;
        let Outcome::Succeeded { stdout } = out else {
            panic!("{out:?}")
        };
        assert_eq!(stdout, b"done\n");
    }
}
