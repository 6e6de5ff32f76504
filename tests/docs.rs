//! The manual says what the code does: its configuration table lists every
//! setting with its default, its Parameters table every parameter of the
//! template with its default, its list of the settings' flags every flag;
//! the quick start runs in order on a fresh clone; and every relative link
//! and `#anchor` in every Markdown file leads somewhere. (The synopsis of
//! `ltsv2json` is held to its `--help` in `cli/tests/docs.rs`.)

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

use firehose_ltsv::{SECRET_PARAMETERS, SECRET_PARTS, SETTINGS};

/// The project's top folder.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    fs::read_to_string(root().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// The text of the section under `heading` (a whole heading line, such as
/// `## Settings`), up to the next heading of the same or a higher level.
fn section(text: &str, heading: &str) -> String {
    let level = heading.split(' ').next().unwrap().len();
    let mut lines = text.lines().skip_while(|line| *line != heading);
    assert!(lines.next().is_some(), "no heading {heading:?}");
    lines
        .take_while(|line| {
            let hashes = line.bytes().take_while(|&b| b == b'#').count();
            !(1..=level).contains(&hashes) || !line[hashes..].starts_with(' ')
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first two cells of each row of the tables in `text` whose first
/// cell is code: a name and its default.
fn table_rows(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .map(|row| {
            let cells: Vec<&str> = row.split(" | ").collect();
            let name = cells[0].trim_end_matches('`').to_owned();
            (name, cells[1].to_owned())
        })
        .collect()
}

/// A default as a table cell shows it: `empty`, or the value as code; `None`
/// for one too long for a cell, whose cell points to where it is.
fn shown_default(default: &str) -> Option<String> {
    match default {
        "" => Some("empty".to_owned()),
        short if short.len() <= 40 => Some(format!("`{short}`")),
        _ => None,
    }
}

// --- The settings ------------------------------------------------------------

#[test]
fn the_configuration_table_lists_every_setting_with_its_default() {
    let rows = table_rows(&section(&read("docs/configuration.md"), "## Settings"));
    let variables: Vec<&str> = rows.iter().map(|(v, _)| v.as_str()).collect();
    let mut expected: Vec<&str> = SETTINGS.iter().map(|s| s.variable).collect();
    // Lambda's own logging controls, which the function reads as Lambda sets them.
    expected.extend(["AWS_LAMBDA_LOG_LEVEL", "AWS_LAMBDA_LOG_FORMAT"]);
    assert_eq!(variables, expected);
    for (setting, (_, default)) in SETTINGS.iter().zip(&rows) {
        if let Some(shown) = shown_default(setting.default) {
            assert_eq!(*default, shown, "{}", setting.variable);
        }
    }
}

#[test]
fn the_command_line_lists_every_settings_flag() {
    let commands = section(&read("docs/command-line.md"), "## Commands");
    let item = commands
        .split("\n- ")
        .find(|item| item.starts_with("Every [setting]"))
        .expect("the item on the settings' flags");
    let flags: Vec<&str> = item
        .split('`')
        .filter(|code| code.starts_with("--"))
        .map(|code| code.trim_start_matches("--"))
        .collect();
    let expected: Vec<&str> = SETTINGS.iter().map(|s| s.flag).collect();
    assert_eq!(flags, expected);
}

// --- The secret parameters ----------------------------------------------------

/// The names in backquotes of the paragraph of `text` that starts with
/// `start`.
fn code_in_paragraph(text: &str, start: &str) -> Vec<String> {
    let paragraph = text
        .split("\n\n")
        .find(|p| p.starts_with(start))
        .unwrap_or_else(|| panic!("no paragraph starting {start:?}"));
    paragraph
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_privacy_page_lists_the_secret_parameters_the_function_redacts() {
    let section = section(&read("docs/privacy.md"), "## Secret parameters");
    assert_eq!(code_in_paragraph(&section, "`password`"), SECRET_PARAMETERS);
    let parts = code_in_paragraph(&section, "or if it contains one of");
    assert_eq!(parts[..SECRET_PARTS.len()], *SECRET_PARTS);
}

// --- The template's parameters -----------------------------------------------

/// Each parameter of template.yaml, in its order, with its default as text.
fn template_parameters() -> Vec<(String, String)> {
    // serde_yaml keeps CloudFormation's short-form tags (`!Ref X`) as tagged
    // values, and a mapping's keys in their order.
    let template: serde_yaml::Value = serde_yaml::from_str(&read("template.yaml")).unwrap();
    let parameters = template["Parameters"]
        .as_mapping()
        .expect("template.yaml has Parameters");
    parameters
        .iter()
        .map(|(name, parameter)| {
            let default = match &parameter["Default"] {
                serde_yaml::Value::String(text) => text.clone(),
                serde_yaml::Value::Number(number) => number.to_string(),
                serde_yaml::Value::Bool(b) => b.to_string(),
                other => panic!("{name:?}: a default of {other:?}"),
            };
            (name.as_str().unwrap().to_owned(), default)
        })
        .collect()
}

#[test]
fn the_parameters_table_lists_every_parameter_in_order_with_its_default() {
    let rows = table_rows(&section(&read("docs/deploy.md"), "## Parameters"));
    let parameters = template_parameters();
    let documented: Vec<&str> = rows.iter().map(|(name, _)| name.as_str()).collect();
    let expected: Vec<&str> = parameters.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(documented, expected);
    for ((name, default), (_, shown)) in parameters.iter().zip(&rows) {
        if let Some(expected) = shown_default(default) {
            assert_eq!(*shown, expected, "{name}");
        }
    }
}

// --- The quick start -----------------------------------------------------------

/// The lines of the fenced code blocks of `text`, in order.
fn code_lines(text: &str) -> Vec<&str> {
    let mut inside = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            inside = !inside;
        } else if inside {
            lines.push(line);
        }
    }
    lines
}

#[test]
fn the_quick_start_runs_in_order_on_a_fresh_clone() {
    let readme = read("README.md");
    let quick_start = section(&readme, "## Quick start");
    let commands = code_lines(&quick_start);
    for command in [
        "cargo run --bin ltsv2json -- invoke events/apache.json",
        "cargo test --workspace",
        "cargo install --path cli",
    ] {
        assert!(commands.contains(&command), "{command}");
    }
    // Until it is installed, `ltsv2json` is run through cargo.
    let installed = commands
        .iter()
        .position(|line| *line == "cargo install --path cli")
        .unwrap();
    for line in &commands[..installed] {
        assert!(!line.starts_with("ltsv2json"), "{line}: not installed yet");
    }
    // Every file the quick start reads is in the repository.
    for line in commands {
        for word in line.split(' ') {
            if word.starts_with("tests/") || word.starts_with("events/") {
                assert!(root().join(word).is_file(), "{word}");
            }
        }
    }
}

#[test]
fn every_page_of_the_manual_says_what_it_is_and_leads_back_to_the_readme() {
    for page in markdown_files()
        .iter()
        .filter(|path| path.starts_with(root().join("docs")))
    {
        let text = fs::read_to_string(page).unwrap();
        let mut paragraphs = text.split("\n\n");
        let title = paragraphs.next().unwrap();
        assert!(
            title.starts_with("# ") && !title.contains('\n'),
            "{}: a title first",
            page.display()
        );
        let summary = paragraphs.next().unwrap();
        assert!(
            summary.contains("](../README.md)"),
            "{}: a summary that links to the README",
            page.display()
        );
    }
}

// --- Links and anchors ---------------------------------------------------------

/// Every Markdown file of the project: README.md, CONTRIBUTING.md,
/// BENCHMARKS.md, docs/ and fuzz/README.md.
fn markdown_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = [
        "README.md",
        "CONTRIBUTING.md",
        "BENCHMARKS.md",
        "fuzz/README.md",
    ]
    .iter()
    .map(|file| root().join(file))
    .collect();
    let mut docs: Vec<PathBuf> = fs::read_dir(root().join("docs"))
        .expect("a docs folder")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// `text` without its fenced code blocks and code spans, where nothing is
/// a link or a heading.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            out.push('\n');
        } else if !fenced {
            out.push_str(line);
            out.push('\n');
        } else {
            out.push('\n');
        }
    }
    // Code spans: a run of backticks up to the next run of the same length.
    let mut plain = String::new();
    let mut rest = out.as_str();
    while let Some(start) = rest.find('`') {
        plain.push_str(&rest[..start]);
        let ticks = rest[start..].bytes().take_while(|&b| b == b'`').count();
        let after = &rest[start + ticks..];
        let fence = "`".repeat(ticks);
        let mut search = 0;
        let end = loop {
            match after[search..].find(&fence) {
                Some(at) => {
                    let at = search + at;
                    let run = after[at..].bytes().take_while(|&b| b == b'`').count();
                    if run == ticks {
                        break Some(at);
                    }
                    search = at + run;
                }
                None => break None,
            }
        };
        match end {
            Some(end) => {
                // A space keeps the words on either side apart.
                plain.push(' ');
                rest = &after[end + ticks..];
            }
            None => {
                plain.push_str(&rest[start..start + ticks]);
                rest = after;
            }
        }
    }
    plain.push_str(rest);
    plain
}

/// GitHub's anchor for a heading: lower case, each space a `-`, and every
/// character but letters, digits, `-` and `_` left out.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|&c| c.is_alphanumeric() || c == '-' || c == '_' || c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown file's headings; a repeated one gets `-1`,
/// `-2`, … as GitHub numbers them.
fn anchors(text: &str) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut anchors = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let hashes = line.bytes().take_while(|&b| b == b'#').count();
        if fenced || !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let slug = slug(&line[hashes..].replace('`', ""));
        let count = seen.entry(slug.clone()).or_insert(0);
        anchors.push(match *count {
            0 => slug.clone(),
            n => format!("{slug}-{n}"),
        });
        *count += 1;
    }
    anchors
}

/// The targets of the inline links `[text](target)` of `text`.
fn link_targets(text: &str) -> Vec<String> {
    let prose = prose(text);
    prose
        .match_indices("](")
        .filter_map(|(at, _)| {
            let target = &prose[at + 2..];
            let end = target.find(')')?;
            Some(
                target[..end]
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_owned(),
            )
        })
        .collect()
}

/// `path` with its `.` and `..` resolved, without touching the disk.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in markdown_files() {
        let text = fs::read_to_string(&file).unwrap();
        let shown = file.strip_prefix(root()).unwrap().display().to_string();
        for target in link_targets(&text) {
            if target.starts_with("http://")
                || target.starts_with("https://")
                || target.starts_with("mailto:")
            {
                continue;
            }
            checked += 1;
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let linked = if path.is_empty() {
                file.clone()
            } else {
                normalize(&file.parent().unwrap().join(path))
            };
            if !linked.exists() || !linked.starts_with(root()) {
                broken.push(format!("{shown}: {target}: no such file"));
                continue;
            }
            let Some(anchor) = anchor else { continue };
            let is_markdown = linked.extension().is_some_and(|ext| ext == "md");
            let found = is_markdown
                && anchors(&fs::read_to_string(&linked).unwrap())
                    .iter()
                    .any(|a| a == anchor);
            if !found {
                broken.push(format!("{shown}: {target}: no such heading"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 100, "only {checked} links found");
}

#[test]
fn anchors_are_made_as_github_makes_them() {
    assert_eq!(slug("Types, columns and drift"), "types-columns-and-drift");
    assert_eq!(
        slug("What it costs, and when ltsv2json --out-dir is better"),
        "what-it-costs-and-when-ltsv2json---out-dir-is-better"
    );
    assert_eq!(
        slug("The command line: ltsv2json"),
        "the-command-line-ltsv2json"
    );
    assert_eq!(
        anchors("# A\n```\n# not a heading\n```\n## A\n### `b_c`\n"),
        ["a", "a-1", "b_c"]
    );
    assert_eq!(
        link_targets("[a](x.md#y) `[b](no)` ``[c](`no`)`` [d\ne](../z)"),
        ["x.md#y", "../z"]
    );
}
