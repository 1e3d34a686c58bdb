//! Parsing amounts people type: pounds into pence, person-days into hundredths. The rules live in
//! `proto::text` so that every door (API forms, CLI, CSV) reads an amount the same way.

pub use proto::text::{format_hundredths, parse_hundredths};
