//! `application/x-www-form-urlencoded` pairs from any [`Serialize`] value:
//! what [`RequestBuilder::query`](crate::RequestBuilder::query) and
//! [`RequestBuilder::form`](crate::RequestBuilder::form) take.
//!
//! A form is a flat list of `name=value` pairs, so only values of that
//! shape serialize. The rules are the ones reqwest users know from
//! serde_urlencoded:
//!
//! - the whole value is a struct, a map (`HashMap`, `BTreeMap`), or a
//!   sequence or tuple of pairs (`&[("limit", 10)]`, `Vec<(String,
//!   String)>`); `()`, a unit struct and `None` give no pairs, `Some(v)` is
//!   `v`, and a newtype struct is the value it wraps;
//! - each value is a scalar: a string, a number, a bool, a char, a unit
//!   enum variant (its name) or a unit struct (its name), possibly inside
//!   newtype structs. `None` skips the pair; `Some(v)` is `v`;
//! - a map key is a scalar too (a string, usually), but never an `Option`;
//! - anything else (a nested sequence, map or struct as a value, `()`, a
//!   newtype or struct variant) is an error: a form cannot say it.
//!
//! Floats are written as Rust's `{:?}` writes them (`1.0`, `0.5`,
//! `1e21`, `NaN`), which is how serde_urlencoded writes them too.
//!
//! The serializer never builds an intermediate list: each pair goes
//! straight to a sink (`Url::append_query_pair`, or the form body), and
//! text that is already a `&str` is never copied before it is encoded.

use serde_core::ser::{self, Impossible, Serialize};
use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// Why a value could not be written as form pairs.
#[derive(Debug)]
pub(crate) struct UrlencodedError(Cow<'static, str>);

impl fmt::Display for UrlencodedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UrlencodedError {}

impl ser::Error for UrlencodedError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        UrlencodedError(Cow::Owned(msg.to_string()))
    }
}

impl UrlencodedError {
    fn top_level() -> Self {
        UrlencodedError(Cow::Borrowed(
            "a form or query must be a struct, a map, or a sequence of pairs",
        ))
    }

    fn not_a_pair() -> Self {
        UrlencodedError(Cow::Borrowed(
            "each item of a form or query sequence must be a (name, value) pair",
        ))
    }

    fn nested(key: &str, what: &str) -> Self {
        UrlencodedError(Cow::Owned(format!(
            "form or query value `{key}` is {what}: only strings, numbers, bools, chars and unit variants fit"
        )))
    }

    fn bad_key(what: &str) -> Self {
        UrlencodedError(Cow::Owned(format!(
            "a form or query name must be a string or a scalar, not {what}"
        )))
    }
}

type Result<T> = std::result::Result<T, UrlencodedError>;

/// Hands each `(name, value)` pair of `value` to `out`, unencoded, in
/// order. On an error, the pairs before it have been handed over already.
pub(crate) fn for_each_pair<T: Serialize + ?Sized>(
    value: &T,
    out: &mut dyn FnMut(&str, &str),
) -> Result<()> {
    value.serialize(&mut Pairs {
        out,
        key: String::new(),
        scratch: String::new(),
    })
}

/// `value` as an `application/x-www-form-urlencoded` body.
pub(crate) fn to_form<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let mut body = String::new();
    for_each_pair(value, &mut |k, v| {
        if !body.is_empty() {
            body.push('&');
        }
        crate::url::form_urlencode_into(&mut body, k);
        body.push('=');
        crate::url::form_urlencode_into(&mut body, v);
    })?;
    Ok(body)
}

/// The top level: a struct, a map, or a sequence of pairs.
struct Pairs<'o> {
    out: &'o mut dyn FnMut(&str, &str),
    /// The current map key or pair name, written out as text.
    key: String,
    /// Where numbers are written before they are handed over; reused.
    scratch: String,
}

impl Pairs<'_> {
    /// The serializer for the value of the pair named `self.key`.
    fn value_for_key(&mut self) -> Part<'_> {
        Part::Value {
            key: &self.key,
            out: &mut *self.out,
            scratch: &mut self.scratch,
        }
    }
}

/// One scalar: a pair's value, handed to the sink with its name, or a
/// name, written as text into a buffer.
enum Part<'a> {
    Value {
        key: &'a str,
        out: &'a mut dyn FnMut(&str, &str),
        scratch: &'a mut String,
    },
    Key(&'a mut String),
}

impl Part<'_> {
    fn text(self, s: &str) -> Result<()> {
        match self {
            Part::Value { key, out, .. } => out(key, s),
            Part::Key(buf) => buf.push_str(s),
        }
        Ok(())
    }

    fn display(self, v: impl fmt::Display) -> Result<()> {
        match self {
            Part::Value { key, out, scratch } => {
                scratch.clear();
                // Writing into a String cannot fail.
                let _ = write!(scratch, "{v}");
                out(key, scratch);
            }
            Part::Key(buf) => {
                let _ = write!(buf, "{v}");
            }
        }
        Ok(())
    }

    fn float(self, v: impl fmt::Debug) -> Result<()> {
        // `{:?}` keeps the `.0` of a whole float and switches to an
        // exponent for very large or small ones, as serde_urlencoded does.
        struct Float<F>(F);
        impl<F: fmt::Debug> fmt::Display for Float<F> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", self.0)
            }
        }
        self.display(Float(v))
    }

    /// The error for a value of a shape a form cannot carry.
    fn unsupported(self, what: &str) -> UrlencodedError {
        match self {
            Part::Value { key, .. } => UrlencodedError::nested(key, what),
            Part::Key(_) => UrlencodedError::bad_key(what),
        }
    }
}

impl ser::Serializer for Part<'_> {
    type Ok = ();
    type Error = UrlencodedError;
    type SerializeSeq = Impossible<(), UrlencodedError>;
    type SerializeTuple = Impossible<(), UrlencodedError>;
    type SerializeTupleStruct = Impossible<(), UrlencodedError>;
    type SerializeTupleVariant = Impossible<(), UrlencodedError>;
    type SerializeMap = Impossible<(), UrlencodedError>;
    type SerializeStruct = Impossible<(), UrlencodedError>;
    type SerializeStructVariant = Impossible<(), UrlencodedError>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.text(if v { "true" } else { "false" })
    }
    fn serialize_i8(self, v: i8) -> Result<()> {
        self.display(v)
    }
    fn serialize_i16(self, v: i16) -> Result<()> {
        self.display(v)
    }
    fn serialize_i32(self, v: i32) -> Result<()> {
        self.display(v)
    }
    fn serialize_i64(self, v: i64) -> Result<()> {
        self.display(v)
    }
    fn serialize_i128(self, v: i128) -> Result<()> {
        self.display(v)
    }
    fn serialize_u8(self, v: u8) -> Result<()> {
        self.display(v)
    }
    fn serialize_u16(self, v: u16) -> Result<()> {
        self.display(v)
    }
    fn serialize_u32(self, v: u32) -> Result<()> {
        self.display(v)
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        self.display(v)
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        self.display(v)
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        self.float(v)
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        self.float(v)
    }
    fn serialize_char(self, v: char) -> Result<()> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        self.text(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        match std::str::from_utf8(v) {
            Ok(s) => self.text(s),
            Err(_) => Err(self.unsupported("bytes that are not UTF-8")),
        }
    }
    fn serialize_none(self) -> Result<()> {
        match self {
            // An absent value: the pair is left out.
            Part::Value { .. } => Ok(()),
            Part::Key(_) => Err(UrlencodedError::bad_key("an Option")),
        }
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        match self {
            Part::Value { .. } => value.serialize(self),
            Part::Key(_) => Err(UrlencodedError::bad_key("an Option")),
        }
    }
    fn serialize_unit(self) -> Result<()> {
        Err(self.unsupported("()"))
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<()> {
        self.text(name)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<()> {
        Err(self.unsupported("an enum variant with data"))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(self.unsupported("a sequence"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(self.unsupported("a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(self.unsupported("a tuple struct"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(self.unsupported("an enum variant with data"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(self.unsupported("a map"))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(self.unsupported("a struct"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(self.unsupported("an enum variant with data"))
    }
}

/// The methods of a serializer that refuses every scalar, every enum
/// variant with data and every tuple struct with `$err`.
macro_rules! refuse_scalars_and_variants {
    ($err:expr) => {
        fn serialize_bool(self, _: bool) -> Result<()> {
            Err($err)
        }
        fn serialize_i8(self, _: i8) -> Result<()> {
            Err($err)
        }
        fn serialize_i16(self, _: i16) -> Result<()> {
            Err($err)
        }
        fn serialize_i32(self, _: i32) -> Result<()> {
            Err($err)
        }
        fn serialize_i64(self, _: i64) -> Result<()> {
            Err($err)
        }
        fn serialize_u8(self, _: u8) -> Result<()> {
            Err($err)
        }
        fn serialize_u16(self, _: u16) -> Result<()> {
            Err($err)
        }
        fn serialize_u32(self, _: u32) -> Result<()> {
            Err($err)
        }
        fn serialize_u64(self, _: u64) -> Result<()> {
            Err($err)
        }
        fn serialize_f32(self, _: f32) -> Result<()> {
            Err($err)
        }
        fn serialize_f64(self, _: f64) -> Result<()> {
            Err($err)
        }
        fn serialize_char(self, _: char) -> Result<()> {
            Err($err)
        }
        fn serialize_str(self, _: &str) -> Result<()> {
            Err($err)
        }
        fn serialize_bytes(self, _: &[u8]) -> Result<()> {
            Err($err)
        }
        fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<()> {
            Err($err)
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<()> {
            Err($err)
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct> {
            Err($err)
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant> {
            Err($err)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant> {
            Err($err)
        }
    };
}

impl ser::Serializer for &mut Pairs<'_> {
    type Ok = ();
    type Error = UrlencodedError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Impossible<(), UrlencodedError>;
    type SerializeTupleVariant = Impossible<(), UrlencodedError>;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), UrlencodedError>;

    refuse_scalars_and_variants!(UrlencodedError::top_level());

    fn serialize_none(self) -> Result<()> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self> {
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self> {
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self> {
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self> {
        Ok(self)
    }
}

impl ser::SerializeStruct for &mut Pairs<'_> {
    type Ok = ();
    type Error = UrlencodedError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(Part::Value {
            key: name,
            out: &mut *self.out,
            scratch: &mut self.scratch,
        })
    }
    fn end(self) -> Result<()> {
        Ok(())
    }
}

impl ser::SerializeMap for &mut Pairs<'_> {
    type Ok = ();
    type Error = UrlencodedError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.key.clear();
        key.serialize(Part::Key(&mut self.key))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        value.serialize(self.value_for_key())
    }
    fn end(self) -> Result<()> {
        Ok(())
    }
}

impl ser::SerializeSeq for &mut Pairs<'_> {
    type Ok = ();
    type Error = UrlencodedError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, pair: &T) -> Result<()> {
        pair.serialize(Pair {
            pairs: self,
            seen: 0,
        })
    }
    fn end(self) -> Result<()> {
        Ok(())
    }
}

impl ser::SerializeTuple for &mut Pairs<'_> {
    type Ok = ();
    type Error = UrlencodedError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, pair: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(self, pair)
    }
    fn end(self) -> Result<()> {
        Ok(())
    }
}

/// One item of a sequence of pairs: a tuple of exactly two, name first.
struct Pair<'p, 'o> {
    pairs: &'p mut Pairs<'o>,
    /// Elements serialized so far (0, 1 or 2).
    seen: u8,
}

impl ser::SerializeTuple for Pair<'_, '_> {
    type Ok = ();
    type Error = UrlencodedError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, element: &T) -> Result<()> {
        self.seen += 1;
        match self.seen {
            1 => {
                self.pairs.key.clear();
                element.serialize(Part::Key(&mut self.pairs.key))
            }
            2 => element.serialize(self.pairs.value_for_key()),
            _ => Err(UrlencodedError::not_a_pair()),
        }
    }
    fn end(self) -> Result<()> {
        Ok(())
    }
}

impl ser::Serializer for Pair<'_, '_> {
    type Ok = ();
    type Error = UrlencodedError;
    type SerializeSeq = Impossible<(), UrlencodedError>;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Impossible<(), UrlencodedError>;
    type SerializeTupleVariant = Impossible<(), UrlencodedError>;
    type SerializeMap = Impossible<(), UrlencodedError>;
    type SerializeStruct = Impossible<(), UrlencodedError>;
    type SerializeStructVariant = Impossible<(), UrlencodedError>;

    fn serialize_tuple(self, len: usize) -> Result<Self> {
        if len == 2 {
            Ok(self)
        } else {
            Err(UrlencodedError::not_a_pair())
        }
    }
    // An absent pair is left out, as an absent value is.
    fn serialize_none(self) -> Result<()> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }

    refuse_scalars_and_variants!(UrlencodedError::not_a_pair());

    fn serialize_unit(self) -> Result<()> {
        Err(UrlencodedError::not_a_pair())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        Err(UrlencodedError::not_a_pair())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(UrlencodedError::not_a_pair())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(UrlencodedError::not_a_pair())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(UrlencodedError::not_a_pair())
    }
}

#[cfg(test)]
mod tests;
