//! Counters for `/metrics` (Prometheus text format).

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use gridvoice_core::access::Refusal;

#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Default)]
pub struct Gauge(AtomicI64);

impl Gauge {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    pub fn dec(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

// One counter per refusal reason.
const _: () = assert!(Refusal::ALL.len() == 11);

#[derive(Debug, Default)]
pub struct Metrics {
    pub connections_total: Counter,
    pub connections_open: Gauge,
    pub connections_refused: Counter,
    pub messages_in: Counter,
    pub messages_out: Counter,
    pub bytes_in: Counter,
    pub bytes_out: Counter,
    pub commits: Counter,
    pub http_requests: Counter,
    pub errors: Counter,
    pub rejected_changes: Counter,
    /// Requests and sync sockets refused over a device's rate, and failed enrolments throttled.
    pub rate_limited: Counter,
    /// Sync sockets refused because the server or the device held as many as it may.
    pub connections_over_cap: Counter,
    /// Sync sockets closed by the server for idling or for lasting too long.
    pub sockets_timed_out: Counter,
    /// Sync messages refused under the authority rule, by reason (`Refusal::ALL` order).
    pub refused_by_rule: [Counter; 11],
}

impl Metrics {
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut line = |name: &str, kind: &str, help: &str, v: String| {
            out.push_str(&format!("# HELP gridvoice_{name} {help}\n"));
            out.push_str(&format!("# TYPE gridvoice_{name} {kind}\n"));
            out.push_str(&format!("gridvoice_{name} {v}\n"));
        };
        line(
            "sync_connections_total",
            "counter",
            "Sync connections accepted.",
            self.connections_total.get().to_string(),
        );
        line(
            "sync_connections_open",
            "gauge",
            "Sync connections open now.",
            self.connections_open.get().to_string(),
        );
        line(
            "sync_connections_refused_total",
            "counter",
            "Sync upgrades refused (bad or revoked credential).",
            self.connections_refused.get().to_string(),
        );
        line(
            "rate_limited_total",
            "counter",
            "Requests, sync sockets and enrolments refused over a rate.",
            self.rate_limited.get().to_string(),
        );
        line(
            "sync_connections_over_cap_total",
            "counter",
            "Sync sockets refused: the server or the device held as many as it may.",
            self.connections_over_cap.get().to_string(),
        );
        line(
            "sync_sockets_timed_out_total",
            "counter",
            "Sync sockets closed for idling or lasting too long.",
            self.sockets_timed_out.get().to_string(),
        );
        line(
            "sync_messages_in_total",
            "counter",
            "Sync messages received.",
            self.messages_in.get().to_string(),
        );
        line(
            "sync_messages_out_total",
            "counter",
            "Sync messages sent.",
            self.messages_out.get().to_string(),
        );
        line(
            "sync_bytes_in_total",
            "counter",
            "Sync bytes received.",
            self.bytes_in.get().to_string(),
        );
        line(
            "sync_bytes_out_total",
            "counter",
            "Sync bytes sent.",
            self.bytes_out.get().to_string(),
        );
        line(
            "store_commits_total",
            "counter",
            "Group commits of received changes.",
            self.commits.get().to_string(),
        );
        line(
            "http_requests_total",
            "counter",
            "HTTP API requests.",
            self.http_requests.get().to_string(),
        );
        line(
            "errors_total",
            "counter",
            "Errors (storage, protocol, refused requests).",
            self.errors.get().to_string(),
        );
        line(
            "rejected_changes_total",
            "counter",
            "Sync messages refused whole: a change under another device's actor, or against the authority rule.",
            self.rejected_changes.get().to_string(),
        );
        out.push_str(
            "# HELP gridvoice_sync_refused_total Sync messages refused under the authority rule, by reason.\n\
             # TYPE gridvoice_sync_refused_total counter\n",
        );
        for (r, c) in Refusal::ALL.iter().zip(&self.refused_by_rule) {
            out.push_str(&format!(
                "gridvoice_sync_refused_total{{reason=\"{}\"}} {}\n",
                r.code(),
                c.get()
            ));
        }
        out
    }

    /// Counts a refused sync message.
    pub fn refused(&self, why: crate::ws::Refused) {
        self.rejected_changes.inc();
        if let crate::ws::Refused::Rule(r) = why
            && let Some(i) = Refusal::ALL.iter().position(|x| *x == r)
            && let Some(c) = self.refused_by_rule.get(i)
        {
            c.inc();
        }
    }
}
