//! The conversion rules of README.md ("Conversion rules", "What happens to
//! bad input"), written apart from the product's code, as the oracle the
//! property tests (`tests/properties.rs`) and the fuzz targets (`fuzz/`)
//! hold the product to.
//!
//! Its rules do not depend on `firehose-ltsv`: they have their own
//! description of the settings, [`Settings`], onto which feature `product`'s
//! `product::settings` maps the product's `Config` (the types a log format gives and `LTSV_TYPES` overrides, the labels the
//! format declares, the unescaping mode), and its own calendar (chrono's).
//! Given settings and bytes, it says what a line ([`expect_line`]) or a
//! record ([`expect_record`]) must become, and [`check_object`] holds a
//! written JSON line to the expected members. Of a line with labels that
//! differ only in case, the product may name any pair [`folded_labels`]
//! lists; lines with labels the format does not declare are counted by
//! [`first_undeclared`].
//!
//! ```
//! use ltsv_oracle::{LineExpectation, Settings, expect_line};
//! use serde_json::Value;
//!
//! let line = b"time:[28/Jun/2021:17:22:48 +0900]\tstatus:200\tsize:-";
//! assert_eq!(
//!     expect_line(&Settings::default(), line),
//!     LineExpectation::Object(vec![
//!         ("time".to_owned(), Value::from("2021-06-28 08:22:48")),
//!         ("status".to_owned(), Value::from(200)),
//!         ("size".to_owned(), Value::Null),
//!     ])
//! );
//! ```

mod json;
mod line;
mod ltsv;
#[cfg(feature = "product")]
pub mod product;
mod record;
mod settings;
mod text;
mod time;
mod value;

pub use json::{Members, check_object};
pub use line::{
    LineExpectation, Object, expect_line, first_undeclared, folded_labels, one_column,
    split_request,
};
pub use ltsv::{Field, Problem, Rejection, distinct, is_label_byte, line_fields, record_lines};
pub use record::{RecordExpectation, expect_keys, expect_record, keys_json, safe_key_value};
pub use settings::{DropRule, Key, OnTypeError, Settings, Type, Unescape};
pub use text::{as_text, shown_label, string_value, unescape, unescape_json};
pub use time::Time;
pub use value::expect_value;
