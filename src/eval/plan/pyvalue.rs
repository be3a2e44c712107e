//! Python values as T-Eval's evaluator sees them: `ast.literal_eval` and `json.loads` produce
//! them, `str()` / `repr()` print them. The printed form is what gets embedded, so it has to be
//! Python's to the character (`{'place': 'Berlin', 'flag': True}`, `1e-05`, `(1,)`).
//!
//! Known gaps (all far from real plans): strings holding lone surrogates (`'\ud800'`) and
//! `\N{name}` escapes are rejected instead of parsed; a set prints in insertion order (Python's
//! order follows hashes and, for strings, the per-process hash seed).

use std::fmt::Write;

/// Python's limit on the digits of an int converted to or from decimal (3.11's default).
pub const INT_MAX_STR_DIGITS: usize = 4300;

/// Nesting bound: Python's parser stops at 200 open brackets; json.loads recurses deeper, but
/// plans nest a handful of levels, so one bound serves both.
const MAX_DEPTH: usize = 200;

#[derive(Debug, Clone, PartialEq)]
pub enum PyInt {
    Small(i128),
    /// Beyond i128: the decimal digits (no sign, no leading zeros) and the sign.
    Big {
        neg: bool,
        digits: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    None,
    Bool(bool),
    Int(PyInt),
    Float(f64),
    Complex(f64, f64),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<PyValue>),
    Tuple(Vec<PyValue>),
    Set(Vec<PyValue>),
    /// Insertion order; a repeated key keeps its first position and takes the last value.
    Dict(Vec<(PyValue, PyValue)>),
}

impl PyValue {
    pub fn get(&self, key: &str) -> Option<&PyValue> {
        match self {
            PyValue::Dict(items) => items.iter().find_map(|(k, v)| match k {
                PyValue::Str(s) if s == key => Some(v),
                _ => None,
            }),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            PyValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Python's `str(x)`: a string is itself, everything else its repr.
    pub fn to_py_str(&self) -> Result<String, ReprError> {
        match self {
            PyValue::Str(s) => Ok(s.clone()),
            v => v.repr(),
        }
    }

    /// Python's `repr(x)`.
    pub fn repr(&self) -> Result<String, ReprError> {
        let mut out = String::new();
        self.repr_into(&mut out, 0)?;
        Ok(out)
    }

    fn repr_into(&self, out: &mut String, depth: usize) -> Result<(), ReprError> {
        if depth > MAX_DEPTH {
            return Err(ReprError::TooDeep);
        }
        match self {
            PyValue::None => out.push_str("None"),
            PyValue::Bool(true) => out.push_str("True"),
            PyValue::Bool(false) => out.push_str("False"),
            PyValue::Int(PyInt::Small(i)) => {
                let _ = write!(out, "{i}");
            }
            PyValue::Int(PyInt::Big { neg, digits }) => {
                if digits.len() > INT_MAX_STR_DIGITS {
                    return Err(ReprError::IntTooLong);
                }
                if *neg {
                    out.push('-');
                }
                out.push_str(digits);
            }
            PyValue::Float(f) => out.push_str(&float_repr(*f, true)),
            PyValue::Complex(re, im) => {
                if *re == 0.0 && re.is_sign_positive() {
                    out.push_str(&float_repr(*im, false));
                    out.push('j');
                } else {
                    out.push('(');
                    out.push_str(&float_repr(*re, false));
                    let imr = float_repr(*im, false);
                    if !imr.starts_with('-') {
                        out.push('+');
                    }
                    out.push_str(&imr);
                    out.push_str("j)");
                }
            }
            PyValue::Str(s) => str_repr(s, out),
            PyValue::Bytes(b) => bytes_repr(b, out),
            PyValue::List(items) => {
                out.push('[');
                seq_repr(items, out, depth)?;
                out.push(']');
            }
            PyValue::Tuple(items) => {
                out.push('(');
                seq_repr(items, out, depth)?;
                if items.len() == 1 {
                    out.push(',');
                }
                out.push(')');
            }
            PyValue::Set(items) => {
                if items.is_empty() {
                    out.push_str("set()");
                } else {
                    out.push('{');
                    seq_repr(items, out, depth)?;
                    out.push('}');
                }
            }
            PyValue::Dict(items) => {
                out.push('{');
                for (n, (k, v)) in items.iter().enumerate() {
                    if n > 0 {
                        out.push_str(", ");
                    }
                    k.repr_into(out, depth + 1)?;
                    out.push_str(": ");
                    v.repr_into(out, depth + 1)?;
                }
                out.push('}');
            }
        }
        Ok(())
    }

    /// Python's `int(x)` as T-Eval applies it to a step's `id`.
    pub fn to_py_int(&self) -> Option<i128> {
        match self {
            PyValue::Bool(b) => Some(*b as i128),
            PyValue::Int(PyInt::Small(i)) => Some(*i),
            // Beyond i128 Python would go on; no plan has such ids, so treat as a failure.
            PyValue::Int(PyInt::Big { .. }) => None,
            PyValue::Float(f) => {
                if f.is_finite() && f.trunc().abs() < 1.0e38 {
                    Some(f.trunc() as i128)
                } else {
                    None
                }
            }
            PyValue::Str(s) => int_from_text(s),
            PyValue::Bytes(b) => std::str::from_utf8(b).ok().and_then(int_from_text),
            _ => None,
        }
    }

    /// Python equality between hashable values (dict keys, set members); `None` when a value
    /// is unhashable (a TypeError in Python).
    fn key_eq(&self, other: &PyValue) -> Option<bool> {
        use PyValue::{Bytes, Str, Tuple};
        if !self.hashable() || !other.hashable() {
            return Option::None;
        }
        Some(match (self, other) {
            (Tuple(a), Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.key_eq(y).unwrap_or(false))
            }
            (Str(a), Str(b)) => a == b,
            (Bytes(a), Bytes(b)) => a == b,
            (PyValue::None, PyValue::None) => true,
            (a, b) => match (a.as_complex(), b.as_complex()) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            },
        })
    }

    fn hashable(&self) -> bool {
        match self {
            PyValue::List(_) | PyValue::Set(_) | PyValue::Dict(_) => false,
            PyValue::Tuple(items) => items.iter().all(|v| v.hashable()),
            _ => true,
        }
    }

    /// Numbers as exact comparables: (real, imag) with ints kept exact where f64 would round.
    fn as_complex(&self) -> Option<(NumKey, NumKey)> {
        let zero = NumKey::Int(0);
        match self {
            PyValue::Bool(b) => Some((NumKey::Int(*b as i128), zero)),
            PyValue::Int(PyInt::Small(i)) => Some((NumKey::Int(*i), zero)),
            PyValue::Int(PyInt::Big { neg, digits }) => {
                Some((NumKey::Big(*neg, digits.clone()), zero))
            }
            PyValue::Float(f) => Some((NumKey::from_f64(*f), zero)),
            PyValue::Complex(r, i) => Some((NumKey::from_f64(*r), NumKey::from_f64(*i))),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
enum NumKey {
    Int(i128),
    Big(bool, String),
    Float(f64),
}

impl NumKey {
    fn from_f64(f: f64) -> NumKey {
        if f.is_finite() && f.fract() == 0.0 && f.abs() < 1.0e38 {
            NumKey::Int(f as i128)
        } else {
            NumKey::Float(f)
        }
    }
}

impl PartialEq for NumKey {
    fn eq(&self, other: &NumKey) -> bool {
        match (self, other) {
            (NumKey::Int(a), NumKey::Int(b)) => a == b,
            (NumKey::Big(n1, d1), NumKey::Big(n2, d2)) => n1 == n2 && d1 == d2,
            (NumKey::Float(a), NumKey::Float(b)) => a == b,
            (NumKey::Big(neg, d), NumKey::Float(f)) | (NumKey::Float(f), NumKey::Big(neg, d)) => {
                // An integral float beyond i128: compare through the float's exact digits.
                f.is_finite()
                    && f.fract() == 0.0
                    && (*f < 0.0) == *neg
                    && format!("{:.0}", f.abs()) == *d
            }
            _ => false,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ReprError {
    #[error("integer has more than {INT_MAX_STR_DIGITS} digits")]
    IntTooLong,
    #[error("value nested too deeply")]
    TooDeep,
}

fn seq_repr(items: &[PyValue], out: &mut String, depth: usize) -> Result<(), ReprError> {
    for (n, v) in items.iter().enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        v.repr_into(out, depth + 1)?;
    }
    Ok(())
}

/// Python's `repr(float)` (`add_dot_0`) and the `'r'` format used inside complex reprs (without
/// it): the shortest digits that round-trip, positional for 1e-4 <= |x| < 1e16, otherwise
/// `d.ddde±XX`.
pub fn float_repr(f: f64, add_dot_0: bool) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "d.ddde-7", "1e16", "-0e0".
    let e = format!("{f:e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant),
    };
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let decpt = exp + 1; // 0.d1d2... × 10^decpt
    if !(-4 < decpt && decpt <= 16) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else if decpt <= 0 {
        out.push_str("0.");
        for _ in 0..(-decpt) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let d = decpt as usize;
        if digits.len() <= d {
            out.push_str(&digits);
            for _ in digits.len()..d {
                out.push('0');
            }
            if add_dot_0 {
                out.push_str(".0");
            }
        } else {
            out.push_str(&digits[..d]);
            out.push('.');
            out.push_str(&digits[d..]);
        }
    }
    out
}

/// Python's `str.isprintable()` for one character: everything but the general categories
/// Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs other than the ASCII space.
fn py_printable(c: char) -> bool {
    use unicode_general_category::{get_general_category, GeneralCategory as G};
    if c == ' ' {
        return true;
    }
    !matches!(
        get_general_category(c),
        G::Control
            | G::Format
            | G::Surrogate
            | G::PrivateUse
            | G::Unassigned
            | G::LineSeparator
            | G::ParagraphSeparator
            | G::SpaceSeparator
    )
}

fn str_repr(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_ascii() => out.push(c),
            c if py_printable(c) => out.push(c),
            c if (c as u32) <= 0xff => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push(quote);
}

fn bytes_repr(b: &[u8], out: &mut String) {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    out.push('b');
    out.push(quote as char);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c as char);
            }
            c if !(0x20..0x7f).contains(&c) => {
                let _ = write!(out, "\\x{c:02x}");
            }
            c => out.push(c as char),
        }
    }
    out.push(quote as char);
}

/// Python's whitespace for `str.strip()` / `int(str)`: Unicode White_Space plus the ASCII
/// separators U+001C..U+001F that Python also counts.
pub fn py_is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

pub fn py_strip(s: &str) -> &str {
    s.trim_matches(py_is_space)
}

/// `int(text)`: surrounding whitespace, a sign, decimal digits with single underscores between
/// them (Unicode decimal digits count too).
fn int_from_text(s: &str) -> Option<i128> {
    let t = py_strip(s);
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let mut v: i128 = 0;
    let mut n = 0;
    for c in body.chars() {
        if c == '_' {
            continue;
        }
        let d = unicode_decimal(c)?;
        n += 1;
        if n > INT_MAX_STR_DIGITS {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(d as i128)?;
    }
    Some(if neg { -v } else { v })
}

/// The value of a Unicode decimal digit (category Nd): they come in runs of ten starting at 0.
fn unicode_decimal(c: char) -> Option<u32> {
    use unicode_general_category::{get_general_category, GeneralCategory};
    if c.is_ascii_digit() {
        return Some(c as u32 - '0' as u32);
    }
    if get_general_category(c) != GeneralCategory::DecimalNumber {
        return None;
    }
    let mut zero = c as u32;
    while zero > 0 {
        let prev = char::from_u32(zero - 1)?;
        if get_general_category(prev) != GeneralCategory::DecimalNumber || (c as u32 - zero) >= 9 {
            break;
        }
        zero -= 1;
    }
    // Runs of Nd are blocks of ten (some blocks sit back to back: the offset is taken mod 10).
    Some((c as u32 - zero) % 10)
}

// ---------------------------------------------------------------------------------------------
// Integers from digit strings of any base.

fn int_from_digits(digits: &str, radix: u32) -> Option<PyInt> {
    let mut small: Option<i128> = Some(0);
    for c in digits.chars() {
        let d = c.to_digit(radix)? as i128;
        // Past i128 the digits go to the arbitrary-precision path instead.
        small = small.and_then(|v| v.checked_mul(radix as i128)?.checked_add(d));
    }
    small
        .map(PyInt::Small)
        .or_else(|| big_from_digits(digits, radix))
}

/// Arbitrary precision: base 1e9 limbs, little-endian.
fn big_from_digits(digits: &str, radix: u32) -> Option<PyInt> {
    if radix == 10 && digits.len() > INT_MAX_STR_DIGITS {
        return None; // Python: "Exceeds the limit (4300 digits) for integer string conversion"
    }
    let mut limbs: Vec<u64> = vec![0];
    for c in digits.chars() {
        let mut carry = c.to_digit(radix)? as u64;
        for l in limbs.iter_mut() {
            let v = *l * radix as u64 + carry;
            *l = v % 1_000_000_000;
            carry = v / 1_000_000_000;
        }
        while carry > 0 {
            limbs.push(carry % 1_000_000_000);
            carry /= 1_000_000_000;
        }
    }
    let mut s = String::new();
    for (n, l) in limbs.iter().rev().enumerate() {
        if n == 0 {
            let _ = write!(s, "{l}");
        } else {
            let _ = write!(s, "{l:09}");
        }
    }
    let s = s.trim_start_matches('0').to_string();
    Some(PyInt::Big {
        neg: false,
        digits: if s.is_empty() { "0".into() } else { s },
    })
}

fn negate(v: PyValue) -> PyValue {
    match v {
        PyValue::Int(PyInt::Small(i)) => match i.checked_neg() {
            Some(n) => PyValue::Int(PyInt::Small(n)),
            None => PyValue::Int(PyInt::Big {
                neg: true,
                digits: i.unsigned_abs().to_string(),
            }),
        },
        PyValue::Int(PyInt::Big { neg, digits }) => {
            let neg = !neg && digits != "0";
            // -(2**127) fits i128 again.
            if neg && digits == "170141183460469231731687303715884105728" {
                PyValue::Int(PyInt::Small(i128::MIN))
            } else {
                PyValue::Int(PyInt::Big { neg, digits })
            }
        }
        PyValue::Bool(b) => PyValue::Int(PyInt::Small(-(b as i128))),
        PyValue::Float(f) => PyValue::Float(-f),
        PyValue::Complex(r, i) => PyValue::Complex(-r, -i),
        v => v,
    }
}

fn to_f64(v: &PyValue) -> Option<f64> {
    match v {
        PyValue::Int(PyInt::Small(i)) => Some(*i as f64),
        PyValue::Int(PyInt::Big { neg, digits }) => {
            let f: f64 = digits.parse().ok()?;
            Some(if *neg { -f } else { f })
        }
        PyValue::Float(f) => Some(*f),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// ast.literal_eval

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("not a Python literal at byte {0}")]
pub struct LiteralError(pub usize);

/// `ast.literal_eval(text)`: the value of a Python literal expression, or an error wherever
/// Python raises (syntax errors and non-literal expressions alike).
pub fn literal_eval(text: &str) -> Result<PyValue, LiteralError> {
    if text.contains('\0') {
        return Err(LiteralError(0));
    }
    let text = text.trim_start_matches([' ', '\t']);
    let mut p = Lit {
        s: text,
        pos: 0,
        depth: 0,
    };
    let v = p.expr()?;
    p.skip_ws(false);
    if p.pos != p.s.len() {
        return Err(LiteralError(p.pos));
    }
    Ok(v)
}

struct Lit<'a> {
    s: &'a str,
    pos: usize,
    /// Open brackets: inside them newlines are whitespace (implicit line joining).
    depth: usize,
}

/// The expression tree literal_eval inspects, reduced to what decides acceptance.
enum Node {
    /// A constant written directly (number, string, True/False/None).
    Const(PyValue),
    /// `+x` / `-x` applied to a constant number.
    Signed(PyValue),
    /// A container or `set()` already converted.
    Value(PyValue),
    /// `a + b` / `a - b` where a is a signed number and b a constant complex.
    Complex(PyValue),
    Other,
}

impl Node {
    fn value(self, at: usize) -> Result<PyValue, LiteralError> {
        match self {
            Node::Const(v) | Node::Signed(v) | Node::Value(v) | Node::Complex(v) => Ok(v),
            Node::Other => Err(LiteralError(at)),
        }
    }
}

fn is_number(v: &PyValue) -> bool {
    matches!(
        v,
        PyValue::Int(_) | PyValue::Float(_) | PyValue::Complex(..)
    )
}

impl<'a> Lit<'a> {
    fn err<T>(&self) -> Result<T, LiteralError> {
        Err(LiteralError(self.pos))
    }

    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    /// Whitespace, comments, line continuations; newlines only inside brackets.
    fn skip_ws(&mut self, in_brackets: bool) {
        let b = self.s.as_bytes();
        while self.pos < b.len() {
            match b[self.pos] {
                b' ' | b'\t' | b'\x0c' => self.pos += 1,
                b'\n' | b'\r' if in_brackets || self.depth > 0 => self.pos += 1,
                b'\\' if b.get(self.pos + 1) == Some(&b'\n') => self.pos += 2,
                b'\\' if b.get(self.pos + 1) == Some(&b'\r') => {
                    self.pos += 2;
                    if b.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                }
                b'#' => {
                    while self.pos < b.len() && b[self.pos] != b'\n' && b[self.pos] != b'\r' {
                        self.pos += 1;
                    }
                }
                // Trailing newlines end the (single) logical line; what follows must be blank.
                b'\n' | b'\r' => {
                    let rest = &self.s[self.pos..];
                    if rest.lines().all(|l| {
                        l.trim_start_matches([' ', '\t', '\x0c']).starts_with('#')
                            || l.trim_matches([' ', '\t', '\x0c', '\r']).is_empty()
                    }) {
                        self.pos = b.len();
                    } else {
                        return;
                    }
                }
                _ => return,
            }
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws(false);
        if self.s.as_bytes().get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Result<PyValue, LiteralError> {
        let at = self.pos;
        self.sum()?.value(at)
    }

    /// `a (+|-) b ...`: literal_eval accepts only `signed_number ± complex_constant`.
    fn sum(&mut self) -> Result<Node, LiteralError> {
        let mut left = self.unary()?;
        loop {
            self.skip_ws(false);
            let op = match self.s.as_bytes().get(self.pos) {
                Some(b'+') => 1.0,
                Some(b'-') => -1.0,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.unary()?;
            left = match (left, right) {
                (Node::Const(l) | Node::Signed(l), Node::Const(PyValue::Complex(ri, ii)))
                    if !matches!(l, PyValue::Complex(..)) && is_number(&l) =>
                {
                    let lr = to_f64(&l).ok_or(LiteralError(self.pos))?;
                    // Python: complex(left) ± right, the left imaginary part being +0.0.
                    if op > 0.0 {
                        Node::Complex(PyValue::Complex(lr + ri, 0.0 + ii))
                    } else {
                        Node::Complex(PyValue::Complex(lr - ri, 0.0 - ii))
                    }
                }
                _ => Node::Other,
            };
        }
    }

    /// Unary `+`, `-`, `~`: literal_eval accepts one sign on a number constant only; longer
    /// chains are read iteratively (no recursion on hostile input) and rejected.
    fn unary(&mut self) -> Result<Node, LiteralError> {
        let mut signs: Vec<i8> = Vec::new();
        loop {
            self.skip_ws(false);
            match self.s.as_bytes().get(self.pos) {
                Some(b'+') => signs.push(1),
                Some(b'-') => signs.push(-1),
                Some(b'~') => signs.push(0),
                _ => break,
            }
            self.pos += 1;
        }
        let inner = self.primary()?;
        Ok(match (signs.as_slice(), inner) {
            ([], node) => node,
            ([1], Node::Const(v)) if is_number(&v) => Node::Signed(v),
            ([-1], Node::Const(v)) if is_number(&v) => Node::Signed(negate(v)),
            _ => Node::Other,
        })
    }

    fn depth_guard(&self) -> Result<(), LiteralError> {
        if self.depth >= MAX_DEPTH {
            self.err()
        } else {
            Ok(())
        }
    }

    fn primary(&mut self) -> Result<Node, LiteralError> {
        let node = self.atom()?;
        // Trailers: only `set()` survives literal_eval; any other call, subscript or attribute
        // makes the expression non-literal.
        self.skip_ws(false);
        match self.s.as_bytes().get(self.pos) {
            Some(b'(') | Some(b'[') | Some(b'.') => self.err(),
            _ => Ok(node),
        }
    }

    fn atom(&mut self) -> Result<Node, LiteralError> {
        self.skip_ws(false);
        let Some(c) = self.peek() else {
            return self.err();
        };
        match c {
            '[' => {
                let items = self.items(b']')?;
                Ok(Node::Value(PyValue::List(items.0)))
            }
            '(' => {
                let (items, trailing_comma) = self.items(b')')?;
                if items.len() == 1 && !trailing_comma {
                    // A parenthesised expression: `(1)` is the constant 1.
                    let v = items.into_iter().next().ok_or(LiteralError(self.pos))?;
                    Ok(match v {
                        v @ PyValue::Int(_) | v @ PyValue::Float(_) | v @ PyValue::Complex(..) => {
                            self.paren_node(v)
                        }
                        v => Node::Value(v),
                    })
                } else {
                    Ok(Node::Value(PyValue::Tuple(items)))
                }
            }
            '{' => self.braces(),
            '0'..='9' | '.' => {
                let v = self.number()?;
                Ok(Node::Const(v))
            }
            '\'' | '"' => self.strings(),
            c if c == '_' || unicode_ident::is_xid_start(c) => {
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if c == '_' || unicode_ident::is_xid_continue(c) {
                        self.pos += c.len_utf8();
                    } else {
                        break;
                    }
                }
                let name = &self.s[start..self.pos];
                if matches!(self.peek(), Some('\'' | '"')) {
                    self.pos = start;
                    return self.strings();
                }
                match name {
                    "True" => Ok(Node::Const(PyValue::Bool(true))),
                    "False" => Ok(Node::Const(PyValue::Bool(false))),
                    "None" => Ok(Node::Const(PyValue::None)),
                    "set" => {
                        if self.eat(b'(') && self.eat(b')') {
                            Ok(Node::Value(PyValue::Set(Vec::new())))
                        } else {
                            self.err()
                        }
                    }
                    _ => self.err(),
                }
            }
            _ => self.err(),
        }
    }

    /// `(number)` and `(-number)` are still number nodes for the sign and complex rules; we
    /// cannot tell which was written, so re-derive from the text.
    fn paren_node(&self, v: PyValue) -> Node {
        // The inner text decides: a bare constant stays Const, a signed one is Signed (and a
        // signed number may not be signed again).
        let inner = self.s[..self.pos]
            .rfind('(')
            .map(|i| &self.s[i + 1..self.pos - 1]);
        match inner.map(|t| t.trim_start_matches([' ', '\t', '\n', '\r', '\x0c'])) {
            Some(t) if t.starts_with(['+', '-']) => Node::Signed(v),
            Some(t) if t.contains(['+', '-']) && matches!(v, PyValue::Complex(..)) => {
                Node::Complex(v)
            }
            _ => Node::Const(v),
        }
    }

    /// Comma-separated expressions up to `close`; returns whether a comma ended the list.
    fn items(&mut self, close: u8) -> Result<(Vec<PyValue>, bool), LiteralError> {
        self.depth_guard()?;
        self.pos += 1;
        self.depth += 1;
        let mut items = Vec::new();
        let mut trailing = false;
        loop {
            if self.eat(close) {
                break;
            }
            items.push(self.expr()?);
            trailing = false;
            if self.eat(b',') {
                trailing = true;
                continue;
            }
            if self.eat(close) {
                break;
            }
            return self.err();
        }
        self.depth -= 1;
        Ok((items, trailing))
    }

    fn braces(&mut self) -> Result<Node, LiteralError> {
        self.depth_guard()?;
        self.pos += 1;
        self.depth += 1;
        if self.eat(b'}') {
            self.depth -= 1;
            return Ok(Node::Value(PyValue::Dict(Vec::new())));
        }
        let first = self.expr()?;
        if self.eat(b':') {
            let mut items: Vec<(PyValue, PyValue)> = Vec::new();
            let mut key = first;
            loop {
                let value = self.expr()?;
                insert_key(&mut items, key, value).ok_or(LiteralError(self.pos))?;
                if self.eat(b',') {
                    if self.eat(b'}') {
                        break;
                    }
                    key = self.expr()?;
                    if !self.eat(b':') {
                        return self.err();
                    }
                    continue;
                }
                if self.eat(b'}') {
                    break;
                }
                return self.err();
            }
            self.depth -= 1;
            Ok(Node::Value(PyValue::Dict(items)))
        } else {
            let mut items: Vec<PyValue> = Vec::new();
            let mut v = first;
            loop {
                insert_member(&mut items, v).ok_or(LiteralError(self.pos))?;
                if self.eat(b',') {
                    if self.eat(b'}') {
                        break;
                    }
                    v = self.expr()?;
                    continue;
                }
                if self.eat(b'}') {
                    break;
                }
                return self.err();
            }
            self.depth -= 1;
            Ok(Node::Value(PyValue::Set(items)))
        }
    }

    fn number(&mut self) -> Result<PyValue, LiteralError> {
        let b = self.s.as_bytes();
        let start = self.pos;
        let digits_run = |p: &mut usize, ok: &dyn Fn(u8) -> bool| -> Result<usize, ()> {
            // digits with single underscores between them; returns how many digits.
            let mut n = 0;
            let mut last_us = false;
            while *p < b.len() && (ok(b[*p]) || b[*p] == b'_') {
                if b[*p] == b'_' {
                    if last_us || n == 0 {
                        return Err(());
                    }
                    last_us = true;
                } else {
                    last_us = false;
                    n += 1;
                }
                *p += 1;
            }
            if last_us {
                return Err(());
            }
            Ok(n)
        };
        let mut p = self.pos;
        let bad = LiteralError(start);
        if b[p] == b'0' && matches!(b.get(p + 1), Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B')) {
            let radix = match b[p + 1] {
                b'x' | b'X' => 16,
                b'o' | b'O' => 8,
                _ => 2,
            };
            p += 2;
            if b.get(p) == Some(&b'_') {
                p += 1;
            }
            let ds = p;
            let n = digits_run(&mut p, &|c: u8| (c as char).is_digit(radix))
                .map_err(|_| bad.clone())?;
            if n == 0 || p < b.len() && (b[p] as char).is_ascii_alphanumeric() {
                return Err(bad);
            }
            self.pos = p;
            let digits: String = self.s[ds..p].chars().filter(|c| *c != '_').collect();
            return int_from_digits(&digits, radix).map(PyValue::Int).ok_or(bad);
        }
        let int_digits =
            digits_run(&mut p, &|c: u8| c.is_ascii_digit()).map_err(|_| bad.clone())?;
        let mut is_float = false;
        if b.get(p) == Some(&b'.') {
            p += 1;
            is_float = true;
            let frac_start = p;
            if p < b.len() && b[p].is_ascii_digit() {
                digits_run(&mut p, &|c: u8| c.is_ascii_digit()).map_err(|_| bad.clone())?;
            }
            if int_digits == 0 && p == frac_start {
                return Err(bad);
            }
        }
        if int_digits == 0 && !is_float {
            return Err(bad);
        }
        if matches!(b.get(p), Some(b'e' | b'E')) {
            let mut q = p + 1;
            if matches!(b.get(q), Some(b'+' | b'-')) {
                q += 1;
            }
            if q < b.len() && b[q].is_ascii_digit() {
                digits_run(&mut q, &|c: u8| c.is_ascii_digit()).map_err(|_| bad.clone())?;
                p = q;
                is_float = true;
            } else {
                return Err(bad);
            }
        }
        let imag = matches!(b.get(p), Some(b'j' | b'J'));
        if imag {
            p += 1;
        }
        // "1abc", "1_": Python's tokenizer rejects a number running into a name.
        if p < b.len() && ((b[p] as char).is_ascii_alphanumeric() || b[p] == b'_' || b[p] >= 0x80) {
            let rest = &self.s[p..];
            // Keywords may follow directly (`1if x else y`), but none of them can make a literal.
            let _ = rest;
            return Err(bad);
        }
        let text: String = self.s[start..if imag { p - 1 } else { p }]
            .chars()
            .filter(|c| *c != '_')
            .collect();
        self.pos = p;
        if imag {
            let f: f64 = text.parse().map_err(|_| bad.clone())?;
            return Ok(PyValue::Complex(0.0, f));
        }
        if is_float {
            let f: f64 = text.parse().map_err(|_| bad.clone())?;
            return Ok(PyValue::Float(f));
        }
        // Decimal ints: no leading zeros unless all zeros.
        if text.len() > 1 && text.starts_with('0') && text.bytes().any(|c| c != b'0') {
            return Err(bad);
        }
        int_from_digits(&text, 10).map(PyValue::Int).ok_or(bad)
    }

    /// One or more adjacent string literals (implicit concatenation); str and bytes may not mix.
    fn strings(&mut self) -> Result<Node, LiteralError> {
        let mut text: Option<String> = None;
        let mut bytes: Option<Vec<u8>> = None;
        loop {
            self.skip_ws(false);
            let start = self.pos;
            let mut prefix = String::new();
            while let Some(c) = self.peek() {
                if c.is_ascii_alphabetic() {
                    prefix.push(c.to_ascii_lowercase());
                    self.pos += 1;
                } else {
                    break;
                }
            }
            if !matches!(self.peek(), Some('\'' | '"')) {
                self.pos = start;
                break;
            }
            let (raw, is_bytes) = match prefix.as_str() {
                "" | "u" => (false, false),
                "r" => (true, false),
                "b" => (false, true),
                "br" | "rb" => (true, true),
                // f-strings are JoinedStr nodes: not literals. Other prefixes: syntax errors.
                _ => return self.err(),
            };
            let body = self.string_body(raw, is_bytes)?;
            match body {
                StrPart::Text(s) => {
                    if bytes.is_some() {
                        return self.err();
                    }
                    text.get_or_insert_with(String::new).push_str(&s);
                }
                StrPart::Bytes(b) => {
                    if text.is_some() {
                        return self.err();
                    }
                    bytes.get_or_insert_with(Vec::new).extend_from_slice(&b);
                }
            }
        }
        match (text, bytes) {
            (Some(s), None) => Ok(Node::Const(PyValue::Str(s))),
            (None, Some(b)) => Ok(Node::Const(PyValue::Bytes(b))),
            _ => self.err(),
        }
    }

    fn string_body(&mut self, raw: bool, is_bytes: bool) -> Result<StrPart, LiteralError> {
        let b = self.s.as_bytes();
        let q = b[self.pos];
        let triple = b.get(self.pos + 1) == Some(&q) && b.get(self.pos + 2) == Some(&q);
        self.pos += if triple { 3 } else { 1 };
        let mut out: Vec<u32> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return self.err();
            };
            if c as u32 == q as u32 {
                if !triple {
                    self.pos += 1;
                    break;
                }
                if b.get(self.pos + 1) == Some(&q) && b.get(self.pos + 2) == Some(&q) {
                    self.pos += 3;
                    break;
                }
                out.push(c as u32);
                self.pos += 1;
                continue;
            }
            if (c == '\n' || c == '\r') && !triple {
                return self.err();
            }
            if is_bytes && !c.is_ascii() {
                return self.err();
            }
            if c != '\\' {
                // Python's tokenizer reads source with universal newlines.
                if c == '\r' {
                    self.pos += 1;
                    if self.peek() == Some('\n') {
                        self.pos += 1;
                    }
                    out.push('\n' as u32);
                    continue;
                }
                out.push(c as u32);
                self.pos += c.len_utf8();
                continue;
            }
            // Backslash.
            self.pos += 1;
            let Some(e) = self.peek() else {
                return self.err();
            };
            if raw {
                // A backslash escapes the quote from ending the string but stays in the text.
                out.push('\\' as u32);
                if e == '\r' {
                    self.pos += 1;
                    if self.peek() == Some('\n') {
                        self.pos += 1;
                    }
                    out.push('\n' as u32);
                } else {
                    out.push(e as u32);
                    self.pos += e.len_utf8();
                }
                continue;
            }
            self.pos += e.len_utf8();
            match e {
                '\n' => {}
                '\r' => {
                    if self.peek() == Some('\n') {
                        self.pos += 1;
                    }
                }
                '\\' | '\'' | '"' => out.push(e as u32),
                'a' => out.push(7),
                'b' => out.push(8),
                'f' => out.push(12),
                'n' => out.push(10),
                'r' => out.push(13),
                't' => out.push(9),
                'v' => out.push(11),
                '0'..='7' => {
                    let mut v = e as u32 - '0' as u32;
                    for _ in 0..2 {
                        match self.peek() {
                            Some(d @ '0'..='7') => {
                                v = v * 8 + (d as u32 - '0' as u32);
                                self.pos += 1;
                            }
                            _ => break,
                        }
                    }
                    if is_bytes && v > 0xff {
                        return self.err();
                    }
                    out.push(v);
                }
                'x' => out.push(self.hex(2)?),
                'u' if !is_bytes => out.push(self.hex(4)?),
                'U' if !is_bytes => {
                    let v = self.hex(8)?;
                    if v > 0x10ffff {
                        return self.err();
                    }
                    out.push(v);
                }
                // `\N{name}` needs the Unicode name table: not supported (see module doc).
                'N' if !is_bytes => return self.err(),
                other => {
                    out.push('\\' as u32);
                    out.push(other as u32);
                }
            }
        }
        if is_bytes {
            Ok(StrPart::Bytes(out.into_iter().map(|v| v as u8).collect()))
        } else {
            let mut s = String::with_capacity(out.len());
            for v in out {
                // Lone surrogates cannot live in a Rust string (see module doc).
                s.push(char::from_u32(v).ok_or(LiteralError(self.pos))?);
            }
            Ok(StrPart::Text(s))
        }
    }

    fn hex(&mut self, n: usize) -> Result<u32, LiteralError> {
        let t = self
            .s
            .get(self.pos..self.pos + n)
            .ok_or(LiteralError(self.pos))?;
        if !t.bytes().all(|c| c.is_ascii_hexdigit()) {
            return self.err();
        }
        self.pos += n;
        u32::from_str_radix(t, 16).map_err(|_| LiteralError(self.pos))
    }
}

enum StrPart {
    Text(String),
    Bytes(Vec<u8>),
}

impl Clone for LiteralError {
    fn clone(&self) -> Self {
        LiteralError(self.0)
    }
}

fn insert_key(items: &mut Vec<(PyValue, PyValue)>, key: PyValue, value: PyValue) -> Option<()> {
    for (k, v) in items.iter_mut() {
        if k.key_eq(&key)? {
            *v = value;
            return Some(());
        }
    }
    if !key.hashable() {
        return None;
    }
    items.push((key, value));
    Some(())
}

fn insert_member(items: &mut Vec<PyValue>, v: PyValue) -> Option<()> {
    for k in items.iter() {
        if k.key_eq(&v)? {
            return Some(());
        }
    }
    if !v.hashable() {
        return None;
    }
    items.push(v);
    Some(())
}

// ---------------------------------------------------------------------------------------------
// json.loads

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid JSON at byte {0}")]
pub struct JsonError(pub usize);

/// Python's `json.loads`: standard JSON plus `NaN`, `Infinity`, `-Infinity`; integers of any
/// size; a repeated key keeps its first position and takes the last value.
pub fn json_loads(text: &str) -> Result<PyValue, JsonError> {
    let mut p = Json {
        b: text.as_bytes(),
        s: text,
        pos: 0,
        depth: 0,
    };
    p.ws();
    let v = p.value()?;
    p.ws();
    if p.pos != p.b.len() {
        return Err(JsonError(p.pos));
    }
    Ok(v)
}

struct Json<'a> {
    b: &'a [u8],
    s: &'a str,
    pos: usize,
    depth: usize,
}

impl Json<'_> {
    fn ws(&mut self) {
        while self.pos < self.b.len() && matches!(self.b[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn err<T>(&self) -> Result<T, JsonError> {
        Err(JsonError(self.pos))
    }

    fn lit(&mut self, word: &str) -> bool {
        if self.s[self.pos..].starts_with(word) {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<PyValue, JsonError> {
        if self.depth >= 1000 {
            return self.err();
        }
        match self.b.get(self.pos) {
            Some(b'{') => {
                self.depth += 1;
                self.pos += 1;
                let mut items: Vec<(PyValue, PyValue)> = Vec::new();
                self.ws();
                if self.b.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                } else {
                    loop {
                        self.ws();
                        if self.b.get(self.pos) != Some(&b'"') {
                            return self.err();
                        }
                        let k = self.string()?;
                        self.ws();
                        if self.b.get(self.pos) != Some(&b':') {
                            return self.err();
                        }
                        self.pos += 1;
                        self.ws();
                        let v = self.value()?;
                        match items.iter_mut().find(|(ek, _)| ek.as_str() == Some(&k)) {
                            Some(slot) => slot.1 = v,
                            None => items.push((PyValue::Str(k), v)),
                        }
                        self.ws();
                        match self.b.get(self.pos) {
                            Some(b',') => self.pos += 1,
                            Some(b'}') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return self.err(),
                        }
                    }
                }
                self.depth -= 1;
                Ok(PyValue::Dict(items))
            }
            Some(b'[') => {
                self.depth += 1;
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                } else {
                    loop {
                        self.ws();
                        items.push(self.value()?);
                        self.ws();
                        match self.b.get(self.pos) {
                            Some(b',') => self.pos += 1,
                            Some(b']') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return self.err(),
                        }
                    }
                }
                self.depth -= 1;
                Ok(PyValue::List(items))
            }
            Some(b'"') => Ok(PyValue::Str(self.string()?)),
            Some(b'n') if self.lit("null") => Ok(PyValue::None),
            Some(b't') if self.lit("true") => Ok(PyValue::Bool(true)),
            Some(b'f') if self.lit("false") => Ok(PyValue::Bool(false)),
            Some(b'N') if self.lit("NaN") => Ok(PyValue::Float(f64::NAN)),
            Some(b'I') if self.lit("Infinity") => Ok(PyValue::Float(f64::INFINITY)),
            Some(b'-') if self.lit("-Infinity") => Ok(PyValue::Float(f64::NEG_INFINITY)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => self.err(),
        }
    }

    fn number(&mut self) -> Result<PyValue, JsonError> {
        let start = self.pos;
        let b = self.b;
        let mut p = self.pos;
        if b[p] == b'-' {
            p += 1;
        }
        match b.get(p) {
            Some(b'0') => p += 1,
            Some(b'1'..=b'9') => {
                while p < b.len() && b[p].is_ascii_digit() {
                    p += 1;
                }
            }
            _ => return Err(JsonError(p)),
        }
        let mut float = false;
        if b.get(p) == Some(&b'.') && b.get(p + 1).is_some_and(|c| c.is_ascii_digit()) {
            float = true;
            p += 1;
            while p < b.len() && b[p].is_ascii_digit() {
                p += 1;
            }
        }
        if matches!(b.get(p), Some(b'e' | b'E')) {
            let mut q = p + 1;
            if matches!(b.get(q), Some(b'+' | b'-')) {
                q += 1;
            }
            if b.get(q).is_some_and(|c| c.is_ascii_digit()) {
                while q < b.len() && b[q].is_ascii_digit() {
                    q += 1;
                }
                p = q;
                float = true;
            }
        }
        self.pos = p;
        let text = &self.s[start..p];
        if float {
            return text
                .parse()
                .map(PyValue::Float)
                .map_err(|_| JsonError(start));
        }
        let (neg, digits) = match text.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, text),
        };
        let v = PyValue::Int(int_from_digits(digits, 10).ok_or(JsonError(start))?);
        Ok(if neg { negate(v) } else { v })
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while self.pos < self.b.len() && !matches!(self.b[self.pos], b'"' | b'\\' | 0..=0x1f) {
                self.pos += 1;
            }
            out.push_str(&self.s[start..self.pos]);
            match self.b.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let e = *self.b.get(self.pos).ok_or(JsonError(self.pos))?;
                    self.pos += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if (0xd800..0xdc00).contains(&hi)
                                && self.s[self.pos..].starts_with("\\u")
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if (0xdc00..0xe000).contains(&lo) {
                                    0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                                } else {
                                    self.pos = save;
                                    hi
                                }
                            } else {
                                hi
                            };
                            // Lone surrogates: see the module doc.
                            out.push(char::from_u32(cp).ok_or(JsonError(self.pos))?);
                        }
                        _ => return self.err(),
                    }
                }
                _ => return self.err(),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let t = self
            .s
            .get(self.pos..self.pos + 4)
            .ok_or(JsonError(self.pos))?;
        if !t.bytes().all(|c| c.is_ascii_hexdigit()) {
            return self.err();
        }
        self.pos += 4;
        u32::from_str_radix(t, 16).map_err(|_| JsonError(self.pos))
    }
}

/// A JSON-ish serde value as Python sees it (`json.load` of the same text).
pub fn from_serde(v: &serde_json::Value) -> PyValue {
    match v {
        serde_json::Value::Null => PyValue::None,
        serde_json::Value::Bool(b) => PyValue::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                PyValue::Int(PyInt::Small(i as i128))
            } else if let Some(u) = n.as_u64() {
                PyValue::Int(PyInt::Small(u as i128))
            } else {
                PyValue::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => PyValue::Str(s.clone()),
        serde_json::Value::Array(a) => PyValue::List(a.iter().map(from_serde).collect()),
        serde_json::Value::Object(o) => PyValue::Dict(
            o.iter()
                .map(|(k, v)| (PyValue::Str(k.clone()), from_serde(v)))
                .collect(),
        ),
    }
}
