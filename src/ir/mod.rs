//! The typed workflow IR.
//!
//! The IR is lossless: every key of the source plist lands somewhere in it, and
//! [`crate::compile`] turns it back into the same plist. Typed nodes are used where the
//! file's shape is understood; anything else is kept in a raw form next to them.

use serde::Serialize;

pub mod walk;

/// Key/value pairs of a plist dictionary, sorted by key: the order of keys in a file
/// carries no meaning, and the same shortcut saved by different tools must print the same.
pub type Params = Vec<(String, Value)>;

/// Where a node came from in DSL source (byte range). Spans are not part of a program's
/// meaning: any two spans compare equal, so IR equality ignores them.
#[derive(Clone, Default, Serialize)]
#[serde(transparent)]
pub struct SrcSpan(pub Option<std::ops::Range<usize>>);

// Debug text of the IR is compared in tests; like equality, it leaves spans out.
impl std::fmt::Debug for SrcSpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("_")
    }
}

impl std::fmt::Debug for ParamSpans {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("_")
    }
}

impl PartialEq for SrcSpan {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Spans of an action's parameters: (key, span of the key, span of the value).
#[derive(Clone, Default, Serialize)]
#[serde(transparent)]
pub struct ParamSpans(pub Vec<(String, std::ops::Range<usize>, std::ops::Range<usize>)>);

impl PartialEq for ParamSpans {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl ParamSpans {
    pub fn get(&self, key: &str) -> Option<(std::ops::Range<usize>, std::ops::Range<usize>)> {
        self.0
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, a, b)| (a.clone(), b.clone()))
    }
}

/// Puts dictionary entries in the IR's canonical (byte-wise key) order.
pub fn sort_params(p: &mut Params) {
    p.sort_by(|a, b| a.0.cmp(&b.0));
}

/// A whole shortcut.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workflow {
    /// Every top-level key except `WFWorkflowActions`, in file order.
    pub meta: Params,
    pub body: Vec<Stmt>,
    pub provenance: Provenance,
    /// Things the lifter repaired or could not interpret; the workflow is still complete.
    pub warnings: Vec<String>,
}

/// Where a workflow came from and what the container did to it.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Provenance {
    pub container: String,
    /// JSON dumps lose plist typing (reals written as integers, data and dates as text).
    pub typing_lost: bool,
    /// Metadata of a signed file (signer kind, certificate count), or of an iCloud record.
    pub extra: Vec<(String, String)>,
}

/// One statement of a workflow body.
// Block markers and conditions are boxed: a statement is moved several times while blocks
// are rebuilt, and unboxed they made every statement 800 bytes.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Stmt {
    Action(Action),
    /// `is.workflow.actions.comment`; the action keeps any other parameters.
    Comment {
        text: String,
        action: Action,
    },
    /// `is.workflow.actions.setvariable` (append = false) or `appendvariable`.
    SetVariable {
        name: String,
        append: bool,
        /// `WFInput`, absent when the action takes the previous output implicitly.
        value: Option<Value>,
        action: Action,
    },
    If {
        cond: Box<Condition>,
        then: Vec<Stmt>,
        /// The "Otherwise" marker and its body.
        otherwise: Option<(Action, Vec<Stmt>)>,
        markers: Box<BlockMarkers>,
    },
    Menu {
        prompt: Option<Value>,
        items: MenuItems,
        cases: Vec<MenuCase>,
        markers: Box<BlockMarkers>,
    },
    RepeatCount {
        count: Option<Value>,
        body: Vec<Stmt>,
        markers: Box<BlockMarkers>,
    },
    RepeatEach {
        items: Option<Value>,
        body: Vec<Stmt>,
        markers: Box<BlockMarkers>,
    },
}

/// The start and end actions of a block, with everything the typed node did not take.
/// `start.params` never holds the keys the typed node owns, nor `GroupingIdentifier` and
/// `WFControlFlowMode`; those are restored by the compiler.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlockMarkers {
    pub group: String,
    pub start: Action,
    pub end: Action,
    /// The start action has no `WFControlFlowMode` (old files leave it out); printed as
    /// `WFControlFlowMode=None` in the block's head.
    pub implicit_start: bool,
}

/// A menu's `WFMenuItems`, which normally repeats the case titles.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum MenuItems {
    /// Equal to the list of case titles.
    FromCases,
    /// Absent from the file.
    Absent,
    /// Something else, kept as it is.
    Other(Value),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MenuCase {
    /// `WFMenuItemTitle`.
    pub title: Value,
    /// The case's marker action (other keys, such as `WFMenuItemAttributedTitle`).
    pub marker: Action,
    pub body: Vec<Stmt>,
}

/// A condition of an `if`: the typed view of the start action's condition keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    /// `WFInput`.
    pub input: Option<Value>,
    /// `WFCondition`: an integer code in new files, a string such as `Equals` in old ones.
    pub op: Option<Value>,
    /// The compared values (`WFConditionalActionString`, `WFNumberValue`, ...), in order.
    pub operands: Params,
}

/// Keys of an `if` start action that belong to its condition.
pub const CONDITION_KEYS: &[&str] = &[
    "WFInput",
    "WFCondition",
    "WFConditionalActionString",
    "WFNumberValue",
    "WFAnotherNumber",
    "WFDate",
    "WFAnotherDate",
    "WFMeasurement",
    "WFAnotherMeasurement",
    "WFDuration",
    "WFEnumeration",
    "WFConditions",
];

/// One action call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    pub id: String,
    /// `WFWorkflowActionParameters` without `UUID` (and without the block keys for markers).
    pub params: Params,
    /// The action's `UUID`: the name of its output.
    pub output: Option<String>,
    /// `WFWorkflowActionParameters` was absent (not merely empty).
    pub no_params: bool,
    /// Keys of the action dictionary other than the identifier and parameters.
    pub extra: Params,
    /// The call in DSL source (or the line of a block marker).
    #[serde(skip_serializing_if = "SrcSpan::is_none")]
    pub span: SrcSpan,
    #[serde(skip_serializing_if = "ParamSpans::is_empty")]
    pub param_spans: ParamSpans,
}

impl SrcSpan {
    pub fn is_none(&self) -> bool {
        self.0.is_none()
    }
}

impl ParamSpans {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Action {
    pub fn new(id: impl Into<String>) -> Self {
        Action {
            id: id.into(),
            params: Vec::new(),
            output: None,
            no_params: false,
            extra: Vec::new(),
            span: SrcSpan::default(),
            param_spans: ParamSpans::default(),
        }
    }

    pub fn param(&self, key: &str) -> Option<&Value> {
        self.params.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// Identifiers of the built-in actions the IR gives statements of their own.
pub const ID_COMMENT: &str = "is.workflow.actions.comment";
pub const ID_SETVAR: &str = "is.workflow.actions.setvariable";
pub const ID_APPENDVAR: &str = "is.workflow.actions.appendvariable";
pub const ID_IF: &str = "is.workflow.actions.conditional";
pub const ID_MENU: &str = "is.workflow.actions.choosefrommenu";
pub const ID_REPEAT_COUNT: &str = "is.workflow.actions.repeat.count";
pub const ID_REPEAT_EACH: &str = "is.workflow.actions.repeat.each";
pub const ID_GETVAR: &str = "is.workflow.actions.getvariable";
pub const ID_NOTHING: &str = "is.workflow.actions.nothing";

/// The built-in actions a program needs no app or catalog entry for: first the seven the
/// DSL writes as statements of their own ([`STATEMENT_IDS`]), then Get Variable (a
/// variable read) and Nothing.
pub const BUILTIN_IDS: [&str; 9] = [
    ID_COMMENT,
    ID_SETVAR,
    ID_APPENDVAR,
    ID_IF,
    ID_MENU,
    ID_REPEAT_COUNT,
    ID_REPEAT_EACH,
    ID_GETVAR,
    ID_NOTHING,
];

/// The actions the DSL writes as statements (comment, set and append variable, if, menu,
/// both repeats): the head of [`BUILTIN_IDS`].
pub const STATEMENT_IDS: &[&str] = BUILTIN_IDS.split_at(7).0;

/// A Repeat count that `range(n)` (or `range(int(x))`) cannot write with the meaning it
/// has in Python: a negative number (Python's loop runs zero times) or a real that is not
/// a whole number (`int()` would truncate it). Such a count stays among the start action's
/// raw parameters, printed `range(WFRepeatCount=-5)`.
pub fn is_raw_repeat_count(v: &Value) -> bool {
    match v {
        Value::Int(n) => n.get() < 0,
        Value::Real(r) => !(r.is_finite() && *r >= 0.0 && r.fract() == 0.0),
        _ => false,
    }
}

/// The statement a plain action stands for: a comment, or setting a variable, when the
/// action holds exactly what that statement prints (else the action itself).
pub fn simple_stmt(mut a: Action) -> Stmt {
    if a.extra.is_empty() && !a.no_params {
        if a.id == ID_COMMENT {
            if let Some(i) = a
                .params
                .iter()
                .position(|(k, v)| k == "WFCommentActionText" && matches!(v, Value::String(_)))
            {
                if let (_, Value::String(text)) = a.params.remove(i) {
                    return Stmt::Comment { text, action: a };
                }
            }
        }
        if a.id == ID_SETVAR || a.id == ID_APPENDVAR {
            if let Some(i) = a
                .params
                .iter()
                .position(|(k, v)| k == "WFVariableName" && matches!(v, Value::String(_)))
            {
                if let (_, Value::String(name)) = a.params.remove(i) {
                    let value = a
                        .params
                        .iter()
                        .position(|(k, _)| k == "WFInput")
                        .map(|i| a.params.remove(i).1);
                    return Stmt::SetVariable {
                        name,
                        append: a.id == ID_APPENDVAR,
                        value,
                        action: a,
                    };
                }
            }
        }
    }
    Stmt::Action(a)
}

/// A parameter value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Value {
    String(String),
    /// Integers keep their sign and width as plist integers do.
    Int(Integer),
    Real(f64),
    Bool(bool),
    /// A plist date, as an XML plist writes it (`2020-01-01T00:00:00Z`).
    Date(String),
    Data(Vec<u8>),
    Array(Vec<Value>),
    /// A plain dictionary (no `WFSerializationType`, or one the lifter does not type).
    Dict(Params),
    /// `WFTextTokenString`: text with interpolated variables.
    Text(Text),
    /// `WFTextTokenAttachment`: one variable. (Boxed, as a `VarRef` is four times the size
    /// of the other variants and every value would carry it.)
    Attachment(Box<VarRef>),
    /// A bare variable dictionary (`{Type: ..., ...}`) outside any serialization wrapper.
    VarRef(Box<VarRef>),
    /// `WFDictionaryFieldValue` in its usual shape.
    DictField(Vec<DictItem>),
    /// Any other `{Value: ..., WFSerializationType: kind}`; `value` is lifted recursively.
    Serialized {
        kind: String,
        value: Box<Value>,
    },
}

/// A plist integer: any `i64` or `u64`. Kept as two 8-byte halves rather than an `i128`,
/// whose 16-byte alignment would make every `Value`, and every list of them, a sixth
/// larger (48 bytes instead of 40).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Integer {
    hi: i64,
    lo: u64,
}

impl Integer {
    pub const fn new(v: i128) -> Self {
        Integer {
            hi: (v >> 64) as i64,
            lo: v as u64,
        }
    }

    pub const fn get(self) -> i128 {
        ((self.hi as i128) << 64) | self.lo as i128
    }
}

impl From<i128> for Integer {
    fn from(v: i128) -> Self {
        Integer::new(v)
    }
}

impl From<i64> for Integer {
    fn from(v: i64) -> Self {
        Integer::new(v.into())
    }
}

impl From<u64> for Integer {
    fn from(v: u64) -> Self {
        Integer::new(v.into())
    }
}

impl std::fmt::Debug for Integer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

impl std::fmt::Display for Integer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

impl Serialize for Integer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i128(self.get())
    }
}

impl Value {
    /// `Value::Int` of any integer type.
    pub fn int(v: impl Into<i128>) -> Value {
        Value::Int(Integer::new(v.into()))
    }
}

/// A piece of text: literal runs and variables, in order. Offsets are not stored: they are
/// recomputed in UTF-16 code units (one U+FFFC per variable) when compiling.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Text {
    pub parts: Vec<TextPart>,
    /// The file wrote an empty `attachmentsByRange` (newer clients do) rather than none.
    pub empty_ranges: bool,
}

impl Text {
    pub fn lit(s: impl Into<String>) -> Text {
        Text {
            parts: vec![TextPart::Lit(s.into())],
            empty_ranges: false,
        }
    }

    /// The string of the text, with one U+FFFC per variable, and each variable's range key
    /// (`{offset, 1}`, offsets in UTF-16 code units), as a `WFTextTokenString` holds them.
    pub fn layout(&self) -> (String, Vec<(String, &VarRef)>) {
        let mut s = String::new();
        let mut ranges = Vec::new();
        let mut units = 0usize;
        for p in &self.parts {
            match p {
                TextPart::Lit(l) => {
                    units += l.encode_utf16().count();
                    s.push_str(l);
                }
                TextPart::Var(r) => {
                    ranges.push((format!("{{{units}, 1}}"), r));
                    s.push('\u{FFFC}');
                    units += 1;
                }
            }
        }
        (s, ranges)
    }

    /// The text in its serialized (untyped) form, with each variable as a bare reference.
    pub fn to_serialized(&self) -> Value {
        let (s, ranges) = self.layout();
        let mut d = vec![("string".to_string(), Value::String(s))];
        if !ranges.is_empty() || self.empty_ranges {
            let r = ranges
                .into_iter()
                .map(|(k, v)| (k, Value::VarRef(Box::new(v.clone()))))
                .collect();
            d.push(("attachmentsByRange".to_string(), Value::Dict(r)));
        }
        Value::Serialized {
            kind: "WFTextTokenString".into(),
            value: Box::new(Value::Dict(d)),
        }
    }

    /// The text a serialized `WFTextTokenString` value (`{string, attachmentsByRange}`,
    /// variables as references) stands for; `None` when it is not exactly that shape: each
    /// range `{offset, 1}` on a U+FFFC, at distinct offsets, and no other keys.
    pub fn from_serialized(v: &Value) -> Option<Text> {
        let Value::Dict(d) = v else { return None };
        let mut string = None;
        let mut ranges = None;
        for (k, v) in d {
            match (k.as_str(), v) {
                ("string", Value::String(s)) if string.is_none() => string = Some(s),
                ("attachmentsByRange", Value::Dict(r)) if ranges.is_none() => ranges = Some(r),
                _ => return None,
            }
        }
        let s = string?;
        let mut attach: Vec<(usize, &VarRef)> = Vec::new();
        for (k, v) in ranges.map_or(&[][..], |r| &r[..]) {
            let inner = k.strip_prefix('{')?.strip_suffix(", 1}")?;
            if inner.is_empty()
                || inner.len() > 9
                || !inner.bytes().all(|b| b.is_ascii_digit())
                || (inner.len() > 1 && inner.starts_with('0'))
            {
                return None;
            }
            let r = match v {
                Value::VarRef(r) | Value::Attachment(r) => &**r,
                _ => return None,
            };
            attach.push((inner.parse().ok()?, r));
        }
        attach.sort_by_key(|(p, _)| *p);
        if attach.windows(2).any(|w| w[0].0 == w[1].0) {
            return None;
        }
        let mut parts = Vec::new();
        let mut lit = String::new();
        let (mut units, mut next) = (0usize, attach.into_iter().peekable());
        for c in s.chars() {
            if next.peek().is_some_and(|(p, _)| *p == units) {
                if c != '\u{FFFC}' {
                    return None;
                }
                if !lit.is_empty() {
                    parts.push(TextPart::Lit(std::mem::take(&mut lit)));
                }
                parts.push(TextPart::Var(next.next()?.1.clone()));
            } else {
                lit.push(c);
            }
            units += c.len_utf16();
        }
        if next.peek().is_some() {
            return None;
        }
        if !lit.is_empty() {
            parts.push(TextPart::Lit(lit));
        }
        Some(Text {
            parts,
            empty_ranges: ranges.is_some_and(|r| r.is_empty()),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TextPart {
    Lit(String),
    Var(VarRef),
}

/// One entry of a `WFDictionaryFieldValue`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DictItem {
    pub key: Text,
    pub value: DictItemValue,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum DictItemValue {
    /// `WFItemType` 0.
    Text(Text),
    /// `WFItemType` 3: a number written as text.
    Number(Text),
    /// `WFItemType` 4: a `WFBooleanSubstitutableState` holding a bool or a variable.
    Bool(Value),
    /// `WFItemType` 1.
    Dict(Vec<DictItem>),
    /// `WFItemType` 2: a `WFArrayParameterState`.
    Array(Vec<ArrayItem>),
}

/// An element of a dictionary's array.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ArrayItem {
    /// `{WFItemType, WFValue}`, typed like a dictionary entry's value.
    Typed(DictItemValue),
    /// Anything else (usually a plain string).
    Plain(Value),
}

/// A reference to a variable, with its aggrandizements in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VarRef {
    pub var: Var,
    pub aggr: Vec<Aggr>,
    /// Where the variable is named in DSL source.
    #[serde(skip_serializing_if = "SrcSpan::is_none")]
    pub span: SrcSpan,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Var {
    /// `ActionOutput`: `OutputName` is what the editor shows; absent in a few files.
    ActionOutput {
        uuid: String,
        name: Option<String>,
    },
    /// `Variable` with `VariableName` (also the magic `Repeat Item`, `Repeat Index`).
    /// `uuid` is the optional `VariableUUID` newer files write.
    Named {
        name: String,
        uuid: Option<String>,
    },
    /// `ExtensionInput`: the shortcut's input.
    ShortcutInput,
    /// `Input`: the input of the action that holds the reference.
    ActionInput,
    Clipboard,
    CurrentDate,
    /// `Ask`, with its optional `Prompt`.
    Ask {
        prompt: Option<String>,
    },
    DeviceDetails,
}

/// How a variable is refined before use.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Aggr {
    /// `WFDictionaryValueVariableAggrandizement`.
    DictKey(String),
    /// `WFCoercionVariableAggrandizement`.
    Coerce(String),
    /// `WFPropertyVariableAggrandizement`.
    Property {
        name: String,
        user_info: Option<Value>,
    },
    /// Any other aggrandizement, kept as its plain dictionary (with `Type`). With no keys
    /// at all it stands for nothing but the list itself: a variable whose only
    /// aggrandizement is this wrote an empty `Aggrandizements` list (`aggrandize(x)`).
    Other(Params),
}

impl Workflow {
    /// Number of plist actions the workflow holds (block markers included).
    pub fn action_count(&self) -> usize {
        count_actions(&self.body)
    }

    /// Action identifiers in order of first use.
    pub fn apis(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        visit_actions(&self.body, &mut |a| {
            if seen.insert(a.id.clone()) {
                out.push(a.id.clone());
            }
        });
        out
    }
}

fn count_actions(body: &[Stmt]) -> usize {
    let mut n = 0;
    visit_actions(body, &mut |_| n += 1);
    n
}

/// Calls `f` on every plist action of `body` in file order.
pub fn visit_actions<'a>(body: &'a [Stmt], f: &mut dyn FnMut(&'a Action)) {
    for s in body {
        match s {
            Stmt::Action(a) => f(a),
            Stmt::Comment { action, .. } | Stmt::SetVariable { action, .. } => f(action),
            Stmt::If {
                then,
                otherwise,
                markers,
                ..
            } => {
                f(&markers.start);
                visit_actions(then, f);
                if let Some((m, b)) = otherwise {
                    f(m);
                    visit_actions(b, f);
                }
                f(&markers.end);
            }
            Stmt::Menu { cases, markers, .. } => {
                f(&markers.start);
                for c in cases {
                    f(&c.marker);
                    visit_actions(&c.body, f);
                }
                f(&markers.end);
            }
            Stmt::RepeatCount { body, markers, .. } | Stmt::RepeatEach { body, markers, .. } => {
                f(&markers.start);
                visit_actions(body, f);
                f(&markers.end);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_ids_are_the_head_of_builtin_ids() {
        assert_eq!(
            STATEMENT_IDS,
            [
                ID_COMMENT,
                ID_SETVAR,
                ID_APPENDVAR,
                ID_IF,
                ID_MENU,
                ID_REPEAT_COUNT,
                ID_REPEAT_EACH
            ]
        );
        assert_eq!(&BUILTIN_IDS[7..], [ID_GETVAR, ID_NOTHING]);
    }

    #[test]
    fn raw_repeat_counts() {
        for v in [
            Value::int(-1i64),
            Value::Real(-0.5),
            Value::Real(2.5),
            Value::Real(f64::NAN),
        ] {
            assert!(is_raw_repeat_count(&v), "{v:?}");
        }
        for v in [
            Value::int(0i64),
            Value::int(7i64),
            Value::Real(6.0),
            Value::Real(-0.0),
        ] {
            assert!(!is_raw_repeat_count(&v), "{v:?}");
        }
    }

    #[test]
    fn integers_keep_every_plist_value() {
        for v in [
            0i128,
            1,
            -1,
            i64::MIN.into(),
            i64::MAX.into(),
            u64::MAX.into(),
            i128::from(u64::MAX) + 1,
            i128::MIN,
            i128::MAX,
        ] {
            let i = Integer::new(v);
            assert_eq!(i.get(), v);
            assert_eq!(format!("{i:?}"), v.to_string());
            assert_eq!(serde_json::to_string(&i).unwrap(), v.to_string());
        }
        assert_eq!(Value::int(-5i64), Value::Int(Integer::new(-5)));
        assert_ne!(Integer::new(-1), Integer::from(u64::MAX));
        // The reason for the type: values stay 8-byte aligned.
        assert_eq!(std::mem::align_of::<Value>(), 8);
    }
}
