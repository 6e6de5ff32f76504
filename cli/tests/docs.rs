//! The manual's synopsis of `ltsv2json` is its `--help`'s: each command
//! line docs/command-line.md shows is one `--help` shows, and the other
//! way round.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::fs;

use common::{ltsv2json, project_file};

/// The synopsis lines of `--help`, each on one line: a line too long for
/// the help goes on in the next, indented by 8 spaces and starting with `[`.
fn help_synopsis() -> Vec<String> {
    let run = ltsv2json(&["--help"], &[], b"");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let mut synopsis: Vec<String> = Vec::new();
    let mut last_was_synopsis = false;
    for line in run.stdout.lines() {
        if let Some(command) = line.strip_prefix("  ltsv2json") {
            synopsis.push(format!("ltsv2json{command}"));
            last_was_synopsis = true;
        } else if last_was_synopsis && let Some(rest) = line.strip_prefix("        [") {
            synopsis.last_mut().unwrap().push_str(&format!(" [{rest}"));
        } else {
            last_was_synopsis = false;
        }
    }
    assert!(synopsis.len() >= 5, "{}", run.stdout);
    synopsis
}

/// The command lines of the first code block of the "Commands" section of
/// docs/command-line.md.
fn documented_synopsis() -> Vec<String> {
    let manual = fs::read_to_string(project_file("docs/command-line.md")).unwrap();
    let (_, section) = manual
        .split_once("\n## Commands\n")
        .expect("a Commands section");
    let (_, block) = section.split_once("```\n").expect("a code block");
    let (block, _) = block.split_once("```").expect("the code block's end");
    block
        .lines()
        .filter(|line| line.starts_with("ltsv2json"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_manuals_synopsis_is_the_helps() {
    let help = help_synopsis();
    let documented = documented_synopsis();
    for line in &documented {
        assert!(
            help.contains(line),
            "docs/command-line.md shows {line:?}, which --help does not:\n{}",
            help.join("\n")
        );
    }
    for line in &help {
        assert!(
            documented.contains(line),
            "--help shows {line:?}, which docs/command-line.md does not"
        );
    }
}
