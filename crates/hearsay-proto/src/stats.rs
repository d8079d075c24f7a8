//! Counters the engine keeps about its own work, for metrics and reports.

/// Declares [`Stats`] and its one list of counters ([`Stats::counters`]) from one table, so
/// that every place that shows counters (metrics, `/v1/info`, the simulator's report, the CLI)
/// iterates the same list and none can drift.
macro_rules! counters {
    ($($(#[$doc:meta])* $kind:ident $name:ident $(/ $family:ident = $direction:ident)?: $help:literal,)*) => {
        /// Running totals since the engine started. Cheap to read; the driver exports them.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct Stats {
            $(#[doc = $help] $(#[$doc])* pub $name: u64,)*
            /// Input refused, by reason (see [`DropReason`]).
            dropped: [u64; DropReason::ALL.len()],
        }

        impl Stats {
            /// Every counter but the refused input: name, help, kind and value, in a fixed
            /// order. Refused input is [`Stats::dropped`].
            pub fn counters(&self) -> impl Iterator<Item = Counter> + '_ {
                [$(Counter {
                    name: stringify!($name),
                    help: $help,
                    kind: CounterKind::$kind,
                    metric: Metric {
                        family: family!($name $(, $family)?),
                        direction: direction!($($direction)?),
                    },
                    value: self.$name,
                },)*]
                .into_iter()
            }
        }
    };
}

/// A counter's metric family: its own name, or the family it shares.
macro_rules! family {
    ($name:ident) => {
        stringify!($name)
    };
    ($name:ident, $family:ident) => {
        stringify!($family)
    };
}

/// A counter's direction label, if it shares a family.
macro_rules! direction {
    () => {
        None
    };
    ($direction:ident) => {
        Some(stringify!($direction))
    };
}

counters! {
    Traffic datagrams_in / datagrams = in: "Datagrams handed to the engine.",
    Traffic datagram_bytes_in / datagram_bytes = in: "Datagram payload bytes handed to the engine.",
    Traffic datagrams_out / datagrams = out: "Datagrams the engine asked to send.",
    Traffic datagram_bytes_out / datagram_bytes = out: "Datagram payload bytes the engine asked to send.",
    Traffic streams_in / streams = in: "Stream frames handed to the engine.",
    Traffic stream_bytes_in / stream_bytes = in: "Stream frame bytes handed to the engine.",
    Traffic streams_out / streams = out: "Stream frames the engine asked to send.",
    Traffic stream_bytes_out / stream_bytes = out: "Stream frame bytes the engine asked to send.",
    Protocol probes: "Probes started (direct pings).",
    Protocol indirect_probes: "Indirect pings sent on behalf of this node's probes.",
    Protocol acks: "Acks received for this node's probes (direct or relayed).",
    Protocol nacks: "Nacks received from indirect helpers.",
    Protocol probe_failures: "Probes that ended without any ack.",
    Protocol suspicions: "Members this node started suspecting.",
    /// Every node that suspects a failed member runs its own timer, so one death is usually
    /// declared by many nodes (whichever expire before the news of another's verdict arrives).
    Protocol deaths_declared: "Suspicions whose timer ran out here, turning into a death verdict.",
    Protocol refutations: "Times this node refuted a suspicion or death about itself.",
    Protocol syncs: "Anti-entropy syncs started.",
    Protocol syncs_in_agreement: "Anti-entropy syncs that found the views equal after the first exchange.",
    Protocol join_attempts: "Join requests sent to seeds.",
    Protocol store_repairs: "Store repairs started: a peer's store root differed from this node's.",
    Protocol store_entries_sent / store_entries = sent: "Store entries (map entries, member-state keys) sent in repairs.",
    Protocol store_entries_received / store_entries = received: "Store entries received in repairs.",
    Protocol user_sent: "User events and queries this node originated.",
    Protocol user_delivered: "User events and queries from other members delivered here (first copies).",
    Protocol user_payloads_in: "User messages with payload received, duplicates included (RMR = user_payloads_in / user_delivered - 1).",
    Protocol user_duplicates: "User message payloads received again (each may prune a tree link).",
    Protocol user_stale: "User messages from an earlier start of their origin or older than the window.",
    Protocol user_hops: "Sum of the hop counts of the user messages delivered here (divide by user_delivered).",
    Protocol user_bytes_out: "Bytes of user-message traffic sent (payloads, announcements, grafts, prunes, answers, repair).",
    Protocol ihaves_sent: "Message announcements sent to lazy tree links.",
    Protocol grafts_sent: "Grafts sent: an announced message had not arrived, or a large one was fetched.",
    Protocol prunes_sent: "Prunes sent: a duplicate arrived over an eager tree link.",
    Protocol user_repaired: "User messages delivered here through repair (anti-entropy), not the tree.",
    Protocol event_repairs: "Repair exchanges of recent user messages started.",
    Protocol query_answers_in: "Query acknowledgements and responses received for this node's queries (duplicates dropped).",
    Protocol query_nudges: "Nudges sent to members whose response to this node's query had not arrived.",
    Protocol query_answers_relayed: "Query answers this node relayed to their origin.",
    Local events_dropped: "Events dropped because the driver did not drain them.",
    Local user_outputs_dropped: "User events and query outputs dropped because the driver did not drain them.",
    Local user_retention_shed: "Messages dropped from the retention window for space before their time.",
    Local user_flood_queue_full: "User messages dropped from a full flood queue.",
    Local user_announcements_shed: "Announcements not queued because a lazy link already had 4,096 waiting.",
    Local user_missing_full: "Announcements ignored because too many announced messages were awaited.",
    Local user_origins_evicted: "Origins whose delivery window was forgotten to make room for others.",
    Local gossip_queue_full: "Membership news dropped from a full gossip queue (anti-entropy repairs it).",
    Local store_queue_full: "Store news dropped from a full store gossip queue (anti-entropy repairs it).",
    Local sync_timeouts: "Syncs this node started that got no answer within stream_timeout.",
    Local reconnect_timeouts: "Reconnection attempts to members believed dead that got no answer.",
    Local streams_too_large: "Stream messages not sent because they exceeded max_stream_bytes.",
    Local bad_restored_entries: "Map entries the driver restored that were refused (bad key or value).",
}

/// One counter of [`Stats::counters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counter {
    /// `snake_case` name, stable: metrics are `hearsay_<name>_total`.
    pub name: &'static str,
    /// One sentence saying what is counted.
    pub help: &'static str,
    /// What the counter is about.
    pub kind: CounterKind,
    /// How it is exported as a metric.
    pub metric: Metric,
    /// The total so far.
    pub value: u64,
}

/// How a counter is exported as a metric: `hearsay_<family>_total`, with a `direction`
/// label when several counters share the family (`datagrams` in and out, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metric {
    /// The family's name (`snake_case`, without the `hearsay_` prefix and `_total` suffix).
    pub family: &'static str,
    /// The `direction` label's value, when the family holds several counters.
    pub direction: Option<&'static str>,
}

/// What a counter is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CounterKind {
    /// Datagrams and streams in and out.
    Traffic,
    /// The protocol's own work.
    Protocol,
    /// Local conditions (a full queue, a timeout, a driver too slow): not bad input.
    Local,
}

impl Stats {
    /// Counts one input refused for `reason`.
    pub(crate) fn refuse(&mut self, reason: DropReason) {
        self.dropped[reason as usize] += 1;
    }

    /// Input refused for `reason` so far.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped[reason as usize]
    }

    /// Every reason with its count, zeros included, in [`DropReason::ALL`] order.
    pub fn dropped_by_reason(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL.iter().map(|&r| (r, self.dropped(r)))
    }

    /// Total refused input, all reasons together.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }
}

/// Declares [`DropReason`], its names and [`DropReason::ALL`] from one table.
macro_rules! drop_reasons {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// Why input from the network was refused: counted, then dropped. Local conditions
        /// (full queues, timeouts) are not here: they are [`CounterKind::Local`] counters.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum DropReason {
            $($(#[$doc])* $variant,)*
        }

        impl DropReason {
            /// Every reason, in declaration order.
            pub const ALL: &[DropReason] = &[$(DropReason::$variant,)*];

            /// The reason's name in metrics and reports (`snake_case`, stable).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(DropReason::$variant => $name,)*
                }
            }
        }
    };
}

drop_reasons! {
    /// A message ended before its declared length.
    Truncated = "truncated",
    /// A datagram or stream frame over the configured limit.
    Oversized = "oversized",
    /// A protocol version this node does not speak.
    BadVersion = "bad_version",
    /// A message kind this node does not know (a newer peer's, or garbage).
    UnknownKind = "unknown_kind",
    /// A member name that is empty, too long or not UTF-8.
    BadName = "bad_name",
    /// A store key that is empty, too long or not UTF-8.
    BadKey = "bad_key",
    /// An address of an unknown family.
    BadAddress = "bad_address",
    /// A member state byte out of range.
    BadState = "bad_state",
    /// A variable-length integer longer than 64 bits.
    VarintOverflow = "varint_overflow",
    /// A message whose fields contradict each other.
    Malformed = "malformed",
    /// A stream-only message on a datagram.
    StreamOnly = "stream_only",
    /// Bytes after the last message.
    TrailingBytes = "trailing_bytes",
    /// A datagram-only message on a stream.
    DatagramOnlyOnStream = "datagram_only_on_stream",
    /// A sync answer from a peer this node had not asked.
    UnsolicitedSync = "unsolicited_sync",
    /// A store value over `max_value_bytes`.
    ValueTooLarge = "value_too_large",
    /// Per-node state of a member not believed live in that generation.
    StateOfUnknownMember = "state_of_unknown_member",
    /// A map stamp too far ahead of this node's clock (`max_clock_skew`).
    ClockSkew = "clock_skew",
    /// A claim about this node's name by a later generation: another process uses the name.
    NameConflict = "name_conflict",
    /// A ping meant for another member.
    Misdirected = "misdirected",
    /// An indirect ping while this node already relays its maximum.
    RelayOverflow = "relay_overflow",
    /// An ack for no probe under way.
    LateAck = "late_ack",
    /// A nack for no probe under way.
    LateNack = "late_nack",
    /// A claim about a member far above its known incarnation (see `MAX_INCARNATION_STEP`).
    ImplausibleIncarnation = "implausible_incarnation",
    /// A suspicion or death of a start of a live member never seen alive.
    ImplausibleGeneration = "implausible_generation",
    /// Store entries asking for an answer outside a repair exchange this node is in.
    UnsolicitedRepair = "unsolicited_repair",
    /// Broadcast-tree traffic (grafts, link requests) from an address that is no live member's.
    UnknownPeer = "unknown_peer",
    /// A user message or query answer from a name that is no live member's.
    UnknownOrigin = "unknown_origin",
    /// A query whose filter does not compile within the limits.
    BadFilter = "bad_filter",
    /// A user message payload over `max_event_bytes`, or a bad event name.
    BadEvent = "bad_event",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_names_are_unique_and_shared_families_say_their_direction() {
        let stats = Stats::default();
        let mut names: Vec<_> = stats.counters().map(|c| c.name).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
        for c in stats.counters() {
            match c.metric.direction {
                None => assert_eq!(c.metric.family, c.name),
                Some(d) => assert_eq!(format!("{}_{d}", c.metric.family), c.name),
            }
        }
        let mut reasons: Vec<_> = DropReason::ALL.iter().map(|r| r.as_str()).collect();
        reasons.sort_unstable();
        reasons.dedup();
        assert_eq!(reasons.len(), DropReason::ALL.len());
    }
}
