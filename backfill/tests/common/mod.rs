//! An in-memory S3 for the backfill's tests: source objects, the log
//! bucket's visible objects, and the multipart uploads it does not show;
//! with faults to inject. Also the logs and expectations the tests share.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use firehose_ltsv::{Config, Converter, event_hour};
use firehose_ltsv_backfill::{Body, Failure, Invocation, Job, Limits, Source, Store, Task};
use firehose_ltsv_output::{Files, OutputFormat, Table};
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

/// What the in-memory S3 holds.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Source objects by bucket and key: bytes, ETag, last modified.
    pub(crate) sources: HashMap<(String, String), (Vec<u8>, String, i64)>,
    /// The log bucket's objects, as S3 shows them.
    pub(crate) objects: BTreeMap<String, Vec<u8>>,
    /// Uploads not completed nor aborted: key and parts.
    pub(crate) uploads: BTreeMap<String, (String, BTreeMap<i32, Vec<u8>>)>,
    next_upload: u64,
    /// Parts uploaded so far.
    pub(crate) parts: usize,
    /// The largest part uploaded.
    pub(crate) largest_part: usize,
    /// Part uploads past this many never finish, as in a task killed then.
    pub(crate) hang_after_parts: Option<usize>,
    /// The part upload with this number (from 1, over the task) fails so.
    pub(crate) fail_part: Option<(usize, Failure)>,
    /// Bytes of a source body per chunk.
    pub(crate) chunk: usize,
    /// The smallest a part but an upload's last may be.
    pub(crate) min_part: usize,
}

/// An S3 in memory, shared by its clones.
#[derive(Clone, Debug, Default)]
pub(crate) struct Memory(pub Arc<Mutex<State>>);

impl Memory {
    pub(crate) fn new() -> Memory {
        let memory = Memory::default();
        memory.state().chunk = 1000;
        memory.state().min_part = part_floor();
        memory
    }

    pub(crate) fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap()
    }

    /// Puts a source object, with an ETag made from its bytes.
    pub(crate) fn put_source(&self, bucket: &str, key: &str, bytes: &[u8]) {
        let etag = format!("\"{:016x}\"", fnv(bytes));
        self.state().sources.insert(
            (bucket.into(), key.into()),
            (bytes.to_vec(), etag, 1_600_000_000_000),
        );
    }

    /// Every visible object of the log bucket, decompressed.
    pub(crate) fn visible(&self) -> BTreeMap<String, String> {
        self.state()
            .objects
            .iter()
            .map(|(key, bytes)| (key.clone(), gunzip(bytes)))
            .collect()
    }

    /// The log bucket's objects as stored.
    pub(crate) fn raw(&self) -> BTreeMap<String, Vec<u8>> {
        self.state().objects.clone()
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A source body in memory, handed out in chunks.
#[derive(Debug)]
pub(crate) struct MemoryBody {
    data: Vec<u8>,
    at: usize,
    chunk: usize,
}

impl Body for MemoryBody {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, Failure> {
        if self.at >= self.data.len() {
            return Ok(None);
        }
        let end = (self.at + self.chunk).min(self.data.len());
        let chunk = Bytes::copy_from_slice(&self.data[self.at..end]);
        self.at = end;
        Ok(Some(chunk))
    }
}

impl Store for Memory {
    type Body = MemoryBody;

    async fn get(&self, task: &Task) -> Result<Source<MemoryBody>, Failure> {
        let state = self.state();
        let Some((data, etag, modified)) =
            state.sources.get(&(task.bucket.clone(), task.key.clone()))
        else {
            return Err(Failure::Permanent("GetObject: 404 NoSuchKey".into()));
        };
        Ok(Source {
            etag: etag.clone(),
            last_modified_ms: *modified,
            size: Some(data.len() as u64),
            body: MemoryBody {
                data: data.clone(),
                at: 0,
                chunk: state.chunk,
            },
        })
    }

    async fn start_upload(&self, key: &str) -> Result<String, Failure> {
        let mut state = self.state();
        state.next_upload += 1;
        let id = format!("upload-{}", state.next_upload);
        state
            .uploads
            .insert(id.clone(), (key.to_owned(), BTreeMap::new()));
        Ok(id)
    }

    fn upload_part(
        &self,
        _key: String,
        upload_id: String,
        number: i32,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<String, Failure>> + Send + 'static {
        let memory = self.clone();
        async move {
            let (hang, fail) = {
                let mut state = memory.state();
                state.parts += 1;
                let n = state.parts;
                let fail = state
                    .fail_part
                    .clone()
                    .filter(|(at, _)| *at == n)
                    .map(|(_, f)| f);
                (state.hang_after_parts.is_some_and(|limit| n > limit), fail)
            };
            if hang {
                std::future::pending::<()>().await;
            }
            if let Some(failure) = fail {
                return Err(failure);
            }
            let mut state = memory.state();
            state.largest_part = state.largest_part.max(bytes.len());
            let etag = format!("\"{:016x}\"", fnv(&bytes));
            let upload = state
                .uploads
                .get_mut(&upload_id)
                .expect("an upload in progress");
            upload.1.insert(number, bytes);
            Ok(etag)
        }
    }

    fn complete_upload(
        &self,
        key: String,
        upload_id: String,
        parts: Vec<(i32, String)>,
    ) -> impl Future<Output = Result<(), Failure>> + Send + 'static {
        let memory = self.clone();
        async move {
            let mut state = memory.state();
            let (upload_key, uploaded) = state
                .uploads
                .remove(&upload_id)
                .expect("an upload in progress");
            assert_eq!(upload_key, key);
            let numbers: Vec<i32> = parts.iter().map(|(n, _)| *n).collect();
            assert_eq!(
                numbers,
                uploaded.keys().copied().collect::<Vec<_>>(),
                "every part, in order"
            );
            for (number, etag) in &parts {
                assert_eq!(*etag, format!("\"{:016x}\"", fnv(&uploaded[number])));
            }
            let last = uploaded.len();
            for (i, part) in uploaded.values().enumerate() {
                assert!(
                    i + 1 == last || part.len() >= state.min_part,
                    "a part under the minimum"
                );
            }
            state
                .objects
                .insert(key, uploaded.into_values().flatten().collect());
            Ok(())
        }
    }

    fn abort_upload(
        &self,
        _key: String,
        upload_id: String,
    ) -> impl Future<Output = Result<(), Failure>> + Send + 'static {
        let memory = self.clone();
        async move {
            memory.state().uploads.remove(&upload_id);
            Ok(())
        }
    }

    async fn delete(&self, key: &str) -> Result<(), Failure> {
        self.state().objects.remove(key);
        Ok(())
    }
}

/// The part size the tests' limits use, small so that objects have parts.
pub(crate) fn part_floor() -> usize {
    4096
}

/// Limits small enough for the tests' objects to need several parts.
pub(crate) fn small_limits(open_hours: usize) -> Limits {
    Limits {
        open_hours,
        part_bytes: part_floor(),
        uploads_in_flight: 2,
        max_line: 64 * 1024,
        feed_bytes: 512,
    }
}

pub(crate) fn job(memory: &Memory, config: Config, limits: Limits) -> Job<Memory> {
    Job {
        store: memory.clone(),
        config,
        files: Files::new(OutputFormat::Json, Table::new(Vec::new())),
        limits,
    }
}

pub(crate) fn task(bucket: &str, key: &str) -> Task {
    Task {
        id: "task-1".into(),
        bucket: bucket.into(),
        key: key.into(),
        version_id: None,
    }
}

pub(crate) fn invocation() -> Invocation {
    Invocation {
        function_arn: "arn:aws:lambda:us-east-1:123456789012:function:backfill".into(),
        deadline: None,
    }
}

pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

pub(crate) fn gunzip(data: &[u8]) -> String {
    let mut text = String::new();
    MultiGzDecoder::new(data).read_to_string(&mut text).unwrap();
    text
}

/// The Apache log captured in tests/data.
pub(crate) fn apache_log() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/apache_access.ltsv"
    ))
    .unwrap()
}

/// The Apache log `copies` times over, the `n`-th line moved `n * step`
/// minutes later, so that it spans many hours.
pub(crate) fn spread_log(copies: usize, step_minutes: u64) -> Vec<u8> {
    let text = String::from_utf8(apache_log()).unwrap();
    let base = 1_800_000_000u64; // 2027-01-15 08:00:00 UTC
    let mut out = String::new();
    for (n, line) in text
        .lines()
        .cycle()
        .take(copies * text.lines().count())
        .enumerate()
    {
        let rest = line.split_once('\t').unwrap().1;
        let seconds = base + n as u64 * step_minutes * 60;
        out.push_str(&format!("time:{seconds}\t{rest}\n"));
    }
    out.into_bytes()
}

/// Each hour's rows as the library converts `log` line by line, in order:
/// what the bucket must hold, whatever the objects.
pub(crate) fn expected_rows(config: &Config, log: &[u8]) -> BTreeMap<String, Vec<String>> {
    let mut converter = Converter::new(config);
    let mut rows: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in log.split_inclusive(|&b| b == b'\n') {
        let mut json = Vec::new();
        let mut hour = None;
        let converted = converter.convert_record_with(line, &mut json, |parsed, _, _| {
            hour = Some(event_hour(config, parsed)?);
            Ok(())
        });
        if let (Ok(_), Some(hour)) = (converted, hour) {
            rows.entry(hour.partition_path())
                .or_default()
                .push(String::from_utf8(json).unwrap());
        }
    }
    rows
}

/// Each hour's rows in the visible `logs/` objects, objects in key order.
pub(crate) fn visible_rows(memory: &Memory) -> BTreeMap<String, Vec<String>> {
    let mut rows: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, text) in memory.visible() {
        if let Some(path) = key.strip_prefix("logs/") {
            let hour = path.rsplit_once('/').unwrap().0.to_owned();
            rows.entry(hour)
                .or_default()
                .extend(text.split_inclusive('\n').map(str::to_owned));
        }
    }
    rows
}
