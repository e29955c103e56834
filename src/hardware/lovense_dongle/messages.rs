//! The dongle's messages and their framing (docs/protocols/lovense-dongle-and-connect.md): UTF-8
//! JSON followed by `\r\n` ([`Outgoing::framed`]). Over USB HID that text is written in 65-byte
//! output reports ([`reports`]: report id 0, up to 63 bytes of the message, zero padding, last
//! byte always 0); over serial it is written as it is. What comes back (input reports, or serial
//! bytes) is collected, NUL padding left out, until a newline and then parsed as a run of JSON
//! objects ([`Decoder`]).

use serde::{Deserialize, Serialize};

/// Size of one output report: report id, 63 bytes of message, a final 0.
#[cfg(any(test, feature = "hid"))]
pub const REPORT_LEN: usize = 65;
/// Message bytes carried by one output report.
#[cfg(any(test, feature = "hid"))]
pub const CHUNK_LEN: usize = 63;

/// Result codes the dongle sends (`result`, or `data.status`).
pub mod code {
    pub const INITIALISED: i64 = 100;
    pub const OK: i64 = 200;
    pub const CONNECTING: i64 = 201;
    pub const CONNECTED: i64 = 202;
    pub const SEARCH_STARTED: i64 = 205;
    pub const SEARCH_STOPPED: i64 = 206;
    pub const MALFORMED: i64 = 400;
    pub const CONNECT_FAILED: i64 = 402;
    pub const DISCONNECTED: i64 = 403;
    pub const NOT_FOUND: i64 = 404;
    pub const SCAN_INTERRUPTED: i64 = 501;
    /// Every code the dongle is known to send; a message with another is dropped.
    pub const KNOWN: [i64; 11] = [
        INITIALISED,
        OK,
        CONNECTING,
        CONNECTED,
        SEARCH_STARTED,
        SEARCH_STOPPED,
        MALFORMED,
        CONNECT_FAILED,
        DISCONNECTED,
        NOT_FOUND,
        SCAN_INTERRUPTED,
    ];
}

/// `type`: the dongle itself or the toy behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Usb,
    Toy,
}

/// `func`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Func {
    Reset,
    Init,
    Search,
    StopSearch,
    Status,
    Command,
    ToyData,
    Connect,
    Error,
    Statuss,
}

/// A message to the dongle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outgoing {
    #[serde(rename = "type")]
    pub target: Target,
    pub func: Func,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cmd: Option<String>,
}

impl Outgoing {
    /// `{"type":"toy","func":"statuss"}`: is a toy connected?
    pub fn status() -> Outgoing {
        Outgoing::new(Target::Toy, Func::Statuss)
    }

    /// `{"type":"toy","func":"search"}`.
    pub fn search() -> Outgoing {
        Outgoing::new(Target::Toy, Func::Search)
    }

    /// `{"type":"usb","func":"stopSearch"}`.
    pub fn stop_search() -> Outgoing {
        Outgoing::new(Target::Usb, Func::StopSearch)
    }

    /// A protocol write to the toy `id`.
    pub fn command(id: &str, cmd: String) -> Outgoing {
        Outgoing {
            id: Some(id.to_string()),
            cmd: Some(cmd),
            ..Outgoing::new(Target::Toy, Func::Command)
        }
    }

    fn new(target: Target, func: Func) -> Outgoing {
        Outgoing {
            target,
            func,
            id: None,
            cmd: None,
        }
    }

    /// The message as written: its JSON and `\r\n`.
    pub fn framed(&self) -> Vec<u8> {
        let mut text = serde_json::to_vec(self).unwrap_or_default();
        text.extend_from_slice(b"\r\n");
        text
    }

    /// The HID output reports carrying this message.
    #[cfg(test)]
    pub fn reports(&self) -> Vec<[u8; REPORT_LEN]> {
        reports(&self.framed())
    }
}

/// The HID output reports carrying a framed message.
#[cfg(any(test, feature = "hid"))]
pub fn reports(framed: &[u8]) -> Vec<[u8; REPORT_LEN]> {
    framed
        .chunks(CHUNK_LEN)
        .map(|chunk| {
            let mut report = [0u8; REPORT_LEN];
            report[1..=chunk.len()].copy_from_slice(chunk);
            report
        })
        .collect()
}

/// `data` of an incoming message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Data {
    pub id: Option<String>,
    pub data: Option<String>,
    pub status: Option<i64>,
}

/// A message from the dongle.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Incoming {
    #[serde(rename = "type")]
    pub target: Target,
    pub func: Func,
    pub id: Option<String>,
    pub result: Option<i64>,
    pub message: Option<String>,
    pub data: Option<Data>,
}

impl Incoming {
    /// `data.status`, else `result`.
    pub fn code(&self) -> Option<i64> {
        self.data.as_ref().and_then(|d| d.status).or(self.result)
    }
}

/// Collects input reports into messages.
#[derive(Default)]
pub struct Decoder {
    text: Vec<u8>,
}

/// Longest text kept without a newline (a dongle that never sends one cannot grow it).
const MAX_PENDING: usize = 64 * 1024;

impl Decoder {
    /// Adds one input report; returns the messages completed by it. NUL padding is left out;
    /// text after a newline is kept for the next message (the reference drops it).
    pub fn push(&mut self, report: &[u8]) -> Vec<Incoming> {
        self.text.extend(report.iter().filter(|b| **b != 0));
        let mut out = Vec::new();
        while let Some(end) = self.text.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.text.drain(..=end).collect();
            out.extend(parse_run(&line));
        }
        if self.text.len() > MAX_PENDING {
            self.text.clear();
        }
        out
    }
}

/// The messages of a run of JSON objects; one that does not parse (unknown `func`, unknown
/// code, not JSON) is dropped, as by the reference.
fn parse_run(line: &[u8]) -> Vec<Incoming> {
    let text = String::from_utf8_lossy(line);
    let mut out = Vec::new();
    for value in serde_json::Deserializer::from_str(text.trim()).into_iter::<serde_json::Value>() {
        let Ok(value) = value else {
            tracing::debug!("Lovense dongle: unreadable message {text:?}");
            break;
        };
        match serde_json::from_value::<Incoming>(value) {
            Ok(m) if m.code().is_none_or(|c| code::KNOWN.contains(&c)) => out.push(m),
            _ => tracing::debug!("Lovense dongle: message dropped: {text:?}"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_cut_into_reports_with_id_0_and_a_final_0() {
        let m = Outgoing::command("c44f33aabbcc", "Vibrate:10;".into());
        let json = r#"{"type":"toy","func":"command","id":"c44f33aabbcc","cmd":"Vibrate:10;"}"#;
        let text = format!("{json}\r\n");
        let reports = m.reports();
        assert_eq!(reports.len(), text.len().div_ceil(CHUNK_LEN));
        let mut joined = Vec::new();
        for r in &reports {
            assert_eq!(r[0], 0, "report id");
            assert_eq!(r[REPORT_LEN - 1], 0, "last byte");
            joined.extend(r[1..REPORT_LEN - 1].iter().filter(|b| **b != 0));
        }
        assert_eq!(String::from_utf8(joined).unwrap(), text);
        assert_eq!(&reports[0][1..=CHUNK_LEN], &text.as_bytes()[..CHUNK_LEN]);
    }

    #[test]
    fn short_messages_are_one_report() {
        let r = Outgoing::status().reports();
        assert_eq!(r.len(), 1);
        let text = br#"{"type":"toy","func":"statuss"}"#;
        assert_eq!(&r[0][1..=text.len()], text);
        assert_eq!(&r[0][text.len() + 1..text.len() + 3], b"\r\n");
        assert!(r[0][text.len() + 3..].iter().all(|b| *b == 0));
        let stop = Outgoing::stop_search().reports();
        assert!(stop[0][1..].starts_with(br#"{"type":"usb","func":"stopSearch"}"#));
    }

    #[test]
    fn messages_across_reports_runs_and_leftovers() {
        let mut d = Decoder::default();
        let a = br#"{"type":"toy","func":"toyData","data":{"id":"c44f33aabbcc","data":"Z:11:0082059AD3BD;"}}"#;
        let (first, rest) = a.split_at(40);
        let mut r1 = first.to_vec();
        r1.resize(64, 0);
        assert!(d.push(&r1).is_empty(), "no newline yet");
        let mut r2 = rest.to_vec();
        r2.extend_from_slice(br#"{"type":"usb","func":"search","result":205}"#);
        r2.extend_from_slice(b"\r\n{\"type\":\"toy\",");
        let got = d.push(&r2);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].func, Func::ToyData);
        let data = got[0].data.clone().unwrap();
        assert_eq!(data.id.as_deref(), Some("c44f33aabbcc"));
        assert_eq!(data.data.as_deref(), Some("Z:11:0082059AD3BD;"));
        assert_eq!(got[1].code(), Some(code::SEARCH_STARTED));
        let got = d.push(b"\"func\":\"status\",\"data\":{\"id\":\"x\",\"status\":202}}\r\n\0\0");
        assert_eq!(got.len(), 1, "the text after the newline was kept");
        assert_eq!(got[0].code(), Some(code::CONNECTED));
    }

    #[test]
    fn unknown_funcs_and_codes_are_dropped() {
        let mut d = Decoder::default();
        let got = d.push(
            br#"{"type":"toy","func":"dance"}{"type":"toy","func":"status","result":999}{"type":"toy","func":"status","result":403}
"#,
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].code(), Some(code::DISCONNECTED));
        assert!(d.push(b"not json\n").is_empty());
    }
}
