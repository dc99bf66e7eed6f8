//! Decoding one line of text into an [`Event`] with serde_json, borrowing
//! from the line wherever the JSON holds no escapes.
//!
//! The visitors are written by hand rather than derived so that:
//! - key order does not matter and duplicate keys do not fail (last wins),
//! - numbers are accepted as numbers or numeric strings,
//! - `contents` may be an object or a plain string (or `type` may sit
//!   inside `contents`, as in old logs),
//! - optional strings borrow (serde's derive only borrows a bare
//!   `Cow<str>`, not an `Option<Cow<str>>`).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::diagnostic::DiagnosticKind;
use crate::event::{
    unquote, Action, Contents, Detail, DetailLists, Event, Finished, Msg, MsgLines, MsgType,
    DETAILS_KEPT,
};

/// A string that borrows when it can; numbers and booleans become text.
struct Str<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// An optional string that tolerates any JSON value: strings, numbers and
/// booleans become text; null, arrays and objects become `None`. Decoded
/// straight from the token (no raw capture), borrowing escape-free strings.
struct OptStr<'a>(Option<Cow<'a, str>>);

/// `source`: a host name, or cPanel's `{"host": ...}` object (its host,
/// or empty when it names none); anything else present counts as set.
struct SourceHost<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for SourceHost<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SourceHost<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a host name or an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<SourceHost<'de>, A::Error> {
                let mut host = None;
                while let Some(k) = a.next_key::<Cow<'de, str>>()? {
                    if k == "host" {
                        host = a.next_value::<OptStr<'de>>()?.0;
                    } else {
                        a.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(SourceHost(Some(host.unwrap_or_default())))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<SourceHost<'de>, E> {
                Ok(SourceHost(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<SourceHost<'de>, E> {
                Ok(SourceHost(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_unit<E>(self) -> Result<SourceHost<'de>, E> {
                Ok(SourceHost(None))
            }
            fn visit_u64<E>(self, v: u64) -> Result<SourceHost<'de>, E> {
                Ok(SourceHost(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<SourceHost<'de>, E> {
                Ok(SourceHost(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E>(self, v: f64) -> Result<SourceHost<'de>, E> {
                Ok(SourceHost(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E>(self, v: bool) -> Result<SourceHost<'de>, E> {
                Ok(SourceHost(v.then_some(Cow::Borrowed(""))))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<SourceHost<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(SourceHost(Some(Cow::Borrowed(""))))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for OptStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OptStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<OptStr<'de>, E> {
                Ok(OptStr(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<OptStr<'de>, E> {
                Ok(OptStr(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E>(self, v: String) -> Result<OptStr<'de>, E> {
                Ok(OptStr(Some(Cow::Owned(v))))
            }
            fn visit_u64<E>(self, v: u64) -> Result<OptStr<'de>, E> {
                Ok(OptStr(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<OptStr<'de>, E> {
                Ok(OptStr(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E>(self, v: f64) -> Result<OptStr<'de>, E> {
                Ok(OptStr(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E>(self, v: bool) -> Result<OptStr<'de>, E> {
                Ok(OptStr(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_unit<E>(self) -> Result<OptStr<'de>, E> {
                Ok(OptStr(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<OptStr<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(OptStr(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<OptStr<'de>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(OptStr(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A number given as a JSON number or a numeric string; anything else is
/// `None` (never an error).
struct Num(Option<f64>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or numeric string")
            }
            fn visit_u64<E>(self, v: u64) -> Result<Num, E> {
                Ok(Num(Some(v as f64)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Num, E> {
                Ok(Num(Some(v as f64)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Num, E> {
                Ok(Num(Some(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Num, E> {
                Ok(Num(v.trim().parse::<f64>().ok().filter(|f| f.is_finite())))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Num, E> {
                Ok(Num(Some(v as u8 as f64)))
            }
            fn visit_unit<E>(self) -> Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<Num, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Num(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Num, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Num(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl Num {
    fn u64(self) -> Option<u64> {
        self.0
            .filter(|f| *f >= 0.0 && *f < 1.8e19)
            .map(|f| f as u64)
    }
    fn i64(self) -> Option<i64> {
        self.0.filter(|f| f.abs() < 9.2e18).map(|f| f as i64)
    }
}

/// Decodes one line (already UTF-8, without its terminator) into `ev`,
/// which should start as `Event::default()`. Fields are written in place:
/// an event is a few hundred bytes, and moving it through every layer of
/// the decoder cost more than decoding short lines.
pub(crate) fn decode_line<'a>(text: &'a str, ev: &mut Event<'a>) -> Result<(), DiagnosticKind> {
    let mut p = Pending::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let r = de::Deserializer::deserialize_map(
        &mut de,
        TopV {
            ev: &mut *ev,
            p: &mut p,
        },
    )
    .and_then(|()| de.end());
    match r {
        Ok(()) => {
            p.finish(ev);
            Ok(())
        }
        Err(e) => {
            let first = text.trim_start().as_bytes().first().copied();
            if first != Some(b'{') && serde_json::from_str::<IgnoredAny>(text).is_ok() {
                Err(DiagnosticKind::NotAnObject)
            } else {
                Err(DiagnosticKind::InvalidJson {
                    message: e.to_string(),
                })
            }
        }
    }
}

/// Parts of a line whose meaning depends on other keys, kept raw until
/// the whole line is read.
#[derive(Default)]
struct Pending<'a> {
    kind: Option<Cow<'a, str>>,
    contents_kind: Option<Cow<'a, str>>,
    msg: Option<&'a RawValue>,
    lists: [Option<&'a RawValue>; 4],
}

impl<'a> Pending<'a> {
    fn finish(self, ev: &mut Event<'a>) {
        ev.kind = match self.kind.or(self.contents_kind) {
            Some(k) => MsgType::from_str_cow(k),
            None => MsgType::Missing,
        };
        let c = &mut ev.contents;
        if let Some(raw) = self.msg {
            c.msg = decode_msg(raw, c.action.as_ref());
        }
        if matches!(c.action, Some(Action::Summary)) || self.lists.iter().any(Option::is_some) {
            let mut l = DetailLists::default();
            let slots = [
                &mut l.warnings,
                &mut l.skipped_items,
                &mut l.dangerous_items,
                &mut l.altered_items,
            ];
            let mut dropped = 0;
            for (slot, raw) in slots.into_iter().zip(self.lists) {
                let (kept, n) = raw.map(decode_list).unwrap_or_default();
                *slot = kept;
                dropped += n;
            }
            l.dropped = dropped;
            c.summary = Some(Box::new(l));
        }
    }
}

/// Visits the top-level object, writing into the event.
struct TopV<'s, 'a> {
    ev: &'s mut Event<'a>,
    p: &'s mut Pending<'a>,
}

impl<'de> Visitor<'de> for TopV<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        while let Some(key) = m.next_key::<Str<'de>>()? {
            match &*key.0 {
                "pid" => self.ev.pid = m.next_value::<Num>()?.u64(),
                "type" => self.p.kind = m.next_value::<OptStr<'de>>()?.0,
                "contents" => m.next_value_seed(ContentsSeed {
                    c: &mut self.ev.contents,
                    p: &mut *self.p,
                })?,
                "indent" => self.ev.indent = m.next_value::<Num>()?.i64(),
                "partial" => self.ev.partial = m.next_value::<Num>()?.0.unwrap_or(0.0) != 0.0,
                "source" => self.ev.source = m.next_value::<SourceHost<'de>>()?.0,
                _ => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Decodes `contents` (an object, or a plain value taken as text) in place.
struct ContentsSeed<'s, 'a> {
    c: &'s mut Contents<'a>,
    p: &'s mut Pending<'a>,
}

impl<'de> DeserializeSeed<'de> for ContentsSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ContentsSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object or a string")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        self.c.text = Some(Cow::Borrowed(v));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.c.text = Some(Cow::Owned(v.to_owned()));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.c.text = Some(Cow::Owned(v.to_string()));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.c.text = Some(Cow::Owned(v.to_string()));
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.c.text = Some(Cow::Owned(v.to_string()));
        Ok(())
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.c.text = Some(Cow::Owned(v.to_string()));
        Ok(())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
        // Appended one by one: no list of the elements is built.
        let mut text = String::new();
        let mut first = true;
        while let Some(s) = a.next_element::<&'de RawValue>()? {
            if !std::mem::take(&mut first) {
                text.push(' ');
            }
            text.push_str(&crate::event::raw_to_text(s));
        }
        self.c.text = Some(Cow::Owned(text));
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let (c, p) = (self.c, self.p);
        while let Some(key) = m.next_key::<Str<'de>>()? {
            match &*key.0 {
                "action" => c.action = m.next_value::<OptStr<'de>>()?.0.map(Action::from_str_cow),
                "child_number" => c.child_number = m.next_value::<Num>()?.u64(),
                "time" => c.time = m.next_value::<Num>()?.i64(),
                "queue" => c.queue = m.next_value::<OptStr<'de>>()?.0,
                "item" => c.item = m.next_value::<OptStr<'de>>()?.0,
                "local_item" => c.local_item = m.next_value::<OptStr<'de>>()?.0,
                "item_type" => c.item_type = m.next_value::<OptStr<'de>>()?.0,
                "item_name" => c.item_name = m.next_value::<OptStr<'de>>()?.0,
                "logfile" => c.logfile = m.next_value::<OptStr<'de>>()?.0,
                "msg" => p.msg = Some(m.next_value::<&'de RawValue>()?),
                "percentage" => c.percentage = m.next_value::<Num>()?.0,
                "module" => c.module = m.next_value::<OptStr<'de>>()?.0,
                "status" => c.status = m.next_value::<Num>()?.i64(),
                "statusmsg" => c.statusmsg = m.next_value::<OptStr<'de>>()?.0,
                "type" => p.contents_kind = m.next_value::<OptStr<'de>>()?.0,
                "warnings" => p.lists[0] = Some(m.next_value()?),
                "skipped_items" => p.lists[1] = Some(m.next_value()?),
                "dangerous_items" => p.lists[2] = Some(m.next_value()?),
                "altered_items" => p.lists[3] = Some(m.next_value()?),
                _ => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Interprets `msg` by its shape and, for objects, by the line's action.
fn decode_msg<'a>(raw: &'a RawValue, action: Option<&Action<'_>>) -> Option<Msg<'a>> {
    let s = raw.get();
    match s.as_bytes().first()? {
        b'"' => Some(Msg::Text(unquote(s))),
        b'[' => Some(Msg::Lines(MsgLines::new(raw))),
        b'n' => None,
        b'{' => {
            if action.is_some_and(Action::is_item_finish) {
                Some(match serde_json::from_str::<FinishedDe<'_>>(s) {
                    Ok(f) => Msg::Finished(Box::new(f.0)),
                    Err(_) => Msg::Raw(raw.get()),
                })
            } else {
                // A `start-item` object is its item's size whatever other
                // keys a writer adds; for other actions only a lone
                // `{"size":N}` is read as a size.
                let start_item = matches!(action, Some(Action::StartItem));
                match serde_json::from_str::<SizeDe>(s) {
                    Ok(SizeDe {
                        size: Some(n),
                        keys,
                    }) if keys == 1 || start_item => Some(Msg::Size(n)),
                    _ => Some(Msg::Raw(raw.get())),
                }
            }
        }
        b't' | b'f' => Some(Msg::Raw(raw.get())),
        _ => match s.parse::<f64>() {
            Ok(n) if n.is_finite() => Some(Msg::Number(n)),
            _ => Some(Msg::Raw(raw.get())),
        },
    }
}

fn value_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && *f < 1.8e19)
                .map(|f| f as u64)
        }),
        Value::String(s) => crate::event::parse_u64_text(s),
        _ => None,
    }
}

/// Text of a JSON value: strings as is, arrays of strings joined by a
/// space, null as `None`, anything else as JSON text.
fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().filter_map(value_text).collect();
            Some(parts.join(" "))
        }
        Value::Object(o) => match o.get("msg") {
            Some(m) => value_text(m),
            None => Some(v.to_string()),
        },
        other => Some(other.to_string()),
    }
}

/// Text of a raw value (see [`value_text`]); strings without escapes need
/// no allocation beyond the result.
fn raw_text(raw: &RawValue) -> Option<String> {
    let s = raw.get();
    match s.as_bytes().first() {
        Some(b'"') => Some(unquote(s).into_owned()),
        Some(b'n') => None,
        _ => serde_json::from_str::<Value>(s)
            .ok()
            .as_ref()
            .and_then(value_text),
    }
}

/// A raw detail list and how many records it left out: empty lists and
/// null cost nothing.
fn raw_list(raw: Option<&RawValue>) -> (Vec<Detail>, u64) {
    match raw.map(RawValue::get) {
        None | Some("null") | Some("[]") => (Vec::new(), 0),
        Some(_) => raw.map(decode_list).unwrap_or_default(),
    }
}

/// The finished-item `msg` object, decoded without building a `Value`.
struct FinishedDe<'a>(Finished, std::marker::PhantomData<&'a ()>);

impl<'de> Deserialize<'de> for FinishedDe<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FinishedDe<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a finished-item object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<FinishedDe<'de>, A::Error> {
                let mut f = Finished::default();
                let count = |n: Num| n.u64().unwrap_or(0);
                while let Some(key) = m.next_key::<Str<'de>>()? {
                    match &*key.0 {
                        "size" => f.size = m.next_value::<Num>()?.u64(),
                        "warnings" => f.warnings = count(m.next_value()?),
                        "skipped_items" => f.skipped_items = count(m.next_value()?),
                        "dangerous_items" => f.dangerous_items = count(m.next_value()?),
                        "altered_items" => f.altered_items = count(m.next_value()?),
                        "message" => f.message = raw_text(m.next_value::<&'de RawValue>()?),
                        "failure" => f.failure = raw_text(m.next_value::<&'de RawValue>()?),
                        "contents" => f.details = m.next_value::<ListsDe<'de>>()?.0,
                        _ => {
                            m.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(FinishedDe(f, std::marker::PhantomData))
            }
        }
        d.deserialize_map(V)
    }
}

/// The `contents` lists of a finished item (an object, or null).
struct ListsDe<'a>(DetailLists, std::marker::PhantomData<&'a ()>);

impl<'de> Deserialize<'de> for ListsDe<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ListsDe<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of detail lists")
            }
            fn visit_unit<E>(self) -> Result<ListsDe<'de>, E> {
                Ok(ListsDe(DetailLists::default(), std::marker::PhantomData))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<ListsDe<'de>, A::Error> {
                let mut l = DetailLists::default();
                // Per list, so a repeated key replaces its count too.
                let mut dropped = [0u64; 4];
                while let Some(key) = m.next_key::<Str<'de>>()? {
                    let (slot, i) = match &*key.0 {
                        "warnings" => (&mut l.warnings, 0),
                        "skipped_items" => (&mut l.skipped_items, 1),
                        "dangerous_items" => (&mut l.dangerous_items, 2),
                        "altered_items" => (&mut l.altered_items, 3),
                        _ => {
                            m.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    (*slot, dropped[i]) = raw_list(Some(m.next_value::<&'de RawValue>()?));
                }
                l.dropped = dropped.iter().sum();
                Ok(ListsDe(l, std::marker::PhantomData))
            }
        }
        d.deserialize_any(V)
    }
}

/// `{"size":N}`: the size and how many keys the object has.
struct SizeDe {
    size: Option<u64>,
    keys: usize,
}

impl<'de> Deserialize<'de> for SizeDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SizeDe;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<SizeDe, A::Error> {
                let mut out = SizeDe {
                    size: None,
                    keys: 0,
                };
                while let Some(key) = m.next_key::<Str<'de>>()? {
                    out.keys += 1;
                    if &*key.0 == "size" {
                        out.size = m.next_value::<Num>()?.u64();
                    } else {
                        m.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

/// Decodes a finished-item object from a `Value` (kept for tests and as
/// the reference the typed decoder must agree with).
#[cfg(test)]
fn decode_finished(v: &Value) -> Finished {
    let get = |k: &str| v.get(k);
    let count = |k: &str| get(k).and_then(value_u64).unwrap_or(0);
    let mut f = Finished {
        size: get("size").and_then(value_u64),
        warnings: count("warnings"),
        skipped_items: count("skipped_items"),
        dangerous_items: count("dangerous_items"),
        altered_items: count("altered_items"),
        message: get("message").and_then(value_text),
        failure: get("failure").and_then(value_text),
        details: DetailLists::default(),
    };
    if let Some(c) = get("contents") {
        let list = |k: &str| c.get(k).map(decode_list_value).unwrap_or_default();
        f.details = DetailLists {
            warnings: list("warnings"),
            skipped_items: list("skipped_items"),
            dangerous_items: list("dangerous_items"),
            altered_items: list("altered_items"),
            dropped: 0,
        };
    }
    f
}

/// Decodes a detail list: at most [`DETAILS_KEPT`] records, and how many
/// more it holds. An array is read element by element and the elements
/// past the cap are only skipped and counted, so a list of millions of
/// records costs no memory; each kept element reads as
/// [`decode_list_value`] reads it.
fn decode_list(raw: &RawValue) -> (Vec<Detail>, u64) {
    let s = raw.get();
    if s.starts_with('[') {
        let mut de = serde_json::Deserializer::from_str(s);
        return de::Deserializer::deserialize_seq(&mut de, ListV).unwrap_or_default();
    }
    let v = serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
    (decode_list_value(&v), 0)
}

/// Visits a detail list array (see [`decode_list`]).
struct ListV;

impl<'de> Visitor<'de> for ListV {
    type Value = (Vec<Detail>, u64);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of detail records")
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<(Vec<Detail>, u64), A::Error> {
        // The first three elements decide whether the array is one
        // record (`[[M,f,l],"text",link]`, see [`is_single_record`]).
        let mut head: Vec<&'de RawValue> = Vec::with_capacity(3);
        while head.len() < 3 {
            match a.next_element::<&'de RawValue>()? {
                Some(e) => head.push(e),
                None => break,
            }
        }
        let starts = |i: usize, c: char| head.get(i).is_some_and(|e| e.get().starts_with(c));
        if starts(0, '[') && starts(1, '"') {
            while a.next_element::<IgnoredAny>()?.is_some() {}
            let parts = head
                .iter()
                .map(|e| serde_json::from_str::<Value>(e.get()).unwrap_or(Value::Null))
                .collect();
            return Ok((decode_detail(&Value::Array(parts)).into_iter().collect(), 0));
        }
        let mut kept = Vec::new();
        let mut dropped = 0u64;
        for e in head {
            if kept.len() < DETAILS_KEPT {
                kept.extend(decode_element(e));
            } else {
                dropped += u64::from(e.get() != "null");
            }
        }
        while kept.len() < DETAILS_KEPT {
            match a.next_element::<&'de RawValue>()? {
                Some(e) => kept.extend(decode_element(e)),
                None => return Ok((kept, dropped)),
            }
        }
        while let Some(NotNull(n)) = a.next_element::<NotNull>()? {
            dropped += u64::from(n);
        }
        Ok((kept, dropped))
    }
}

/// One element of a detail list: the writer's usual shape straight into
/// its parts ([`Record`]), any other through a `Value`; null is no record.
fn decode_element(e: &RawValue) -> Option<Detail> {
    if let Ok(r) = serde_json::from_str::<Record<'_>>(e.get()) {
        return Some(r.detail());
    }
    decode_detail(&serde_json::from_str::<Value>(e.get()).ok()?)
}

/// Whether a skipped value is anything but null (a record to count).
struct NotNull(bool);

impl<'de> Deserialize<'de> for NotNull {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NotNull;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<NotNull, E> {
                Ok(NotNull(false))
            }
            fn visit_bool<E>(self, _: bool) -> Result<NotNull, E> {
                Ok(NotNull(true))
            }
            fn visit_u64<E>(self, _: u64) -> Result<NotNull, E> {
                Ok(NotNull(true))
            }
            fn visit_i64<E>(self, _: i64) -> Result<NotNull, E> {
                Ok(NotNull(true))
            }
            fn visit_f64<E>(self, _: f64) -> Result<NotNull, E> {
                Ok(NotNull(true))
            }
            fn visit_str<E>(self, _: &str) -> Result<NotNull, E> {
                Ok(NotNull(true))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<NotNull, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(NotNull(true))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<NotNull, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(NotNull(true))
            }
        }
        d.deserialize_any(V)
    }
}

/// A detail record in the writer's usual shape, `[[module, function,
/// line] or null, "text", link]`, decoded straight into its parts with no
/// `Value` tree (summary lines hold dozens of them). Any other shape fails
/// to decode as this and takes the general path ([`decode_list_value`]),
/// which reads it the same way.
#[derive(serde::Deserialize)]
struct Record<'a>(
    Option<(Option<String>, Option<String>, Option<u64>)>,
    String,
    #[serde(borrow)] Option<&'a RawValue>,
);

impl Record<'_> {
    fn detail(self) -> Detail {
        let Record(origin, text, link) = self;
        let (module, function, line) = origin.unwrap_or_default();
        Detail {
            module,
            function,
            line,
            text,
            // As the general path writes it: compact, keys sorted.
            link: link.map(|l| {
                serde_json::from_str::<Value>(l.get())
                    .map(|v| v.to_string())
                    .unwrap_or_else(|_| l.get().to_owned())
            }),
        }
    }
}

/// Decodes a list of detail records (null = empty, a lone record = one).
pub(crate) fn decode_list_value(v: &Value) -> Vec<Detail> {
    match v {
        Value::Null => Vec::new(),
        Value::Array(a) if !is_single_record(a) => a.iter().filter_map(decode_detail).collect(),
        other => decode_detail(other).into_iter().collect(),
    }
}

/// `[[M,f,l],"text",link]` is one record, not a list of three.
fn is_single_record(a: &[Value]) -> bool {
    a.len() >= 2 && a[0].is_array() && a[1].is_string()
}

/// Decodes one detail record in any of its shapes; missing parts tolerated.
pub(crate) fn decode_detail(v: &Value) -> Option<Detail> {
    match v {
        Value::Null => None,
        Value::Array(a) => {
            let mut d = Detail::default();
            let mut rest = a.as_slice();
            match rest.first() {
                Some(Value::Array(origin)) => {
                    d.module = origin.first().and_then(value_text);
                    d.function = origin.get(1).and_then(value_text);
                    d.line = origin.get(2).and_then(value_u64);
                    rest = &rest[1..];
                }
                Some(Value::Null) if rest.len() >= 2 => rest = &rest[1..],
                _ => {}
            }
            d.text = rest.first().and_then(value_text).unwrap_or_default();
            d.link = rest.get(1).filter(|l| !l.is_null()).map(|l| l.to_string());
            Some(d)
        }
        other => Some(Detail {
            text: value_text(other).unwrap_or_default(),
            ..Detail::default()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_lists_read_the_same_on_the_direct_path_and_through_a_value() {
        for raw in [
            r#"[[["Mysql","_restore_mysql",104],"MySQL: Skipping grants",null]]"#,
            r#"[[["Homedir","_restore",4],"Skipped \u201cx\u201d \"q\"",null],[null,"no origin",null]]"#,
            r#"[[["Mysql","_update_dbname",437],"db renamed",["Rename","/scripts5/rename",{"new":"a","b":[1,2]}]]]"#,
            r#"[[["M","f",null],"t",{"z":1,"a":2}]]"#,
            // Other shapes take the general path.
            r#"[["Mysql","_restore_mysql",104],"a lone record",null]"#,
            r#"[[["M","f","12"],"line as text",null]]"#,
            r#"[[["M","f",12],"two parts"]]"#,
            r#"[[["M","f",1.5],"float line",null]]"#,
            r#"["just text", {"msg":["an object"]}]"#,
            r#"[[["M"],"short origin",null]]"#,
            "null",
            "[]",
        ] {
            let rv: Box<RawValue> = serde_json::from_str(raw).unwrap();
            let v: Value = serde_json::from_str(raw).unwrap();
            assert_eq!(decode_list(&rv), (decode_list_value(&v), 0), "{raw}");
        }
        // The usual shape really takes the direct path.
        let raw = r#"[[["Mysql","_restore_mysql",104],"x",null]]"#;
        assert!(serde_json::from_str::<Vec<Record<'_>>>(raw).is_ok());
    }

    #[test]
    fn long_detail_lists_are_counted_past_the_cap_not_built() {
        let n = 1_000_000;
        let list = format!("[{}]", vec!["[]"; n].join(","));
        // A finished item's lists.
        let line = format!(
            r#"{{"type":"control","contents":{{"action":"failed-item","msg":{{"failure":"x","contents":{{"warnings":{list},"altered_items":[null,"a",null]}}}}}}}}"#
        );
        let e = ev(&line);
        let Some(Msg::Finished(f)) = &e.contents.msg else {
            panic!("{:?}", e.contents.msg)
        };
        assert_eq!(f.details.warnings.len(), DETAILS_KEPT);
        assert_eq!(f.details.altered_items.len(), 1);
        assert_eq!(f.details.dropped, (n - DETAILS_KEPT) as u64);
        // A summary line's lists; nulls past the cap are no records.
        let nulls = ["null"; 10].join(",");
        let line = format!(
            r#"{{"type":"control","contents":{{"action":"summary","skipped_items":[{}, {nulls}],"warnings":[["M","f",1],"one record",null,1,2]}}}}"#,
            &list[1..list.len() - 1]
        );
        let s = ev(&line).contents.summary.expect("summary");
        assert_eq!(s.skipped_items.len(), DETAILS_KEPT);
        assert_eq!(s.dropped, (n - DETAILS_KEPT) as u64);
        assert_eq!(s.warnings.len(), 1);
        assert_eq!(s.warnings[0].text, "one record");
        // Under the cap nothing is counted.
        let short = format!("[{}]", vec!["[]"; DETAILS_KEPT].join(","));
        let rv: Box<RawValue> = serde_json::from_str(&short).unwrap();
        assert_eq!(decode_list(&rv).1, 0);
    }

    fn decode(s: &str) -> Result<Event<'_>, DiagnosticKind> {
        let mut e = Event::default();
        decode_line(s, &mut e).map(|()| e)
    }

    fn ev(s: &str) -> Event<'_> {
        decode(s).expect("decodes")
    }

    #[test]
    fn keys_in_any_order_and_unknown_keys_ignored() {
        let a = ev(
            r#"{"pid":1,"type":"control","contents":{"action":"start","child_number":0},"x":[1,{"y":2}]}"#,
        );
        let b = ev(
            r#"{"zz":null,"contents":{"child_number":0,"action":"start"},"type":"control","pid":1}"#,
        );
        assert_eq!(a, b);
        assert_eq!(a.action(), Some(&Action::Start));
    }

    #[test]
    fn pid_as_integer_or_digit_string() {
        assert_eq!(ev(r#"{"pid":"14358","type":"out"}"#).pid, Some(14358));
        assert_eq!(ev(r#"{"pid":14358,"type":"out"}"#).pid, Some(14358));
        assert_eq!(ev(r#"{"pid":"x","type":"out"}"#).pid, None);
    }

    #[test]
    fn contents_as_plain_string() {
        let e = ev(r#"{"pid":1,"type":"out","contents":"hello"}"#);
        assert_eq!(e.contents.text.as_deref(), Some("hello"));
        assert!(matches!(e.contents.text, Some(Cow::Borrowed(_))));
    }

    #[test]
    fn type_inside_contents_in_old_logs() {
        let e = ev(
            r#"{ "pid": "14358", "contents": { "action": "start", "child_number": 0, "type": "control" } }"#,
        );
        assert_eq!(e.kind, MsgType::Control);
        assert_eq!(e.contents.child_number, Some(0));
    }

    #[test]
    fn msg_shapes() {
        let t = ev(r#"{"type":"control","contents":{"action":"remotehost","msg":"h.example"}}"#);
        assert_eq!(t.contents.msg, Some(Msg::Text(Cow::Borrowed("h.example"))));
        let l = ev(r#"{"type":"out","contents":{"msg":["a","b\u201c"]}}"#);
        match &l.contents.msg {
            Some(Msg::Lines(lines)) => {
                let v = lines.to_vec();
                assert_eq!(
                    v,
                    vec![Cow::Borrowed("a"), Cow::Owned("b\u{201c}".to_string())]
                );
                assert!(matches!(v[0], Cow::Borrowed(_)));
            }
            other => panic!("{other:?}"),
        }
        let n = ev(r#"{"type":"control","contents":{"action":"queue_count","msg":3}}"#);
        assert_eq!(n.contents.msg.as_ref().and_then(Msg::as_u64), Some(3));
        let s = ev(r#"{"type":"control","contents":{"action":"queue_count","msg":"3"}}"#);
        assert_eq!(s.contents.msg.as_ref().and_then(Msg::as_u64), Some(3));
        let z =
            ev(r#"{"type":"control","contents":{"action":"start-item","msg":{"size":"1024"}}}"#);
        assert_eq!(z.contents.msg, Some(Msg::Size(1024)));
    }

    #[test]
    fn numeric_fields_as_numbers_or_strings() {
        let e = ev(
            r#"{"type":"control","contents":{"action":"percentage","percentage":"42","child_number":"2","time":"1700000000"}}"#,
        );
        assert_eq!(e.contents.percentage, Some(42.0));
        assert_eq!(e.contents.child_number, Some(2));
        assert_eq!(e.contents.time, Some(1_700_000_000));
        let f = ev(
            r#"{"type":"control","contents":{"action":"percentage","percentage":42.5,"time":1700000000.7}}"#,
        );
        assert_eq!(f.contents.percentage, Some(42.5));
        assert_eq!(f.contents.time, Some(1_700_000_000));
    }

    #[test]
    fn finished_item_stats_and_details() {
        let line = r#"{"pid":"14365","contents":{"msg":{"warnings":4,"dangerous_items":"1","contents":{"dangerous_items":[[["Mysql","_restore_mysql",104],"MySQL: Skipping grants",null]],"altered_items":[[["Mysql","_update_dbname",437],"db \u201cx\u201d restored",["Rename","/scripts5/rename",{"new":"a"}]]],"warnings":[{"msg":["transfer warn","more"]}],"skipped_items":null},"skipped_items":10,"altered_items":1,"message":null},"action":"success-item","queue":"RESTORE","child_number":2},"type":"control"}"#;
        let e = ev(line);
        let Some(Msg::Finished(f)) = &e.contents.msg else {
            panic!("{:?}", e.contents.msg)
        };
        assert_eq!(
            (
                f.warnings,
                f.skipped_items,
                f.dangerous_items,
                f.altered_items
            ),
            (4, 10, 1, 1)
        );
        assert_eq!(f.details.dangerous_items.len(), 1);
        let d = &f.details.dangerous_items[0];
        assert_eq!(d.module.as_deref(), Some("Mysql"));
        assert_eq!(d.function.as_deref(), Some("_restore_mysql"));
        assert_eq!(d.line, Some(104));
        assert_eq!(d.text, "MySQL: Skipping grants");
        assert_eq!(d.link, None);
        assert_eq!(
            f.details.altered_items[0].text,
            "db \u{201c}x\u{201d} restored"
        );
        assert!(f.details.altered_items[0]
            .link
            .as_deref()
            .unwrap()
            .contains("Rename"));
        assert_eq!(f.details.warnings[0].text, "transfer warn more");
        assert!(f.details.skipped_items.is_empty());
    }

    #[test]
    fn typed_and_value_finished_decoders_agree() {
        let msg = r#"{"size":"5","warnings":2,"skipped_items":"3","dangerous_items":null,"altered_items":1,"contents":{"warnings":[{"msg":["a","b"]}],"skipped_items":null,"dangerous_items":[],"altered_items":[[["M","f",3],"t",null]]},"message":["x","y"],"failure":null}"#;
        let typed = serde_json::from_str::<FinishedDe<'_>>(msg).unwrap().0;
        let v: Value = serde_json::from_str(msg).unwrap();
        assert_eq!(typed, decode_finished(&v));
    }

    #[test]
    fn failed_item_failure_text() {
        let e = ev(
            r#"{"type":"control","contents":{"action":"failed-item","msg":{"failure":"Aborted.","size":5}}}"#,
        );
        let Some(Msg::Finished(f)) = &e.contents.msg else {
            panic!()
        };
        assert_eq!(f.failure.as_deref(), Some("Aborted."));
        assert_eq!(f.size, Some(5));
    }

    #[test]
    fn detail_records_with_missing_parts() {
        let v: Value = serde_json::from_str(
            r#"[[["M"],"t"],[null,"u"],["only text"],"bare",null,{"msg":"o"}]"#,
        )
        .unwrap();
        let d = decode_list_value(&v);
        assert_eq!(d.len(), 5);
        assert_eq!(d[0].module.as_deref(), Some("M"));
        assert_eq!(d[0].function, None);
        assert_eq!(d[1].text, "u");
        assert_eq!(d[2].text, "only text");
        assert_eq!(d[3].text, "bare");
        assert_eq!(d[4].text, "o");
    }

    #[test]
    fn summary_lists_at_contents_level() {
        let e = ev(
            r#"{"type":"control","contents":{"action":"summary","warnings":[[["A","b",1],"w1",null]],"skipped_items":[],"dangerous_items":null,"altered_items":[]}}"#,
        );
        let s = e.contents.summary.expect("summary");
        assert_eq!(s.warnings.len(), 1);
        assert_eq!(s.warnings[0].text, "w1");
    }

    #[test]
    fn modulestatus_fields() {
        let e = ev(
            r#"{"type":"modulestatus","contents":{"module":"Mysql","status":"0","statusmsg":"boom"}}"#,
        );
        assert_eq!(e.kind, MsgType::ModuleStatus);
        assert_eq!(e.contents.module.as_deref(), Some("Mysql"));
        assert_eq!(e.contents.status, Some(0));
        assert_eq!(e.contents.statusmsg.as_deref(), Some("boom"));
    }

    #[test]
    fn escape_free_strings_borrow() {
        let e = ev(
            r#"{"type":"control","contents":{"action":"start","item":"bob","queue":"TRANSFER"}}"#,
        );
        assert!(matches!(e.contents.item, Some(Cow::Borrowed("bob"))));
        let e = ev(r#"{"type":"control","contents":{"action":"start","item":"b\"ob"}}"#);
        assert!(matches!(e.contents.item, Some(Cow::Owned(_))));
        assert_eq!(e.contents.item.as_deref(), Some("b\"ob"));
    }

    #[test]
    fn not_an_object_vs_invalid_json() {
        assert_eq!(decode("[1,2]"), Err(DiagnosticKind::NotAnObject));
        assert_eq!(decode("\"s\""), Err(DiagnosticKind::NotAnObject));
        assert!(matches!(
            decode("{\"a\":"),
            Err(DiagnosticKind::InvalidJson { .. })
        ));
        assert!(matches!(
            decode("Use of uninitialized value"),
            Err(DiagnosticKind::InvalidJson { .. })
        ));
    }

    #[test]
    fn duplicate_keys_last_wins() {
        let e = ev(r#"{"pid":1,"pid":2,"type":"out","type":"warn"}"#);
        assert_eq!(e.pid, Some(2));
        assert_eq!(e.kind, MsgType::Warn);
    }

    #[test]
    fn deep_nesting_never_crashes() {
        // Skipped (unknown key): accepted, the skipper is iterative.
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(decode(&deep).is_ok());
        // Inside a finished-item msg, under a key nobody reads: skipped.
        let deep = format!(
            "{{\"type\":\"control\",\"contents\":{{\"action\":\"failed-item\",\"msg\":{{\"a\":{}{}}}}}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let e = decode(&deep).expect("line is valid JSON");
        assert!(matches!(e.contents.msg, Some(Msg::Finished(_))));
        // Unclosed: an error.
        assert!(decode(&"[".repeat(10_000)).is_err());
    }
}
