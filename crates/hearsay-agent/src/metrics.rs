//! `GET /metrics`: the node's counters in the Prometheus text format.
