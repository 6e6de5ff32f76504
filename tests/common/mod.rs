//! What several test files need: running the project's binaries, and
//! reading JSON objects member by member.

// Each test file compiles this module for itself and uses only part of it.
#![allow(dead_code)]

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

/// A command that sees none of this machine's settings, so that only what a
/// test sets can change the outcome.
pub fn command(program: &str, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(program);
    for (name, _) in std::env::vars_os() {
        if let Some(name) = name.to_str()
            && (name.starts_with("LTSV_") || name.starts_with("AWS_LAMBDA_") || name == "RUST_LOG")
        {
            command.env_remove(name);
        }
    }
    for variable in firehose_ltsv::config::VARIABLES {
        command.env_remove(variable);
    }
    command.envs(env.iter().copied());
    command
}

/// The path of a file of this project, as text.
pub fn project_file(relative: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(relative)
        .to_str()
        .unwrap()
        .to_owned()
}

/// What a finished command did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// The process id, which names backfill files.
    pub pid: u32,
}

/// Runs `command` with `stdin` as its input.
pub fn run(mut command: Command, stdin: &[u8]) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Written from another thread: a child that streams its output could
    // otherwise fill its stdout pipe while this one waits to write.
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // A child that exits without reading closes the pipe; that is its
        // business, and its exit status tells the test what happened.
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        pid,
    }
}

/// A JSON object's members in the order written, repeated keys included,
/// which `serde_json::Map` (sorted by key, one value per key) would lose.
pub struct Members(pub Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Members, D::Error> {
        struct MembersVisitor;

        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }

        deserializer.deserialize_map(MembersVisitor)
    }
}
