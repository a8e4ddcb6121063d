use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let t = Instant::now();
    let bytes = std::fs::read(&path).unwrap();
    println!("read file {:?}", t.elapsed());
    let t = Instant::now();
    use sha2::{Digest, Sha256};
    let h = format!("{:x}", Sha256::digest(&bytes));
    println!("sha {:?} {}", t.elapsed(), &h[..8]);
    for trim in [true, false] {
        let t = Instant::now();
        let mut rdr = csv::ReaderBuilder::new()
            .trim(if trim {
                csv::Trim::All
            } else {
                csv::Trim::None
            })
            .from_reader(&bytes[..]);
        let mut rec = csv::ByteRecord::new();
        let mut n = 0usize;
        while rdr.read_byte_record(&mut rec).unwrap() {
            n += rec.len();
        }
        println!("csv trim={trim} {:?} {n}", t.elapsed());
    }
    let t = Instant::now();
    let opts = prognosis::data::ReadOptions::default();
    let tab = prognosis::data::read_csv_bytes(
        &bytes,
        "x",
        &[
            "age", "brain", "liver", "lung", "pr", "surgery", "chemo", "time", "status",
        ],
        &opts,
    )
    .unwrap();
    println!("read_csv_bytes {:?} {}", t.elapsed(), tab.n_rows());
}
