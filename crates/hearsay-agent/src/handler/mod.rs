//! Event handlers: shell commands the agent runs when something happens (`--handler`).
//!
//! ```text
//!   node ──events──▶ feed.rs ──Invocation──▶ Runner::offer ──queue (bounded)──▶ pump
//!   (membership,     (env, stdin,            (one job per                  (at most
//!    user events,     responder)              matching handler;             `concurrency`
//!    queries)                                 full queue: shed)             at once)
//!                                                                              │
//!                                                         process.rs: sh -c, timeout, kill
//! ```
//!
//! Each handler runs through `sh -c` with these variables added to the agent's environment:
//!
//! | variable | set for | value |
//! |---|---|---|
//! | `HEARSAY_EVENT` | all | the kind: `member-join`, `member-leave`, `member-failed`, `member-update`, `user`, `query` |
//! | `HEARSAY_SELF_NAME` | all | this node's name |
//! | `HEARSAY_USER_EVENT` | user | the event's name |
//! | `HEARSAY_QUERY_NAME` | query | the query's name |
//! | `HEARSAY_ORIGIN` | user, query | the member that sent it |
//!
//! Standard input carries the payload of a user event or query as raw bytes, and for a
//! membership event one line: the member's name, address, state and metadata, separated by
//! tabs (metadata as `key=value` pairs joined by `,`, or `0x` and hex when it is not pairs).
//!
//! A query's response is the standard output of the first handler for it to exit with status
//! 0, if it wrote no more than the response limit; the output of the others is dropped, and a
//! handler that fails answers nothing (the asker still gets this node's acknowledgement).
//!
//! Nothing here can hold the node up: the node's broadcasts are read by the feed, which only
//! queues; a handler that exits non-zero, hangs past its timeout (it is killed, with its
//! process group) or writes too much is logged and counted ([`HandlerStats`]), and a job that
//! finds the queue full is shed and counted.

mod feed;
mod process;
mod spec;

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};

pub use feed::spawn_feed;
pub use spec::{HandlerSpec, Kind, NameFilter, SpecError};

use process::{Limits, Outcome};

/// Jobs waiting for a free slot before further ones are shed.
const QUEUE: usize = 256;

/// How handlers run; see [`crate::options::Settings`] for the flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerOptions {
    /// The handlers, in the order given.
    pub specs: Vec<HandlerSpec>,
    /// A handler still running after this long is killed. Defaults to 10 s.
    pub timeout: Duration,
    /// Handlers running at once, at most. Defaults to 4.
    pub concurrency: NonZeroUsize,
    /// Largest query response a handler may write to standard output. Defaults to the
    /// protocol's largest event payload.
    pub max_output_bytes: usize,
}

/// Running totals of the handlers since the agent started, shown by `GET /metrics`.
#[derive(Debug, Default)]
pub struct HandlerStats {
    succeeded: AtomicU64,
    failed: AtomicU64,
    timed_out: AtomicU64,
    output_too_large: AtomicU64,
    spawn_failed: AtomicU64,
    shed: AtomicU64,
    missed: AtomicU64,
    running: AtomicU64,
}

/// A snapshot of [`HandlerStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HandlerCounts {
    /// Runs that exited with status 0.
    pub succeeded: u64,
    /// Runs that exited with another status or were killed by a signal not ours.
    pub failed: u64,
    /// Runs killed at the timeout.
    pub timed_out: u64,
    /// Query handlers that wrote more than the response limit (no response sent).
    pub output_too_large: u64,
    /// Runs whose shell could not be started.
    pub spawn_failed: u64,
    /// Jobs dropped because the queue was full.
    pub shed: u64,
    /// Events the handlers never saw because their reader fell behind the node.
    pub missed: u64,
    /// Handlers running now.
    pub running: u64,
}

impl HandlerCounts {
    /// Finished runs by outcome, with the names the metrics use.
    pub fn outcomes(&self) -> [(&'static str, u64); 5] {
        [
            ("succeeded", self.succeeded),
            ("failed", self.failed),
            ("timed_out", self.timed_out),
            ("output_too_large", self.output_too_large),
            ("spawn_failed", self.spawn_failed),
        ]
    }
}

impl HandlerStats {
    /// The totals now.
    pub fn snapshot(&self) -> HandlerCounts {
        let r = |c: &AtomicU64| c.load(Ordering::Relaxed);
        HandlerCounts {
            succeeded: r(&self.succeeded),
            failed: r(&self.failed),
            timed_out: r(&self.timed_out),
            output_too_large: r(&self.output_too_large),
            spawn_failed: r(&self.spawn_failed),
            shed: r(&self.shed),
            missed: r(&self.missed),
            running: r(&self.running),
        }
    }

    pub(crate) fn add_missed(&self, n: u64) {
        self.missed.fetch_add(n, Ordering::Relaxed);
    }
}

/// Sends a query's response; taken by the first handler that succeeds.
pub(crate) type Responder = Box<dyn FnOnce(Vec<u8>) + Send>;

/// Something happened that handlers may run for.
pub(crate) struct Invocation {
    pub kind: Kind,
    /// The user event's or query's name.
    pub name: Option<String>,
    /// Variables beyond `HEARSAY_EVENT` and `HEARSAY_SELF_NAME`.
    pub env: Vec<(&'static str, String)>,
    pub stdin: Arc<[u8]>,
    /// For a query: where its response goes.
    pub respond: Option<Responder>,
}

/// One handler to run for one invocation.
struct Job {
    command: Arc<str>,
    env: Arc<Vec<(&'static str, String)>>,
    stdin: Arc<[u8]>,
    kind: Kind,
    respond: Option<Arc<Mutex<Option<Responder>>>>,
}

/// Hands invocations to the matching handlers and runs them, boundedly, on the current tokio
/// runtime. Cheap to clone.
#[derive(Clone)]
pub struct Runner {
    specs: Arc<[(HandlerSpec, Arc<str>)]>,
    self_name: Arc<str>,
    queue: mpsc::Sender<Job>,
    stats: Arc<HandlerStats>,
}

impl Runner {
    /// Starts the pump that runs queued handlers for the node called `self_name`.
    pub fn start(options: &HandlerOptions, self_name: &str, stats: Arc<HandlerStats>) -> Runner {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let limits = Limits {
            timeout: options.timeout,
            max_output_bytes: options.max_output_bytes,
        };
        tokio::spawn(pump(jobs, options.concurrency, limits, stats.clone()));
        Runner {
            specs: options
                .specs
                .iter()
                .map(|s| (s.clone(), Arc::from(s.command.as_str())))
                .collect(),
            self_name: Arc::from(self_name),
            queue,
            stats,
        }
    }

    /// Whether any handler runs for events of `kind`.
    pub fn wants(&self, kind: Kind) -> bool {
        self.specs
            .iter()
            .any(|(s, _)| s.kind.is_none_or(|k| k == kind))
    }

    /// Queues every handler that matches `inv`; never waits. Returns how many were queued.
    pub(crate) fn offer(&self, inv: Invocation) -> usize {
        let Invocation {
            kind,
            name,
            mut env,
            stdin,
            respond,
        } = inv;
        env.push(("HEARSAY_EVENT", kind.as_str().to_owned()));
        env.push(("HEARSAY_SELF_NAME", self.self_name.to_string()));
        let env = Arc::new(env);
        let respond = respond.map(|r| Arc::new(Mutex::new(Some(r))));
        let mut queued = 0;
        for (spec, command) in self.specs.iter() {
            if !spec.matches(kind, name.as_deref()) {
                continue;
            }
            let job = Job {
                command: command.clone(),
                env: env.clone(),
                stdin: stdin.clone(),
                kind,
                respond: respond.clone(),
            };
            match self.queue.try_send(job) {
                Ok(()) => queued += 1,
                Err(_) => {
                    self.stats.shed.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(handler = %command, event = %kind, "handler not run: {QUEUE} already waiting");
                }
            }
        }
        queued
    }
}

/// Runs queued jobs, at most `concurrency` at once, until every [`Runner`] is dropped.
async fn pump(
    mut jobs: mpsc::Receiver<Job>,
    concurrency: NonZeroUsize,
    limits: Limits,
    stats: Arc<HandlerStats>,
) {
    let slots = Arc::new(Semaphore::new(concurrency.get()));
    while let Some(job) = jobs.recv().await {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let stats = stats.clone();
        tokio::spawn(async move {
            stats.running.fetch_add(1, Ordering::Relaxed);
            execute(job, limits, &stats).await;
            stats.running.fetch_sub(1, Ordering::Relaxed);
            drop(slot);
        });
    }
}

/// Runs one job, counts and logs how it ended, and sends a query's response.
async fn execute(job: Job, limits: Limits, stats: &HandlerStats) {
    let keep_stdout = job.respond.is_some();
    let outcome = process::run(&job.command, &job.env, &job.stdin, keep_stdout, limits).await;
    let (command, kind) = (&*job.command, job.kind);
    let counter = match outcome {
        Outcome::Succeeded { stdout } => {
            tracing::debug!(handler = command, event = %kind, "handler succeeded");
            let responder = job
                .respond
                .and_then(|r| r.lock().ok().and_then(|mut r| r.take()));
            if let Some(respond) = responder {
                respond(stdout);
            }
            &stats.succeeded
        }
        Outcome::Failed { status, stderr } => {
            tracing::warn!(handler = command, event = %kind, %status, stderr, "handler failed");
            &stats.failed
        }
        Outcome::TimedOut => {
            tracing::warn!(
                handler = command, event = %kind, timeout = ?limits.timeout,
                "handler killed: still running at its timeout (raise --handler-timeout if it needs longer)"
            );
            &stats.timed_out
        }
        Outcome::OutputTooLarge => {
            tracing::warn!(
                handler = command, event = %kind, limit = limits.max_output_bytes,
                "handler wrote more than the response limit; no response sent"
            );
            &stats.output_too_large
        }
        Outcome::SpawnFailed(e) => {
            tracing::error!(handler = command, event = %kind, error = %e, "handler could not be started (is sh on the PATH?)");
            &stats.spawn_failed
        }
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(specs: &[&str], timeout_ms: u64, concurrency: usize) -> HandlerOptions {
        HandlerOptions {
            specs: specs.iter().map(|s| s.parse().unwrap()).collect(),
            timeout: Duration::from_millis(timeout_ms),
            concurrency: NonZeroUsize::new(concurrency).unwrap(),
            max_output_bytes: 1024,
        }
    }

    fn query(name: &str, payload: &[u8], respond: Responder) -> Invocation {
        Invocation {
            kind: Kind::Query,
            name: Some(name.to_owned()),
            env: vec![("HEARSAY_QUERY_NAME", name.to_owned())],
            stdin: Arc::from(payload),
            respond: Some(respond),
        }
    }

    async fn settled(stats: &HandlerStats, finished: u64) -> HandlerCounts {
        let what = format!("{finished} handler runs finish");
        hearsay_test_support::wait::wait_until(&what, hearsay_test_support::PATIENCE, || {
            let c = stats.snapshot();
            let done: u64 = c.outcomes().iter().map(|(_, n)| n).sum();
            async move { done >= finished }
        })
        .await;
        stats.snapshot()
    }

    #[tokio::test]
    async fn only_matching_handlers_run_and_the_first_success_answers_a_query() {
        let stats = Arc::new(HandlerStats::default());
        let runner = Runner::start(
            &options(
                &[
                    "query:load=exit 1",
                    "query:load=printf '%s %s ' \"$HEARSAY_SELF_NAME\" \"$HEARSAY_EVENT\"; cat",
                    "user=true",
                    "query:other=true",
                ],
                5000,
                1,
            ),
            "a",
            stats.clone(),
        );
        assert!(runner.wants(Kind::Query) && runner.wants(Kind::User));
        assert!(!runner.wants(Kind::MemberJoin));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let respond: Responder = Box::new(move |bytes| {
            let _ = tx.send(bytes);
        });
        assert_eq!(runner.offer(query("load", b"0.5", respond)), 2);
        let answer = tokio::time::timeout(hearsay_test_support::PATIENCE, rx)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(answer, b"a query 0.5");
        let c = settled(&stats, 2).await;
        assert_eq!((c.succeeded, c.failed), (1, 1));
    }

    #[tokio::test]
    async fn hanging_handlers_are_killed_and_counted_without_holding_up_others() {
        let stats = Arc::new(HandlerStats::default());
        let runner = Runner::start(
            &options(&["user:hang=sleep 30", "user:quick=true"], 200, 2),
            "a",
            stats.clone(),
        );
        let user = |name: &str| Invocation {
            kind: Kind::User,
            name: Some(name.to_owned()),
            env: Vec::new(),
            stdin: Arc::from(&b""[..]),
            respond: None,
        };
        runner.offer(user("hang"));
        runner.offer(user("hang"));
        runner.offer(user("quick"));
        let c = settled(&stats, 3).await;
        assert_eq!((c.timed_out, c.succeeded), (2, 1));
        assert_eq!(c.running, 0);
    }
}
