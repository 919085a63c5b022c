//! A minimal blocking HTTP/1.1 JSON-RPC 2.0 client over [`std::net::TcpStream`].
//!
//! `qsign-node` serves HTTP and WebSocket JSON-RPC on one port; this client speaks plain HTTP:
//! one `POST` per call with `Connection: close`, so no connection state survives a call. Every
//! call has a connect timeout and a read/write timeout, and responses are bounded in size
//! (headers and body), so a misbehaving server cannot make a caller hang or allocate without
//! bound.

use std::{
	io::{Read, Write},
	net::{SocketAddr, TcpStream, ToSocketAddrs},
	sync::atomic::{AtomicU64, Ordering},
	time::Duration,
};

use serde_json::{json, Value};

use crate::error::{Error, Result};

/// Default limit on a response (status line, headers and body): 16 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// Default TCP connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default timeout of each read and write on the socket.
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest header section accepted.
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Where a node's RPC listens: parsed from `http://host[:port][/path]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
	/// The URL as given.
	pub url: String,
	/// Host name or address (without brackets for IPv6).
	pub host: String,
	/// TCP port (80 if the URL has none).
	pub port: u16,
	/// Request path (`/` if the URL has none).
	pub path: String,
}

impl Endpoint {
	/// Parses `http://host[:port][/path]`. Only plain HTTP is supported (the node serves HTTP
	/// and WebSocket on the same port, so `ws://` URLs can be given as `http://`).
	///
	/// # Errors
	///
	/// [`Error::InvalidUrl`] naming what is wrong.
	pub fn parse(url: &str) -> Result<Self> {
		let invalid = |reason: &str| Error::InvalidUrl { url: url.into(), reason: reason.into() };
		let rest = match url.split_once("://") {
			Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
			Some((scheme, _)) => {
				return Err(invalid(&format!(
					"scheme {scheme:?} is not supported; use http:// (the node serves HTTP and \
					 WebSocket on the same port)"
				)))
			}
			None => return Err(invalid("expected http://host:port")),
		};
		let (authority, path) = match rest.find('/') {
			Some(i) => (&rest[..i], &rest[i..]),
			None => (rest, "/"),
		};
		if authority.contains('@') {
			return Err(invalid("user information is not supported"));
		}
		if path.contains(|c: char| c.is_whitespace() || c.is_control()) {
			return Err(invalid("the path contains whitespace or control characters"));
		}
		let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
			let (host, after) =
				bracketed.split_once(']').ok_or_else(|| invalid("unterminated IPv6 address"))?;
			match after {
				"" => (host, None),
				_ => match after.strip_prefix(':') {
					Some(port) => (host, Some(port)),
					None => return Err(invalid("junk after the IPv6 address")),
				},
			}
		} else {
			match authority.rsplit_once(':') {
				Some((host, port)) => (host, Some(port)),
				None => (authority, None),
			}
		};
		if host.is_empty() {
			return Err(invalid("missing host"));
		}
		if host.contains(|c: char| c.is_whitespace() || c.is_control() || c == '/') {
			return Err(invalid("the host contains invalid characters"));
		}
		let port = match port {
			None => 80,
			Some(port) => match port.parse::<u16>() {
				Ok(port) if port != 0 => port,
				_ => return Err(invalid("the port must be a number from 1 to 65535")),
			},
		};
		Ok(Self { url: url.into(), host: host.into(), port, path: path.into() })
	}

	/// `host:port` (IPv6 hosts in brackets), as used in the `Host` header and in messages.
	pub fn authority(&self) -> String {
		if self.host.contains(':') {
			format!("[{}]:{}", self.host, self.port)
		} else {
			format!("{}:{}", self.host, self.port)
		}
	}
}

/// A blocking JSON-RPC client for one node.
#[derive(Debug)]
pub struct RpcClient {
	endpoint: Endpoint,
	connect_timeout: Duration,
	io_timeout: Duration,
	max_response_bytes: usize,
	next_id: AtomicU64,
}

impl RpcClient {
	/// A client for `url` (`http://host:port`) with the default timeouts and size limit. Does
	/// not connect yet.
	///
	/// # Errors
	///
	/// [`Error::InvalidUrl`] if `url` cannot be parsed.
	pub fn new(url: &str) -> Result<Self> {
		Ok(Self {
			endpoint: Endpoint::parse(url)?,
			connect_timeout: DEFAULT_CONNECT_TIMEOUT,
			io_timeout: DEFAULT_IO_TIMEOUT,
			max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
			next_id: AtomicU64::new(1),
		})
	}

	/// Sets the connect timeout and the timeout of each socket read and write (a zero duration
	/// is raised to one millisecond: the standard library rejects zero timeouts).
	pub fn with_timeouts(mut self, connect: Duration, io: Duration) -> Self {
		self.connect_timeout = connect.max(Duration::from_millis(1));
		self.io_timeout = io.max(Duration::from_millis(1));
		self
	}

	/// Sets the largest response (headers and body) accepted.
	pub fn with_max_response_bytes(mut self, limit: usize) -> Self {
		self.max_response_bytes = limit;
		self
	}

	/// The node's endpoint.
	pub fn endpoint(&self) -> &Endpoint {
		&self.endpoint
	}

	/// The URL this client was made for.
	pub fn url(&self) -> &str {
		&self.endpoint.url
	}

	/// Calls `method` with `params` (a JSON array or object) and returns its `result`.
	///
	/// # Errors
	///
	/// Transport errors ([`Error::Connect`], [`Error::Io`], [`Error::ResponseTooLarge`],
	/// [`Error::Http`], [`Error::HttpStatus`]), [`Error::InvalidResponse`] for a body that is
	/// not a JSON-RPC response to this call, and [`Error::Rpc`] for a JSON-RPC error object.
	pub fn call(&self, method: &str, params: Value) -> Result<Value> {
		let id = self.next_id.fetch_add(1, Ordering::Relaxed);
		let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
		let raw = self.post(method, body.to_string().as_bytes())?;
		let (status, body) = parse_http_response(method, &raw)?;
		if status != 200 {
			let text = String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned();
			return Err(Error::HttpStatus { method: method.into(), status, body: text });
		}
		parse_response(method, id, &body)
	}

	/// Calls `method` and deserializes its result as `T`.
	///
	/// # Errors
	///
	/// As [`RpcClient::call`], and [`Error::Decode`] if the result is not a `T`.
	pub fn call_as<T: serde::de::DeserializeOwned>(
		&self,
		method: &str,
		params: Value,
	) -> Result<T> {
		let result = self.call(method, params)?;
		serde_json::from_value(result).map_err(|e| Error::decode(format!("result of {method}"), e))
	}

	/// Sends one HTTP POST and reads the raw response, bounded by the size limit.
	fn post(&self, method: &str, body: &[u8]) -> Result<Vec<u8>> {
		let authority = self.endpoint.authority();
		let io = |source| Error::Io { endpoint: authority.clone(), method: method.into(), source };
		let mut stream = self.connect()?;
		stream.set_read_timeout(Some(self.io_timeout)).map_err(io)?;
		stream.set_write_timeout(Some(self.io_timeout)).map_err(io)?;
		let head = format!(
			"POST {} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
			 Accept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
			self.endpoint.path,
			body.len()
		);
		// One write: a separate small write of the body would wait for the ACK of the head
		// (Nagle's algorithm against delayed ACKs), adding up to ~40 ms per call.
		let mut request = head.into_bytes();
		request.extend_from_slice(body);
		stream.set_nodelay(true).map_err(io)?;
		stream.write_all(&request).map_err(io)?;
		stream.flush().map_err(io)?;
		let limit = self.max_response_bytes;
		let mut response = Vec::new();
		// One byte more than the limit tells "exactly at the limit" from "over it".
		let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
		(&mut stream).take(cap).read_to_end(&mut response).map_err(io)?;
		if response.len() > limit {
			return Err(Error::ResponseTooLarge { method: method.into(), limit });
		}
		Ok(response)
	}

	/// Connects to the first address of the host that accepts within the connect timeout.
	fn connect(&self) -> Result<TcpStream> {
		let authority = self.endpoint.authority();
		let connect_error = |source| Error::Connect { endpoint: authority.clone(), source };
		let addrs: Vec<SocketAddr> = (self.endpoint.host.as_str(), self.endpoint.port)
			.to_socket_addrs()
			.map_err(connect_error)?
			.collect();
		let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no address resolved");
		for addr in addrs {
			match TcpStream::connect_timeout(&addr, self.connect_timeout) {
				Ok(stream) => return Ok(stream),
				Err(e) => last = e,
			}
		}
		Err(connect_error(last))
	}
}

/// Splits a raw HTTP/1.x response into its status code and body (de-chunked if needed).
///
/// # Errors
///
/// [`Error::Http`] if the status line or headers are malformed, the header section is too
/// long, or the body is shorter than its `Content-Length` or badly chunked.
pub fn parse_http_response(method: &str, raw: &[u8]) -> Result<(u16, Vec<u8>)> {
	let http = |reason: &str| Error::Http { method: method.into(), reason: reason.into() };
	let header_end = find(raw, b"\r\n\r\n").ok_or_else(|| {
		if raw.is_empty() {
			http("empty response (the connection was closed)")
		} else if raw.len() > MAX_HEADER_BYTES {
			http("header section too long")
		} else {
			http("no end of headers")
		}
	})?;
	if header_end > MAX_HEADER_BYTES {
		return Err(http("header section too long"));
	}
	let head = std::str::from_utf8(&raw[..header_end]).map_err(|_| http("headers not UTF-8"))?;
	let body = &raw[header_end + 4..];
	let mut lines = head.split("\r\n");
	let status_line = lines.next().unwrap_or_default();
	let mut parts = status_line.splitn(3, ' ');
	let version = parts.next().unwrap_or_default();
	if !version.starts_with("HTTP/1.") {
		return Err(http(&format!("bad status line {status_line:?}")));
	}
	let status = parts
		.next()
		.and_then(|s| s.parse::<u16>().ok())
		.ok_or_else(|| http(&format!("bad status line {status_line:?}")))?;
	let mut content_length = None;
	let mut chunked = false;
	for line in lines {
		let (name, value) = line.split_once(':').ok_or_else(|| http("malformed header line"))?;
		let (name, value) = (name.trim(), value.trim());
		if name.eq_ignore_ascii_case("content-length") {
			content_length =
				Some(value.parse::<usize>().map_err(|_| http("invalid Content-Length"))?);
		} else if name.eq_ignore_ascii_case("transfer-encoding") {
			chunked = value.to_ascii_lowercase().split(',').any(|v| v.trim() == "chunked");
		}
	}
	let body = if chunked {
		dechunk(body).ok_or_else(|| http("malformed chunked body"))?
	} else if let Some(len) = content_length {
		body.get(..len)
			.ok_or_else(|| {
				http(&format!("body has {} bytes, Content-Length says {len}", body.len()))
			})?
			.to_vec()
	} else {
		body.to_vec()
	};
	Ok((status, body))
}

/// Decodes a `Transfer-Encoding: chunked` body; `None` if it is malformed or truncated.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
	let mut out = Vec::new();
	loop {
		let line_end = find(data, b"\r\n")?;
		let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
		let size_text = size_text.split(';').next()?.trim();
		let size = usize::from_str_radix(size_text, 16).ok()?;
		data = &data[line_end + 2..];
		if size == 0 {
			return Some(out);
		}
		let chunk = data.get(..size)?;
		out.extend_from_slice(chunk);
		data = data.get(size..)?.strip_prefix(b"\r\n")?;
	}
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
	haystack.windows(needle.len()).position(|w| w == needle)
}

/// Parses a JSON-RPC 2.0 response body to call `id` of `method` and returns its `result`.
///
/// # Errors
///
/// [`Error::InvalidResponse`] if the body is not JSON, not an object, answers another id, or
/// has neither `result` nor `error`; [`Error::Rpc`] for an error object.
pub fn parse_response(method: &str, id: u64, body: &[u8]) -> Result<Value> {
	let invalid = |reason: String| Error::InvalidResponse { method: method.into(), reason };
	let value: Value = serde_json::from_slice(body).map_err(|e| {
		let start = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
		invalid(format!("bad JSON ({e}): {start:?}"))
	})?;
	let Value::Object(mut object) = value else {
		return Err(invalid(format!("expected a JSON object, got {value}")));
	};
	if let Some(error) = object.remove("error") {
		let code = error.get("code").and_then(Value::as_i64).unwrap_or_default();
		let message = error.get("message").and_then(Value::as_str).unwrap_or_default().into();
		let data = error.get("data").map(|d| match d {
			Value::String(s) => s.clone(),
			other => other.to_string(),
		});
		return Err(Error::Rpc { method: method.into(), code, message, data });
	}
	match object.get("id") {
		Some(got) if got.as_u64() == Some(id) => {}
		Some(got) => return Err(invalid(format!("answers id {got}, expected {id}"))),
		None => return Err(invalid("no id".into())),
	}
	object.remove("result").ok_or_else(|| invalid("neither result nor error".into()))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn urls_parse_and_bad_ones_are_rejected() {
		let e = Endpoint::parse("http://127.0.0.1:9944").unwrap();
		assert_eq!((e.host.as_str(), e.port, e.path.as_str()), ("127.0.0.1", 9944, "/"));
		let e = Endpoint::parse("HTTP://localhost/rpc/x").unwrap();
		assert_eq!((e.host.as_str(), e.port, e.path.as_str()), ("localhost", 80, "/rpc/x"));
		let e = Endpoint::parse("http://[::1]:9945").unwrap();
		assert_eq!((e.host.as_str(), e.port), ("::1", 9945));
		assert_eq!(e.authority(), "[::1]:9945");
		for bad in [
			"127.0.0.1:9944",
			"https://example.org",
			"ws://127.0.0.1:9944",
			"http://",
			"http://:9944",
			"http://host:0",
			"http://host:99999",
			"http://host:port",
			"http://[::1",
			"http://[::1]x",
			"http://user@host",
			"http://host/a b",
		] {
			assert!(matches!(Endpoint::parse(bad), Err(Error::InvalidUrl { .. })), "{bad}");
		}
	}

	#[test]
	fn results_are_extracted() {
		let body = br#"{"jsonrpc":"2.0","id":7,"result":{"number":"0x10"}}"#;
		assert_eq!(parse_response("m", 7, body).unwrap(), json!({"number": "0x10"}));
		let null = br#"{"jsonrpc":"2.0","id":7,"result":null}"#;
		assert_eq!(parse_response("m", 7, null).unwrap(), Value::Null);
	}

	#[test]
	fn bad_json_is_an_invalid_response() {
		for body in [&b"not json"[..], b"{\"jsonrpc\":\"2.0\",", b"", b"[1,2]", b"\xff\xfe"] {
			let err = parse_response("chain_getHeader", 1, body).unwrap_err();
			assert!(matches!(err, Error::InvalidResponse { .. }), "{err}");
		}
		let no_result = br#"{"jsonrpc":"2.0","id":1}"#;
		assert!(matches!(
			parse_response("m", 1, no_result),
			Err(Error::InvalidResponse { reason, .. }) if reason.contains("neither")
		));
		let other_id = br#"{"jsonrpc":"2.0","id":2,"result":1}"#;
		assert!(matches!(parse_response("m", 1, other_id), Err(Error::InvalidResponse { .. })));
	}

	#[test]
	fn error_objects_become_rpc_errors() {
		let body = br#"{"jsonrpc":"2.0","id":1,"error":{"code":1010,"message":"Invalid Transaction","data":"Inability to pay some fees"}}"#;
		match parse_response("author_submitExtrinsic", 1, body).unwrap_err() {
			Error::Rpc { method, code, message, data } => {
				assert_eq!(method, "author_submitExtrinsic");
				assert_eq!(code, 1010);
				assert_eq!(message, "Invalid Transaction");
				assert_eq!(data.as_deref(), Some("Inability to pay some fees"));
			}
			other => panic!("unexpected {other}"),
		}
		// Errors are reported even when the id is null (e.g. parse errors on the server side).
		let body =
			br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#;
		let err = parse_response("m", 1, body).unwrap_err();
		assert!(matches!(err, Error::Rpc { code: -32700, data: None, .. }));
		assert!(err.to_string().contains("Parse error"));
	}

	#[test]
	fn http_responses_are_parsed() {
		let raw =
			b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
		assert_eq!(parse_http_response("m", raw).unwrap(), (200, b"{}".to_vec()));
		let chunked =
			b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n";
		assert_eq!(parse_http_response("m", chunked).unwrap().1, b"{\"a\":1}".to_vec());
		let no_length = b"HTTP/1.0 413 Payload Too Large\r\n\r\ntoo big";
		assert_eq!(parse_http_response("m", no_length).unwrap(), (413, b"too big".to_vec()));
		for bad in [
			&b""[..],
			b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n",
			b"SMTP 200 OK\r\n\r\n{}",
			b"HTTP/1.1 abc OK\r\n\r\n{}",
			b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n{}",
			b"HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n{}",
			b"HTTP/1.1 200 OK\r\nbroken header\r\n\r\n{}",
			b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
			b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
		] {
			assert!(matches!(parse_http_response("m", bad), Err(Error::Http { .. })));
		}
		let mut huge = b"HTTP/1.1 200 OK\r\nx: ".to_vec();
		huge.resize(MAX_HEADER_BYTES + 10, b'a');
		huge.extend_from_slice(b"\r\n\r\n{}");
		assert!(matches!(
			parse_http_response("m", &huge),
			Err(Error::Http { reason, .. }) if reason.contains("too long")
		));
	}

	/// Reads one whole HTTP request (head and `Content-Length` body) from `stream`.
	fn read_request(stream: &mut TcpStream) {
		let mut data = Vec::new();
		let mut buf = [0u8; 4096];
		loop {
			if let Some(end) = find(&data, b"\r\n\r\n") {
				let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
				let length = head
					.lines()
					.find_map(|l| l.strip_prefix("content-length:"))
					.and_then(|v| v.trim().parse::<usize>().ok())
					.unwrap_or(0);
				if data.len() >= end + 4 + length {
					return;
				}
			}
			match stream.read(&mut buf) {
				Ok(0) | Err(_) => return,
				Ok(n) => data.extend_from_slice(&buf[..n]),
			}
		}
	}

	/// A one-shot HTTP server on localhost answering one request with `response`. It reads
	/// the whole request first: closing a socket with unread data sends a reset, which the
	/// client would see instead of the response.
	fn serve(response: Vec<u8>) -> String {
		let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
		let port = listener.local_addr().unwrap().port();
		std::thread::spawn(move || {
			if let Ok((mut stream, _)) = listener.accept() {
				read_request(&mut stream);
				let _ = stream.write_all(&response);
			}
		});
		format!("http://127.0.0.1:{port}")
	}

	#[test]
	fn oversize_responses_are_refused() {
		let body = format!(r#"{{"jsonrpc":"2.0","id":1,"result":"{}"}}"#, "a".repeat(10_000));
		let raw = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len());
		let client =
			RpcClient::new(&serve(raw.clone().into_bytes())).unwrap().with_max_response_bytes(1000);
		let err = client.call("state_getMetadata", json!([])).unwrap_err();
		assert!(matches!(err, Error::ResponseTooLarge { limit: 1000, .. }), "{err}");

		let client = RpcClient::new(&serve(raw.into_bytes())).unwrap();
		assert_eq!(client.call("m", json!([])).unwrap().as_str().map(str::len), Some(10_000));
	}

	#[test]
	fn http_errors_and_refused_connections_are_reported() {
		let client =
			RpcClient::new(&serve(b"HTTP/1.1 503 Unavailable\r\n\r\nbusy".to_vec())).unwrap();
		assert!(matches!(
			client.call("m", json!([])),
			Err(Error::HttpStatus { status: 503, body, .. }) if body == "busy"
		));
		// A port that was just free: nothing listens there.
		let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
		let client = RpcClient::new(&format!("http://127.0.0.1:{port}")).unwrap();
		assert!(matches!(client.call("m", json!([])), Err(Error::Connect { .. })));
	}

	#[test]
	fn silent_servers_time_out() {
		let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
		let port = listener.local_addr().unwrap().port();
		let client = RpcClient::new(&format!("http://127.0.0.1:{port}"))
			.unwrap()
			.with_timeouts(Duration::from_secs(1), Duration::from_millis(200));
		// The listener accepts (backlog) but never answers.
		let err = client.call("m", json!([])).unwrap_err();
		assert!(matches!(err, Error::Io { .. }), "{err}");
		drop(listener);
	}
}
