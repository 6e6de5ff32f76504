//! What the benchmarks run on, made in one place: the realistic batches
//! (`batch`), which the criterion benchmark and `bench/make-event` both
//! use; the zero-waste identity the handler is measured against; and the
//! stages of the handler's work, one at a time.

mod batch;
mod identity;
mod stages;

pub use batch::{Batch, EVENT_SIZES, batch, lines};
pub use identity::{Event, Record, zero_waste_identity};
pub use stages::{Stage, Stages};
