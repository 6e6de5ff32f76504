//! What the `ltsv2json` command line takes: settings from flags over the
//! environment, and what it refuses with exit status 2 (a bad setting, a
//! missing file, an option where it does not apply).

#[path = "../../tests/common/mod.rs"]
mod common;

use common::{TempDir, ltsv2json, project_file};

/// Converts stdin with `args` and `env`, expecting success.
fn converted(args: &[&str], env: &[(&str, &str)], stdin: &str) -> String {
    let run = ltsv2json(args, env, stdin.as_bytes());
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (Some(0), ""),
        "{args:?} {env:?}"
    );
    run.stdout
}

#[test]
fn flags_override_the_environment() {
    let line = "status:200\tok:true\n";
    let env = [("LTSV_TYPES", "status:string")];
    assert_eq!(
        converted(&[], &env, line),
        "{\"status\":\"200\",\"ok\":\"true\"}\n"
    );
    assert_eq!(
        converted(&["--types", "status:integer,ok:bool"], &env, line),
        "{\"status\":200,\"ok\":true}\n"
    );
    assert_eq!(
        converted(&["--types=status:integer"], &env, line),
        "{\"status\":200,\"ok\":\"true\"}\n"
    );
    // The flag replaces the variable before it is read, even an invalid one.
    assert_eq!(
        converted(
            &["--types", "status:integer"],
            &[("LTSV_TYPES", "status:long")],
            line
        ),
        "{\"status\":200,\"ok\":\"true\"}\n"
    );
    assert_eq!(
        converted(
            &["--types", "status:string", "--types", "status:integer"],
            &[],
            line
        ),
        "{\"status\":200,\"ok\":\"true\"}\n",
        "the last of a repeated flag wins"
    );

    let line = "a:-\tb:N/A\tc:none\n";
    let env = [("LTSV_NULL_VALUES", "none")];
    assert_eq!(
        converted(&[], &env, line),
        "{\"a\":\"-\",\"b\":\"N/A\",\"c\":null}\n"
    );
    assert_eq!(
        converted(&["--null-values", "-,N/A"], &env, line),
        "{\"a\":null,\"b\":null,\"c\":\"none\"}\n"
    );

    let line = "status:OK\tsize:12\n";
    let env = [("LTSV_ON_TYPE_ERROR", "fail")];
    assert_eq!(
        converted(&["--on-type-error", "null"], &env, line),
        "{\"status\":null,\"size\":12}\n"
    );
    assert_eq!(
        converted(&["--on-type-error", "string"], &env, line),
        "{\"status\":\"OK\",\"size\":12}\n"
    );
    let run = ltsv2json(
        &["--on-type-error", "fail"],
        &[("LTSV_ON_TYPE_ERROR", "null")],
        line.as_bytes(),
    );
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (
            Some(1),
            "",
            "<stdin>:1: label \"status\": value is not a valid integer\n"
        )
    );

    let line = "ua:\\x41\\\"b\\\"\n";
    let env = [("LTSV_UNESCAPE", "true")];
    assert_eq!(converted(&[], &env, line), "{\"ua\":\"A\\\"b\\\"\"}\n");
    assert_eq!(
        converted(&["--unescape", "false"], &env, line),
        "{\"ua\":\"\\\\x41\\\\\\\"b\\\\\\\"\"}\n"
    );

    let line = "user agent:curl\n";
    let env = [("LTSV_STRICT_LABELS", "true")];
    let run = ltsv2json(&[], &env, line.as_bytes());
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (
            Some(1),
            "",
            "<stdin>:1: field 1 (byte 1): label holds ' ', outside [0-9A-Za-z_.-]\n"
        )
    );
    assert_eq!(
        converted(&["--strict-labels", "false"], &env, line),
        "{\"user agent\":\"curl\"}\n"
    );
}

#[test]
fn a_bad_setting_exits_2_naming_the_variable_or_flag_given_before_reading_anything() {
    let reason = "unknown type \"long\" for label \"status\" \
         (types: integer, float, bool, string, time, time_msec, time_usec)";
    let event = project_file("events/apache.json");
    for (args, env, given) in [
        (&[][..], &[("LTSV_TYPES", "status:long")][..], "LTSV_TYPES"),
        // The flag the user typed, not the variable it stands for.
        (
            &["--types", "status:long"],
            &[("LTSV_TYPES", "status:integer")],
            "--types",
        ),
        (&["replay"], &[("LTSV_TYPES", "status:long")], "LTSV_TYPES"),
        (
            &["invoke", &event],
            &[("LTSV_TYPES", "status:long")],
            "LTSV_TYPES",
        ),
    ] {
        let run = ltsv2json(args, env, b"status:200\n");
        assert_eq!(
            (run.code, run.stdout.as_str(), run.stderr),
            (Some(2), "", format!("ltsv2json: {given}: {reason}\n")),
            "{args:?} {env:?}"
        );
    }
    // Making an event converts nothing, so it reads no conversion settings.
    let run = ltsv2json(&["event"], &[("LTSV_TYPES", "status:long")], b"a:1\n");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}

#[test]
fn a_misspelt_variable_is_named_with_the_setting_it_is_nearest() {
    let run = ltsv2json(&[], &[("LTSV_TYPE", "ok:bool")], b"ok:true\n");
    assert_eq!(run.code, Some(0));
    assert_eq!(
        run.stdout, "{\"ok\":\"true\"}\n",
        "the variable did nothing"
    );
    assert_eq!(
        run.stderr,
        "ltsv2json: warning: LTSV_TYPE is not a setting; did you mean LTSV_TYPES?\n"
    );
}

#[test]
fn settings_naming_a_label_the_format_lacks_are_refused() {
    let run = ltsv2json(&["--split-request", "request"], &[], b"");
    assert_eq!(run.code, Some(2));
    assert_eq!(
        run.stderr,
        "ltsv2json: --split-request: the log format has no label \"request\" (its labels: \
         time, forwardedfor, host, req, status, size, referer, ua, reqtime_microsec, cache, \
         runtime, vhost)\n"
    );
}

#[test]
fn a_missing_file_exits_2_naming_it() {
    let dir = TempDir::new("missing");
    let gone = dir.join("gone");
    for args in [&[gone.as_str()][..], &["invoke", &gone], &["replay", &gone]] {
        let run = ltsv2json(args, &[], b"");
        assert_eq!(run.code, Some(2), "{args:?}");
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(
            run.stderr.starts_with(&format!("ltsv2json: {gone}: ")),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
}

#[test]
fn out_dir_is_for_converting_and_replaying_only() {
    for args in [
        &["event", "--out-dir", "x"][..],
        &["--out-dir", "x", "invoke", "e.json"],
    ] {
        let run = ltsv2json(args, &[], b"");
        assert_eq!(
            (run.code, run.stdout.as_str(), run.stderr.as_str()),
            (
                Some(2),
                "",
                "ltsv2json: --out-dir works only when converting or replaying\n"
            ),
            "{args:?}"
        );
    }
}
