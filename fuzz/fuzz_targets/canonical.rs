//! The canonical importer, whatever bytes arrive: see together_formats::fuzz.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    together_formats::fuzz::check("canonical", data);
});
