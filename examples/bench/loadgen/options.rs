//! The command line: what to run.

use std::time::Duration;

pub(crate) const USAGE: &str = "\
usage: loadgen --connect ADDR [options]

  --connect ADDR       HOST:PORT or unix:/path/to.sock (required)
  -c, --connections N  connections (default 32)
  -m, --in-flight M    requests in flight per connection (default 1;
                       more than 1 multiplexes them on the connection)
  -d, --duration D     run for D (10s, 500ms, 2m; default 10s unless -n)
  -n, --requests N     stop after N requests (with -d: whichever comes first)
  --warmup D           requests answered in the first D are not counted (default 0)
  --no-keep-conn       a new connection per request (FCGI_KEEP_CONN clear)
  --uri URI            request URI (default /)
  --param NAME=VALUE   add (or replace) a FastCGI param on every request, e.g.
                       SCRIPT_FILENAME=/srv/hello.php for PHP-FPM (repeatable)
  --body N             POST a body of N bytes (application/octet-stream)
  --expect TEXT        the body every response must have
  --expect-echo        every response body must equal the request body
  --status CODE        the status every response must have (default 200)
  --timeout D          a request taking longer is an error (default 10s); requests
                       still unanswered 2 s after the end of the run are errors too
  --threads N          runtime worker threads (default 1: current-thread runtime)
  --json               also print a one-line JSON summary on stdout
  -q, --quiet          no progress line
  -h, --help           this text";

/// What to run, from the command line.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) connect: String,
    pub(crate) connections: usize,
    pub(crate) in_flight: usize,
    pub(crate) duration: Option<Duration>,
    pub(crate) requests: Option<u64>,
    pub(crate) warmup: Duration,
    pub(crate) keep_conn: bool,
    pub(crate) uri: String,
    pub(crate) params: Vec<(String, String)>,
    pub(crate) body: usize,
    pub(crate) expect: Option<Vec<u8>>,
    pub(crate) expect_echo: bool,
    pub(crate) status: u16,
    pub(crate) timeout: Duration,
    pub(crate) threads: usize,
    pub(crate) json: bool,
    pub(crate) quiet: bool,
}

pub(crate) fn parse_duration(value: &str) -> Result<Duration, String> {
    let (number, scale) = if let Some(n) = value.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('m') {
        (n, 60.0)
    } else {
        (value, 1.0)
    };
    number
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(|n| Duration::from_secs_f64(n * scale))
        .ok_or_else(|| format!("{value:?} is not a duration (try 10s, 500ms or 2m)"))
}

pub(crate) fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        connect: String::new(),
        connections: 32,
        in_flight: 1,
        duration: None,
        requests: None,
        warmup: Duration::ZERO,
        keep_conn: true,
        uri: "/".to_owned(),
        params: Vec::new(),
        body: 0,
        expect: None,
        expect_echo: false,
        status: 200,
        timeout: Duration::from_secs(10),
        threads: 1,
        json: false,
        quiet: false,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        fn number<T: std::str::FromStr>(name: &str, v: String) -> Result<T, String> {
            v.parse()
                .map_err(|_| format!("{name}: {v:?} is not a valid number"))
        }
        match flag.as_str() {
            "--connect" => options.connect = value(&flag)?,
            "-c" | "--connections" => options.connections = number(&flag, value(&flag)?)?,
            "-m" | "--in-flight" => options.in_flight = number(&flag, value(&flag)?)?,
            "-d" | "--duration" => options.duration = Some(parse_duration(&value(&flag)?)?),
            "-n" | "--requests" => options.requests = Some(number(&flag, value(&flag)?)?),
            "--warmup" => options.warmup = parse_duration(&value(&flag)?)?,
            "--no-keep-conn" => options.keep_conn = false,
            "--uri" => options.uri = value(&flag)?,
            "--param" => {
                let pair = value(&flag)?;
                let Some((name, v)) = pair.split_once('=') else {
                    return Err(format!("--param: {pair:?} is not NAME=VALUE"));
                };
                options.params.push((name.to_owned(), v.to_owned()));
            }
            "--body" => options.body = number(&flag, value(&flag)?)?,
            "--expect" => options.expect = Some(value(&flag)?.into_bytes()),
            "--expect-echo" => options.expect_echo = true,
            "--status" => options.status = number(&flag, value(&flag)?)?,
            "--timeout" => options.timeout = parse_duration(&value(&flag)?)?,
            "--threads" => options.threads = number(&flag, value(&flag)?)?,
            "--json" => options.json = true,
            "-q" | "--quiet" => options.quiet = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if options.connect.is_empty() {
        return Err("--connect ADDR is required".to_owned());
    }
    if options.connections == 0 || options.in_flight == 0 || options.threads == 0 {
        return Err("-c, -m and --threads must be at least 1".to_owned());
    }
    if !options.keep_conn && options.in_flight > 1 {
        return Err(
            "--no-keep-conn sends one request per connection: -m must be 1 (raise -c instead)"
                .to_owned(),
        );
    }
    if options.duration.is_none() && options.requests.is_none() {
        options.duration = Some(Duration::from_secs(10));
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn params_parse_in_both_spellings() {
        let args = ["--connect", "unix:/s", "--param", "A=1", "--param=B=x=y"];
        let options = parse_args(args.map(str::to_owned)).expect("valid options");
        assert_eq!(
            options.params,
            [
                ("A".to_owned(), "1".to_owned()),
                ("B".to_owned(), "x=y".to_owned())
            ]
        );
        let bad = ["--connect", "unix:/s", "--param", "A"];
        assert!(parse_args(bad.map(str::to_owned)).is_err());
    }
}
