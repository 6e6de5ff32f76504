//! A parsed line written as one JSON object.
//!
//! | module | concern |
//! |---|---|
//! | `object` | a line as a JSON object: types, nulls, request parts |
//! | `labels` | what the settings say of a label: type, declared |
//! | `json` | JSON strings that stay valid whatever bytes a log holds |

pub(crate) mod json;
pub(crate) mod labels;
pub(crate) mod object;
