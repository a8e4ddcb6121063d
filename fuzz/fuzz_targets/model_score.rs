#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| prognosis::fuzzing::model_score(data));
