#!/usr/bin/env python3
"""The backfill function against moto, as scripts/check-backfill starts
them: puts five source objects (plain, gzip of two members, bad lines,
many hours out of order, a key with spaces and non-ASCII characters),
invokes the function on each with an S3 Batch Operations event (schema
1.0 and 2.0, keys URL-encoded as Batch Operations sends them), then checks
every object written against the local `ltsv2json --out-dir` and `ltsv2json
replay`, that a second invocation of each task leaves the same objects,
byte for byte, and that corrupt gzip, random bytes and a missing object
fail permanently and write nothing.

With --parquet, run after that against a function with
OUTPUT_FORMAT=parquet: invokes the same tasks again and checks each hour's
Parquet rows, read with DuckDB, against `ltsv2json --out-dir
--output-format parquet`.

Usage: backfill-e2e.py [--parquet] TMP S3_PORT LAMBDA_PORT ENV_FILE
"""
import collections
import gzip
import json
import os
import pathlib
import random
import re
import subprocess
import sys
import urllib.parse

import boto3

parquet = sys.argv[1:2] == ["--parquet"]
tmp, s3_port, lambda_port, env_file = sys.argv[2:] if parquet else sys.argv[1:]
tmp = pathlib.Path(tmp)
SOURCE, LOGS = "old-logs", "backfill-logs"
ARN = "arn:aws:s3:::" + SOURCE
s3 = boto3.client(
    "s3", endpoint_url=f"http://127.0.0.1:{s3_port}", region_name="us-east-1",
    aws_access_key_id="testing", aws_secret_access_key="testing")
env = dict(os.environ)
for line in pathlib.Path(env_file).read_text().splitlines():
    name, value = line.split("=", 1)
    env[name] = value.strip("'")
cli = "target/debug/ltsv2json"


def retimed(lines, seconds):
    """Apache lines with their time replaced by epoch `seconds(n)`."""
    return b"".join(b"time:%d\t" % seconds(n) + line.split(b"\t", 1)[1] for n, line in enumerate(lines))


lines = pathlib.Path("tests/data/apache_access.ltsv").read_bytes().splitlines(keepends=True)
apache = b"".join(lines)
BASE = 1_780_000_000  # 2026-05-28 20:26:40 UTC
half = retimed(lines, lambda n: BASE + 86_400 + n * 60)
BAD = [b"time:[26/Nov/2026:05:54:09 +0900]\tstatus:OK\tsize:1\r\n",
       b"time:[26/Nov/2026:05:54:10 +0900]\tstatus:200\tsize:x\n",
       b"this line is not LTSV\n"]
# 3,069 lines going through 40 hours three times, 25 lines an hour at a
# time: more hours than the function keeps open, so that each hour comes
# back after it was finished and gets more objects.
many = retimed(lines * 31, lambda n: BASE + (n // 25 % 40) * 3600 + n % 3600)
SOURCES = {
    "2026/05/access.ltsv": apache,
    "2026/05/access.ltsv.1.gz": gzip.compress(half[:5000]) + gzip.compress(half[5000:]),
    "2026/05/bad lines.ltsv": b"".join(lines[:40]) + b"".join(BAD) + b"\n" + b"".join(lines[40:]),
    "2026/05/many-hours.ltsv.gz": gzip.compress(many),
    "2026/web 1/accès café ü.ltsv": retimed(lines, lambda n: BASE + 7 * 86_400 + n * 7),
}


def event(n, key, schema):
    """The event Batch Operations sends for `key`, in schema 1.0 or 2.0."""
    task = {"taskId": f"task-{n}", "s3Key": urllib.parse.quote_plus(key, safe="/"), "s3VersionId": None}
    if schema == "1.0":
        task["s3BucketArn"] = ARN
        job = {"id": "job-1"}
    else:
        task["s3Bucket"] = SOURCE
        job = {"id": "job-1", "userArguments": {}}
    return {"invocationSchemaVersion": schema, "invocationId": f"invocation-{n}", "job": job, "tasks": [task]}


def invoke(payload):
    path = tmp / "event.json"
    path.write_text(json.dumps(payload))
    out = subprocess.run(
        ["cargo", "lambda", "invoke", "firehose-ltsv-backfill", "--invoke-address", "127.0.0.1",
         "--invoke-port", lambda_port, "--data-file", str(path), "--output-format", "json"],
        check=True, capture_output=True, text=True).stdout
    response = json.loads(out)
    assert response["invocationId"] == payload["invocationId"], response
    assert response["invocationSchemaVersion"] == payload["invocationSchemaVersion"], response
    assert response["treatMissingKeysAs"] == "PermanentFailure", response
    [result] = response["results"]
    assert result["taskId"] == payload["tasks"][0]["taskId"], response
    return result


def bucket():
    """Every object of the log bucket: key to bytes, and no upload left."""
    objects = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=LOGS):
        for item in page.get("Contents", []):
            objects[item["Key"]] = s3.get_object(Bucket=LOGS, Key=item["Key"])["Body"].read()
    assert not s3.list_multipart_uploads(Bucket=LOGS).get("Uploads"), "uploads left behind"
    return objects


def hourly_rows(files):
    """Rows by hour folder, sorted: `files` maps a path to gzip bytes."""
    rows = collections.defaultdict(list)
    for path, data in files.items():
        hour = re.search(r"year=\d{4}/month=\d\d/day=\d\d/hour=\d\d", path).group(0)
        rows[hour].extend(gzip.decompress(data).decode().splitlines())
    return {hour: sorted(lines) for hour, lines in rows.items()}


def local(key, data):
    """What `ltsv2json --out-dir` makes of `data` with the function's settings."""
    source, out = tmp / "source", tmp / ("out-" + str(abs(hash(key))))
    source.write_bytes(data)
    run = subprocess.run([cli, "--out-dir", str(out), str(source)], env=env, capture_output=True, text=True)
    assert run.returncode in (0, 1), run.stderr
    summary = re.search(r"(\d+) lines in, (\d+) written, (\d+) failed", run.stderr)
    files = {str(p): p.read_bytes() for p in out.rglob("*.json.gz")}
    return hourly_rows(files), int(summary.group(2)), int(summary.group(3))


def check_rows(key, summary, objects):
    rows, written, failed = local(key, SOURCES[key])
    assert (summary["written"], summary["failed"]) == (written, failed), (key, summary, written, failed)
    mine = {k: v for k, v in objects.items() if k.startswith("logs/") and summary["id"] in k}
    assert len(mine) == summary["objects"], (key, len(mine), summary)
    assert hourly_rows(mine) == rows, f"{key}: the bucket's rows differ from ltsv2json --out-dir"
    return len(rows)


def check_replay(summary, objects):
    """The failed lines read back by `ltsv2json replay`, as Firehose's."""
    folder = tmp / "failed"
    folder.mkdir(exist_ok=True)
    (folder / "object.gz").write_bytes(objects[summary["failedObject"]])
    run = subprocess.run([cli, "--on-type-error", "null", "replay", str(folder)],
                         env=env, capture_output=True, text=True)
    assert "3 records in, 2 converted, 1 failed" in run.stderr, run.stderr
    bad = tmp / "bad.ltsv"
    bad.write_bytes(b"".join(BAD[:2]))
    direct = subprocess.run([cli, "--on-type-error", "null", str(bad)], env=env, capture_output=True)
    assert run.stdout.encode() == direct.stdout and direct.stdout.count(b"\n") == 2, run.stdout


def main():
    for name in (SOURCE, LOGS):
        s3.create_bucket(Bucket=name)
    for key, data in SOURCES.items():
        s3.put_object(Bucket=SOURCE, Key=key, Body=data)

    events = [event(n, key, "1.0" if n % 2 else "2.0") for n, key in enumerate(SOURCES)]
    first = []
    for payload in events:
        result = invoke(payload)
        assert result["resultCode"] == "Succeeded", result
        first.append(json.loads(result["resultString"]))
    objects = bucket()
    assert all(k.startswith(("logs/", "errors/backfill-failed/")) for k in objects), sorted(objects)
    for key, summary in zip(SOURCES, first):
        hours = check_rows(key, summary, objects)
        print(f"{key!r}: {summary['lines']} lines, {summary['written']} written, "
              f"{summary['failed']} failed, {hours} hours in {summary['objects']} objects")
    [bad] = [s for s in first if s["failed"]]
    check_replay(bad, objects)
    print("failed lines: read back by ltsv2json replay")

    again = [json.loads(invoke(payload)["resultString"]) for payload in events]
    assert again == first, (again, first)
    second = bucket()
    assert sorted(second) == sorted(objects), "a second run changed the keys"
    for key, data in second.items():
        assert data == objects[key], f"{key} changed"
    assert any(key.startswith("errors/") for key in second)
    print(f"second invocations: the same {len(second)} objects, byte for byte")

    corrupt = bytearray(gzip.compress(many))
    corrupt[len(corrupt) // 2] ^= 0xFF
    s3.put_object(Bucket=SOURCE, Key="2026/05/corrupt.gz", Body=bytes(corrupt))
    # Random bytes named like a rotated log: not a log, and no failed lines.
    s3.put_object(Bucket=SOURCE, Key="2026/05/access.log.2.gz", Body=b"xx" + random.Random(19).randbytes(64 * 1024))
    for key, expected in [("2026/05/corrupt.gz", "at byte"), ("2026/05/access.log.2.gz", "not a log: "),
                          ("2026/05/missing.ltsv", "NoSuchKey")]:
        result = invoke(event(99, key, "2.0"))
        assert result["resultCode"] == "PermanentFailure", result
        assert expected in result["resultString"], result
        assert bucket() == second, f"{key} left objects behind"
        print(f"{key!r}: PermanentFailure, {result['resultString']!r}, nothing written")


def parquet_rows(files):
    """Rows by hour folder, sorted, and the columns: `files` maps a path to
    Parquet bytes."""
    import duckdb

    rows, columns = collections.defaultdict(list), set()
    for n, (path, data) in enumerate(sorted(files.items())):
        hour = re.search(r"year=\d{4}/month=\d\d/day=\d\d/hour=\d\d", path).group(0)
        local_copy = tmp / f"read-{n}.parquet"
        local_copy.write_bytes(data)
        relation = duckdb.sql(f"SELECT * FROM read_parquet('{local_copy}')")
        columns.add(tuple(relation.columns))
        rows[hour].extend(repr(row) for row in relation.fetchall())
    assert len(columns) <= 1, f"files with different columns: {columns}"
    return {hour: sorted(r) for hour, r in rows.items()}


def check_parquet():
    """The same tasks as Parquet: each hour's rows as the local Parquet."""
    for n, key in enumerate(SOURCES):
        result = invoke(event(n, key, "2.0"))
        assert result["resultCode"] == "Succeeded", result
        summary = json.loads(result["resultString"])
        mine = {k: v for k, v in bucket().items() if k.startswith("logs/") and summary["id"] in k
                and k.endswith(".parquet")}
        assert len(mine) == summary["objects"], (key, len(mine), summary)
        assert all(v[:4] == b"PAR1" for v in mine.values()), key
        source, out = tmp / "source", tmp / f"parquet-out-{n}"
        source.write_bytes(SOURCES[key])
        run = subprocess.run([cli, "--out-dir", str(out), "--output-format", "parquet", str(source)],
                             env=env, capture_output=True, text=True)
        assert run.returncode in (0, 1), run.stderr
        expected = parquet_rows({str(p): p.read_bytes() for p in out.rglob("*.parquet")})
        assert parquet_rows(mine) == expected, f"{key}: the bucket's Parquet rows differ from ltsv2json's"
        print(f"{key!r}: {summary['written']} rows in {len(expected)} hours, as ltsv2json's Parquet")


check_parquet() if parquet else main()
