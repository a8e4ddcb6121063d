//! Every committed fuzz input, the seed corpus (`fuzz/corpus/TARGET/`) and the inputs that once
//! crashed a target (`fuzz/regressions/TARGET/`), through the same entry functions the fuzz
//! targets call (`prognosis::fuzzing`), under stable `cargo test`: none may panic.

use std::path::PathBuf;

fn inputs(folder: &str, target: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(folder)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

#[test]
fn every_corpus_and_crash_input_runs_without_panic() {
    let mut failed = Vec::new();
    for target in prognosis::fuzzing::TARGETS {
        let corpus = inputs("corpus", target);
        assert!(!corpus.is_empty(), "no corpus for fuzz target {target}");
        for file in corpus.iter().chain(&inputs("regressions", target)) {
            let bytes = std::fs::read(file).unwrap();
            let result = std::panic::catch_unwind(|| prognosis::fuzzing::run(target, &bytes));
            if result.is_err() {
                failed.push(format!("{target}: {}", file.display()));
            }
        }
    }
    assert!(
        failed.is_empty(),
        "inputs that panic:\n{}",
        failed.join("\n")
    );
}
