#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| prognosis::fuzzing::csv_cohort(data));
