//! The agent's settings: an optional TOML file, command-line flags over it, and the checked
//! [`AgentOptions`] that [`crate::run`] takes.
//!
//! Every setting has the same name in the file as the flag has on the command line, with `_`
//! for `-` (`http_addr` for `--http-addr`). A flag given on the command line wins over the
//! file; `meta` pairs are merged key by key, and `--join` replaces the file's list.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hearsay::{Config, EventMode, Name};
use serde::Deserialize;

use crate::duration;
use crate::handler::HandlerSpec;

/// Settings as written in a config file or given as flags; everything optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Node name, unique in the cluster. Default: the host name.
    pub name: Option<String>,
    /// `ADDR:PORT` for UDP and TCP. Default: `0.0.0.0:7946`.
    pub bind: Option<String>,
    /// `ADDR:PORT` other members reach this node at. Default: derived from `bind`.
    pub advertise: Option<String>,
    /// Members to join through, `HOST:PORT` each; retried with backoff until one answers.
    #[serde(default)]
    pub join: Vec<String>,
    /// Metadata pairs published with this node.
    #[serde(default)]
    pub meta: BTreeMap<String, String>,
    /// Directory for what is kept across restarts: membership (`state.json`) and the
    /// cluster-wide map (`kv.redb`). Default: none (nothing kept; the map lives in memory).
    pub data_dir: Option<PathBuf>,
    /// Protocol timing: `lan` (default), `wan` or `local`.
    pub preset: Option<String>,
    /// Expected cluster size, to size tables and timeouts. Default: 64.
    pub expected_members: Option<u32>,
    /// `ADDR:PORT` of the HTTP API. Default: `127.0.0.1:7947`.
    pub http_addr: Option<String>,
    /// Log filter, e.g. `info` or `hearsay=debug`. Default: `RUST_LOG`, else `info`.
    pub log_level: Option<String>,
    /// `human` (default) or `json`.
    pub log_format: Option<String>,
    /// Longest wait for a graceful leave to spread before exiting, a duration such as `3s`
    /// or `500ms` (see [`crate::duration`]), at most an hour. Default: `3s`.
    pub leave_timeout: Option<String>,
    /// Event handlers, `[KIND[:NAME]=]COMMAND` each (see [`crate::handler`]); a repeated
    /// flag. Flags replace the file's list.
    #[serde(default)]
    pub handler: Vec<String>,
    /// A handler still running after this long is killed, a duration such as `10s`, at most
    /// an hour. Default: `10s`.
    pub handler_timeout: Option<String>,
    /// Handlers running at once, at most; further ones wait their turn. Default: 4.
    pub handler_concurrency: Option<usize>,
    /// How user events and queries spread: `tree` (default) or `flood`.
    pub event_mode: Option<String>,
    /// Largest user event or query payload (and query response), in bytes. Default: 1 MiB
    /// (1048576); at most 16 MiB.
    pub max_event_bytes: Option<usize>,
}

/// Checked settings, ready for [`crate::run`].
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// Node name.
    pub name: Name,
    /// Where UDP and TCP bind.
    pub bind: SocketAddr,
    /// Address to advertise, if not derived from `bind`.
    pub advertise: Option<SocketAddr>,
    /// Seeds as given (`HOST:PORT`), resolved at start.
    pub join: Vec<String>,
    /// Metadata pairs.
    pub meta: BTreeMap<String, String>,
    /// State directory, if any.
    pub data_dir: Option<PathBuf>,
    /// Which preset.
    pub preset: Preset,
    /// Expected cluster size.
    pub expected_members: u32,
    /// Where the HTTP API listens.
    pub http_addr: SocketAddr,
    /// Log filter directive, if given (else `RUST_LOG`, else `info`).
    pub log_level: Option<String>,
    /// Log format.
    pub log_format: LogFormat,
    /// Bound on the graceful leave.
    pub leave_timeout: Duration,
    /// Event handlers, in the order given.
    pub handlers: Vec<HandlerSpec>,
    /// Bound on one handler's run.
    pub handler_timeout: Duration,
    /// Handlers running at once, at most.
    pub handler_concurrency: NonZeroUsize,
    /// How user events and queries spread.
    pub event_mode: EventMode,
    /// Largest user event or query payload, if not the preset's.
    pub max_event_bytes: Option<usize>,
}

/// Protocol timing presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// A data centre: probe every second, suspicion from 4 s.
    Lan,
    /// Across regions: slower timers, more patience.
    Wan,
    /// One machine: fast timers for tests and demos.
    Local,
}

impl Preset {
    /// The protocol configuration of this preset for about `n` members.
    pub fn config(self, n: u32) -> Config {
        match self {
            Preset::Lan => Config::lan(n),
            Preset::Wan => Config::wan(n),
            Preset::Local => Config {
                expected_members: Config::lan(n).expected_members,
                ..Config::local()
            },
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One readable line per record.
    Human,
    /// One JSON object per record.
    Json,
}

/// A setting that cannot be used. The message names the setting and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OptionsError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is not valid TOML for these settings.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said (names the line and key).
        message: String,
    },
    /// A setting has a value that does not parse or is out of range.
    #[error("{setting}: {message}")]
    Invalid {
        /// The flag (or file key) at fault.
        setting: &'static str,
        /// What is wrong and the expected form.
        message: String,
    },
}

impl Settings {
    /// Reads settings from a TOML file.
    pub fn from_file(path: &Path) -> Result<Settings, OptionsError> {
        let text = std::fs::read_to_string(path).map_err(|source| OptionsError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| OptionsError::Parse {
            path: path.to_owned(),
            message: e.to_string().trim().replace('\n', " "),
        })
    }

    /// These settings (flags) over `file`: each one given here wins.
    pub fn over(self, file: Settings) -> Settings {
        let mut meta = file.meta;
        meta.extend(self.meta);
        Settings {
            name: self.name.or(file.name),
            bind: self.bind.or(file.bind),
            advertise: self.advertise.or(file.advertise),
            join: if self.join.is_empty() {
                file.join
            } else {
                self.join
            },
            meta,
            data_dir: self.data_dir.or(file.data_dir),
            preset: self.preset.or(file.preset),
            expected_members: self.expected_members.or(file.expected_members),
            http_addr: self.http_addr.or(file.http_addr),
            log_level: self.log_level.or(file.log_level),
            log_format: self.log_format.or(file.log_format),
            leave_timeout: self.leave_timeout.or(file.leave_timeout),
            handler: if self.handler.is_empty() {
                file.handler
            } else {
                self.handler
            },
            handler_timeout: self.handler_timeout.or(file.handler_timeout),
            handler_concurrency: self.handler_concurrency.or(file.handler_concurrency),
            event_mode: self.event_mode.or(file.event_mode),
            max_event_bytes: self.max_event_bytes.or(file.max_event_bytes),
        }
    }

    /// Checks every setting and fills in the defaults.
    pub fn resolve(self) -> Result<AgentOptions, OptionsError> {
        let name = match self.name {
            Some(n) => n,
            None => host_name().ok_or(OptionsError::Invalid {
                setting: "--name",
                message: "cannot tell this host's name; pass --name NAME".into(),
            })?,
        };
        let name = Name::new(&name).map_err(|e| OptionsError::Invalid {
            setting: "--name",
            message: format!("'{name}': {e}"),
        })?;
        let bind = addr("--bind", self.bind.as_deref(), "0.0.0.0:7946")?;
        let advertise = match self.advertise.as_deref() {
            Some(a) => Some(addr("--advertise", Some(a), "")?),
            None => None,
        };
        if advertise.is_some_and(|a| a.ip().is_unspecified()) {
            return Err(OptionsError::Invalid {
                setting: "--advertise",
                message: "must be an address others can reach, not 0.0.0.0 or ::".into(),
            });
        }
        for seed in &self.join {
            if !seed.contains(':') || seed.ends_with(':') {
                return Err(OptionsError::Invalid {
                    setting: "--join",
                    message: format!("'{seed}' is not HOST:PORT (for example 10.0.0.5:7946)"),
                });
            }
        }
        for (k, v) in &self.meta {
            hearsay::meta::parse_pair(&format!("{k}={v}")).map_err(|e| OptionsError::Invalid {
                setting: "--meta",
                message: e.to_string(),
            })?;
        }
        let preset = match self.preset.as_deref().unwrap_or("lan") {
            "lan" => Preset::Lan,
            "wan" => Preset::Wan,
            "local" => Preset::Local,
            other => {
                return Err(OptionsError::Invalid {
                    setting: "--preset",
                    message: format!("'{other}' is not one of lan, wan, local"),
                });
            }
        };
        let expected_members = self.expected_members.unwrap_or(64);
        if expected_members == 0 {
            return Err(OptionsError::Invalid {
                setting: "--expected-members",
                message: "must be at least 1".into(),
            });
        }
        let http_addr = addr("--http-addr", self.http_addr.as_deref(), "127.0.0.1:7947")?;
        let log_format = match self.log_format.as_deref().unwrap_or("human") {
            "human" => LogFormat::Human,
            "json" => LogFormat::Json,
            other => {
                return Err(OptionsError::Invalid {
                    setting: "--log-format",
                    message: format!("'{other}' is not one of human, json"),
                });
            }
        };
        let leave_timeout = bounded_duration(
            "--leave-timeout",
            self.leave_timeout.as_deref(),
            Duration::from_secs(3),
        )?;
        let handlers = self
            .handler
            .iter()
            .map(|h| {
                h.parse::<HandlerSpec>().map_err(|e| OptionsError::Invalid {
                    setting: "--handler",
                    message: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let handler_timeout = bounded_duration(
            "--handler-timeout",
            self.handler_timeout.as_deref(),
            Duration::from_secs(10),
        )?;
        if handler_timeout.is_zero() {
            return Err(OptionsError::Invalid {
                setting: "--handler-timeout",
                message: "must be longer than zero (for example 10s)".into(),
            });
        }
        let event_mode = match self.event_mode.as_deref() {
            None => EventMode::default(),
            Some(m) => m.parse().map_err(|message| OptionsError::Invalid {
                setting: "--event-mode",
                message,
            })?,
        };
        if self.max_event_bytes == Some(0) {
            return Err(OptionsError::Invalid {
                setting: "--max-event-bytes",
                message: "must be at least 1 (the default is 1048576)".into(),
            });
        }
        let handler_concurrency = NonZeroUsize::new(self.handler_concurrency.unwrap_or(4)).ok_or(
            OptionsError::Invalid {
                setting: "--handler-concurrency",
                message: "must be at least 1".into(),
            },
        )?;
        Ok(AgentOptions {
            name,
            bind,
            advertise,
            join: self.join,
            meta: self.meta,
            data_dir: self.data_dir,
            preset,
            expected_members,
            http_addr,
            log_level: self.log_level,
            log_format,
            leave_timeout,
            handlers,
            handler_timeout,
            handler_concurrency,
            event_mode,
            max_event_bytes: self.max_event_bytes,
        })
    }
}

fn addr(
    setting: &'static str,
    given: Option<&str>,
    default: &str,
) -> Result<SocketAddr, OptionsError> {
    let text = given.unwrap_or(default);
    text.parse().map_err(|_| OptionsError::Invalid {
        setting,
        message: format!(
            "'{text}' is not ADDR:PORT (for example 127.0.0.1:7946, or [::1]:7946 for IPv6)"
        ),
    })
}

/// `--leave-timeout` and `--handler-timeout`: a duration of at most an hour; `default` when
/// not given.
fn bounded_duration(
    setting: &'static str,
    given: Option<&str>,
    default: Duration,
) -> Result<Duration, OptionsError> {
    const LONGEST: Duration = Duration::from_secs(3600);
    let Some(text) = given else {
        return Ok(default);
    };
    let invalid = |message: String| OptionsError::Invalid { setting, message };
    let timeout = duration::parse(text).map_err(|e| invalid(e.to_string()))?;
    if timeout > LONGEST {
        return Err(invalid(format!(
            "'{}' is longer than an hour; write at most 1h (for example 3s)",
            text.trim()
        )));
    }
    Ok(timeout)
}

/// This machine's host name, as the kernel knows it.
fn host_name() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .find(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Settings {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let o = Settings {
            name: Some("a".into()),
            ..Settings::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(o.bind, "0.0.0.0:7946".parse().unwrap());
        assert_eq!(o.http_addr, "127.0.0.1:7947".parse().unwrap());
        assert_eq!(o.preset, Preset::Lan);
        assert_eq!(o.log_format, LogFormat::Human);
        assert_eq!(o.leave_timeout, Duration::from_secs(3));
        assert!(o.handlers.is_empty());
        assert_eq!(o.handler_timeout, Duration::from_secs(10));
        assert_eq!(o.handler_concurrency.get(), 4);
        assert_eq!(o.event_mode, EventMode::Tree);
        assert_eq!(o.max_event_bytes, None);
    }

    #[test]
    fn handlers_come_from_the_file_unless_given_as_flags() {
        let f = file(
            "name = \"a\"\nhandler = [\"user:deploy=./deploy.sh\", \"./log.sh\"]\n\
             handler_timeout = \"2s\"\nhandler_concurrency = 2\n",
        );
        let o = Settings::default().over(f.clone()).resolve().unwrap();
        assert_eq!(o.handlers.len(), 2);
        assert_eq!(o.handlers[0].command, "./deploy.sh");
        assert_eq!(o.handler_timeout, Duration::from_secs(2));
        assert_eq!(o.handler_concurrency.get(), 2);
        let flags = Settings {
            handler: vec!["member-failed=./page.sh".into()],
            ..Settings::default()
        };
        let o = flags.over(f).resolve().unwrap();
        assert_eq!(o.handlers.len(), 1);
        assert_eq!(o.handlers[0].command, "./page.sh");
    }

    #[test]
    fn the_leave_timeout_is_a_duration_in_the_file_and_on_the_command_line() {
        let f = file("name = \"a\"\nleave_timeout = \"1.5s\"\n");
        let o = Settings::default().over(f.clone()).resolve().unwrap();
        assert_eq!(o.leave_timeout, Duration::from_millis(1500));
        let flags = Settings {
            leave_timeout: Some("250ms".into()),
            ..Settings::default()
        };
        let o = flags.over(f).resolve().unwrap();
        assert_eq!(o.leave_timeout, Duration::from_millis(250));
    }

    #[test]
    fn flags_win_over_the_file_and_meta_merges_by_key() {
        let f = file(
            "name = \"from-file\"\nbind = \"127.0.0.1:1000\"\njoin = [\"127.0.0.1:1\"]\n\
             [meta]\nrole = \"db\"\nzone = \"a\"\n",
        );
        let flags = Settings {
            bind: Some("127.0.0.1:2000".into()),
            meta: [("role".to_owned(), "web".to_owned())].into(),
            ..Settings::default()
        };
        let o = flags.over(f).resolve().unwrap();
        assert_eq!(o.name.as_str(), "from-file");
        assert_eq!(o.bind.port(), 2000);
        assert_eq!(o.join, vec!["127.0.0.1:1".to_owned()]);
        assert_eq!(o.meta["role"], "web");
        assert_eq!(o.meta["zone"], "a");
    }

    #[test]
    fn an_unknown_key_in_the_file_is_an_error_naming_it() {
        let dir = std::env::temp_dir().join(format!("hearsay-opt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("agent.toml");
        std::fs::write(&path, "nmae = \"typo\"\n").unwrap();
        let err = Settings::from_file(&path).unwrap_err().to_string();
        assert!(err.contains("nmae") && err.contains("agent.toml"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_values_name_the_flag_and_the_expected_form() {
        let bad = |s: Settings| s.resolve().unwrap_err().to_string();
        let base = || Settings {
            name: Some("a".into()),
            ..Settings::default()
        };
        let e = bad(Settings {
            bind: Some("localhost".into()),
            ..base()
        });
        assert!(e.starts_with("--bind: 'localhost' is not ADDR:PORT"), "{e}");
        let e = bad(Settings {
            preset: Some("fast".into()),
            ..base()
        });
        assert!(
            e.contains("--preset") && e.contains("lan, wan, local"),
            "{e}"
        );
        let e = bad(Settings {
            join: vec!["10.0.0.1".into()],
            ..base()
        });
        assert!(e.contains("--join") && e.contains("HOST:PORT"), "{e}");
        let e = bad(Settings {
            advertise: Some("0.0.0.0:7946".into()),
            ..base()
        });
        assert!(e.contains("--advertise"), "{e}");
        let e = bad(Settings {
            name: Some(String::new()),
            ..Settings::default()
        });
        assert!(e.contains("--name"), "{e}");
        let e = bad(Settings {
            leave_timeout: Some("3".into()),
            ..base()
        });
        assert!(
            e.starts_with("--leave-timeout: '3' is not a duration") && e.contains("30s"),
            "{e}"
        );
        let e = bad(Settings {
            leave_timeout: Some("2h".into()),
            ..base()
        });
        assert!(e.contains("--leave-timeout") && e.contains("1h"), "{e}");
        let e = bad(Settings {
            handler: vec!["member-join:x=./a.sh".into()],
            ..base()
        });
        assert!(e.starts_with("--handler: 'member-join:x=./a.sh'"), "{e}");
        let e = bad(Settings {
            handler_timeout: Some("0s".into()),
            ..base()
        });
        assert!(e.starts_with("--handler-timeout: must be longer"), "{e}");
        let e = bad(Settings {
            handler_concurrency: Some(0),
            ..base()
        });
        assert!(e.starts_with("--handler-concurrency"), "{e}");
        let e = bad(Settings {
            event_mode: Some("gossip".into()),
            ..base()
        });
        assert!(
            e.starts_with("--event-mode: event mode 'gossip' is unknown; use tree or flood"),
            "{e}"
        );
        let e = bad(Settings {
            max_event_bytes: Some(0),
            ..base()
        });
        assert!(e.starts_with("--max-event-bytes"), "{e}");
    }
}
