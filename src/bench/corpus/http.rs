//! HTTP request decoding, the way ModSecurity presents a request to rules:
//! the raw request split into line, headers and body, then query, form,
//! multipart and JSON bodies and cookies decoded into their collections.

use memchr::memmem;
use serde_json::Value;

use super::HttpRequest;

/// The parts of a request before decoding, as the loaders find them.
#[derive(Debug, Default)]
pub(super) struct RawRequest {
    pub(super) method: Option<Vec<u8>>,
    pub(super) uri: Option<Vec<u8>>,
    pub(super) protocol: Option<Vec<u8>>,
    pub(super) headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub(super) body: Option<Vec<u8>>,
    pub(super) encoded: Option<String>,
}

/// A JSON value as text: strings unquoted, numbers as written.
pub(super) fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Turn found parts (or a base64 raw request) into a decoded [`HttpRequest`].
pub(super) fn build_request(raw: RawRequest) -> Result<HttpRequest, String> {
    let mut req = HttpRequest::default();
    if let Some(encoded) = raw.encoded {
        let bytes = base64_decode(&encoded).ok_or("encoded_request is not valid base64")?;
        parse_raw_http(&bytes, &mut req);
    } else {
        req.method = raw.method.unwrap_or_else(|| b"GET".to_vec());
        req.uri = raw.uri.unwrap_or_else(|| b"/".to_vec());
        req.protocol = raw.protocol.unwrap_or_else(|| b"HTTP/1.1".to_vec());
        req.headers = raw.headers;
        req.body = raw.body.unwrap_or_default();
        req.request_line = [req.method.as_slice(), &req.uri, &req.protocol].join(&b' ');
    }
    decode_request(&mut req);
    Ok(req)
}

/// Split a raw HTTP/1 request into line, headers and body.
pub(super) fn parse_raw_http(bytes: &[u8], req: &mut HttpRequest) {
    let (head, body) = match find(bytes, b"\r\n\r\n") {
        Some(i) => (&bytes[..i], &bytes[i + 4..]),
        None => match find(bytes, b"\n\n") {
            Some(i) => (&bytes[..i], &bytes[i + 2..]),
            None => (bytes, &[][..]),
        },
    };
    let mut lines = head.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    if let Some(line) = lines.next() {
        req.request_line = line.to_vec();
        let mut words = line.split(|&b| b == b' ').filter(|w| !w.is_empty());
        req.method = words.next().unwrap_or_default().to_vec();
        req.uri = words.next().unwrap_or_default().to_vec();
        req.protocol = words.next().unwrap_or_default().to_vec();
    }
    for line in lines {
        if let Some(i) = line.iter().position(|&b| b == b':') {
            req.headers.push((line[..i].trim_ascii().to_vec(), line[i + 1..].trim_ascii().to_vec()));
        }
    }
    req.body = body.to_vec();
}

/// The first occurrence of `needle` in `hay`, in linear time.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memmem::find(hay, needle)
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a [u8]> {
    req.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| v.as_slice())
}

/// Fill the decoded collections (ARGS, cookies, multipart) from the raw parts.
pub(super) fn decode_request(req: &mut HttpRequest) {
    if let Some(q) = query_of(&req.uri) {
        req.args_get = parse_urlencoded(q);
    }
    if let Some(cookie) = header(req, "cookie") {
        req.cookies = cookie
            .split(|&b| b == b';')
            .map(<[u8]>::trim_ascii)
            .filter(|c| !c.is_empty())
            .map(|c| match c.iter().position(|&b| b == b'=') {
                Some(i) => (c[..i].to_vec(), c[i + 1..].to_vec()),
                None => (c.to_vec(), Vec::new()),
            })
            .collect();
    }
    if req.body.is_empty() {
        return;
    }
    let ctype = header(req, "content-type").map(|c| String::from_utf8_lossy(c).to_ascii_lowercase());
    match ctype.as_deref() {
        None => req.args_post = parse_urlencoded(&req.body),
        Some(c) if c.contains("x-www-form-urlencoded") => req.args_post = parse_urlencoded(&req.body),
        Some(c) if c.contains("multipart/form-data") => {
            if let Some(boundary) = c.split(';').find_map(|p| p.trim().strip_prefix("boundary=")) {
                // The boundary is case-sensitive: take it from the header as sent.
                let original = header(req, "content-type").map(|h| String::from_utf8_lossy(h).into_owned());
                let boundary = original
                    .as_deref()
                    .and_then(|h| h.split(';').find_map(|p| p.trim().strip_prefix("boundary=")))
                    .unwrap_or(boundary)
                    .trim_matches('"')
                    .to_owned();
                parse_multipart(req, boundary.as_bytes());
            }
        }
        Some(c) if c.contains("json") => {
            if let Ok(v) = serde_json::from_slice::<Value>(&req.body) {
                flatten_json("json", &v, &mut req.args_post);
            }
        }
        Some(_) => {}
    }
}

/// `a=1&b=2` into decoded pairs.
fn parse_urlencoded(s: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    s.split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|&b| b == b'=') {
            Some(i) => (percent_decode(&p[..i]), percent_decode(&p[i + 1..])),
            None => (percent_decode(p), Vec::new()),
        })
        .collect()
}

/// Percent-decode once, `+` as space; invalid escapes stay as they are.
pub fn percent_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => match (hex(s[i + 1]), hex(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Split a multipart body into ARGS_POST, FILES_NAMES and part headers.
fn parse_multipart(req: &mut HttpRequest, boundary: &[u8]) {
    let mut delim = b"--".to_vec();
    delim.extend_from_slice(boundary);
    let body = req.body.clone();
    let mut rest = &body[..];
    let mut parts = Vec::new();
    let finder = memmem::Finder::new(&delim);
    while let Some(i) = finder.find(rest) {
        rest = &rest[i + delim.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let end = finder.find(rest).unwrap_or(rest.len());
        parts.push(&rest[..end]);
    }
    for part in parts {
        let part = part.strip_prefix(b"\r\n").or_else(|| part.strip_prefix(b"\n")).unwrap_or(part);
        let (head, content) = match find(part, b"\r\n\r\n") {
            Some(i) => (&part[..i], &part[i + 4..]),
            None => match find(part, b"\n\n") {
                Some(i) => (&part[..i], &part[i + 2..]),
                None => (part, &[][..]),
            },
        };
        let content = content.strip_suffix(b"\r\n").or_else(|| content.strip_suffix(b"\n")).unwrap_or(content);
        let mut name = Vec::new();
        let mut filename = None;
        for line in head.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l)) {
            if line.is_empty() {
                continue;
            }
            req.part_headers.push(line.to_vec());
            if line.len() > 20 && line[..20].eq_ignore_ascii_case(b"content-disposition:") {
                for attr in line[20..].split(|&b| b == b';').map(<[u8]>::trim_ascii) {
                    if let Some(v) = attr.strip_prefix(b"name=") {
                        name = unquote(v).to_vec();
                    } else if let Some(v) = attr.strip_prefix(b"filename=") {
                        filename = Some(unquote(v).to_vec());
                    }
                }
            }
        }
        match filename {
            Some(f) => req.file_names.push(f),
            None => req.args_post.push((name, content.to_vec())),
        }
    }
}

fn unquote(v: &[u8]) -> &[u8] {
    v.strip_prefix(b"\"").and_then(|v| v.strip_suffix(b"\"")).unwrap_or(v)
}

/// JSON leaves as `(path, value)` pairs, the way ModSecurity's JSON body
/// processor names them (`json.a.b`). serde_json bounds nesting at 128.
fn flatten_json(prefix: &str, v: &Value, out: &mut Vec<(Vec<u8>, Vec<u8>)>) {
    let mut stack = vec![(prefix.to_owned(), v)];
    while let Some((name, v)) = stack.pop() {
        match v {
            Value::Object(map) => {
                for (k, child) in map.iter().rev() {
                    stack.push((format!("{name}.{k}"), child));
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate().rev() {
                    stack.push((format!("{name}.array_{i}"), child));
                }
            }
            leaf => out.push((name.into_bytes(), json_text(leaf).into_bytes())),
        }
    }
}

/// Standard base64 (line breaks and padding tolerated).
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b'\n' | b'\r' | b' ' | b'\t' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

pub(super) fn path_of(uri: &[u8]) -> &[u8] {
    uri.iter().position(|&b| b == b'?').map_or(uri, |i| &uri[..i])
}

pub(super) fn query_of(uri: &[u8]) -> Option<&[u8]> {
    uri.iter().position(|&b| b == b'?').map(|i| &uri[i + 1..])
}
