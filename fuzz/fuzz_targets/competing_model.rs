#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| prognosis::fuzzing::competing_model(data));
