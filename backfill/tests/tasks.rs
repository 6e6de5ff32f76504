//! Whole tasks against an in-memory S3: what the log bucket shows after a
//! task, after the same task again, after one that failed, and after one
//! that was killed halfway.

mod common;

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{
    Memory, apache_log, expected_rows, gzip, invocation, job, small_limits, spread_log, task,
    visible_rows,
};
use firehose_ltsv::Config;
use firehose_ltsv_backfill::{Failure, Invocation, Limits, SourceId, run};
use serde_json::Value;

#[tokio::test]
async fn plain_and_multi_member_gzip_objects_give_the_rows_of_the_conversion() {
    let log = spread_log(3, 7);
    let half = log.len() / 2 + 17;
    let members = [gzip(&log[..half]), gzip(&log[half..])].concat();
    for (key, bytes) in [("plain.log", log.clone()), ("rotated.log.1.gz", members)] {
        let memory = Memory::new();
        memory.put_source("old", key, &bytes);
        let config = Config::default();
        let summary = run(
            &job(&memory, config.clone(), small_limits(4)),
            &task("old", key),
            &invocation(),
        )
        .await
        .unwrap();
        let expected = expected_rows(&config, &log);
        assert_eq!(visible_rows(&memory), expected, "{key}");
        assert_eq!(summary.lines, 297);
        assert_eq!(
            (summary.written, summary.failed, summary.blank),
            (297, 0, 0)
        );
        assert_eq!(summary.bytes_in, bytes.len() as u64);
        assert!(expected.len() > 30, "{} hours", expected.len());
        assert_eq!(summary.objects as usize, memory.visible().len());
        assert!(memory.state().uploads.is_empty(), "every upload completed");
        let id = SourceId::new(
            "old",
            key,
            &memory.state().sources[&("old".into(), key.into())].1,
        );
        assert_eq!(summary.id, format!("backfill-{id}"));
        assert!(memory.visible().keys().all(|k| k.contains(&summary.id)));
    }
}

#[tokio::test]
async fn the_same_task_again_leaves_the_same_objects() {
    let memory = Memory::new();
    let mut log = spread_log(2, 50);
    log.extend_from_slice(b"status:OK\n");
    memory.put_source("old", "a b/é.log", &log);
    let job = job(&memory, Config::default(), small_limits(3));
    let first = run(&job, &task("old", "a b/é.log"), &invocation())
        .await
        .unwrap();
    let before = memory.raw();
    let second = run(&job, &task("old", "a b/é.log"), &invocation())
        .await
        .unwrap();
    assert_eq!(first, second);
    let after = memory.raw();
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "the same keys"
    );
    assert!(after.len() > 3);
    for (key, bytes) in &after {
        assert!(*bytes == before[key], "{key}: the same bytes");
    }
    assert!(after.keys().any(|key| key.starts_with("errors/")));
    assert!(memory.state().uploads.is_empty());
}

#[tokio::test]
async fn hours_past_the_bound_get_more_objects_and_parts_stay_small() {
    // Every hour comes back: the log spans 99 hours, twice over.
    let once = spread_log(1, 60);
    let log = [once.clone(), once].concat();
    let memory = Memory::new();
    memory.put_source("old", "k", &log);
    memory.state().min_part = 1024;
    let config = Config::default();
    let limits = Limits {
        part_bytes: 1024,
        ..small_limits(2)
    };
    let summary = run(
        &job(&memory, config.clone(), limits),
        &task("old", "k"),
        &invocation(),
    )
    .await
    .unwrap();
    assert_eq!(visible_rows(&memory), expected_rows(&config, &log));
    assert_eq!(
        summary.objects,
        2 * 99,
        "each hour's second visit starts its second object"
    );
    assert_eq!(
        memory
            .visible()
            .keys()
            .filter(|k| k.ends_with("-000002.json.gz"))
            .count(),
        99
    );
    let state = memory.state();
    assert!(
        state.largest_part < 1024 + 64 * 1024,
        "{}",
        state.largest_part
    );
}

#[tokio::test]
async fn failed_lines_become_firehose_error_records_until_the_settings_fix_them() {
    let memory = Memory::new();
    let mut log = apache_log();
    let bad = b"time:[26/Nov/2026:05:54:09 +0900]\tstatus:OK\r\n";
    log.extend_from_slice(bad);
    log.extend_from_slice(b"\n");
    memory.put_source("old", "k", &log);
    let strict = run(
        &job(&memory, Config::default(), small_limits(4)),
        &task("old", "k"),
        &invocation(),
    )
    .await
    .unwrap();
    assert_eq!(
        (strict.lines, strict.written, strict.failed, strict.blank),
        (101, 99, 1, 1)
    );
    let failed_key = strict.failed_object.clone().unwrap();
    assert!(failed_key.starts_with("errors/backfill-failed/backfill-"));
    let records: Vec<Value> = memory.visible()[&failed_key]
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(records.len(), 1);
    assert_eq!(
        BASE64
            .decode(records[0]["rawData"].as_str().unwrap())
            .unwrap(),
        bad
    );
    assert_eq!(records[0]["errorCode"], "Backfill.ProcessingFailed");
    assert_eq!(
        records[0]["errorMessage"],
        "line 100: label \"status\": value is not a valid integer"
    );
    assert_eq!(records[0]["arrivalTimestamp"], 1_600_000_000_000u64);
    assert_eq!(records[0]["lambdaArn"], invocation().function_arn);

    // Settings that accept the line: it is written, and the failed object goes.
    let lenient = Config::from_vars(&[("LTSV_ON_TYPE_ERROR", "null")]).unwrap();
    let fixed = run(
        &job(&memory, lenient, small_limits(4)),
        &task("old", "k"),
        &invocation(),
    )
    .await
    .unwrap();
    assert_eq!(
        (fixed.written, fixed.failed, fixed.failed_object),
        (100, 0, None)
    );
    assert!(!memory.visible().contains_key(&failed_key));
    assert_eq!(
        visible_rows(&memory).values().map(Vec::len).sum::<usize>(),
        100
    );
}

#[tokio::test]
async fn a_task_killed_halfway_leaves_nothing_visible() {
    let memory = Memory::new();
    memory.put_source("old", "k", &spread_log(20, 1));
    memory.state().hang_after_parts = Some(3);
    let job = job(&memory, Config::default(), small_limits(2));
    let task = task("old", "k");
    let invocation = invocation();
    let attempt = run(&job, &task, &invocation);
    // The process ends while parts are in flight: the future is dropped.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), attempt)
            .await
            .is_err()
    );
    assert!(memory.state().parts > 3);
    assert!(memory.visible().is_empty(), "{:?}", memory.visible().keys());
    assert!(
        !memory.state().uploads.is_empty(),
        "incomplete uploads, which S3 never shows"
    );

    // Batch Operations runs the task again: the complete objects appear.
    memory.state().hang_after_parts = None;
    run(&job, &task, &invocation).await.unwrap();
    assert_eq!(
        visible_rows(&memory),
        expected_rows(&job.config, &spread_log(20, 1))
    );
}

#[tokio::test]
async fn a_failed_upload_aborts_every_upload_and_is_temporary() {
    let memory = Memory::new();
    memory.put_source("old", "k", &spread_log(20, 1));
    memory.state().fail_part = Some((5, Failure::Temporary("UploadPart: 503 SlowDown".into())));
    let result = run(
        &job(&memory, Config::default(), small_limits(2)),
        &task("old", "k"),
        &invocation(),
    )
    .await;
    assert_eq!(
        result,
        Err(Failure::Temporary("UploadPart: 503 SlowDown".into()))
    );
    assert!(memory.visible().is_empty());
    assert!(memory.state().uploads.is_empty(), "aborted");
}

#[tokio::test]
async fn bad_input_and_missing_objects_fail_permanently_and_write_nothing() {
    let memory = Memory::new();
    let mut corrupt = gzip(&spread_log(2, 30));
    let end = corrupt.len() - 8;
    corrupt[end] ^= 0xff; // the CRC
    memory.put_source("old", "corrupt.gz", &corrupt);
    memory.put_source("old", "one-line", &[b'x'; 70_000]);
    // Random bytes named like a rotated log, without gzip's magic bytes.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let random: Vec<u8> = (0..64 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 56) as u8
        })
        .collect();
    assert_ne!(random[..2], [0x1f, 0x8b]);
    memory.put_source("old", "access.log.1.gz", &random);
    // Deflate data that is wrong from its first byte, after a whole header.
    let mut early = gzip(&spread_log(2, 30));
    early[10] = 0xff;
    memory.put_source("old", "early.gz", &early);
    let job = job(&memory, Config::default(), small_limits(2));
    for (key, reason) in [
        ("corrupt.gz", "at byte "),
        ("one-line", "a line is longer than"),
        // Said of the source as a whole, not of a byte in it.
        ("access.log.1.gz", "not a log: "),
        ("early.gz", "at byte 10: "),
        ("missing", "NoSuchKey"),
    ] {
        let result = run(&job, &task("old", key), &invocation()).await;
        let Err(Failure::Permanent(why)) = &result else {
            panic!("{key}: {result:?}");
        };
        assert!(why.contains(reason), "{key}: {why}");
        if reason == "not a log: " {
            assert!(why.starts_with(reason), "{key}: {why}");
        }
        assert!(memory.visible().is_empty(), "{key}");
        assert!(memory.state().uploads.is_empty(), "{key}");
    }
}

#[tokio::test]
async fn a_task_that_runs_out_of_time_stops_before_the_deadline() {
    let memory = Memory::new();
    memory.put_source("old", "k", &spread_log(2, 30));
    let late = Invocation {
        deadline: Some(Instant::now()),
        ..invocation()
    };
    let result = run(
        &job(&memory, Config::default(), small_limits(2)),
        &task("old", "k"),
        &late,
    )
    .await;
    let Err(Failure::Permanent(reason)) = result else {
        panic!("{result:?}");
    };
    assert!(
        reason.starts_with("out of time after reading 0 of "),
        "{reason}"
    );
    assert!(memory.visible().is_empty());
}

#[tokio::test]
async fn a_large_hour_is_uploaded_in_parts_that_make_one_object() {
    let log: Vec<u8> = (0..5000u64)
        .flat_map(|i| {
            let id = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            format!("time:{}\tstatus:200\tua:{id:x}\n", 1_800_000_000 + i % 3600).into_bytes()
        })
        .collect();
    let memory = Memory::new();
    memory.put_source("old", "k", &gzip(&log));
    let config = Config::default();
    let summary = run(
        &job(&memory, config.clone(), small_limits(2)),
        &task("old", "k"),
        &invocation(),
    )
    .await
    .unwrap();
    assert_eq!(summary.objects, 1);
    assert!(memory.state().parts >= 3, "{} parts", memory.state().parts);
    assert_eq!(visible_rows(&memory), expected_rows(&config, &log));
}
