#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| prognosis::fuzzing::study_spec(data));
