//! Simulated cohorts of any size, shaped like the flagship study (seven factors, times in whole
//! months, heavy ties), for benchmarks and tests. Deterministic for a given seed.
//!
//! Two layouts: the analysis file ([`bone_mets_csv`], as `datasets/bone_mets_synthetic.csv`) and
//! a SEER*Stat case listing of the same patients ([`bone_mets_seer_csv`], as
//! `datasets/bone_mets_synthetic_seer.csv`, with SEER's column names, labels and unknowns).

use crate::stats::control::{Control, Interrupted};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write;

/// Rows made between two looks at the [`Control`] (a few milliseconds of work).
const CHUNK: usize = 1 << 16;

/// What the simulation counts in its progress and in [`Interrupted`].
pub const ROWS: &str = "rows";

/// Calls `row(i)` for `i` in `0..n`, telling `control` of each chunk of [`CHUNK`] rows done and
/// stopping between chunks when it is cancelled.
fn for_rows(
    n: usize,
    control: &Control<'_>,
    mut row: impl FnMut(usize),
) -> Result<(), Interrupted> {
    control.start(ROWS, n as u64);
    let mut i = 0;
    while i < n {
        control.check(ROWS, i as u64, n as u64)?;
        let end = (i + CHUNK).min(n);
        for k in i..end {
            row(k);
        }
        control.advance((end - i) as u64);
        i = end;
    }
    Ok(())
}

/// Log hazard ratios used for simulation: age per year, brain, liver, lung, pr, surgery, chemo.
pub const LOG_HR: [f64; 7] = [0.0199, 0.6434, 0.7348, 0.3206, -0.3285, -0.6852, -0.4780];

/// One simulated patient: age, the six 0/1 factors (brain, liver, lung, pr, surgery, chemo),
/// completed months and the event indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Patient {
    pub age: i64,
    pub factors: [bool; 6],
    pub months: i64,
    pub event: bool,
}

/// Draws the next patient from `rng` (Weibull proportional hazards, uniform censoring).
fn draw(rng: &mut ChaCha8Rng) -> Patient {
    let probs = [0.08, 0.27, 0.31, 0.52, 0.36, 0.7];
    // age ~ roughly normal(58, 13) by the sum of uniforms, clipped to 22..95
    let z: f64 = (0..12).map(|_| rng.random::<f64>()).sum::<f64>() - 6.0;
    let age = (58.0 + 13.0 * z).round().clamp(22.0, 95.0);
    let mut factors = [false; 6];
    for k in 0..6 {
        factors[k] = rng.random::<f64>() < probs[k];
    }
    let lp: f64 = LOG_HR[0] * (age - 58.0)
        + (0..6)
            .map(|k| if factors[k] { LOG_HR[k + 1] } else { 0.0 })
            .sum::<f64>();
    let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let t_event = 52.0 * (-u.ln() / lp.exp()).powf(1.0 / 1.05);
    let t_cens = rng.random::<f64>() * 107.0;
    let (t, event) = if t_event <= t_cens {
        (t_event, true)
    } else {
        (t_cens, false)
    };
    Patient {
        age: age as i64,
        factors,
        months: t.floor() as i64,
        event,
    }
}

/// The first `n` patients for `seed` (the rows of [`bone_mets_csv`]).
pub fn patients(n: usize, seed: u64) -> Vec<Patient> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| draw(&mut rng)).collect()
}

/// [`patients`], in chunks watched by `control`.
fn patients_with(n: usize, seed: u64, control: &Control<'_>) -> Result<Vec<Patient>, Interrupted> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(n);
    for_rows(n, control, |_| out.push(draw(&mut rng)))?;
    Ok(out)
}

/// A CSV text with header `age,brain,liver,lung,pr,surgery,chemo,time,status` and `n` rows drawn
/// from a Weibull proportional-hazards model with censoring, times floored to whole months.
pub fn bone_mets_csv(n: usize, seed: u64) -> String {
    bone_mets_csv_with(n, seed, &Control::default()).unwrap_or_default()
}

/// [`bone_mets_csv`], in chunks of rows watched by `control` (the same text when not stopped).
pub fn bone_mets_csv_with(
    n: usize,
    seed: u64,
    control: &Control<'_>,
) -> Result<String, Interrupted> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut s = String::with_capacity(n * 24 + 64);
    s.push_str("age,brain,liver,lung,pr,surgery,chemo,time,status\n");
    for_rows(n, control, |_| {
        let p = draw(&mut rng);
        let f = p.factors.map(i64::from);
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{}",
            p.age,
            f[0],
            f[1],
            f[2],
            f[3],
            f[4],
            f[5],
            p.months,
            i64::from(p.event)
        );
    })?;
    Ok(s)
}

/// The cause of each of `patients`: 1 for an event of the simulation (cancer death), else 2 (a
/// death from another cause, at the same month) with probability 0.65 from a stream seeded by
/// `seed`, else 0 (censored): about 30% of rows end with a competing event.
pub fn competing_causes(patients: &[Patient], seed: u64) -> Vec<u32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    patients
        .iter()
        .map(|p| {
            if p.event {
                1
            } else if rng.random::<f64>() < 0.65 {
                2
            } else {
                0
            }
        })
        .collect()
}

/// The patients of [`patients`]`(n, seed)` with a competing cause ([`competing_causes`] seeded
/// 7): a CSV text with header `age,brain,liver,lung,pr,surgery,chemo,time,cause`.
pub fn bone_mets_competing_csv(n: usize, seed: u64) -> String {
    bone_mets_competing_csv_with(n, seed, &Control::default()).unwrap_or_default()
}

/// [`bone_mets_competing_csv`], the patients drawn in chunks watched by `control`.
pub fn bone_mets_competing_csv_with(
    n: usize,
    seed: u64,
    control: &Control<'_>,
) -> Result<String, Interrupted> {
    let pts = patients_with(n, seed, control)?;
    let causes = competing_causes(&pts, 7);
    let mut s = String::with_capacity(n * 24 + 64);
    s.push_str("age,brain,liver,lung,pr,surgery,chemo,time,cause\n");
    for (p, c) in pts.iter().zip(causes) {
        let f = p.factors.map(i64::from);
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{c}",
            p.age, f[0], f[1], f[2], f[3], f[4], f[5], p.months
        );
    }
    Ok(s)
}

/// Column names of the SEER*Stat case listing (as `datasets/bone_mets_synthetic_seer.csv`).
pub const SEER_COLUMNS: [&str; 16] = [
    "Patient ID",
    "Age recode with single ages and 85+",
    "Sex",
    "Year of diagnosis",
    "Breast Subtype (2010+)",
    "ER Status Recode Breast Cancer (1990+)",
    "PR Status Recode Breast Cancer (1990+)",
    "SEER Combined Mets at DX-bone (2010+)",
    "SEER Combined Mets at DX-brain (2010+)",
    "SEER Combined Mets at DX-liver (2010+)",
    "SEER Combined Mets at DX-lung (2010+)",
    "RX Summ--Surg Prim Site (1998+)",
    "Chemotherapy recode (yes, no/unk)",
    "SEER cause-specific death classification",
    "Survival months",
    "Vital status recode (study cutoff used)",
];

/// The patients of [`bone_mets_csv`] (same `n`, same `seed`, same order) written as a SEER*Stat
/// case listing with the labels of `datasets/bone_mets_synthetic_seer.csv`: `Patient ID` is
/// 100000 + row index; ages of 85 and over read `85+ years`; surgery is a site code (0, or one of
/// 20, 22, 41, 51, 61, 76). Unknowns are blanked as in that file, from a second random stream:
/// brain, liver, lung `Unknown` 2% each, PR `Borderline/Unknown` 2%, surgery `99` 1%, cause of
/// death `Dead (missing/unknown COD)` 0.5%, survival months `Unknown` 0.3%. Censored patients are
/// recorded as dead of another cause with probability 0.08. Every field is quoted.
pub fn bone_mets_seer_csv(n: usize, seed: u64) -> String {
    bone_mets_seer_csv_with(n, seed, &Control::default()).unwrap_or_default()
}

/// [`bone_mets_seer_csv`], in chunks of rows watched by `control` (the same text when not
/// stopped).
pub fn bone_mets_seer_csv_with(
    n: usize,
    seed: u64,
    control: &Control<'_>,
) -> Result<String, Interrupted> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut blank = ChaCha8Rng::seed_from_u64(seed ^ 0x5EE5_0000_2021);
    let mut s = String::with_capacity(n * 260 + 600);
    let header: Vec<String> = SEER_COLUMNS.iter().map(|c| format!("\"{c}\"")).collect();
    s.push_str(&header.join(","));
    s.push('\n');
    let yn = |b: bool, r: &mut ChaCha8Rng| {
        if r.random::<f64>() < 0.02 {
            "Unknown"
        } else if b {
            "Yes"
        } else {
            "No"
        }
    };
    const SITES: [u32; 6] = [20, 22, 41, 51, 61, 76];
    for_rows(n, control, |i| {
        let p = draw(&mut rng);
        let [brain, liver, lung, pr, surgery, chemo] = p.factors;
        let r = &mut blank;
        let pr_s = if r.random::<f64>() < 0.02 {
            "Borderline/Unknown"
        } else if pr {
            "Positive"
        } else {
            "Negative"
        };
        let er = if r.random::<f64>() < 0.6 {
            "Positive"
        } else {
            "Negative"
        };
        let subtype = if er == "Positive" || pr_s == "Positive" {
            "HR+/HER2+"
        } else {
            "HR-/HER2+"
        };
        let site = SITES[r.random_range(0..SITES.len())];
        let surg = if r.random::<f64>() < 0.01 {
            99
        } else if surgery {
            site
        } else {
            0
        };
        let (mut css, mut vital) = if p.event {
            ("Dead (attributable to this cancer dx)", "Dead")
        } else if r.random::<f64>() < 0.08 {
            ("Alive or dead of other cause", "Dead")
        } else {
            ("Alive or dead of other cause", "Alive")
        };
        if r.random::<f64>() < 0.005 {
            css = "Dead (missing/unknown COD)";
            vital = "Dead";
        }
        let year = 2010 + r.random_range(0..6u32);
        let brain_s = yn(brain, r);
        let liver_s = yn(liver, r);
        let lung_s = yn(lung, r);
        let unknown_months = r.random::<f64>() < 0.003;
        let _ = write!(s, "\"{}\",", 100_000 + i);
        if p.age >= 85 {
            s.push_str("\"85+ years\",");
        } else {
            let _ = write!(s, "\"{} years\",", p.age);
        }
        let _ = write!(
            s,
            "\"Female\",\"{year}\",\"{subtype}\",\"{er}\",\"{pr_s}\",\"Yes\",\"{brain_s}\",\"{liver_s}\",\"{lung_s}\",\"{surg}\",\"{}\",\"{css}\",",
            if chemo { "Yes" } else { "No/Unknown" }
        );
        if unknown_months {
            s.push_str("\"Unknown\"");
        } else {
            let _ = write!(s, "\"{:04}\"", p.months);
        }
        let _ = writeln!(s, ",\"{vital}\"");
    })?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn competing_cohort_is_the_analysis_cohort_with_a_cause() {
        let a = bone_mets_csv(2000, 11);
        let c = bone_mets_competing_csv(2000, 11);
        assert!(c.starts_with("age,brain,liver,lung,pr,surgery,chemo,time,cause\n"));
        let (mut competing, mut censored) = (0, 0);
        for (x, y) in a.lines().zip(c.lines()).skip(1) {
            let (xs, status) = x.rsplit_once(',').unwrap();
            let (ys, cause) = y.rsplit_once(',').unwrap();
            assert_eq!(xs, ys);
            match (status, cause) {
                ("1", "1") => {}
                ("0", "2") => competing += 1,
                ("0", "0") => censored += 1,
                other => panic!("status and cause {other:?}"),
            }
        }
        let share = competing as f64 / (competing + censored) as f64;
        assert!((share - 0.65).abs() < 0.05, "{share}");
    }

    #[test]
    fn deterministic_and_well_formed() {
        let a = bone_mets_csv(200, 7);
        assert_eq!(a, bone_mets_csv(200, 7));
        assert_ne!(a, bone_mets_csv(200, 8));
        assert_eq!(a.lines().count(), 201);
        assert!(a.lines().skip(1).all(|l| l.split(',').count() == 9));
    }

    #[test]
    fn seer_listing_has_the_same_patients() {
        let s = bone_mets_seer_csv(300, 7);
        assert_eq!(s, bone_mets_seer_csv(300, 7));
        let mut r = csv::Reader::from_reader(s.as_bytes());
        assert_eq!(r.headers().unwrap().len(), SEER_COLUMNS.len());
        let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
        assert_eq!(rows.len(), 300);
        for (i, (row, p)) in rows.iter().zip(patients(300, 7)).enumerate() {
            assert_eq!(row[0], (100_000 + i).to_string());
            if p.age < 85 {
                assert_eq!(row[1], format!("{} years", p.age));
            } else {
                assert_eq!(&row[1], "85+ years");
            }
            if &row[14] != "Unknown" {
                assert_eq!(row[14].parse::<i64>().unwrap(), p.months);
            }
            if &row[8] != "Unknown" {
                assert_eq!(&row[8] == "Yes", p.factors[0]);
            }
        }
    }
}
