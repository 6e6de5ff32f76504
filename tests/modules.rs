//! The library's modules use only the modules below them in the map in
//! src/lib.rs, so data flows one way and no module reaches back up.

use std::fs;
use std::path::Path;

fn lib() -> String {
    fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/lib.rs")).unwrap()
}

/// The modules in the order of lib.rs's map: each may use only those after it.
fn layers() -> Vec<String> {
    lib()
        .lines()
        .filter_map(|line| line.strip_prefix("//! | `"))
        .map(|row| row.split('`').next().unwrap().to_owned())
        .collect()
}

/// The module an item re-exported at the crate root comes from, or the
/// module itself.
fn module_of(name: &str) -> Option<String> {
    let lib = lib();
    if lib.lines().any(|line| line == format!("mod {name};")) {
        return Some(name.to_owned());
    }
    lib.lines()
        .filter_map(|line| line.strip_prefix("pub use "))
        .find(|line| {
            let items = line.split_once("::").map_or("", |(_, items)| items);
            items
                .trim_matches(|c| "{};".contains(c))
                .split(", ")
                .any(|item| item.rsplit(' ').next() == Some(name))
        })
        .map(|line| line.split("::").next().unwrap().to_owned())
}

/// The `crate::` paths a module's code names (its tests and comments aside).
fn uses(module: &str) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let file = src.join(format!("{module}.rs"));
    let paths = if file.exists() {
        vec![file]
    } else {
        fs::read_dir(src.join(module))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect()
    };
    let mut used = Vec::new();
    for path in paths {
        let text = fs::read_to_string(&path).unwrap();
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap()
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for part in code.split("crate::").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            used.push(name);
        }
    }
    used
}

#[test]
fn modules_use_only_the_modules_below_them() {
    let layers = layers();
    assert!(layers.len() > 10, "the map lists the modules: {layers:?}");
    for (level, module) in layers.iter().enumerate() {
        for used in uses(module) {
            let used = module_of(&used).unwrap_or_else(|| panic!("{module} uses crate::{used}"));
            let at = layers.iter().position(|l| *l == used).unwrap();
            assert!(
                at >= level,
                "{module} uses {used}, which the map puts above it"
            );
        }
    }
}

#[test]
fn items_through_the_root_are_traced_to_their_module() {
    assert_eq!(module_of("MAX_RESPONSE_BYTES").as_deref(), Some("firehose"));
    assert_eq!(module_of("Timestamp").as_deref(), Some("time"));
    assert_eq!(module_of("write_json_str").as_deref(), Some("json"));
    assert_eq!(module_of("line").as_deref(), Some("line"));
    assert_eq!(module_of("nothing"), None);
}

#[test]
fn every_module_is_on_the_map() {
    let layers = layers();
    let lib = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/lib.rs")).unwrap();
    for line in lib.lines() {
        if let Some(module) = line.strip_prefix("mod ").and_then(|m| m.strip_suffix(';')) {
            assert!(
                layers.iter().any(|m| m == module),
                "{module} is not on the map in lib.rs"
            );
        }
    }
}
