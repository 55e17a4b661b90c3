//! A serde deserializer over a route's parameters, for [`Path<T>`]:
//! a struct or map by name, a tuple or sequence by position, a single value
//! when the route has one parameter.
//!
//! [`Path<T>`]: super::Path

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use super::path::PathParams;

/// What went wrong, and whose fault it is.
#[derive(Debug)]
pub(crate) enum DeError {
    /// The value of parameter `index` does not parse: the client's fault.
    Value { index: usize, reason: String },
    /// The value of parameter `index` is not UTF-8: the client's fault.
    NotUtf8 { index: usize },
    /// The type does not fit the route: the code's fault.
    Shape(String),
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeError::Value { reason, .. } => f.write_str(reason),
            DeError::NotUtf8 { .. } => f.write_str("not valid UTF-8"),
            DeError::Shape(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::Shape(msg.to_string())
    }
}

/// Deserializes all of a route's parameters.
pub(crate) struct PathDeserializer<'a> {
    params: &'a PathParams,
}

impl<'a> PathDeserializer<'a> {
    pub(crate) fn new(params: &'a PathParams) -> Self {
        Self { params }
    }

    fn single(&self, what: &str) -> Result<ValueDeserializer<'a>, DeError> {
        match self.params.len() {
            1 => ValueDeserializer::new(0, self.params),
            len => Err(DeError::Shape(format!(
                "{what} takes one parameter, but the route has {len}; take a tuple or a struct"
            ))),
        }
    }

    fn sequence_of(&self, len: usize) -> Result<(), DeError> {
        if len == self.params.len() {
            Ok(())
        } else {
            Err(DeError::Shape(format!(
                "a tuple of {len} takes {len} parameters, but the route has {}",
                self.params.len()
            )))
        }
    }
}

macro_rules! single_value {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            self.single("a single value")?.$method(visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for PathDeserializer<'_> {
    type Error = DeError;

    single_value!(
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_identifier
    );

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_seq(Params {
            params: self.params,
            index: 0,
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.sequence_of(len)?;
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.sequence_of(len)?;
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_map(Params {
            params: self.params,
            index: 0,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.single("an enum")?
            .deserialize_enum(name, variants, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

/// The parameters one by one: as a map (name, value) or a sequence.
struct Params<'a> {
    params: &'a PathParams,
    index: usize,
}

impl<'de> MapAccess<'de> for Params<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        if self.index < self.params.len() {
            seed.deserialize(self.params.name(self.index).into_deserializer())
                .map(Some)
        } else {
            Ok(None)
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let index = self.index;
        self.index += 1;
        if index < self.params.len() {
            seed.deserialize(ValueDeserializer::new(index, self.params)?)
        } else {
            Err(DeError::Shape(
                "a value was asked for past the last parameter".into(),
            ))
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.params.len() - self.index)
    }
}

impl<'de> SeqAccess<'de> for Params<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let index = self.index;
        if index < self.params.len() {
            self.index += 1;
            seed.deserialize(ValueDeserializer::new(index, self.params)?)
                .map(Some)
        } else {
            Ok(None)
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.params.len() - self.index)
    }
}

/// One parameter's value, parsed into whatever type asks for it.
struct ValueDeserializer<'a> {
    index: usize,
    value: &'a str,
}

impl<'a> ValueDeserializer<'a> {
    fn new(index: usize, params: &'a PathParams) -> Result<Self, DeError> {
        if !params.is_utf8(index) {
            return Err(DeError::NotUtf8 { index });
        }
        Ok(Self {
            index,
            value: params.value(index),
        })
    }

    /// An error of the value's own visitor (an unknown enum variant...) is
    /// about the value.
    fn about_value<T>(&self, result: Result<T, DeError>) -> Result<T, DeError> {
        result.map_err(|err| match err {
            DeError::Shape(reason) => DeError::Value {
                index: self.index,
                reason,
            },
            other => other,
        })
    }

    fn not_a(&self, what: &str) -> DeError {
        DeError::Shape(format!("one path parameter cannot be {what}"))
    }
}

macro_rules! parse_value {
    ($($method:ident $visit:ident $ty:ty,)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            match self.value.parse::<$ty>() {
                Ok(value) => self.about_value(visitor.$visit(value)),
                Err(err) => Err(DeError::Value {
                    index: self.index,
                    reason: format!("not a valid {}: {err}", stringify!($ty)),
                }),
            }
        }
    )*};
}

macro_rules! not_a {
    ($($method:ident $what:literal,)*) => {$(
        fn $method<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, DeError> {
            Err(self.not_a($what))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'_> {
    type Error = DeError;

    parse_value!(
        deserialize_bool visit_bool bool,
        deserialize_i8 visit_i8 i8,
        deserialize_i16 visit_i16 i16,
        deserialize_i32 visit_i32 i32,
        deserialize_i64 visit_i64 i64,
        deserialize_i128 visit_i128 i128,
        deserialize_u8 visit_u8 u8,
        deserialize_u16 visit_u16 u16,
        deserialize_u32 visit_u32 u32,
        deserialize_u64 visit_u64 u64,
        deserialize_u128 visit_u128 u128,
        deserialize_f32 visit_f32 f32,
        deserialize_f64 visit_f64 f64,
        deserialize_char visit_char char,
    );

    not_a!(
        deserialize_seq "a sequence (take the route's parameters as a tuple)",
        deserialize_map "a map (take the route's parameters as a map)",
    );

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.about_value(visitor.visit_str(self.value))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.about_value(visitor.visit_str(self.value))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.about_value(visitor.visit_str(self.value))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.about_value(visitor.visit_str(self.value))
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.about_value(visitor.visit_bytes(self.value.as_bytes()))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.about_value(visitor.visit_bytes(self.value.as_bytes()))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, DeError> {
        Err(self.not_a("a tuple (the route has one parameter)"))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, DeError> {
        Err(self.not_a("a tuple struct (the route has one parameter)"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, DeError> {
        Err(self.not_a("a struct inside Path<T>'s fields"))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let access: de::value::StrDeserializer<'_, DeError> = self.value.into_deserializer();
        self.about_value(visitor.visit_enum(access))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}
