//! A closed-loop HTTP/1.1 load generator for the load benchmark: a fixed
//! number of keep-alive connections, each sending its next request as soon
//! as the previous answer is read, for a bounded time; then throughput and
//! latency quantiles as one JSON line. It runs on one thread (pin it to a
//! core of its own). By default that thread busy-polls non-blocking sockets
//! and never sleeps (see `run_busy`); `--client hyper` uses hyper's client
//! on tokio instead, and then its CPU use (reported) tells whether it, not
//! the server, set the pace.
//!
//! ```text
//! loadgen run --name NAME --url http://127.0.0.1:PORT/PATH [--body JSON]
//!             [--connections 32] [--warmup 2] [--seconds 10] [--server-pid PID]
//!             [--client busy|hyper]
//! loadgen report RESULTS.jsonl     (per server the median of its rounds, and
//!                                   the ratios against the goals)
//! ```
//!
//! With the server's process id it also reports the server's CPU time per
//! request (all its threads, user and system), which other work on the
//! machine does not change as much as it changes throughput: its inverse
//! is the throughput one core could sustain.
//!
//! Only loopback addresses are accepted: this is a local benchmark.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;

type Error = Box<dyn std::error::Error>;

struct Run {
    name: String,
    addr: SocketAddr,
    host: String,
    path: String,
    body: Bytes,
    connections: usize,
    warmup: Duration,
    seconds: Duration,
    server_pid: Option<u32>,
    client: Client,
}

/// How the generator talks to the server.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Client {
    /// Non-blocking sockets polled in a loop by one thread that never
    /// sleeps (the default).
    Busy,
    /// hyper's HTTP/1.1 client on a one-thread tokio runtime (epoll).
    Hyper,
}

/// One benchmark's figures, as a JSON line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Figures {
    name: String,
    connections: usize,
    seconds: f64,
    requests: u64,
    rps: f64,
    p50_us: f64,
    p90_us: f64,
    p99_us: f64,
    max_us: f64,
    /// Answers other than 2xx (a rate limiter's 429, say).
    non_2xx: u64,
    /// Connection or protocol errors.
    errors: u64,
    /// `busy` or `hyper` (see `Client`).
    #[serde(default)]
    client: String,
    /// The generator's own CPU time over the measured window, in percent
    /// of one core: near 100 means the generator, not the server, set the
    /// pace.
    generator_cpu_percent: f64,
    /// The server's CPU time over the measured window, in percent of one
    /// core (below ~95 with the generator idle: something else had its
    /// core), and per request in microseconds.
    #[serde(default)]
    server_cpu_percent: Option<f64>,
    #[serde(default)]
    server_cpu_us_per_request: Option<f64>,
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    non_2xx: u64,
    errors: u64,
}

fn parse_url(url: &str) -> Result<(SocketAddr, String, String), Error> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// URLs are supported")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let addr: SocketAddr = authority
        .replace("localhost", "127.0.0.1")
        .parse()
        .map_err(|e| format!("{authority}: {e} (give an IP address and a port)"))?;
    let loopback = match addr.ip() {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => ip.is_loopback(),
    };
    if !loopback {
        return Err(
            format!("{addr} is not a loopback address: refusing to send load there").into(),
        );
    }
    Ok((addr, authority.to_string(), path))
}

fn parse_run(mut args: impl Iterator<Item = String>) -> Result<Run, Error> {
    let mut name = None;
    let mut url = None;
    let mut body = r#"{"action":"edit","payload":{"page":7}}"#.to_string();
    let mut connections = 32;
    let mut warmup = 2.0;
    let mut seconds = 10.0;
    let mut server_pid = None;
    let mut client = Client::Busy;
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--name" => name = Some(value()?),
            "--url" => url = Some(value()?),
            "--body" => body = value()?,
            "--connections" => connections = value()?.parse()?,
            "--warmup" => warmup = value()?.parse()?,
            "--seconds" => seconds = value()?.parse()?,
            "--server-pid" => server_pid = Some(value()?.parse()?),
            "--client" => {
                client = match value()?.as_str() {
                    "busy" => Client::Busy,
                    "hyper" => Client::Hyper,
                    other => return Err(format!("--client busy|hyper, not {other:?}").into()),
                }
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let (addr, host, path) = parse_url(&url.ok_or("--url is required")?)?;
    // Bounded: a run never lasts more than a few minutes.
    if !(0.0..=60.0).contains(&warmup) || !(0.1..=300.0).contains(&seconds) {
        return Err("--warmup must be 0..=60 s and --seconds 0.1..=300 s".into());
    }
    if !(1..=1024).contains(&connections) {
        return Err("--connections must be 1..=1024".into());
    }
    Ok(Run {
        name: name.ok_or("--name is required")?,
        addr,
        host,
        path,
        body: Bytes::from(body),
        connections,
        warmup: Duration::from_secs_f64(warmup),
        seconds: Duration::from_secs_f64(seconds),
        server_pid,
        client,
    })
}

/// One connection's loop: requests until `end`, latencies kept for those
/// sent from `measure` on.
async fn connection(run: &Run, measure: Instant, end: Instant) -> Tally {
    let mut tally = Tally::default();
    'connect: while Instant::now() < end {
        let stream = match TcpStream::connect(run.addr).await {
            Ok(stream) => stream,
            Err(_) => {
                tally.errors += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let Ok((mut sender, conn)) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
        else {
            tally.errors += 1;
            continue;
        };
        tokio::spawn(conn);
        loop {
            let sent = Instant::now();
            if sent >= end {
                break 'connect;
            }
            let request = Request::post(run.path.as_str())
                .header(HOST, run.host.as_str())
                .header(CONTENT_TYPE, "application/json")
                .body(Full::new(run.body.clone()))
                .expect("a valid request");
            if sender.ready().await.is_err() {
                tally.errors += 1;
                continue 'connect;
            }
            let status = match sender.send_request(request).await {
                Ok(response) => {
                    let status = response.status();
                    if response.into_body().collect().await.is_err() {
                        tally.errors += 1;
                        continue 'connect;
                    }
                    status
                }
                Err(_) => {
                    tally.errors += 1;
                    continue 'connect;
                }
            };
            if sent >= measure {
                let us = sent.elapsed().as_micros();
                tally
                    .latencies_us
                    .push(u32::try_from(us).unwrap_or(u32::MAX));
                if !status.is_success() {
                    tally.non_2xx += 1;
                }
            }
        }
    }
    tally
}

/// This thread's time on a CPU so far (the generator runs on one thread).
fn cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// A process's CPU time so far, all threads, user and system (from
/// `/proc/PID/stat`, in clock ticks of 10 ms: fine over seconds).
fn process_cpu_time(pid: u32) -> Option<Duration> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    // Fields 14 and 15 of the line; 0 and 1 after the name are 3 and 4.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    const TICKS_PER_SECOND: u64 = 100;
    Some(Duration::from_millis(
        (utime + stime) * 1000 / TICKS_PER_SECOND,
    ))
}

fn quantile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    f64::from(sorted[rank - 1])
}

async fn run(run: Run) -> Figures {
    let start = Instant::now();
    let measure = start + run.warmup;
    let end = measure + run.seconds;
    let run = std::rc::Rc::new(run);
    let local = tokio::task::LocalSet::new();
    let cpu_at_measure = std::rc::Rc::new(std::cell::Cell::new(None));
    let server_at_measure = std::rc::Rc::new(std::cell::Cell::new(None));
    let server_pid = run.server_pid;
    let tallies = local
        .run_until(async {
            let handles: Vec<_> = (0..run.connections)
                .map(|_| {
                    let run = run.clone();
                    tokio::task::spawn_local(async move { connection(&run, measure, end).await })
                })
                .collect();
            let mark = cpu_at_measure.clone();
            let server_mark = server_at_measure.clone();
            tokio::time::sleep_until(measure.into()).await;
            mark.set(cpu_time());
            server_mark.set(server_pid.and_then(process_cpu_time));
            let mut tallies = Vec::new();
            for handle in handles {
                tallies.push(handle.await.unwrap_or_default());
            }
            tallies
        })
        .await;
    let cpu = cpu_at_measure.get();
    let server = server_at_measure.get();
    summarize(&run, tallies, cpu, server)
}

/// The figures of a run from its tallies and the CPU clocks read when the
/// measurement began (this thread's, the server's).
fn summarize(
    run: &Run,
    tallies: Vec<Tally>,
    cpu_at_measure: Option<Duration>,
    server_at_measure: Option<Duration>,
) -> Figures {
    let cpu = match (cpu_at_measure, cpu_time()) {
        (Some(a), Some(b)) => 100.0 * (b - a).as_secs_f64() / run.seconds.as_secs_f64(),
        _ => f64::NAN,
    };
    let server_cpu = match (server_at_measure, run.server_pid.and_then(process_cpu_time)) {
        (Some(a), Some(b)) => Some((b - a).as_secs_f64()),
        _ => None,
    };
    let mut latencies: Vec<u32> = Vec::new();
    let (mut non_2xx, mut errors) = (0, 0);
    for tally in tallies {
        latencies.extend(tally.latencies_us);
        non_2xx += tally.non_2xx;
        errors += tally.errors;
    }
    latencies.sort_unstable();
    let seconds = run.seconds.as_secs_f64();
    Figures {
        name: run.name.clone(),
        connections: run.connections,
        seconds,
        requests: latencies.len() as u64,
        rps: latencies.len() as f64 / seconds,
        p50_us: quantile(&latencies, 0.5),
        p90_us: quantile(&latencies, 0.9),
        p99_us: quantile(&latencies, 0.99),
        max_us: latencies.last().copied().map_or(0.0, f64::from),
        non_2xx,
        errors,
        client: match run.client {
            Client::Busy => "busy",
            Client::Hyper => "hyper",
        }
        .to_string(),
        generator_cpu_percent: (cpu * 10.0).round() / 10.0,
        server_cpu_percent: server_cpu.map(|c| (1000.0 * c / seconds).round() / 10.0),
        server_cpu_us_per_request: server_cpu
            .filter(|_| !latencies.is_empty())
            .map(|c| (10e6 * c / latencies.len() as f64).round() / 10.0),
    }
}

/// The request as bytes, made once: every request of a run is the same.
fn request_bytes(run: &Run) -> Vec<u8> {
    let mut bytes = format!(
        "POST {} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        run.path,
        run.host,
        run.body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(&run.body);
    bytes
}

/// What a response's head says: its status and its total length, once
/// the head is complete (every server here frames with `Content-Length`).
fn response_frame(buf: &[u8]) -> io::Result<Option<(u16, usize)>> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(buf).map_err(io::Error::other)? {
        httparse::Status::Partial => Ok(None),
        httparse::Status::Complete(head) => {
            let length = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| {
                    std::str::from_utf8(h.value)
                        .ok()?
                        .trim()
                        .parse::<usize>()
                        .ok()
                })
                .ok_or_else(|| io::Error::other("a response without Content-Length"))?;
            Ok(Some((response.code.unwrap_or(0), head + length)))
        }
    }
}

/// One connection of the busy-polling client.
struct Busy {
    stream: Option<std::net::TcpStream>,
    /// Bytes of the request written so far; `None` while reading.
    written: Option<usize>,
    buf: Vec<u8>,
    sent: Instant,
}

impl Busy {
    fn connect(addr: SocketAddr) -> io::Result<std::net::TcpStream> {
        let stream = std::net::TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        Ok(stream)
    }

    /// Moves this connection on as far as it can without waiting.
    fn step(&mut self, run: &Run, request: &[u8], measure: Instant, tally: &mut Tally) {
        use std::io::{Read, Write};
        if self.stream.is_none() {
            match Self::connect(run.addr) {
                Ok(stream) => {
                    self.stream = Some(stream);
                    self.written = Some(0);
                    self.sent = Instant::now();
                }
                Err(_) => {
                    tally.errors += 1;
                    std::thread::sleep(Duration::from_millis(10));
                    return;
                }
            }
        }
        let Some(stream) = self.stream.as_mut() else {
            return;
        };
        let failed = loop {
            match self.written {
                Some(done) if done < request.len() => match stream.write(&request[done..]) {
                    Ok(n) => self.written = Some(done + n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                    Err(_) => break true,
                },
                Some(_) => {
                    self.written = None;
                    self.buf.clear();
                }
                None => {
                    let len = self.buf.len();
                    self.buf.resize(len + 4096, 0);
                    match stream.read(&mut self.buf[len..]) {
                        Ok(0) => break true,
                        Ok(n) => self.buf.truncate(len + n),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            self.buf.truncate(len);
                            return;
                        }
                        Err(_) => break true,
                    }
                    match response_frame(&self.buf) {
                        Ok(None) => {}
                        Ok(Some((_, total))) if self.buf.len() < total => {}
                        Ok(Some((status, total))) => {
                            if self.buf.len() > total {
                                break true; // more than one response: not ours
                            }
                            if self.sent >= measure {
                                let us = self.sent.elapsed().as_micros();
                                tally
                                    .latencies_us
                                    .push(u32::try_from(us).unwrap_or(u32::MAX));
                                if !(200..300).contains(&status) {
                                    tally.non_2xx += 1;
                                }
                            }
                            self.written = Some(0);
                            self.sent = Instant::now();
                            return;
                        }
                        Err(_) => break true,
                    }
                }
            }
        };
        if failed {
            tally.errors += 1;
            self.stream = None;
        }
    }
}

/// The busy-polling client: non-blocking sockets visited in turn by one
/// thread that never sleeps. A server answering it never has a sleeping
/// reader to wake, which on loopback (and in a virtual machine, where
/// waking a sleeping thread on another core is dear) would otherwise be
/// charged to the server, and more to a slower one, whose client idles
/// more. It keeps its core busy for the whole run.
fn run_busy(run: &Run) -> Figures {
    let start = Instant::now();
    let measure = start + run.warmup;
    let end = measure + run.seconds;
    let request = request_bytes(run);
    let mut tally = Tally::default();
    let mut conns: Vec<Busy> = (0..run.connections)
        .map(|_| Busy {
            stream: None,
            written: Some(0),
            buf: Vec::with_capacity(4096),
            sent: start,
        })
        .collect();
    let mut marks = None;
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        if marks.is_none() && now >= measure {
            marks = Some((cpu_time(), run.server_pid.and_then(process_cpu_time)));
        }
        for conn in &mut conns {
            conn.step(run, &request, measure, &mut tally);
        }
    }
    // Answers still on their way when the time was up are not counted.
    let (cpu, server) = marks.unwrap_or((None, None));
    summarize(run, vec![tally], cpu, server)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// One row per server: the median of its rounds' figures (rounds
/// interleave the servers, so that other work on the machine weighs on
/// each alike), errors summed.
fn medians(runs: Vec<Figures>) -> Vec<Figures> {
    let mut names: Vec<String> = Vec::new();
    for run in &runs {
        if !names.contains(&run.name) {
            names.push(run.name.clone());
        }
    }
    names
        .into_iter()
        .map(|name| {
            let rounds: Vec<&Figures> = runs.iter().filter(|r| r.name == name).collect();
            let of = |f: fn(&Figures) -> f64| median(rounds.iter().map(|r| f(r)).collect());
            let of_opt = |f: fn(&Figures) -> Option<f64>| {
                let values: Vec<f64> = rounds.iter().filter_map(|r| f(r)).collect();
                (!values.is_empty()).then(|| median(values))
            };
            Figures {
                connections: rounds[0].connections,
                seconds: rounds.iter().map(|r| r.seconds).sum(),
                requests: rounds.iter().map(|r| r.requests).sum(),
                rps: of(|r| r.rps),
                p50_us: of(|r| r.p50_us),
                p90_us: of(|r| r.p90_us),
                p99_us: of(|r| r.p99_us),
                max_us: rounds.iter().map(|r| r.max_us).fold(0.0, f64::max),
                non_2xx: rounds.iter().map(|r| r.non_2xx).sum(),
                errors: rounds.iter().map(|r| r.errors).sum(),
                client: rounds[0].client.clone(),
                generator_cpu_percent: of(|r| r.generator_cpu_percent),
                server_cpu_percent: of_opt(|r| r.server_cpu_percent),
                server_cpu_us_per_request: of_opt(|r| r.server_cpu_us_per_request),
                name,
            }
        })
        .collect()
}

/// `a`'s figure over `b`'s, round by round (the n-th result of each).
fn paired(runs: &[Figures], a: &str, b: &str, figure: impl Fn(&Figures) -> f64) -> Vec<f64> {
    let of_a = runs.iter().filter(|f| f.name == a);
    let of_b = runs.iter().filter(|f| f.name == b);
    of_a.zip(of_b).map(|(x, y)| figure(x) / figure(y)).collect()
}

fn ms(us: f64) -> String {
    format!("{:.2} ms", us / 1000.0)
}

/// The table, then each goal: met or missed.
fn report(path: &str) -> Result<bool, Error> {
    let text = std::fs::read_to_string(path)?;
    let runs: Vec<Figures> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let Some(first) = runs.first() else {
        return Err(format!("{path}: no results").into());
    };
    let rounds = runs.iter().filter(|r| r.name == first.name).count();
    let paired_throughput = paired(&runs, "plinth", "axum", |f| f.rps);
    let paired_p99 = paired(&runs, "plinth", "axum", |f| f.p99_us);
    let all = medians(runs);
    println!("per server, the median of {rounds} round(s):");
    println!(
        "{:<10} {:>11} {:>9} {:>9} {:>9} {:>8} {:>7} {:>11} {:>11} {:>12}",
        "server",
        "requests/s",
        "p50",
        "p90",
        "p99",
        "non-2xx",
        "errors",
        "server cpu",
        "cpu/request",
        "gen. cpu"
    );
    let opt = |v: Option<f64>, unit: &str| v.map_or("-".to_string(), |v| format!("{v:.1}{unit}"));
    for f in &all {
        println!(
            "{:<10} {:>11.0} {:>9} {:>9} {:>9} {:>8} {:>7} {:>11} {:>11} {:>11.0}%",
            f.name,
            f.rps,
            ms(f.p50_us),
            ms(f.p90_us),
            ms(f.p99_us),
            f.non_2xx,
            f.errors,
            opt(f.server_cpu_percent, "%"),
            opt(f.server_cpu_us_per_request, " µs"),
            f.generator_cpu_percent
        );
    }
    let get = |name: &str| all.iter().find(|f| f.name == name);
    let mut met = true;
    if let (Some(plinth), Some(axum)) = (get("plinth"), get("axum")) {
        let throughput = plinth.rps / axum.rps;
        let p99 = plinth.p99_us / axum.p99_us;
        println!();
        met &= goal(
            "plinth / bare axum throughput",
            throughput,
            ">= 0.8",
            throughput >= 0.8,
        );
        met &= goal("plinth / bare axum p99", p99, "<= 1.5", p99 <= 1.5);
        // Each round runs the servers back to back: a round's ratio is
        // immune to the machine's drift between rounds, which the ratio
        // of medians above is not. Shown beside it, not instead of it.
        for (what, ratios) in [("throughput", &paired_throughput), ("p99", &paired_p99)] {
            if !ratios.is_empty() {
                let median = median(ratios.clone());
                let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
                println!(
                    "  plinth / bare axum {what}, round by round: {} (median {median:.2}x)",
                    each.join(" ")
                );
            }
        }
        let p50 = plinth.p50_us / axum.p50_us;
        println!("  plinth / bare axum p50: {p50:.2}x");
        if let (Some(a), Some(b)) = (
            plinth.server_cpu_us_per_request,
            axum.server_cpu_us_per_request,
        ) {
            println!(
                "  bare axum / plinth CPU per request (throughput on a core of their own): {:.2}x",
                b / a
            );
        }
    }
    if let (Some(plinth), Some(express)) = (get("plinth"), get("express")) {
        let throughput = plinth.rps / express.rps;
        met &= goal(
            "plinth / Express throughput",
            throughput,
            ">= 5",
            throughput >= 5.0,
        );
        let p99 = plinth.p99_us / express.p99_us;
        println!("  plinth / Express p99: {p99:.2}x");
        if let (Some(a), Some(b)) = (
            plinth.server_cpu_us_per_request,
            express.server_cpu_us_per_request,
        ) {
            println!(
                "  Express / plinth CPU per request (throughput on a core of their own): {:.2}x",
                b / a
            );
        }
    }
    for f in &all {
        if f.errors > 0 || f.non_2xx > 0 {
            println!(
                "warning: {} had {} errors and {} non-2xx answers",
                f.name, f.errors, f.non_2xx
            );
            met = false;
        }
        if f.server_cpu_percent.is_some_and(|c| c < 90.0) {
            println!(
                "warning: {} had its core {:.0}% of the time: other work on the machine held it back, \
                 so its throughput is low; CPU per request is the steadier figure",
                f.name,
                f.server_cpu_percent.unwrap_or_default()
            );
        }
        if f.generator_cpu_percent > 90.0 && f.client != "busy" {
            println!(
                "warning: the generator was busy {:.0}% of the time against {}: its figures may be the generator's limit",
                f.generator_cpu_percent, f.name
            );
        }
    }
    Ok(met)
}

fn goal(what: &str, ratio: f64, target: &str, met: bool) -> bool {
    println!(
        "  {what}: {ratio:.2}x (goal {target}): {}",
        if met { "met" } else { "MISSED" }
    );
    met
}

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("run") => {
            let run_args = parse_run(args)?;
            let figures = match run_args.client {
                Client::Busy => run_busy(&run_args),
                Client::Hyper => tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?
                    .block_on(run(run_args)),
            };
            println!("{}", serde_json::to_string(&figures)?);
            Ok(())
        }
        Some("report") => {
            let path = args.next().ok_or("report needs a results file")?;
            // The report states whether each goal was met; missing one is
            // a finding, not a failure of the program.
            report(&path)?;
            Ok(())
        }
        _ => Err("usage: loadgen run --name NAME --url URL [...] | loadgen report FILE".into()),
    }
}
