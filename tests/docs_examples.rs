//! The documented commands give the documented output.
//!
//! In `README.md` and `docs/usage.md`, every ```` ```console ```` block whose commands are all
//! `prognosis ... --help`, and every block marked ```` ```console doctest ````, is run: each line
//! `$ prognosis ARGS` (or `$ ./target/release/prognosis ARGS`, continued over lines ending in `\`)
//! is one command, and the lines up to the next `$` line are its expected output. Commands run with
//! the binary under test, in a temporary directory holding a copy of `models/` and the repository's
//! `datasets/`, so that files they write land there. `| head -N` after a command keeps the first N
//! lines. The output compared is standard output when the command succeeds and standard error when
//! it fails (a block whose output starts with `error:` documents a failure). Normalisation, and no
//! other: trailing spaces of each line and trailing empty lines are ignored, and a line `...` in
//! the documentation ends the comparison of that command (the rest of its output is not shown).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Example {
    file: String,
    line: usize,
    words: Vec<String>,
    head: Option<usize>,
    expected: Vec<String>,
}

/// Shell words of a command line: spaces separate, '...' and "..." quote.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                any = true;
            }
            None if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            None => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn examples(file: &str) -> Vec<Example> {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let info = lines[i].trim_start();
        if !info.starts_with("```console") {
            i += 1;
            continue;
        }
        let marked = info.split_whitespace().any(|w| w == "doctest");
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && lines[end].trim_start() != "```" {
            end += 1;
        }
        // the block's commands
        let mut block = Vec::new();
        let mut k = start;
        while k < end {
            if let Some(cmd) = lines[k].strip_prefix("$ ") {
                let line_no = k + 1;
                let mut cmd = cmd.to_string();
                while cmd.ends_with('\\') && k + 1 < end {
                    cmd.pop();
                    k += 1;
                    cmd.push(' ');
                    cmd.push_str(lines[k].trim());
                }
                k += 1;
                let mut expected = Vec::new();
                while k < end && !lines[k].starts_with("$ ") {
                    expected.push(lines[k].to_string());
                    k += 1;
                }
                let (cmd, head) = match cmd.split_once(" | head -") {
                    Some((c, n)) => (c.to_string(), Some(n.trim().parse().unwrap())),
                    None => (cmd, None),
                };
                block.push(Example {
                    file: file.to_string(),
                    line: line_no,
                    words: words(&cmd),
                    head,
                    expected,
                });
            } else {
                k += 1;
            }
        }
        let is_prognosis = |e: &Example| {
            matches!(
                e.words.first().map(String::as_str),
                Some("prognosis" | "./target/release/prognosis")
            )
        };
        let all_help = !block.is_empty()
            && block
                .iter()
                .all(|e| is_prognosis(e) && e.words.last().map(String::as_str) == Some("--help"));
        if marked || all_help {
            for e in &block {
                assert!(
                    is_prognosis(e),
                    "{file}:{}: a checked block runs only prognosis",
                    e.line
                );
            }
            out.extend(block);
        }
        i = end + 1;
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

fn normalise(lines: &[String]) -> Vec<String> {
    let mut v: Vec<String> = lines.iter().map(|l| l.trim_end().to_string()).collect();
    while v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

fn check(file: &str) -> usize {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("models"), &dir.path().join("models"));
    #[cfg(unix)]
    std::os::unix::fs::symlink(root().join("datasets"), dir.path().join("datasets")).unwrap();
    let all = examples(file);
    let mut failures = Vec::new();
    for e in &all {
        let out = Command::new(env!("CARGO_BIN_EXE_prognosis"))
            .args(&e.words[1..])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let text = if out.status.success() {
            String::from_utf8_lossy(&out.stdout).into_owned()
        } else {
            String::from_utf8_lossy(&out.stderr).into_owned()
        };
        let mut got: Vec<String> = text.lines().map(String::from).collect();
        if let Some(n) = e.head {
            got.truncate(n);
        }
        let mut want = e.expected.clone();
        let shown = want.iter().position(|l| l.trim() == "...");
        if let Some(p) = shown {
            want.truncate(p);
            got.truncate(p);
        }
        let (got, want) = (normalise(&got), normalise(&want));
        if got != want {
            let first = got
                .iter()
                .zip(&want)
                .position(|(a, b)| a != b)
                .unwrap_or(got.len().min(want.len()));
            failures.push(format!(
                "{}:{}: `{}` differs from the documentation at output line {}:\n  documented: {:?}\n  program:    {:?}",
                e.file,
                e.line,
                e.words.join(" "),
                first + 1,
                want.get(first),
                got.get(first)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    all.len()
}

#[test]
fn usage_examples_are_the_programs_output() {
    let n = check("docs/usage.md");
    assert!(n >= 10, "only {n} checked examples in docs/usage.md");
}

#[test]
fn readme_examples_are_the_programs_output() {
    let n = check("README.md");
    assert!(n >= 1, "no checked example in README.md");
}

#[test]
fn every_command_is_in_the_contents_of_usage() {
    let usage = std::fs::read_to_string(root().join("docs/usage.md")).unwrap();
    let help = Command::new(env!("CARGO_BIN_EXE_prognosis"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() >= 15, "{commands:?}");
    // the contents: the list before the first section
    let contents: String = usage
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("- ["))
        .collect::<Vec<_>>()
        .join("\n");
    for c in commands {
        assert!(
            contents.contains(&format!("`{c}`")) || contents.contains(&format!("`{c} ")),
            "docs/usage.md's contents do not list `{c}`"
        );
    }
}
