//! Where a loaded corpus lives: in memory when it is small, else in an
//! anonymous temporary file, read back one chunk at a time.
//!
//! Loading streams every input through a [`Writer`] exactly once (so a
//! FIFO or `/dev/stdin` is read once). Inputs are encoded as they come and
//! held in memory up to `memory_bytes`; a corpus that fits never touches
//! the disk and is decoded once. When the next input would take it past
//! that, everything goes to a temporary file (created then, deleted by the
//! OS when the run ends: `tempfile::tempfile` never gives it a name) in
//! chunks of about `chunk_bytes`, and so does every later chunk.
//!
//! Memory: `memory_bytes` of encoded inputs while loading; then, per
//! reader, one chunk's bytes and its decoded inputs (a larger single input
//! is a chunk of its own), whatever the corpus size.
//!
//! The encoding is private to one run: length-prefixed byte strings
//! (`u32`, little-endian) in a fixed field order. Hand-written rather than
//! a serde format: every field is bytes, and a byte string must not be a
//! sequence of `u8` values decoded one by one.

use std::fs::File;
use std::io::{self, Write};

use super::{Expect, HttpRequest, Input, Payload};

/// One chunk in the temporary file.
#[derive(Debug, Clone, Copy)]
pub(super) struct Chunk {
    offset: u64,
    len: usize,
}

/// A loaded corpus's inputs.
#[derive(Debug, Default)]
pub(super) enum Store {
    /// No inputs.
    #[default]
    Empty,
    /// One chunk, decoded.
    Memory(Vec<Input>),
    /// Several chunks in a temporary file.
    Spilled {
        /// The anonymous temporary file.
        file: File,
        /// Its chunks, in input order.
        chunks: Vec<Chunk>,
    },
}

impl Store {
    /// Call `f` on every chunk of inputs, in order. A spilled store reads
    /// each chunk back from its file (positioned reads, so several threads
    /// may read at once).
    pub(super) fn for_each_chunk(&self, f: &mut dyn FnMut(&[Input])) -> io::Result<()> {
        match self {
            Store::Empty => Ok(()),
            Store::Memory(inputs) => {
                f(inputs);
                Ok(())
            }
            Store::Spilled { file, chunks } => {
                let mut bytes = Vec::new();
                for c in chunks {
                    bytes.resize(c.len, 0);
                    read_exact_at(file, &mut bytes, c.offset)?;
                    let inputs = decode_all(&bytes)?;
                    f(&inputs);
                }
                Ok(())
            }
        }
    }
}

fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

/// Takes inputs one at a time during loading; see the module docs.
#[derive(Debug)]
pub(super) struct Writer {
    memory_bytes: usize,
    chunk_bytes: usize,
    pending: Vec<u8>,
    /// Where each record in `pending` ends.
    ends: Vec<usize>,
    record: Vec<u8>,
    file: Option<File>,
    chunks: Vec<Chunk>,
    written: u64,
    /// Inputs taken.
    pub(super) len: usize,
    /// Attack, benign and unlabelled inputs taken.
    pub(super) counts: (usize, usize, usize),
    error: Option<io::Error>,
}

impl Writer {
    /// A writer that keeps up to `memory_bytes` of encoded inputs in
    /// memory, and spills a larger corpus in chunks of about `chunk_bytes`.
    pub(super) fn new(memory_bytes: usize, chunk_bytes: usize) -> Writer {
        Writer {
            memory_bytes: memory_bytes.max(1),
            chunk_bytes: chunk_bytes.max(1),
            pending: Vec::new(),
            ends: Vec::new(),
            record: Vec::new(),
            file: None,
            chunks: Vec::new(),
            written: 0,
            len: 0,
            counts: (0, 0, 0),
            error: None,
        }
    }

    /// Take one input. An I/O error writing the temporary file is kept
    /// and returned by [`Writer::finish`]; inputs after it are dropped.
    pub(super) fn push(&mut self, input: &Input) {
        if self.error.is_some() {
            return;
        }
        self.record.clear();
        if let Err(e) = encode(input, &mut self.record) {
            self.error = Some(e);
            return;
        }
        let limit = if self.file.is_none() { self.memory_bytes } else { self.chunk_bytes };
        if !self.pending.is_empty()
            && self.pending.len() + self.record.len() > limit
            && let Err(e) = self.flush()
        {
            self.error = Some(e);
            return;
        }
        self.pending.extend_from_slice(&self.record);
        self.ends.push(self.pending.len());
        self.len += 1;
        match input.expect {
            Expect::Attack => self.counts.0 += 1,
            Expect::Benign => self.counts.1 += 1,
            Expect::Unknown => self.counts.2 += 1,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.file.is_none() {
            self.file = Some(tempfile::tempfile()?);
        }
        let file = self.file.as_mut().expect("the temporary file was just created");
        file.write_all(&self.pending)?;
        // Cut at record ends into chunks of at most `chunk_bytes` (a record
        // larger than that is a chunk by itself).
        let (mut start, mut last) = (0, 0);
        for &end in &self.ends {
            if end - start > self.chunk_bytes && last > start {
                self.chunks.push(Chunk { offset: self.written + start as u64, len: last - start });
                start = last;
            }
            last = end;
        }
        if last > start {
            self.chunks.push(Chunk { offset: self.written + start as u64, len: last - start });
        }
        self.written += self.pending.len() as u64;
        self.pending.clear();
        self.ends.clear();
        Ok(())
    }

    /// The store, or the first I/O error met.
    pub(super) fn finish(mut self) -> io::Result<Store> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if self.file.is_none() {
            if self.pending.is_empty() {
                return Ok(Store::Empty);
            }
            return Ok(Store::Memory(decode_all(&self.pending)?));
        }
        if !self.pending.is_empty() {
            self.flush()?;
        }
        let mut file = self.file.take().expect("a spilled store has its file");
        file.flush()?;
        Ok(Store::Spilled { file, chunks: self.chunks })
    }
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) -> io::Result<()> {
    let n = u32::try_from(bytes.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a corpus value over 4 GiB"))?;
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

fn put_count(out: &mut Vec<u8>, n: usize) -> io::Result<()> {
    let n = u32::try_from(n).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a corpus list over 2³² items"))?;
    out.extend_from_slice(&n.to_le_bytes());
    Ok(())
}

fn put_list(out: &mut Vec<u8>, items: &[Vec<u8>]) -> io::Result<()> {
    put_count(out, items.len())?;
    items.iter().try_for_each(|i| put(out, i))
}

fn put_pairs(out: &mut Vec<u8>, pairs: &[(Vec<u8>, Vec<u8>)]) -> io::Result<()> {
    put_count(out, pairs.len())?;
    pairs.iter().try_for_each(|(k, v)| {
        put(out, k)?;
        put(out, v)
    })
}

fn put_strings(out: &mut Vec<u8>, items: &[String]) -> io::Result<()> {
    put_count(out, items.len())?;
    items.iter().try_for_each(|i| put(out, i.as_bytes()))
}

/// Append one input's record to `out`.
fn encode(input: &Input, out: &mut Vec<u8>) -> io::Result<()> {
    out.push(match input.expect {
        Expect::Attack => 0,
        Expect::Benign => 1,
        Expect::Unknown => 2,
    });
    put(out, input.origin.as_bytes())?;
    put_strings(out, &input.expect_ids)?;
    put_strings(out, &input.no_expect_ids)?;
    match &input.payload {
        Payload::Raw(bytes) => {
            out.push(0);
            put(out, bytes)
        }
        Payload::Request(r) => {
            out.push(1);
            for field in [&r.method, &r.uri, &r.protocol, &r.request_line, &r.body] {
                put(out, field)?;
            }
            for pairs in [&r.headers, &r.args_get, &r.args_post, &r.cookies] {
                put_pairs(out, pairs)?;
            }
            put_list(out, &r.file_names)?;
            put_list(out, &r.part_headers)
        }
    }
}

/// Reads records back.
struct Reader<'a> {
    bytes: &'a [u8],
}

fn corrupt() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "the corpus's temporary file was changed while bench read it")
}

impl Reader<'_> {
    fn byte(&mut self) -> io::Result<u8> {
        let (&b, rest) = self.bytes.split_first().ok_or_else(corrupt)?;
        self.bytes = rest;
        Ok(b)
    }

    fn count(&mut self) -> io::Result<usize> {
        let (head, rest) = self.bytes.split_first_chunk::<4>().ok_or_else(corrupt)?;
        self.bytes = rest;
        usize::try_from(u32::from_le_bytes(*head)).map_err(|_| corrupt())
    }

    fn bytes(&mut self) -> io::Result<Vec<u8>> {
        let n = self.count()?;
        if n > self.bytes.len() {
            return Err(corrupt());
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head.to_vec())
    }

    fn string(&mut self) -> io::Result<String> {
        String::from_utf8(self.bytes()?).map_err(|_| corrupt())
    }

    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> io::Result<T>) -> io::Result<Vec<T>> {
        let n = self.count()?;
        // Each item takes at least 4 bytes: a count beyond that is corrupt.
        if n > self.bytes.len() / 4 {
            return Err(corrupt());
        }
        (0..n).map(|_| item(self)).collect()
    }

    fn pairs(&mut self) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.list(|r| Ok((r.bytes()?, r.bytes()?)))
    }

    fn input(&mut self) -> io::Result<Input> {
        let expect = match self.byte()? {
            0 => Expect::Attack,
            1 => Expect::Benign,
            2 => Expect::Unknown,
            _ => return Err(corrupt()),
        };
        let origin = self.string()?;
        let expect_ids = self.list(Reader::string)?;
        let no_expect_ids = self.list(Reader::string)?;
        let payload = match self.byte()? {
            0 => Payload::Raw(self.bytes()?),
            1 => Payload::Request(Box::new(HttpRequest {
                method: self.bytes()?,
                uri: self.bytes()?,
                protocol: self.bytes()?,
                request_line: self.bytes()?,
                body: self.bytes()?,
                headers: self.pairs()?,
                args_get: self.pairs()?,
                args_post: self.pairs()?,
                cookies: self.pairs()?,
                file_names: self.list(Reader::bytes)?,
                part_headers: self.list(Reader::bytes)?,
            })),
            _ => return Err(corrupt()),
        };
        Ok(Input { origin, expect, expect_ids, no_expect_ids, payload })
    }
}

fn decode_all(bytes: &[u8]) -> io::Result<Vec<Input>> {
    let mut r = Reader { bytes };
    let mut out = Vec::new();
    while !r.bytes.is_empty() {
        out.push(r.input()?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> Vec<Input> {
        let request = HttpRequest {
            method: b"POST".to_vec(),
            uri: b"/a?b=c".to_vec(),
            protocol: b"HTTP/1.1".to_vec(),
            request_line: b"POST /a?b=c HTTP/1.1".to_vec(),
            headers: vec![(b"Host".to_vec(), b"x".to_vec())],
            body: b"\xff\x00body".to_vec(),
            args_get: vec![(b"b".to_vec(), b"c".to_vec())],
            args_post: vec![(b"k".to_vec(), Vec::new())],
            cookies: Vec::new(),
            file_names: vec![b"a.php".to_vec()],
            part_headers: vec![b"Content-Type: text/plain".to_vec(), Vec::new()],
        };
        vec![
            Input {
                origin: "r.jsonl:1".to_owned(),
                expect: Expect::Attack,
                expect_ids: vec!["942100".to_owned()],
                no_expect_ids: Vec::new(),
                payload: Payload::Request(Box::new(request)),
            },
            Input {
                origin: "in.txt:2".to_owned(),
                expect: Expect::Unknown,
                expect_ids: Vec::new(),
                no_expect_ids: vec!["1".to_owned(), "2".to_owned()],
                payload: Payload::Raw(b"\xfe raw".to_vec()),
            },
            Input {
                origin: "in.txt:3".to_owned(),
                expect: Expect::Benign,
                expect_ids: Vec::new(),
                no_expect_ids: Vec::new(),
                payload: Payload::Raw(Vec::new()),
            },
        ]
    }

    fn read_back(store: &Store) -> (Vec<Input>, usize) {
        let mut all = Vec::new();
        let mut chunks = 0;
        store
            .for_each_chunk(&mut |c| {
                chunks += 1;
                all.extend_from_slice(c);
            })
            .unwrap();
        (all, chunks)
    }

    #[test]
    fn inputs_come_back_as_they_went_in_whatever_the_chunk_size() {
        for (chunk_bytes, spilled, chunks) in [(1 << 20, false, 1), (1, true, 3), (120, true, 2)] {
            let mut w = Writer::new(chunk_bytes, chunk_bytes);
            for i in inputs() {
                w.push(&i);
            }
            assert_eq!((w.len, w.counts), (3, (1, 1, 1)));
            let store = w.finish().unwrap();
            assert_eq!(matches!(store, Store::Spilled { .. }), spilled, "chunk size {chunk_bytes}");
            let (back, n) = read_back(&store);
            assert_eq!(back, inputs(), "chunk size {chunk_bytes}");
            assert_eq!(n, chunks, "chunk size {chunk_bytes}");
        }
        // All three fit in memory; the next three do not: the first ones
        // are cut into chunks as they go out.
        let mut w = Writer::new(400, 1);
        for i in inputs().iter().chain(&inputs()) {
            w.push(i);
        }
        let store = w.finish().unwrap();
        let (back, n) = read_back(&store);
        assert_eq!(back.len(), 6);
        assert_eq!(n, 6, "spilled records are cut one per chunk");
        assert!(matches!(Writer::new(10, 10).finish().unwrap(), Store::Empty));
    }

    #[test]
    fn a_truncated_record_is_an_error_not_a_panic() {
        let mut bytes = Vec::new();
        encode(&inputs()[0], &mut bytes).unwrap();
        for cut in 0..bytes.len() {
            assert_eq!(decode_all(&bytes[..cut]).is_err(), cut > 0, "cut at {cut}");
        }
    }
}
