//! A tiny Pwned Passwords range server on 127.0.0.1 (std::net only) for the breach tests.
//!
//! It speaks the real format (uppercase `SUFFIX:COUNT` rows, CRLF, padding rows with
//! count 0 when `Add-Padding: true` is sent), logs every raw request, and can be told to
//! misbehave for the next requests (status codes with `Retry-After`, delays, garbage
//! bodies, dropped connections).

use std::collections::{HashMap, VecDeque};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use parking_lot::Mutex;
use sha1::{Digest, Sha1};

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Behavior {
    /// Answer from the corpus, padded when asked.
    Serve,
    /// Answer with this status, an optional `Retry-After` value, and a short body.
    Status(u16, Option<&'static str>),
    /// Wait this long, then serve.
    Delay(Duration),
    /// Answer 200 with this body.
    Body(&'static str),
    /// Close the connection without answering.
    Close,
}

/// One logged request.
#[derive(Debug, Clone)]
pub struct Request {
    /// The raw request head, exactly as received.
    pub raw: String,
    /// The request target (`/range/ABCDE`).
    pub target: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    log: Vec<Request>,
    script: VecDeque<Behavior>,
    /// Full uppercase hex hash (40 SHA-1 or 32 NTLM digits) -> count.
    corpus: HashMap<String, u64>,
}

/// A running server; it lives until the test process exits.
pub struct RangeServer {
    pub base_url: String,
    state: Arc<Mutex<State>>,
}

pub fn sha1_hex(password: &str) -> String {
    hex::encode_upper(Sha1::digest(password.as_bytes()))
}

impl RangeServer {
    /// Starts a server knowing `passwords` (SHA-1) with their counts.
    pub fn start(passwords: &[(&str, u64)]) -> RangeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State::default()));
        for (pw, count) in passwords {
            state.lock().corpus.insert(sha1_hex(pw), *count);
        }
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let state = Arc::clone(&shared);
                thread::spawn(move || handle(stream, &state));
            }
        });
        RangeServer {
            base_url: format!("http://{addr}"),
            state,
        }
    }

    /// Adds a full hex hash (e.g. an NTLM hash) to the corpus.
    pub fn add_hash(&self, hex_hash: &str, count: u64) {
        self.state
            .lock()
            .corpus
            .insert(hex_hash.to_ascii_uppercase(), count);
    }

    /// The next requests get these behaviours, in order; then the server serves.
    pub fn script(&self, behaviors: impl IntoIterator<Item = Behavior>) {
        self.state.lock().script.extend(behaviors);
    }

    /// Every request so far.
    pub fn log(&self) -> Vec<Request> {
        self.state.lock().log.clone()
    }

    pub fn requests(&self) -> usize {
        self.state.lock().log.len()
    }
}

fn handle(mut stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let raw = String::from_utf8_lossy(&head).into_owned();
    let mut lines = raw.split("\r\n");
    let target = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("")
        .to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let request = Request {
        raw,
        target,
        headers,
    };
    let behavior = {
        let mut s = state.lock();
        s.log.push(request.clone());
        s.script.pop_front().unwrap_or(Behavior::Serve)
    };
    let (status, retry_after, body) = match behavior {
        Behavior::Close => return,
        Behavior::Status(code, retry_after) => (code, retry_after, "error".to_string()),
        Behavior::Body(body) => (200, None, body.to_string()),
        Behavior::Delay(d) => {
            thread::sleep(d);
            (200, None, serve(&request, state))
        }
        Behavior::Serve => (200, None, serve(&request, state)),
    };
    let mut response = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(ra) = retry_after {
        response.push_str(&format!("Retry-After: {ra}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&body);
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
}

/// The body the real API sends: the matching rows plus, with padding, random rows with
/// count 0 up to 800 rows, sorted, CRLF-separated, no final newline.
fn serve(request: &Request, state: &Mutex<State>) -> String {
    let (path, ntlm) = match request.target.split_once('?') {
        Some((p, "mode=ntlm")) => (p, true),
        Some((p, _)) => (p, false),
        None => (request.target.as_str(), false),
    };
    let prefix = path
        .strip_prefix("/range/")
        .unwrap_or("")
        .to_ascii_uppercase();
    let hash_len = if ntlm { 32 } else { 40 };
    let mut rows: Vec<String> = state
        .lock()
        .corpus
        .iter()
        .filter(|(h, _)| h.len() == hash_len && h.starts_with(&prefix))
        .map(|(h, c)| format!("{}:{c}", &h[5..]))
        .collect();
    if request.header("add-padding") == Some("true") {
        let mut seed = prefix.bytes().fold(0x9E37_79B9_7F4A_7C15u64, |a, b| {
            (a ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
        });
        while rows.len() < 800 {
            let mut suffix = String::new();
            while suffix.len() < hash_len - 5 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                suffix.push_str(&format!("{:016X}", seed));
            }
            suffix.truncate(hash_len - 5);
            rows.push(format!("{suffix}:0"));
        }
    }
    rows.sort();
    rows.join("\r\n")
}
