//! The stages of the handler's work, each alone over every record of a
//! batch, so that each one's share of the time shows: the criterion
//! benchmark times them and `bench/profile` counts their instructions.
//! Each stage is a function of its own, never inlined, so that a profiler
//! can tell them apart.

use std::hint::black_box;
use std::sync::LazyLock;

use base64::Engine;
use base64::engine::Simd;
use base64::engine::general_purpose::PAD;
use firehose_ltsv::{Config, Converter, LineParser, lines};

use crate::identity::Event;

static BASE64: LazyLock<Simd> = LazyLock::new(|| Simd::standard(PAD));

/// One stage of the handler's work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The event parsed into borrowed records (the identity's too).
    Parse,
    /// Every record's base64 decoded (the identity's too).
    Decode,
    /// Lines split into fields, repeated labels resolved.
    Split,
    /// The conversion with every value a string kept as logged: `Split`
    /// and the JSON writing.
    Strings,
    /// The conversion as the handler does it: `Strings` and the value
    /// work (types, nulls, escapes).
    Convert,
    /// Every record's converted output encoded.
    Encode,
    /// Every record's data encoded again, as the identity does.
    EncodeInput,
}

impl Stage {
    /// Every stage, in the order the handler meets them.
    pub const ALL: [Stage; 7] = [
        Stage::Parse,
        Stage::Decode,
        Stage::Split,
        Stage::Strings,
        Stage::Convert,
        Stage::Encode,
        Stage::EncodeInput,
    ];

    /// The stage's name in benchmark ids and reports.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Parse => "parse",
            Stage::Decode => "decode",
            Stage::Split => "split",
            Stage::Strings => "strings",
            Stage::Convert => "convert",
            Stage::Encode => "encode",
            Stage::EncodeInput => "encode_input",
        }
    }
}

/// A batch made ready for every stage: its records parsed, decoded and
/// converted once.
#[derive(Debug)]
pub struct Stages<'a> {
    json: &'a str,
    event: Event<'a>,
    decoded: Vec<Vec<u8>>,
    converted: Vec<Vec<u8>>,
    config: Config,
    strings: Config,
}

impl<'a> Stages<'a> {
    /// The stages over the event `json`.
    pub fn new(json: &'a str) -> Stages<'a> {
        let event: Event = serde_json::from_str(json).expect("a Firehose event");
        let decoded: Vec<Vec<u8>> = event
            .records
            .iter()
            .map(|record| BASE64.decode(record.data.as_bytes()).expect("base64"))
            .collect();
        let config = Config::default();
        let mut converter = Converter::new(&config);
        let converted = decoded
            .iter()
            .map(|record| {
                let mut out = Vec::new();
                converter.convert_record(record, &mut out).expect("LTSV");
                out
            })
            .collect();
        let strings = Config::from_vars(&[
            ("LTSV_LOG_FORMAT", ""),
            ("LTSV_TYPES", ""),
            ("LTSV_NULL_VALUES", ""),
            ("LTSV_UNESCAPE", "false"),
        ])
        .expect("valid settings");
        Stages {
            json,
            event,
            decoded,
            converted,
            config,
            strings,
        }
    }

    /// Runs `stage` once over every record, using `buffer` for its output.
    pub fn run(&self, stage: Stage, buffer: &mut Vec<u8>) {
        match stage {
            Stage::Parse => parse(self.json),
            Stage::Decode => decode(&self.event, buffer),
            Stage::Split => split(&self.config, &self.decoded),
            Stage::Strings => strings(&self.strings, &self.decoded, buffer),
            Stage::Convert => convert(&self.config, &self.decoded, buffer),
            Stage::Encode => encode(&self.converted, buffer),
            Stage::EncodeInput => encode_input(&self.decoded, buffer),
        }
    }
}

#[inline(never)]
fn parse(json: &str) {
    black_box(serde_json::from_str::<Event>(json).expect("a Firehose event"));
}

#[inline(never)]
fn decode(event: &Event, out: &mut Vec<u8>) {
    for record in &event.records {
        out.clear();
        BASE64
            .decode_vec(record.data.as_bytes(), out)
            .expect("base64");
    }
}

#[inline(never)]
fn split(config: &Config, records: &[Vec<u8>]) {
    let mut parser = LineParser::new(config.label_syntax());
    for record in records {
        for line in lines(record) {
            black_box(parser.parse(line.bytes).expect("LTSV").is_blank());
        }
    }
}

// Stages that share their code still have functions of their own, named
// as the stage, for `bench/profile` to find; each names its stage to a
// `black_box`, so that the compiler cannot merge them into one.

#[inline(never)]
fn strings(config: &Config, records: &[Vec<u8>], out: &mut Vec<u8>) {
    black_box(Stage::Strings);
    convert_all(config, records, out);
}

#[inline(never)]
fn convert(config: &Config, records: &[Vec<u8>], out: &mut Vec<u8>) {
    black_box(Stage::Convert);
    convert_all(config, records, out);
}

#[inline(always)]
fn convert_all(config: &Config, records: &[Vec<u8>], out: &mut Vec<u8>) {
    let mut converter = Converter::new(config);
    for record in records {
        out.clear();
        converter.convert_record(record, out).expect("LTSV");
    }
}

#[inline(never)]
fn encode(records: &[Vec<u8>], out: &mut Vec<u8>) {
    black_box(Stage::Encode);
    encode_all(records, out);
}

#[inline(never)]
fn encode_input(records: &[Vec<u8>], out: &mut Vec<u8>) {
    black_box(Stage::EncodeInput);
    encode_all(records, out);
}

#[inline(always)]
fn encode_all(records: &[Vec<u8>], out: &mut Vec<u8>) {
    for record in records {
        out.resize(base64::encoded_len(record.len(), true).expect("fits"), 0);
        BASE64
            .encode_slice(record, out)
            .expect("sized by encoded_len");
    }
}
