//! Canonical JSON (RFC 8785) and SHA-256: how records and inputs are hashed.
//!
//! A record's hash is computed from its JSON *value*, not from the struct, so that a
//! verifier (or an auditor with no Ward code) gets the same bytes from the stored text.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde::Serialize;
use serde::ser;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::LedgerError;

/// The RFC 8785 canonical form of a JSON value.
///
/// Written here rather than taken whole from `serde_json_canonicalizer`: that crate
/// is correct but builds a sorted set of UTF-16 keys per object and took half of
/// each append (`cargo bench -p ward-ledger --bench tree`, perf). Records hold
/// strings, integers and objects; those are serialised here (keys sorted by UTF-16
/// code units, strings with serde_json's escaping, which is RFC 8785's), and any
/// number that is not an integer of at most 2^53 goes to the crate, whose
/// ECMAScript number formatting is the hard part. A proptest checks the two agree.
pub fn canonical(value: &Value) -> Result<String, LedgerError> {
    let mut out = String::with_capacity(1024);
    canonical_into(value, &mut out)?;
    Ok(out)
}

/// [`canonical`], appended to `out`: `verify` reuses one buffer for every record.
pub fn canonical_into(value: &Value, out: &mut String) -> Result<(), LedgerError> {
    write_canonical(value, out)
}

/// The largest integer a JSON number keeps exactly as an IEEE double.
const MAX_EXACT_INTEGER: u64 = 1 << 53;

fn write_canonical(value: &Value, out: &mut String) -> Result<(), LedgerError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => {
            if let Some(n) = number.as_u64().filter(|n| *n <= MAX_EXACT_INTEGER) {
                write_integer(n, false, out);
            } else if let Some(n) = number
                .as_i64()
                .filter(|n| n.unsigned_abs() <= MAX_EXACT_INTEGER)
            {
                write_integer(n.unsigned_abs(), n < 0, out);
            } else {
                write_ecmascript_number(value, out)?;
            }
        }
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out)?;
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            // A stored body is already sorted, so verify sorts nothing; only a
            // value built from a struct (in field order) needs the sorted copy.
            if members
                .keys()
                .is_sorted_by(|a, b| utf16_cmp(a, b) != Ordering::Greater)
            {
                for (index, (name, member)) in members.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    write_string(name, out);
                    out.push(':');
                    write_canonical(member, out)?;
                }
            } else {
                let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
                sorted.sort_by(|(a, _), (b, _)| utf16_cmp(a, b));
                for (index, (name, member)) in sorted.into_iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    write_string(name, out);
                    out.push(':');
                    write_canonical(member, out)?;
                }
            }
            out.push('}');
        }
    }
    Ok(())
}

/// A number that is not an integer of at most 2^53, in ECMAScript form (by the crate).
fn write_ecmascript_number(value: &Value, out: &mut String) -> Result<(), LedgerError> {
    let text = serde_json_canonicalizer::to_string(value)
        .map_err(|error| LedgerError::Canonical(error.to_string()))?;
    out.push_str(&text);
    Ok(())
}

/// An integer in decimal, with no allocation.
fn write_integer(magnitude: u64, negative: bool, out: &mut String) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = magnitude;
    loop {
        at -= 1;
        // `rest % 10` is below 10, so the cast cannot truncate.
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if negative && magnitude != 0 {
        out.push('-');
    }
    for &digit in &digits[at..] {
        out.push(char::from(digit));
    }
}

/// Compares two strings by their UTF-16 code units, as RFC 8785 sorts keys.
///
/// UTF-8 byte order is code point order, which is UTF-16 order except where a
/// character above U+FFFF (a surrogate pair, 0xD800..) meets one in U+E000..U+FFFF;
/// so bytes decide unless the strings first differ outside ASCII.
pub(crate) fn utf16_cmp(a: &str, b: &str) -> Ordering {
    let (left, right) = (a.as_bytes(), b.as_bytes());
    let common = left
        .iter()
        .zip(right)
        .position(|(x, y)| x != y)
        .unwrap_or(left.len().min(right.len()));
    match (left.get(common), right.get(common)) {
        (Some(x), Some(y)) if x.is_ascii() && y.is_ascii() => x.cmp(y),
        (Some(_), Some(_)) => a.encode_utf16().cmp(b.encode_utf16()),
        _ => left.len().cmp(&right.len()),
    }
}

/// A JSON string with the minimal escapes (RFC 8785 §3.2.2.2, which is also what
/// serde_json writes): `"` and `\` escaped, the control characters as `\b`, `\t`,
/// `\n`, `\f`, `\r` or `\u00xx` in lowercase hex, everything else as it is.
fn write_string(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(text.len() + 2);
    out.push('"');
    let bytes = text.as_bytes();
    let mut at = 0;
    loop {
        // Escaped bytes are ASCII, so every cut is on a character boundary.
        let plain = at + plain_len(bytes.get(at..).unwrap_or_default());
        out.push_str(text.get(at..plain).unwrap_or_default());
        let Some(&byte) = bytes.get(plain) else {
            break;
        };
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            0x09 => out.push_str("\\t"),
            0x0a => out.push_str("\\n"),
            0x0c => out.push_str("\\f"),
            0x0d => out.push_str("\\r"),
            _ => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0x0f)]));
            }
        }
        at = plain + 1;
    }
    out.push('"');
}

/// How many leading bytes of a string's text stand for themselves in JSON (not
/// `"`, `\` or a control character): eight at a time, as most text is such bytes.
fn plain_len(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Whether a byte of `word` is zero, or below `n` (n <= 128): the classic
    // bit tricks, exact as yes/no answers, which is all that is asked of them.
    let zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let below = |word: u64, n: u64| word.wrapping_sub(ONES * n) & !word & HIGHS;
    let mut at = 0;
    while let Some(eight) = bytes
        .get(at..at + 8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
    {
        let word = u64::from_le_bytes(eight);
        let special = below(word, 0x20)
            | zero(word ^ (ONES * u64::from(b'"')))
            | zero(word ^ (ONES * u64::from(b'\\')));
        if special != 0 {
            break;
        }
        at += 8;
    }
    at + bytes
        .get(at..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&byte| byte != b'"' && byte != b'\\' && byte >= 0x20)
        .count()
}

/// The canonical form of anything serialisable, written straight from its
/// `Serialize` impl: what `canonical(&serde_json::to_value(value)?)` gives, without
/// building the `Value` (whose strings, maps and hashing of keys cost an append as
/// much as the rest of its hashing).
///
/// Anything this writer does not do exactly as the `Value` path does (a float, an
/// integer past 2^53, bytes, a map with duplicate or non-string keys) makes it give
/// up, and the value goes the `Value` way; a proptest checks the two agree.
pub fn canonical_of<T: Serialize + ?Sized>(value: &T) -> Result<String, LedgerError> {
    let mut out = String::with_capacity(1024);
    match value.serialize(Writer { out: &mut out }) {
        Ok(()) => Ok(out),
        Err(GiveUp) => {
            let value = serde_json::to_value(value).map_err(LedgerError::Serialize)?;
            canonical(&value)
        }
    }
}

/// Why [`Writer`] stopped: the value is left to the `Value` path.
#[derive(Debug)]
struct GiveUp;

impl std::fmt::Display for GiveUp {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("not written directly")
    }
}

impl std::error::Error for GiveUp {}

impl ser::Error for GiveUp {
    fn custom<T: std::fmt::Display>(_message: T) -> Self {
        GiveUp
    }
}

/// Writes canonical JSON straight from `Serialize`.
struct Writer<'a> {
    out: &'a mut String,
}

impl Writer<'_> {
    fn integer(self, magnitude: u64, negative: bool) -> Result<(), GiveUp> {
        if magnitude > MAX_EXACT_INTEGER {
            return Err(GiveUp);
        }
        write_integer(magnitude, negative, self.out);
        Ok(())
    }
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = GiveUp;
    type SerializeSeq = Array<'a>;
    type SerializeTuple = Array<'a>;
    type SerializeTupleStruct = Array<'a>;
    type SerializeTupleVariant = Array<'a>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Object<'a>;

    fn serialize_bool(self, value: bool) -> Result<(), GiveUp> {
        self.out.push_str(if value { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, value: i8) -> Result<(), GiveUp> {
        self.serialize_i64(i64::from(value))
    }
    fn serialize_i16(self, value: i16) -> Result<(), GiveUp> {
        self.serialize_i64(i64::from(value))
    }
    fn serialize_i32(self, value: i32) -> Result<(), GiveUp> {
        self.serialize_i64(i64::from(value))
    }
    fn serialize_i64(self, value: i64) -> Result<(), GiveUp> {
        self.integer(value.unsigned_abs(), value < 0)
    }
    fn serialize_u8(self, value: u8) -> Result<(), GiveUp> {
        self.serialize_u64(u64::from(value))
    }
    fn serialize_u16(self, value: u16) -> Result<(), GiveUp> {
        self.serialize_u64(u64::from(value))
    }
    fn serialize_u32(self, value: u32) -> Result<(), GiveUp> {
        self.serialize_u64(u64::from(value))
    }
    fn serialize_u64(self, value: u64) -> Result<(), GiveUp> {
        self.integer(value, false)
    }
    fn serialize_f32(self, _value: f32) -> Result<(), GiveUp> {
        Err(GiveUp)
    }
    fn serialize_f64(self, _value: f64) -> Result<(), GiveUp> {
        Err(GiveUp)
    }
    fn serialize_char(self, value: char) -> Result<(), GiveUp> {
        write_string(value.encode_utf8(&mut [0; 4]), self.out);
        Ok(())
    }
    fn serialize_str(self, value: &str) -> Result<(), GiveUp> {
        write_string(value, self.out);
        Ok(())
    }
    fn serialize_bytes(self, _value: &[u8]) -> Result<(), GiveUp> {
        Err(GiveUp)
    }
    fn serialize_none(self) -> Result<(), GiveUp> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), GiveUp> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), GiveUp> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), GiveUp> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), GiveUp> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), GiveUp> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), GiveUp> {
        open_variant(self.out, variant);
        value.serialize(Writer {
            out: &mut *self.out,
        })?;
        self.out.push('}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Array<'a>, GiveUp> {
        self.out.push('[');
        Ok(Array {
            out: self.out,
            empty: true,
            variant: false,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Array<'a>, GiveUp> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Array<'a>, GiveUp> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Array<'a>, GiveUp> {
        open_variant(self.out, variant);
        self.out.push('[');
        Ok(Array {
            out: self.out,
            empty: true,
            variant: true,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Object<'a>, GiveUp> {
        Ok(Object::open(self.out, false))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Object<'a>, GiveUp> {
        Ok(Object::open(self.out, false))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Object<'a>, GiveUp> {
        open_variant(self.out, variant);
        Ok(Object::open(self.out, true))
    }
}

/// `{"variant":`, the outside of an externally tagged enum variant.
fn open_variant(out: &mut String, variant: &str) {
    out.push('{');
    write_string(variant, out);
    out.push(':');
}

/// An array being written.
struct Array<'a> {
    out: &'a mut String,
    empty: bool,
    /// Inside `{"variant":`, which needs closing too.
    variant: bool,
}

impl Array<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        value.serialize(Writer {
            out: &mut *self.out,
        })
    }

    fn close(self) -> Result<(), GiveUp> {
        self.out.push(']');
        if self.variant {
            self.out.push('}');
        }
        Ok(())
    }
}

impl ser::SerializeSeq for Array<'_> {
    type Ok = ();
    type Error = GiveUp;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        self.element(value)
    }
    fn end(self) -> Result<(), GiveUp> {
        self.close()
    }
}

impl ser::SerializeTuple for Array<'_> {
    type Ok = ();
    type Error = GiveUp;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        self.element(value)
    }
    fn end(self) -> Result<(), GiveUp> {
        self.close()
    }
}

impl ser::SerializeTupleStruct for Array<'_> {
    type Ok = ();
    type Error = GiveUp;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        self.element(value)
    }
    fn end(self) -> Result<(), GiveUp> {
        self.close()
    }
}

impl ser::SerializeTupleVariant for Array<'_> {
    type Ok = ();
    type Error = GiveUp;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        self.element(value)
    }
    fn end(self) -> Result<(), GiveUp> {
        self.close()
    }
}

/// A member name: a struct's field names are static, a map's keys are not.
enum Key {
    Static(&'static str),
    Owned(String),
}

impl Key {
    fn as_str(&self) -> &str {
        match self {
            Key::Static(name) => name,
            Key::Owned(name) => name,
        }
    }
}

/// An object being written: members go out in the order they come, `"name":value`
/// each, and are put in canonical order at the end if they were not in it already.
struct Object<'a> {
    out: &'a mut String,
    /// Each member's name and the bytes of `out` it was written to.
    members: Vec<(Key, usize, usize)>,
    /// Inside `{"variant":`, which needs closing too.
    variant: bool,
}

impl<'a> Object<'a> {
    fn open(out: &'a mut String, variant: bool) -> Object<'a> {
        out.push('{');
        Object {
            out,
            members: Vec::new(),
            variant,
        }
    }

    fn key(&mut self, key: Key) {
        if !self.members.is_empty() {
            self.out.push(',');
        }
        let start = self.out.len();
        write_string(key.as_str(), self.out);
        self.out.push(':');
        self.members.push((key, start, start));
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        value.serialize(Writer {
            out: &mut *self.out,
        })?;
        let end = self.out.len();
        let (_, _, member_end) = self.members.last_mut().ok_or(GiveUp)?;
        *member_end = end;
        Ok(())
    }

    fn close(self) -> Result<(), GiveUp> {
        let Object {
            out,
            members,
            variant,
        } = self;
        let in_order = members
            .windows(2)
            .all(|pair| utf16_cmp(pair[0].0.as_str(), pair[1].0.as_str()) == Ordering::Less);
        if !in_order {
            let mut order: Vec<&(Key, usize, usize)> = members.iter().collect();
            order.sort_by(|a, b| utf16_cmp(a.0.as_str(), b.0.as_str()));
            if order
                .windows(2)
                .any(|pair| pair[0].0.as_str() == pair[1].0.as_str())
            {
                // The `Value` path keeps the last of duplicate keys; leave it to it.
                return Err(GiveUp);
            }
            let Some(first) = members.first().map(|member| member.1) else {
                return Err(GiveUp);
            };
            let written = out.split_off(first);
            for (index, (_, start, end)) in order.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(written.get(start - first..end - first).ok_or(GiveUp)?);
            }
        }
        out.push('}');
        if variant {
            out.push('}');
        }
        Ok(())
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = GiveUp;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), GiveUp> {
        let key = key.serialize(KeyWriter)?;
        self.key(Key::Owned(key));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), GiveUp> {
        self.value(value)
    }
    fn end(self) -> Result<(), GiveUp> {
        self.close()
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = GiveUp;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), GiveUp> {
        self.key(Key::Static(name));
        self.value(value)
    }
    fn end(self) -> Result<(), GiveUp> {
        self.close()
    }
}

impl ser::SerializeStructVariant for Object<'_> {
    type Ok = ();
    type Error = GiveUp;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), GiveUp> {
        self.key(Key::Static(name));
        self.value(value)
    }
    fn end(self) -> Result<(), GiveUp> {
        self.close()
    }
}

/// A map key: only strings are written directly; anything else gives up.
struct KeyWriter;

impl ser::Serializer for KeyWriter {
    type Ok = String;
    type Error = GiveUp;
    type SerializeSeq = ser::Impossible<String, GiveUp>;
    type SerializeTuple = ser::Impossible<String, GiveUp>;
    type SerializeTupleStruct = ser::Impossible<String, GiveUp>;
    type SerializeTupleVariant = ser::Impossible<String, GiveUp>;
    type SerializeMap = ser::Impossible<String, GiveUp>;
    type SerializeStruct = ser::Impossible<String, GiveUp>;
    type SerializeStructVariant = ser::Impossible<String, GiveUp>;

    fn serialize_str(self, value: &str) -> Result<String, GiveUp> {
        Ok(value.to_owned())
    }
    fn serialize_bool(self, _value: bool) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_i8(self, _value: i8) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_i16(self, _value: i16) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_i32(self, _value: i32) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_i64(self, _value: i64) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_u8(self, _value: u8) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_u16(self, _value: u16) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_u32(self, _value: u32) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_u64(self, _value: u64) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_f32(self, _value: f32) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_f64(self, _value: f64) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_char(self, _value: char) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_bytes(self, _value: &[u8]) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_none(self) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_unit(self) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
    ) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _value: &T,
    ) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, GiveUp> {
        Err(GiveUp)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, GiveUp> {
        Err(GiveUp)
    }
}

/// Whether `text` is, for sure, the canonical form of the JSON it holds: what
/// `canonical(&serde_json::from_str(text)?)` would give back unchanged, checked in one
/// pass with nothing built.
///
/// `false` means "not sure", not "not canonical": a number that is not an integer of
/// at most 2^53 (whose ECMAScript form this does not check), `-0`, and anything else
/// outside the canonical form send the caller the slow way, through a `Value`.
/// `verify` uses it to hash and parse a stored body once; a proptest checks that it
/// never says `true` of a text that canonicalises to something else.
pub(crate) fn is_canonical(text: &str) -> bool {
    let mut scan = Scan {
        bytes: text.as_bytes(),
        text,
        at: 0,
    };
    scan.value(0) == Some(()) && scan.at == scan.bytes.len()
}

/// How deep [`is_canonical`] follows nesting before it gives up (records are
/// shallow; serde_json itself stops at 128).
const MAX_DEPTH: usize = 64;

struct Scan<'t> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
}

impl<'t> Scan<'t> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        let end = self.at.checked_add(word.len())?;
        (self.bytes.get(self.at..end)? == word.as_bytes()).then(|| self.at = end)
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(|_| ()),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            b'-' | b'0'..=b'9' => self.integer(),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        let mut previous: Option<Cow<'t, str>> = None;
        loop {
            let key = self.string()?;
            // Strictly increasing: sorted, and no key twice.
            if let Some(previous) = &previous
                && utf16_cmp(previous, &key) != Ordering::Less
            {
                return None;
            }
            previous = Some(key);
            self.eat(b':')?;
            self.value(depth + 1)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        self.eat(b'[')?;
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            self.value(depth + 1)?;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string with exactly the escapes [`write_string`] writes; its value.
    fn string(&mut self) -> Option<Cow<'t, str>> {
        self.eat(b'"')?;
        let start = self.at;
        let mut decoded: Option<String> = None;
        let mut run = start;
        loop {
            self.skip_plain();
            let byte = self.peek()?;
            match byte {
                b'"' => {
                    let end = self.at;
                    self.at += 1;
                    return match decoded {
                        None => Some(Cow::Borrowed(self.text.get(start..end)?)),
                        Some(mut decoded) => {
                            decoded.push_str(self.text.get(run..end)?);
                            Some(Cow::Owned(decoded))
                        }
                    };
                }
                b'\\' => {
                    let owned = decoded.get_or_insert_with(String::new);
                    owned.push_str(self.text.get(run..self.at)?);
                    let escaped = *self.bytes.get(self.at + 1)?;
                    let (character, length) = match escaped {
                        b'"' => ('"', 2),
                        b'\\' => ('\\', 2),
                        b'b' => ('\u{8}', 2),
                        b't' => ('\t', 2),
                        b'n' => ('\n', 2),
                        b'f' => ('\u{c}', 2),
                        b'r' => ('\r', 2),
                        b'u' => {
                            let hex = self.bytes.get(self.at + 2..self.at + 6)?;
                            if hex[0] != b'0' || hex[1] != b'0' {
                                return None;
                            }
                            let high = lower_hex(hex[2])?;
                            let low = lower_hex(hex[3])?;
                            let code = (high << 4) | low;
                            // Only the control characters without a short escape.
                            if code >= 0x20 || matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                                return None;
                            }
                            (char::from(code), 6)
                        }
                        _ => return None,
                    };
                    owned.push(character);
                    self.at += length;
                    run = self.at;
                }
                0x00..=0x1f => return None,
                _ => self.at += 1,
            }
        }
    }

    /// Skips the bytes of a string that stand for themselves (not `"`, `\` or a
    /// control character), eight at a time: most of a record is such bytes.
    fn skip_plain(&mut self) {
        self.at += plain_len(self.bytes.get(self.at..).unwrap_or_default());
    }

    /// An integer of at most 2^53 in its shortest form; anything else is "not sure".
    fn integer(&mut self) -> Option<()> {
        let negative = self.eat(b'-').is_some();
        let start = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        let digits = self.bytes.get(start..self.at)?;
        if digits.is_empty()
            || digits.len() > 16
            || (digits[0] == b'0' && (digits.len() > 1 || negative))
            || matches!(self.peek(), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        let magnitude = digits
            .iter()
            .fold(0u64, |n, digit| n * 10 + u64::from(digit - b'0'));
        (magnitude <= MAX_EXACT_INTEGER).then_some(())
    }
}

fn lower_hex(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        _ => None,
    }
}

/// Lowercase hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Bytes as lowercase hex, two digits each: how hashes, key ids and public keys
/// are written in text.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(hex_digit(byte >> 4));
        out.push(hex_digit(byte & 0x0f));
    }
    out
}

/// `sha256:<hex>` of the canonical form of a value, with its canonical length.
pub fn digest_value(value: &Value) -> Result<(String, u64), LedgerError> {
    let text = canonical(value)?;
    Ok((
        format!("sha256:{}", sha256_hex(text.as_bytes())),
        text.len() as u64,
    ))
}

/// The hash of a record body: SHA-256 hex of its canonical JSON.
pub fn record_hash(body: &Value) -> Result<String, LedgerError> {
    Ok(sha256_hex(canonical(body)?.as_bytes()))
}

fn hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble), 16).unwrap_or('0')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// JSON values like records, and worse: any Unicode in keys and strings
    /// (control characters, non-BMP), integers at and past 2^53, floats.
    fn values() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-(1i64 << 54)..(1i64 << 54)).prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[\\u{0}-\\u{7f}]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((any::<String>(), inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    #[derive(Debug, Clone, serde::Serialize)]
    enum Kind {
        Unit,
        New(String),
        Pair(u8, String),
        Fields { zulu: i64, alpha: String },
    }

    /// Fields out of canonical order, skipped fields, nested structs and enums.
    #[derive(Debug, Clone, serde::Serialize)]
    struct Sample {
        zeta: String,
        alpha: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        mid: Option<u64>,
        kinds: Vec<Kind>,
        value: Value,
        #[serde(rename = "\u{e000}")]
        private_use: bool,
        #[serde(rename = "\u{10000}")]
        astral: i32,
    }

    fn samples() -> impl Strategy<Value = Sample> {
        let kind = prop_oneof![
            Just(Kind::Unit),
            any::<String>().prop_map(Kind::New),
            (any::<u8>(), any::<String>()).prop_map(|(n, s)| Kind::Pair(n, s)),
            (any::<i64>(), any::<String>()).prop_map(|(zulu, alpha)| Kind::Fields { zulu, alpha }),
        ];
        (
            any::<String>(),
            any::<Option<String>>(),
            any::<Option<u64>>(),
            prop::collection::vec(kind, 0..4),
            values(),
            any::<bool>(),
            any::<i32>(),
        )
            .prop_map(
                |(zeta, alpha, mid, kinds, value, private_use, astral)| Sample {
                    zeta,
                    alpha,
                    mid,
                    kinds,
                    value,
                    private_use,
                    astral,
                },
            )
    }

    /// Small edits of a canonical text: whitespace, reordered or repeated members,
    /// other escapes, other number forms.
    fn edits() -> impl Strategy<Value = (usize, &'static str)> {
        (
            any::<usize>(),
            prop::sample::select(vec![
                " ",
                "\n",
                ",",
                ":",
                "\"",
                "\\",
                "\\/",
                "\\u0041",
                "\\u001F",
                "\\u001f",
                "\\t",
                "\\u0009",
                "0",
                "-",
                "-0",
                "1.0",
                "1e2",
                "9007199254740993",
                "}",
                "{",
                "]",
                "[",
                "\"a\":1,",
                ",\"a\":1",
                "\u{7f}",
                "\u{1}",
                "é",
                "\u{10000}",
                "\u{e000}",
                "null",
                "true",
                "",
            ]),
        )
    }

    proptest! {
        #[test]
        fn is_canonical_says_yes_to_canonical_text(value in values()) {
            let text = canonical(&value).unwrap();
            let sure = is_canonical(&text);
            // Floats and integers past 2^53 are left to the slow path.
            let has_odd_number = text.contains(['.', 'e', 'E'])
                || serde_json::from_str::<Value>(&text).is_ok_and(|v| has_big_or_float(&v));
            prop_assert!(sure || has_odd_number, "{}", text);
        }

        #[test]
        fn is_canonical_never_says_yes_wrongly(
            value in values(),
            edit in prop::collection::vec(edits(), 1..4),
            cut in any::<bool>(),
        ) {
            let mut text = canonical(&value).unwrap();
            for (at, insert) in edit {
                let mut at = at % (text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                if cut && at < text.len() {
                    let mut end = at + 1;
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    text.replace_range(at..end, insert);
                } else {
                    text.insert_str(at, insert);
                }
            }
            if is_canonical(&text) {
                let parsed: Value = serde_json::from_str(&text).unwrap();
                prop_assert_eq!(canonical(&parsed).unwrap(), text);
            }
        }

        #[test]
        fn a_struct_written_directly_equals_through_a_value(sample in samples()) {
            let value = serde_json::to_value(&sample).unwrap();
            prop_assert_eq!(canonical_of(&sample).unwrap(), canonical(&value).unwrap());
        }

        #[test]
        fn written_directly_equals_through_a_value(value in values()) {
            // `Value`'s own `Serialize` exercises maps, arrays, floats and big
            // integers (which give up) through the direct writer.
            prop_assert_eq!(canonical_of(&value).unwrap(), canonical(&value).unwrap());
        }

        #[test]
        fn canonical_equals_the_reference_implementation(value in values()) {
            prop_assert_eq!(
                canonical(&value).unwrap(),
                serde_json_canonicalizer::to_string(&value).unwrap()
            );
        }
    }

    fn has_big_or_float(value: &Value) -> bool {
        match value {
            Value::Number(n) => !n
                .as_u64()
                .map(|n| n <= MAX_EXACT_INTEGER)
                .or_else(|| n.as_i64().map(|n| n.unsigned_abs() <= MAX_EXACT_INTEGER))
                .unwrap_or(false),
            Value::Array(items) => items.iter().any(has_big_or_float),
            Value::Object(members) => members.values().any(has_big_or_float),
            _ => false,
        }
    }

    #[test]
    fn is_canonical_examples() {
        assert!(is_canonical(
            r#"{"a":[true,null,"x\u001f\n"],"b":-12,"é":{}}"#
        ));
        assert!(!is_canonical(r#"{"b":1,"a":2}"#));
        assert!(!is_canonical(r#"{"a":1,"a":1}"#));
        assert!(!is_canonical(r#"{"a": 1}"#));
        assert!(!is_canonical(r#"{"a":"\u0041"}"#));
        assert!(!is_canonical(r#"{"a":"\/"}"#));
        assert!(!is_canonical(r#"{"a":1.5}"#));
        assert!(!is_canonical(r#"{"a":-0}"#));
        assert!(!is_canonical(r#"{"a":01}"#));
        assert!(!is_canonical(r#"{"a":1} "#));
        // U+E000 sorts after U+10000 by UTF-8 bytes but before it in UTF-16.
        assert!(is_canonical("{\"\u{10000}\":1,\"\u{e000}\":2}"));
        assert!(!is_canonical("{\"\u{e000}\":1,\"\u{10000}\":2}"));
    }

    #[test]
    fn canonical_sorts_keys_and_hash_is_stable() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":[true,null,"x"]}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{ "a" : [true, null, "x"], "b" : 1 }"#).unwrap();
        assert_eq!(canonical(&a).unwrap(), r#"{"a":[true,null,"x"],"b":1}"#);
        assert_eq!(record_hash(&a).unwrap(), record_hash(&b).unwrap());
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
