//! The access log and the slow-request log: the `tracing` targets the
//! server writes them to, and a formatter for the combined log format.
//!
//! Every finished request is one `tracing` event at INFO with target
//! [`ACCESS_TARGET`] (PHP-FPM's `access.log`), with the fields
//! `request_id`, `peer` (`REMOTE_ADDR`), `user` (`REMOTE_USER`), `method`,
//! `uri` (`REQUEST_URI`), `protocol`, `status`, `bytes` (body bytes sent),
//! `duration_us`, `referer`, `user_agent` and `timed_out`. Nothing listens
//! to it unless a subscriber enables the target, and then it costs
//! nothing more than the event: the values were kept when the request's
//! params were read. [`CombinedLogFormat`] writes those events as the
//! lines Apache and nginx write; any other `tracing` layer (JSON,
//! OpenTelemetry) reads the same fields.
//!
//! A request that runs past [`Server::slow_request_log`](crate::server::Server::slow_request_log)
//! is a warning with target [`SLOW_TARGET`], as it passes the threshold
//! and again when it ends.
//!
//! ```
//! use fastcgi::access_log::CombinedLogFormat;
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! // Combined-log-format lines on stderr, and nothing else.
//! let subscriber = tracing_subscriber::registry().with(CombinedLogFormat::stderr());
//! tracing::subscriber::set_global_default(subscriber).ok();
//! ```

use std::fmt::Write as _;
use std::io::Write;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// The target of the access log's events: one per finished request.
pub const ACCESS_TARGET: &str = "fastcgi_core::access";

/// The target of the slow-request log's warnings.
pub const SLOW_TARGET: &str = "fastcgi_core::slow";

/// A `tracing` layer that writes each access-log event as one line of
/// the combined log format:
///
/// ```text
/// 127.0.0.1 - - [05/Dec/2026:11:22:23 +0000] "GET /a?b=1 HTTP/1.1" 200 5 "-" "curl/8.5.0"
/// ```
///
/// Other events are left to the other layers.
pub struct CombinedLogFormat {
    out: Mutex<Box<dyn Write + Send>>,
    duration: bool,
}

impl std::fmt::Debug for CombinedLogFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CombinedLogFormat").finish_non_exhaustive()
    }
}

impl CombinedLogFormat {
    /// Lines on the process's stderr.
    pub fn stderr() -> Self {
        Self::to_writer(std::io::stderr())
    }

    /// Lines on `out` (a file, a pipe), one write per line.
    pub fn to_writer(out: impl Write + Send + 'static) -> Self {
        Self {
            out: Mutex::new(Box::new(out)),
            duration: false,
        }
    }

    /// Also ends each line with the request's duration in seconds, with
    /// millisecond precision (as nginx's `$request_time`).
    pub fn with_duration(mut self) -> Self {
        self.duration = true;
        self
    }
}

impl<S: Subscriber> Layer<S> for CombinedLogFormat {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != ACCESS_TARGET {
            return;
        }
        let mut fields = AccessFields::default();
        event.record(&mut fields);
        let mut line = fields.combined_line(SystemTime::now());
        if self.duration {
            line.pop();
            let _ = writeln!(line, " {:.3}", fields.duration_us as f64 / 1e6);
        }
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        // A log that cannot be written has nowhere to say so.
        let _ = out.write_all(line.as_bytes());
    }
}

/// The fields of one access-log event.
#[derive(Default)]
struct AccessFields {
    peer: String,
    user: String,
    method: String,
    uri: String,
    protocol: String,
    status: u64,
    bytes: u64,
    duration_us: u64,
    referer: String,
    user_agent: String,
}

impl Visit for AccessFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        let slot = match field.name() {
            "peer" => &mut self.peer,
            "user" => &mut self.user,
            "method" => &mut self.method,
            "uri" => &mut self.uri,
            "protocol" => &mut self.protocol,
            "referer" => &mut self.referer,
            "user_agent" => &mut self.user_agent,
            _ => return,
        };
        value.clone_into(slot);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "status" => self.status = value,
            "bytes" => self.bytes = value,
            "duration_us" => self.duration_us = value,
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_u64(field, u64::try_from(value).unwrap_or(0));
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

impl AccessFields {
    /// `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`, with `-`
    /// for what is missing and `"` and `\` escaped as Apache does.
    fn combined_line(&self, now: SystemTime) -> String {
        let mut line = String::with_capacity(160);
        let _ = write!(
            line,
            "{} - {} [{}] \"{} {}{}{}\" {} ",
            or_dash(&self.peer),
            or_dash(&self.user),
            clf_time(now),
            escaped(&self.method),
            escaped(&self.uri),
            if self.protocol.is_empty() { "" } else { " " },
            escaped(&self.protocol),
            self.status,
        );
        if self.bytes == 0 {
            line.push('-');
        } else {
            let _ = write!(line, "{}", self.bytes);
        }
        let _ = writeln!(
            line,
            " \"{}\" \"{}\"",
            escaped(or_dash(&self.referer)),
            escaped(or_dash(&self.user_agent))
        );
        line
    }
}

fn or_dash(value: &str) -> &str {
    if value.is_empty() { "-" } else { value }
}

fn escaped(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

/// `05/Dec/2026:11:22:23 +0000`: the time in UTC.
fn clf_time(now: SystemTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{day:02}/{}/{year}:{:02}:{:02}:{:02} +0000",
        MONTHS[(month - 1) as usize],
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_time_is_in_the_common_log_format() {
        let t = UNIX_EPOCH + Duration::from_secs(1_796_469_743);
        assert_eq!(clf_time(t), "05/Dec/2026:11:22:23 +0000");
        assert_eq!(clf_time(UNIX_EPOCH), "01/Jan/1970:00:00:00 +0000");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(clf_time(leap), "29/Feb/2000:00:00:00 +0000");
    }

    #[test]
    fn a_line_has_every_field_with_dashes_for_what_is_missing() {
        let fields = AccessFields {
            peer: "10.0.0.1".into(),
            method: "GET".into(),
            uri: "/a?q=\"x\"".into(),
            protocol: "HTTP/1.1".into(),
            status: 200,
            bytes: 5,
            user_agent: "curl/8".into(),
            ..AccessFields::default()
        };
        assert_eq!(
            fields.combined_line(UNIX_EPOCH),
            "10.0.0.1 - - [01/Jan/1970:00:00:00 +0000] \"GET /a?q=\\\"x\\\" HTTP/1.1\" 200 5 \"-\" \"curl/8\"\n"
        );
    }
}
