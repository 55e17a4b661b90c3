//! A minimal HTTP/1.1 client over `tokio::net::TcpStream`, enough to talk to
//! a web server the way a browser or curl would: one request per connection
//! (`Connection: close`), a body framed by Content-Length, chunked transfer
//! coding, or the end of the connection, and a streaming mode that records
//! when each piece of the body arrived.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// The longest a response head may be.
const MAX_HEAD: usize = 64 * 1024;

/// One request: method, target (path and query), extra headers, body.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub method: &'a str,
    pub target: &'a str,
    pub headers: Vec<(&'a str, &'a str)>,
    pub body: &'a [u8],
}

impl<'a> Request<'a> {
    pub fn get(target: &'a str) -> Self {
        Self {
            method: "GET",
            target,
            headers: Vec::new(),
            body: b"",
        }
    }

    pub fn post(target: &'a str, body: &'a [u8]) -> Self {
        Self {
            method: "POST",
            target,
            headers: Vec::new(),
            body,
        }
    }

    pub fn header(mut self, name: &'a str, value: &'a str) -> Self {
        self.headers.push((name, value));
        self
    }

    fn head_bytes(&self, addr: SocketAddr) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n",
            self.method, self.target
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !self.body.is_empty() || self.method == "POST" || self.method == "PUT" {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        head.push_str("\r\n");
        head.into_bytes()
    }
}

/// A whole response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Status line and headers, for failure messages.
    pub fn describe(&self) -> String {
        let mut out = format!("{} {}", self.status, self.reason);
        for (name, value) in &self.headers {
            out.push_str(&format!("\n{name}: {value}"));
        }
        let body = self.text();
        let shown: String = body.chars().take(300).collect();
        out.push_str(&format!("\n\n{shown}"));
        if shown.len() < body.len() {
            out.push_str(&format!("... ({} bytes)", self.body.len()));
        }
        out
    }
}

fn find_header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// One piece of a body and when it arrived, counted from the moment the
/// request was sent.
#[derive(Debug)]
pub struct Piece {
    pub at: Duration,
    pub data: Vec<u8>,
}

/// How the end of the body is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Close,
    ChunkSize,
    ChunkData(u64),
    ChunkDataEnd,
    Trailers,
    Done,
}

/// A response whose head has been read and whose body is read piece by
/// piece. Dropping it closes the connection (a client that goes away).
pub struct Streaming {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    /// When the request was sent.
    pub sent: Instant,
    reader: OwnedReadHalf,
    // Kept open until the response is read: dropping it would half-close.
    _writer: OwnedWriteHalf,
    buf: Vec<u8>,
    framing: Framing,
}

impl Streaming {
    /// Connects, sends `request` while reading the response head (a server
    /// may answer before it has read the whole body), and returns once the
    /// head is in.
    pub async fn start(addr: SocketAddr, request: &Request<'_>) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (mut reader, mut writer) = stream.into_split();
        let sent = Instant::now();
        let head = request.head_bytes(addr);
        let body = request.body;
        let write = async {
            writer.write_all(&head).await?;
            writer.write_all(body).await?;
            writer.flush().await?;
            io::Result::Ok(())
        };
        let read = read_head(&mut reader);
        let (written, head) = tokio::join!(write, read);
        let (status, reason, headers, buf) = head?;
        // A server may answer early (413, 500) and close without reading
        // the rest of the body: its answer counts, not our failed write.
        if let Err(err) = written
            && status < 300
        {
            return Err(err);
        }
        let framing = framing(request.method, status, &headers)?;
        Ok(Self {
            status,
            reason,
            headers,
            sent,
            reader,
            _writer: writer,
            buf,
            framing,
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The next piece of the body as it arrives, `None` at its end.
    pub async fn next_piece(&mut self) -> io::Result<Option<Piece>> {
        loop {
            match self.framing {
                Framing::Done => return Ok(None),
                Framing::Length(0) => {
                    self.framing = Framing::Done;
                }
                Framing::Length(left) => {
                    let data = self.take_data(left).await?;
                    self.framing = Framing::Length(left - data.len() as u64);
                    return Ok(Some(self.piece(data)));
                }
                Framing::Close => {
                    if self.buf.is_empty() && self.fill().await? == 0 {
                        self.framing = Framing::Done;
                        continue;
                    }
                    let data = std::mem::take(&mut self.buf);
                    return Ok(Some(self.piece(data)));
                }
                Framing::ChunkSize => {
                    let line = self.line().await?;
                    let hex = line.split(';').next().unwrap_or("").trim();
                    let size = u64::from_str_radix(hex, 16)
                        .map_err(|_| bad(format!("bad chunk size line {line:?}")))?;
                    self.framing = if size == 0 {
                        Framing::Trailers
                    } else {
                        Framing::ChunkData(size)
                    };
                }
                Framing::ChunkData(left) => {
                    let data = self.take_data(left).await?;
                    let left = left - data.len() as u64;
                    self.framing = if left == 0 {
                        Framing::ChunkDataEnd
                    } else {
                        Framing::ChunkData(left)
                    };
                    return Ok(Some(self.piece(data)));
                }
                Framing::ChunkDataEnd => {
                    let line = self.line().await?;
                    if !line.is_empty() {
                        return Err(bad(format!("chunk not followed by CRLF: {line:?}")));
                    }
                    self.framing = Framing::ChunkSize;
                }
                Framing::Trailers => {
                    if self.line().await?.is_empty() {
                        self.framing = Framing::Done;
                    }
                }
            }
        }
    }

    /// Reads the rest of the body as timed pieces.
    pub async fn pieces(&mut self) -> io::Result<Vec<Piece>> {
        let mut pieces = Vec::new();
        while let Some(piece) = self.next_piece().await? {
            pieces.push(piece);
        }
        Ok(pieces)
    }

    /// Reads the rest of the body.
    pub async fn into_response(mut self) -> io::Result<Response> {
        let mut body = Vec::new();
        while let Some(piece) = self.next_piece().await? {
            body.extend_from_slice(&piece.data);
        }
        Ok(Response {
            status: self.status,
            reason: std::mem::take(&mut self.reason),
            headers: std::mem::take(&mut self.headers),
            body,
        })
    }

    fn piece(&self, data: Vec<u8>) -> Piece {
        Piece {
            at: self.sent.elapsed(),
            data,
        }
    }

    /// Up to `left` body bytes: what is buffered, or what comes next.
    async fn take_data(&mut self, left: u64) -> io::Result<Vec<u8>> {
        if self.buf.is_empty() && self.fill().await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("connection closed with {left} body bytes missing"),
            ));
        }
        let n = self
            .buf
            .len()
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        Ok(self.buf.drain(..n).collect())
    }

    /// One CRLF-terminated line (without the CRLF).
    async fn line(&mut self) -> io::Result<String> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                self.buf.drain(..end + 2);
                return Ok(line);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(bad("chunk framing line too long".into()));
            }
            if self.fill().await? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed inside chunked framing",
                ));
            }
        }
    }

    async fn fill(&mut self) -> io::Result<usize> {
        self.buf.reserve(64 * 1024);
        self.reader.read_buf(&mut self.buf).await
    }
}

type Head = (u16, String, Vec<(String, String)>, Vec<u8>);

/// Status line and headers; what was read past them is returned too.
async fn read_head(reader: &mut OwnedReadHalf) -> io::Result<Head> {
    let mut buf = Vec::with_capacity(16 * 1024);
    let end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return Err(bad("response head longer than 64 KiB".into()));
        }
        buf.reserve(16 * 1024);
        if reader.read_buf(&mut buf).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "connection closed before the end of the response head (got {:?})",
                    String::from_utf8_lossy(&buf)
                ),
            ));
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let rest = buf[end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(bad(format!("not an HTTP/1.x status line: {status_line:?}")));
    }
    let status = parts
        .next()
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| bad(format!("bad status line {status_line:?}")))?;
    let reason = parts.next().unwrap_or("").to_owned();
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| bad(format!("bad header line {line:?}")))?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    Ok((status, reason, headers, rest))
}

fn framing(method: &str, status: u16, headers: &[(String, String)]) -> io::Result<Framing> {
    if method == "HEAD" || (100..200).contains(&status) || status == 204 || status == 304 {
        return Ok(Framing::Done);
    }
    if let Some(coding) = find_header(headers, "transfer-encoding")
        && coding.to_ascii_lowercase().contains("chunked")
    {
        return Ok(Framing::ChunkSize);
    }
    match find_header(headers, "content-length") {
        Some(length) => length
            .parse()
            .map(Framing::Length)
            .map_err(|_| bad(format!("bad Content-Length {length:?}"))),
        None => Ok(Framing::Close),
    }
}

fn bad(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Sends `request` and reads the whole response.
pub async fn send(addr: SocketAddr, request: &Request<'_>) -> io::Result<Response> {
    Streaming::start(addr, request).await?.into_response().await
}
