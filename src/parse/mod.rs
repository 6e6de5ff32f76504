//! Lines and fields: LTSV split without allocating, and each line parsed
//! once, with its repeated labels resolved.
//!
//! | module | concern |
//! |---|---|
//! | `line` | a line parsed once: repeated labels resolved |
//! | `shape` | the labels lines keep repeating, checked rather than found |
//! | `ltsv` | lines and fields, without allocating |
//! | `words` | bytes found eight at a time, in a machine word |

pub(crate) mod line;
pub(crate) mod ltsv;
pub(crate) mod shape;
pub(crate) mod words;
