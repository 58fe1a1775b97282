//! A request body as numbered lines, read as it arrives: memory holds one chunk and one line,
//! never the body. A line over the line limit is reported (and skipped to its end) rather than
//! held; the body as a whole may not pass the body limit.

use std::{collections::VecDeque, pin::Pin};

use axum::body::{Body, Bytes, HttpBody};

/// How much a body and each of its lines may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) body_bytes: u64,
    pub(crate) line_bytes: usize,
}

/// One line of the body (its number counts from 1, blank lines included).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// Its bytes, without the line break.
    Text { number: u64, bytes: Vec<u8> },
    /// Longer than the line limit; its bytes were dropped.
    TooLong { number: u64 },
}

/// Why the body stopped before its end.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Cut {
    /// It went past the body limit.
    TooLarge,
    /// The client or the connection broke off.
    Broken,
}

/// A body's lines, read as they arrive.
pub(crate) struct Lines {
    body: Body,
    body_bytes: u64,
    received: u64,
    split: Splitter,
}

impl Lines {
    pub(crate) fn new(body: Body, limits: Limits) -> Self {
        Self { body, body_bytes: limits.body_bytes, received: 0, split: Splitter::new(limits.line_bytes) }
    }

    /// The longest line kept.
    pub(crate) fn line_bytes(&self) -> usize {
        self.split.line_bytes
    }

    /// The next non-blank line, `None` at the end of the body.
    pub(crate) async fn next(&mut self) -> Result<Option<Line>, Cut> {
        loop {
            if let Some(line) = self.split.pop() {
                return Ok(Some(line));
            }
            if self.split.ended {
                return Ok(None);
            }
            match self.chunk().await? {
                Some(chunk) => self.split.push(&chunk),
                None => self.split.finish(),
            }
        }
    }

    async fn chunk(&mut self) -> Result<Option<Bytes>, Cut> {
        loop {
            let frame = std::future::poll_fn(|cx| Pin::new(&mut self.body).poll_frame(cx)).await;
            match frame {
                None => return Ok(None),
                Some(Err(_)) => return Err(Cut::Broken),
                Some(Ok(frame)) => {
                    // Trailers carry no lines.
                    let Ok(data) = frame.into_data() else { continue };
                    self.received += data.len() as u64;
                    if self.received > self.body_bytes {
                        return Err(Cut::TooLarge);
                    }
                    return Ok(Some(data));
                }
            }
        }
    }
}

/// Cuts chunks into lines on `\n` (a `\r` before it is dropped; blank lines are skipped).
struct Splitter {
    line_bytes: usize,
    /// Lines cut from the chunks received, not yet handed out.
    ready: VecDeque<Line>,
    /// The start of a line whose end has not arrived yet.
    partial: Vec<u8>,
    /// Inside a line already found too long: drop bytes until its end.
    skipping: bool,
    /// Lines started so far.
    number: u64,
    ended: bool,
}

impl Splitter {
    fn new(line_bytes: usize) -> Self {
        Self {
            line_bytes,
            ready: VecDeque::new(),
            partial: Vec::new(),
            skipping: false,
            number: 0,
            ended: false,
        }
    }

    fn pop(&mut self) -> Option<Line> {
        loop {
            match self.ready.pop_front()? {
                Line::Text { bytes, .. } if bytes.iter().all(u8::is_ascii_whitespace) => continue,
                line => return Some(line),
            }
        }
    }

    /// Cuts the lines a chunk completes; keeps the start of the last one unless it is too long.
    fn push(&mut self, chunk: &[u8]) {
        let mut rest = chunk;
        while let Some(at) = rest.iter().position(|&b| b == b'\n') {
            let (piece, after) = (&rest[..at], &rest[at + 1..]);
            if self.skipping {
                self.skipping = false;
                self.ready.push_back(Line::TooLong { number: self.number });
            } else {
                self.number += 1;
                let line = if self.partial.len() + piece.len() > self.line_bytes {
                    self.partial.clear();
                    Line::TooLong { number: self.number }
                } else {
                    self.partial.extend_from_slice(piece);
                    if self.partial.last() == Some(&b'\r') {
                        self.partial.pop();
                    }
                    Line::Text { number: self.number, bytes: std::mem::take(&mut self.partial) }
                };
                self.ready.push_back(line);
            }
            rest = after;
        }
        if self.skipping {
            return;
        }
        if self.partial.len() + rest.len() > self.line_bytes {
            // Too long before its end has even arrived: hold none of it.
            self.number += 1;
            self.skipping = true;
            self.partial.clear();
        } else {
            self.partial.extend_from_slice(rest);
        }
    }

    /// The body ended: a last line without a line break is a line too.
    fn finish(&mut self) {
        self.ended = true;
        if self.skipping {
            self.ready.push_back(Line::TooLong { number: self.number });
        } else if !self.partial.is_empty() {
            self.number += 1;
            let bytes = std::mem::take(&mut self.partial);
            self.ready.push_back(Line::Text { number: self.number, bytes });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines of a body that arrives in `chunks`, with lines of at most 8 bytes.
    fn lines(chunks: &[&str]) -> Vec<Line> {
        let mut split = Splitter::new(8);
        let mut seen = Vec::new();
        for chunk in chunks {
            split.push(chunk.as_bytes());
            seen.extend(std::iter::from_fn(|| split.pop()));
        }
        split.finish();
        seen.extend(std::iter::from_fn(|| split.pop()));
        seen
    }

    fn text(number: u64, s: &str) -> Line {
        Line::Text { number, bytes: s.as_bytes().to_vec() }
    }

    #[test]
    fn lines_are_numbered_across_chunks_with_blank_ones_counted_but_skipped() {
        assert_eq!(lines(&["ab\r\n\ncd", "e\nf", "g"]), [text(1, "ab"), text(3, "cde"), text(4, "fg")]);
        assert_eq!(lines(&["12345678\n"]), [text(1, "12345678")], "exactly the limit is fine");
    }

    #[test]
    fn a_line_over_the_limit_is_reported_and_skipped_wherever_it_ends() {
        let expected = [text(1, "ok"), Line::TooLong { number: 2 }, text(3, "ok")];
        assert_eq!(lines(&["ok\n123456789\nok\n"]), expected);
        assert_eq!(lines(&["ok\n01234", "56789", "0123", "\nok"]), expected);
        assert_eq!(lines(&["ok\n0123", "4567", "89\nok"]), expected);
        assert_eq!(lines(&["0123456789"]), [Line::TooLong { number: 1 }]);
    }
}
