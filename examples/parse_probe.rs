//! Times the CSV reader on a file: `cargo run --release --example parse_probe FILE`.
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).expect("a CSV file");
    let cols = [
        "age", "brain", "liver", "lung", "pr", "surgery", "chemo", "time", "status",
    ];
    let opts = prognosis::data::csv::ReadOptions::default();
    for _ in 0..5 {
        let t = Instant::now();
        let tab =
            prognosis::data::csv::read_csv(std::path::Path::new(&path), &cols, &opts).unwrap();
        println!("read_csv {:?} ({} rows)", t.elapsed(), tab.n_rows());
    }
}
