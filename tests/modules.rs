//! The library's modules use only the modules after them in the maps: the
//! stages in src/lib.rs's, and in each folder the files in its mod.rs's.
//! So data flows one way, no module reaches back up, and no file reaches
//! into its own folder's mod.rs.

use std::fs;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// A module's path from the crate root, as the module tree has it.
type Module = Vec<String>;

/// The file of `module`: `a/b.rs`, or `a/b/mod.rs` for a folder.
fn file_of(module: &[String]) -> Option<PathBuf> {
    let path = src().join(module.join("/"));
    let file = path.with_extension("rs");
    let folder = path.join("mod.rs");
    if module.is_empty() {
        Some(src().join("lib.rs"))
    } else if file.exists() {
        Some(file)
    } else if folder.exists() {
        Some(folder)
    } else {
        None
    }
}

/// The map in `module`'s doc comment: the names in its table's first
/// column, in order.
fn map(module: &[String]) -> Vec<String> {
    let text = fs::read_to_string(file_of(module).unwrap()).unwrap();
    text.lines()
        .filter_map(|line| line.strip_prefix("//! | `"))
        .map(|row| row.split('`').next().unwrap().to_owned())
        .collect()
}

/// The modules `module` declares (`mod x;`, of any visibility).
fn declared(module: &[String]) -> Vec<String> {
    let text = fs::read_to_string(file_of(module).unwrap()).unwrap();
    text.lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line = line.strip_prefix("pub(crate) ").unwrap_or(line);
            line.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_owned)
        })
        .collect()
}

/// Every module of the crate, the root aside.
fn modules() -> Vec<Module> {
    fn walk(module: Module, out: &mut Vec<Module>) {
        for child in declared(&module) {
            let mut path = module.clone();
            path.push(child);
            out.push(path.clone());
            walk(path, out);
        }
    }
    let mut out = Vec::new();
    walk(Vec::new(), &mut out);
    out
}

/// The module paths `module`'s code names (its tests and comments aside),
/// `crate::` and `super::` alike, from the crate root.
fn uses(module: &[String]) -> Vec<Module> {
    let text = fs::read_to_string(file_of(module).unwrap()).unwrap();
    let code: String = text
        .split("#[cfg(test)]")
        .next()
        .unwrap()
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let is_folder = file_of(module).unwrap().ends_with("mod.rs");
    // `super::` is the folder a file is in; a folder's mod.rs is its
    // folder's own module, so its `super::` is the folder above.
    let parent: Module = match is_folder {
        true => module[..module.len().saturating_sub(1)].to_vec(),
        false => module[..module.len() - 1].to_vec(),
    };
    let mut used = Vec::new();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent)] {
        for part in code.split(prefix).skip(1) {
            let path: Vec<String> = part
                .split("::")
                .map(|s| {
                    s.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect::<String>()
                })
                .take_while(|s| !s.is_empty())
                .collect();
            let mut full = base.clone();
            full.extend(path);
            used.push(full);
        }
    }
    used
}

/// Why `user` may not use `used`, if it may not: where their paths part,
/// both must be on that folder's map, and `used` not before `user`.
fn refused(user: &[String], used: &[String]) -> Option<String> {
    let common = user.iter().zip(used).take_while(|(a, b)| a == b).count();
    if common == user.len() {
        // A module's own children, or itself.
        return None;
    }
    let folder = &user[..common];
    let map = map(folder);
    let place = |name: &String| map.iter().position(|entry| entry == name);
    let shown = |path: &[String]| path.join("::");
    let Some(at) = place(&user[common]) else {
        return Some(format!(
            "{} is not on the map of {:?}",
            shown(user),
            shown(folder)
        ));
    };
    let Some(used_at) = used.get(common).and_then(place) else {
        return Some(format!(
            "{} uses {}, which is not a module on the map of {:?}: it reaches into its folder's own items",
            shown(user),
            shown(used),
            shown(folder)
        ));
    };
    (used_at < at).then(|| {
        format!(
            "{} uses {}, which the map of {:?} puts above it",
            shown(user),
            shown(used),
            shown(folder)
        )
    })
}

#[test]
fn modules_use_only_the_modules_after_them() {
    let modules = modules();
    assert!(modules.len() > 25, "{modules:?}");
    let mut wrong = Vec::new();
    for module in &modules {
        for used in uses(module) {
            if let Some(why) = refused(module, &used) {
                wrong.push(why);
            }
        }
    }
    wrong.dedup();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn every_folder_maps_exactly_the_modules_it_declares() {
    let mut folders = vec![Vec::new()];
    folders.extend(
        modules()
            .into_iter()
            .filter(|m| file_of(m).unwrap().ends_with("mod.rs")),
    );
    for folder in folders {
        let mut map = map(&folder);
        let mut declared = declared(&folder);
        map.sort();
        declared.sort();
        assert_eq!(map, declared, "the map of {folder:?}");
    }
}

#[test]
fn the_rules_refuse_what_reaches_back_up() {
    let path = |text: &str| -> Module { text.split("::").map(str::to_owned).collect() };
    // Down the stages and down a folder's files: allowed.
    assert_eq!(refused(&path("convert"), &path("write::json")), None);
    assert_eq!(
        refused(&path("firehose::event"), &path("firehose::scan")),
        None
    );
    assert_eq!(refused(&path("firehose"), &path("firehose::budget")), None);
    // Up the stages, up a folder, into a folder's own items: refused.
    assert!(refused(&path("parse::line"), &path("convert::partition")).is_some());
    assert!(refused(&path("firehose::scan"), &path("firehose::event")).is_some());
    let inward = refused(&path("firehose::budget"), &path("firehose::transform"));
    assert!(
        inward
            .unwrap()
            .contains("reaches into its folder's own items")
    );
}
