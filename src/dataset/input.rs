//! Reading record files as a stream: JSONL (one record per line), a JSON array of records
//! (WorkflowBench's `data_samples.json`, read element by element), or concatenated JSON
//! values. A WorkflowBench split key file (`{"train": [...], "dev": [...]}`) is recognized.

use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// One item read from an input file.
pub enum Item {
    /// A JSON value at `index` in its file.
    Value(usize, Value),
    /// A line or element that is not JSON, with why.
    Bad(usize, String),
    /// A split key file: the `train` and `dev` key lists.
    Keys {
        train: Vec<String>,
        dev: Vec<String>,
    },
}

/// Longest JSONL line read (a record bigger than this is reported, not loaded).
pub const MAX_LINE: usize = 64 << 20;

/// Reads `path`, calling `f` for every item in file order.
pub fn read(path: &Path, f: &mut dyn FnMut(Item)) -> std::io::Result<()> {
    let file = std::fs::File::open(path)?;
    let mut r = BufReader::with_capacity(1 << 16, file);
    let first = loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(p) => {
                let c = buf[p];
                r.consume(p);
                break c;
            }
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    };
    let jsonl = path.extension().is_some_and(|e| e == "jsonl");
    if first == b'[' {
        let mut de = serde_json::Deserializer::from_reader(r);
        let mut index = 0usize;
        let res = Each {
            f: &mut |v: Value| {
                f(Item::Value(index, v));
                index += 1;
            },
        }
        .deserialize(&mut de);
        if let Err(e) = res {
            f(Item::Bad(
                index,
                format!("JSON array broken at element {index}: {e}"),
            ));
        }
        return Ok(());
    }
    if jsonl {
        let mut line = Vec::new();
        let mut index = 0;
        loop {
            line.clear();
            let n = (&mut r)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut line)?;
            if n == 0 {
                break;
            }
            if line.len() > MAX_LINE && !line.ends_with(b"\n") {
                f(Item::Bad(
                    index,
                    format!("line longer than {MAX_LINE} bytes"),
                ));
                // Skip the rest of the line.
                let mut sink = Vec::new();
                r.read_until(b'\n', &mut sink)?;
                index += 1;
                continue;
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Value>(&line) {
                Ok(v) => f(classify(index, v)),
                Err(e) => f(Item::Bad(index, format!("not JSON: {e}"))),
            }
            index += 1;
        }
        return Ok(());
    }
    for (index, v) in serde_json::Deserializer::from_reader(r)
        .into_iter::<Value>()
        .enumerate()
    {
        match v {
            Ok(v) => f(classify(index, v)),
            Err(e) => {
                f(Item::Bad(index, format!("not JSON: {e}")));
                break;
            }
        }
    }
    Ok(())
}

fn classify(index: usize, v: Value) -> Item {
    if let Value::Object(m) = &v {
        let list = |k: &str| {
            m.get(k).and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(|x| match x {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            })
        };
        if m.len() == 2 {
            if let (Some(train), Some(dev)) = (list("train"), list("dev")) {
                return Item::Keys { train, dev };
            }
        }
    }
    Item::Value(index, v)
}

/// Visits a JSON array's elements one at a time.
struct Each<'a> {
    f: &'a mut dyn FnMut(Value),
}

impl<'de> DeserializeSeed<'de> for Each<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Each<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            (self.f)(v);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(name: &str, text: &str) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let mut out = Vec::new();
        read(&p, &mut |it| {
            out.push(match it {
                Item::Value(i, v) => format!("{i}:{v}"),
                Item::Bad(i, _) => format!("{i}:bad"),
                Item::Keys { train, dev } => format!("keys {} {}", train.len(), dev.len()),
            })
        })
        .unwrap();
        out
    }

    #[test]
    fn reads_every_layout() {
        assert_eq!(
            collect("a.jsonl", "{\"a\":1}\nnot json\n\n{\"b\":2}\n"),
            ["0:{\"a\":1}", "1:bad", "2:{\"b\":2}"]
        );
        assert_eq!(
            collect("a.json", "  [ {\"a\":1}, {\"b\":2} ]"),
            ["0:{\"a\":1}", "1:{\"b\":2}"]
        );
        assert_eq!(
            collect("k.json", "{\"train\": [\"x\", 3], \"dev\": []}"),
            ["keys 2 0"]
        );
        assert_eq!(collect("e.json", ""), Vec::<String>::new());
    }
}
