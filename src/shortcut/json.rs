//! Plist-as-JSON dumps. JSON cannot say "real" for `0.0`, nor carry data or dates, so the
//! caller marks the result's provenance as having lost its typing.

use super::ReadError;
use crate::limits::Limits;

pub(super) fn read(bytes: &[u8], limits: &Limits) -> Result<plist::Value, ReadError> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // serde_json refuses nesting deeper than 128 by itself, so this cannot overflow.
    let v: serde_json::Value =
        serde_json::from_slice(text).map_err(|e| ReadError::Json(e.to_string()))?;
    convert(&v, 0, limits.max_depth)
}

fn convert(v: &serde_json::Value, depth: usize, max: usize) -> Result<plist::Value, ReadError> {
    use serde_json::Value as J;
    if depth > max {
        return Err(ReadError::Json(format!("nesting deeper than {max}")));
    }
    Ok(match v {
        J::Null => return Err(ReadError::Json("null has no plist equivalent".into())),
        J::Bool(b) => plist::Value::Boolean(*b),
        J::Number(n) => {
            if let Some(i) = n.as_i64() {
                plist::Value::Integer(i.into())
            } else if let Some(u) = n.as_u64() {
                plist::Value::Integer(u.into())
            } else {
                plist::Value::Real(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        J::String(s) => plist::Value::String(s.clone()),
        J::Array(a) => plist::Value::Array(
            a.iter()
                .map(|x| convert(x, depth + 1, max))
                .collect::<Result<_, _>>()?,
        ),
        J::Object(o) => {
            if let Some(v) = tagged(o) {
                return Ok(v);
            }
            let mut d = plist::Dictionary::new();
            for (k, x) in o {
                d.insert(k.clone(), convert(x, depth + 1, max)?);
            }
            plist::Value::Dictionary(d)
        }
    })
}

/// Some dumps write data and dates as `{"__type__": "data"|"date", "__value__": text}`;
/// those get their plist type back.
fn tagged(o: &serde_json::Map<String, serde_json::Value>) -> Option<plist::Value> {
    use base64::Engine as _;
    if o.len() != 2 {
        return None;
    }
    let value = o.get("__value__")?.as_str()?;
    match o.get("__type__")?.as_str()? {
        "data" => base64::engine::general_purpose::STANDARD
            .decode(value)
            .ok()
            .map(plist::Value::Data),
        "date" => plist::Date::from_xml_format(value)
            .ok()
            .map(plist::Value::Date),
        _ => None,
    }
}
