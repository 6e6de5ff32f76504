//! The fuzz targets' checks: what the crate does with a line, a record or a
//! whole batch, held to the rules of README.md ("Conversion rules", "What
//! happens to bad input") as `ltsv-oracle` (`tests/oracle`) writes them,
//! apart from the crate's own code.
//!
//! Each `check_*` function panics, with a message that says which rule was
//! broken, when the crate's result does not follow the rules.
//!
//! A module uses only the modules after it in this map, so that each check
//! builds on the smaller ones:
//!
//! | module | concern |
//! |---|---|
//! | `batch` | batches made from fuzz input, sent as Firehose events: [`batch_from_input`], [`check_batch`] |
//! | `response` | a transformation's response and summary held to the rules: [`check_response`] |
//! | `room` | the response's size: the room failed entries take, the all-failed response |
//! | `records` | what each record of a request must come back as: [`InputRecord`] |
//! | `line` | lines and fields, and the crate's errors in the oracle's terms: [`check_line`], [`check_parser`] |
//! | `settings` | settings picked by two input bytes: [`settings_from_bytes`] |
//! | `redact` | what `LTSV_REDACT`'s rules make of the objects the rules expect |

mod batch;
mod line;
mod records;
mod redact;
mod response;
mod room;
mod settings;

pub use batch::{batch_from_input, check_batch};
pub use line::{check_line, check_parser};
pub use records::InputRecord;
pub use redact::Redact;
pub use response::check_response;
pub use settings::{Picked, settings_from_bytes};
