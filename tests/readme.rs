//! The README says what the code does: its configuration table lists
//! every setting of the settings table, in its order, with its default.

use firehose_ltsv::SETTINGS;

/// The rows of the README's configuration table: variable and default.
fn configuration_table() -> Vec<(String, String)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("\n## Configuration\n")
        .nth(1)
        .expect("a Configuration section")
        .split("\n## ")
        .next()
        .unwrap();
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .map(|row| {
            let cells: Vec<&str> = row.split(" | ").collect();
            let variable = cells[0].trim_end_matches('`').to_owned();
            (variable, cells[1].to_owned())
        })
        .collect()
}

#[test]
fn the_configuration_table_lists_every_setting_with_its_default() {
    let rows = configuration_table();
    let variables: Vec<&str> = rows.iter().map(|(v, _)| v.as_str()).collect();
    let mut expected: Vec<&str> = SETTINGS.iter().map(|s| s.variable).collect();
    // Lambda's own logging controls, which the function reads as Lambda sets them.
    expected.extend(["AWS_LAMBDA_LOG_LEVEL", "AWS_LAMBDA_LOG_FORMAT"]);
    assert_eq!(variables, expected);
    for (setting, (_, default)) in SETTINGS.iter().zip(&rows) {
        let shown = match setting.default {
            "" => "empty".to_owned(),
            short if short.len() <= 40 => format!("`{short}`"),
            // Too long for a table cell: the cell points to where it is.
            _ => continue,
        };
        assert_eq!(*default, shown, "{}", setting.variable);
    }
}
