//! What a field's value means: its type, its escapes, a request line's
//! parts, a time.
//!
//! | module | concern |
//! |---|---|
//! | `typed` | typed values written as JSON, common cases without parsing |
//! | `request` | request lines split into method, path, query, protocol |
//! | `types` | the types values are written as; integers, floats, booleans read |
//! | `redact` | addresses truncated, secrets replaced, keyed pseudonyms |
//! | `escapes` | web-server and JSON escapes decoded |
//! | `time` | timestamps and zero-padded numbers |

pub(crate) mod escapes;
pub(crate) mod redact;
pub(crate) mod request;
pub(crate) mod time;
pub(crate) mod typed;
pub(crate) mod types;
