//! `wfc check`: validates a parsed program against the API catalog.
//!
//! Every finding has a kind, a severity, a message, the byte span it is about (when the
//! program came from DSL source) and an optional hint. The checks are conservative: a
//! value the checker cannot judge (a variable, text holding a variable, a serialized or
//! raw value) is always accepted, and facts only an observation supports (source
//! `inferred`) never make a finding. See `docs/check.md`.

use crate::catalog::{python_name, ActionInfo, Catalog, ParamInfo};
use crate::dsl::{self, Diagnostic};
use crate::ir::*;
use crate::lift::{ID_APPENDVAR, ID_SETVAR};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::rc::Rc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum FindingKind {
    /// The program does not parse.
    Syntax,
    /// A name that nothing sets, declares or binds to an action's output.
    UndefinedVariable,
    UnknownAction,
    UnknownParameter,
    /// A literal value outside the parameter's allowed values.
    NotInEnum,
    /// A literal of the wrong kind (a number for text, a dictionary for a boolean, ...).
    WrongKind,
    MissingRequired,
    /// A variable read before any statement sets it, or an output before its action runs.
    UsedBeforeDefined,
    /// An output bound to a name that nothing references.
    UnusedOutput,
    /// An if/else/case/loop body without statements.
    EmptyBlock,
}

impl FindingKind {
    pub const ALL: [FindingKind; 10] = [
        FindingKind::Syntax,
        FindingKind::UndefinedVariable,
        FindingKind::UnknownAction,
        FindingKind::UnknownParameter,
        FindingKind::NotInEnum,
        FindingKind::WrongKind,
        FindingKind::MissingRequired,
        FindingKind::UsedBeforeDefined,
        FindingKind::UnusedOutput,
        FindingKind::EmptyBlock,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FindingKind::Syntax => "syntax",
            FindingKind::UndefinedVariable => "undefined-variable",
            FindingKind::UnknownAction => "unknown-action",
            FindingKind::UnknownParameter => "unknown-parameter",
            FindingKind::NotInEnum => "not-in-enum",
            FindingKind::WrongKind => "wrong-kind",
            FindingKind::MissingRequired => "missing-required",
            FindingKind::UsedBeforeDefined => "used-before-defined",
            FindingKind::UnusedOutput => "unused-output",
            FindingKind::EmptyBlock => "empty-block",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    pub message: String,
    /// Byte range in the DSL source.
    pub span: Option<Range<usize>>,
    pub help: Option<String>,
}

impl Finding {
    fn new(
        kind: FindingKind,
        severity: Severity,
        message: impl Into<String>,
        span: Option<Range<usize>>,
    ) -> Self {
        Finding {
            kind,
            severity,
            message: message.into(),
            span,
            help: None,
        }
    }

    fn help(mut self, h: Option<String>) -> Self {
        self.help = h;
        self
    }

    /// A parse error.
    pub fn from_diagnostic(d: &Diagnostic) -> Self {
        Finding {
            kind: FindingKind::Syntax,
            severity: Severity::Error,
            message: d.message.clone(),
            span: Some(d.span.clone()),
            help: d.help.clone(),
        }
    }

    /// The finding as a DSL diagnostic (an empty span at 0 when it has none).
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic {
            message: self.message.clone(),
            span: self.span.clone().unwrap_or(0..0),
            label: self.kind.name().to_string(),
            help: self.help.clone(),
        }
    }

    /// 1-based line and column in `src`, when the finding has a span.
    pub fn position(&self, src: &str) -> Option<(usize, usize)> {
        self.span
            .as_ref()
            .map(|_| self.to_diagnostic().position(src))
    }

    /// rustc-style text: `error[kind]: message`, the place, the line and a caret.
    pub fn render(&self, file: &str, src: &str) -> String {
        let head = format!("{}[{}]", self.severity.name(), self.kind.name());
        if self.span.is_none() {
            let mut s = format!("{head}: {}\n --> {file}\n", self.message);
            if let Some(h) = &self.help {
                s.push_str(&format!("  = help: {h}\n"));
            }
            return s;
        }
        let r = self.to_diagnostic().render(file, src);
        match r.strip_prefix("error") {
            Some(rest) => format!("{head}{rest}"),
            None => r,
        }
    }
}

/// The verdict of a program: `clean`, `warnings` or `errors`.
pub fn verdict(findings: &[Finding]) -> &'static str {
    if findings.iter().any(|f| f.severity == Severity::Error) {
        "errors"
    } else if findings.is_empty() {
        "clean"
    } else {
        "warnings"
    }
}

/// Checks one workflow.
pub fn check(wf: &Workflow, catalog: &Catalog) -> Vec<Finding> {
    Checker::new(catalog).check(wf)
}

/// Parses and checks DSL source; parse errors become `syntax` findings.
pub fn check_source(src: &str, catalog: &Catalog) -> Vec<Finding> {
    Checker::new(catalog).check_source(src)
}

/// Parameter keys any action may carry (Shortcuts adds them itself).
const UNIVERSAL_KEYS: &[&str] = &[
    "UUID",
    "CustomOutputName",
    "ShowWhenRun",
    "GroupingIdentifier",
    "WFControlFlowMode",
    "AppIntentDescriptor",
];

/// Keys that older versions of Shortcuts (and Workflow before it) wrote and that the
/// catalog's (newer) lists lack, measured on the converted corpus: (action, key).
const LEGACY_KEYS: &[(&str, &str)] = &[
    ("is.workflow.actions.runworkflow", "WFWorkflowName"),
    ("is.workflow.actions.runworkflow", "WFShowWorkflow"),
    ("is.workflow.actions.openapp", "WFAppIdentifier"),
    ("is.workflow.actions.openin", "WFOpenInAppIdentifier"),
    (
        "is.workflow.actions.addnewreminder",
        "WFCalendarItemCalendar",
    ),
    ("is.workflow.actions.addnewreminder", "WFAlertTrigger"),
    ("is.workflow.actions.addnewreminder", "WFCalendarItemAlert"),
    (
        "is.workflow.actions.addnewreminder",
        "WFCalendarItemEndDate",
    ),
    ("is.workflow.actions.addnewevent", "WFCalendarItemCalendar"),
    (
        "is.workflow.actions.documentpicker.open",
        "WFShowFilePicker",
    ),
    (
        "is.workflow.actions.documentpicker.open",
        "WFFileStorageService",
    ),
    ("is.workflow.actions.documentpicker.open", "SelectMultiple"),
    (
        "is.workflow.actions.documentpicker.save",
        "WFFileStorageService",
    ),
    ("is.workflow.actions.file.append", "WFFileStorageService"),
    (
        "is.workflow.actions.file.createfolder",
        "WFFileStorageService",
    ),
    (
        "is.workflow.actions.file.delete",
        "WFDeleteFileConfirmDeletion",
    ),
    ("is.workflow.actions.round", "WFRoundType"),
    ("is.workflow.actions.round", "WFRoundDecimalPlaces"),
    ("is.workflow.actions.adjustdate", "WFAdjustOffsetPicker"),
    ("is.workflow.actions.adjustdate", "WFAdjustAsksWhenRun"),
    (
        "is.workflow.actions.gettimebetweendates",
        "WFTimeUntilCustomDate",
    ),
    (
        "is.workflow.actions.gettimebetweendates",
        "WFTimeUntilReferenceDate",
    ),
    ("is.workflow.actions.gettraveltime", "WFGetDirectionsFrom"),
    (
        "is.workflow.actions.tweet",
        "WFSocialActionShowComposeSheet",
    ),
    (
        "is.workflow.actions.sendemail",
        "WFEmailAccountActionShowAccounts",
    ),
    ("is.workflow.actions.avairyeditphoto", "WFAviaryPrimaryTool"),
];

/// Keys any action may carry in old files: `WFVariable` (Workflow 1.x passed input that
/// way), `Advanced` (the editor's "Show More" state), `Show-KEY` (a field's visibility).
fn is_legacy_key(action: &str, key: &str) -> bool {
    key == "WFVariable"
        || key == "Advanced"
        || key.starts_with("Show-")
        || LEGACY_KEYS.iter().any(|(a, k)| *a == action && *k == key)
}

/// Sources of complete parameter lists: a key missing from them is unknown.
const COMPLETE_LIST_SOURCES: &[&str] = &["apple-wfactions", "scpl-2.2", "wfc-default"];

/// Does the catalog list all of the action's parameters?
fn complete_list(info: &ActionInfo) -> bool {
    !info.parameters.is_empty()
        && info
            .provenance
            .get("parameters")
            .is_some_and(|s| COMPLETE_LIST_SOURCES.contains(&s.as_str()))
}

/// Is this a full catalog (built from the shared sources) rather than the embedded
/// default or an App Intents-only one?
fn is_full_catalog(catalog: &Catalog) -> bool {
    catalog
        .connection()
        .query_row(
            "SELECT count(*) FROM sources WHERE name IN
               ('apple-wfactions', 'shortcutsbench', 'workflowllm', 'scpl-2.2')",
            [],
            |r| r.get::<_, i64>(0),
        )
        .is_ok_and(|n| n > 0)
}

/// Checks programs against one catalog, remembering the actions it looked up.
pub struct Checker<'c> {
    catalog: &'c Catalog,
    full: bool,
    cache: RefCell<HashMap<String, Option<Rc<ActionInfo>>>>,
    nearest: RefCell<HashMap<String, Option<String>>>,
}

impl<'c> Checker<'c> {
    pub fn new(catalog: &'c Catalog) -> Self {
        Checker {
            catalog,
            full: is_full_catalog(catalog),
            cache: RefCell::new(HashMap::new()),
            nearest: RefCell::new(HashMap::new()),
        }
    }

    /// Whether unknown actions are errors (a full catalog) or warnings (a partial one).
    pub fn full_catalog(&self) -> bool {
        self.full
    }

    /// Every finding of a program: syntax errors, undefined names, and the checks of every
    /// statement that parsed (the parser goes on after an error at the next statement).
    /// Sorted by position; a dataset builder can call this once per record.
    pub fn check_source(&self, src: &str) -> Vec<Finding> {
        let parsed = dsl::parse_recovering(src, dsl::ParseOptions::default());
        let mut out: Vec<Finding> = parsed.errors.iter().map(Finding::from_diagnostic).collect();
        out.extend(parsed.undefined.iter().map(|d| Finding {
            kind: FindingKind::UndefinedVariable,
            ..Finding::from_diagnostic(d)
        }));
        out.extend(self.check(&parsed.workflow));
        out.sort_by_key(|f| (f.span.as_ref().map_or(0, |s| s.start), f.kind));
        out
    }

    /// The catalog entry of an action id as the parser made it: the exact identifier, else
    /// its Python name (the parser reads every `_` of a function name as `.`).
    pub fn resolve(&self, id: &str) -> Option<Rc<ActionInfo>> {
        if let Some(hit) = self.cache.borrow().get(id) {
            return hit.clone();
        }
        let info = self
            .catalog
            .lookup_action(id)
            .or_else(|| self.catalog.lookup_action(&python_name(id)))
            .map(Rc::new);
        self.cache.borrow_mut().insert(id.to_string(), info.clone());
        info
    }

    fn suggest(&self, id: &str) -> Option<String> {
        let py = python_name(id);
        if let Some(s) = self.nearest.borrow().get(&py) {
            return s.clone();
        }
        let limit = (py.chars().count() / 4).max(2);
        let s = self
            .catalog
            .nearest(&py, 1)
            .into_iter()
            .find(|(_, d)| *d <= limit)
            .map(|(id, _)| python_name(&id));
        self.nearest.borrow_mut().insert(py, s.clone());
        s
    }

    pub fn check(&self, wf: &Workflow) -> Vec<Finding> {
        let mut out = Vec::new();
        visit_actions(&wf.body, &mut |a| {
            if !is_marker_or_variable(a) {
                self.check_action(a, &mut out);
            }
        });
        let live = |id: &str, key: &str| self.reads(id, key);
        Flow::new(&wf.body, &live).run(&wf.body, &mut out);
        unused_outputs(&wf.body, &mut out);
        empty_blocks(&wf.body, &mut out);
        out.sort_by_key(|f| (f.span.as_ref().map_or(0, |s| s.start), f.kind));
        out
    }

    /// Does action `id` read parameter `key` when it runs? Not a key the catalog's
    /// complete list lacks, nor Workflow 1.x's `WFVariable` (except on Get Variable).
    fn reads(&self, id: &str, key: &str) -> bool {
        if key == "WFVariable" {
            return id == "is.workflow.actions.getvariable";
        }
        match self.resolve(id) {
            Some(info) if complete_list(&info) => info.parameters.iter().any(|p| p.key == key),
            _ => true,
        }
    }

    fn check_action(&self, a: &Action, out: &mut Vec<Finding>) {
        let span = a.span.0.clone();
        let Some(info) = self.resolve(&a.id) else {
            let (sev, note) = if self.full {
                (Severity::Error, "")
            } else {
                (
                    Severity::Warning,
                    " (the embedded default catalog is small; build the full one with `wfc catalog build`)",
                )
            };
            let help = self.suggest(&a.id).map(|s| format!("did you mean `{s}`?"));
            out.push(
                Finding::new(
                    FindingKind::UnknownAction,
                    sev,
                    format!("unknown action `{}`{note}", a.id),
                    span,
                )
                .help(help),
            );
            return;
        };
        let documented = complete_list(&info);
        for (key, value) in &a.params {
            let (key_span, value_span) = match a.param_spans.get(key) {
                Some((k, v)) => (Some(k), Some(v)),
                None => (span.clone(), span.clone()),
            };
            let Some(p) = info.parameters.iter().find(|p| p.key == *key) else {
                if documented
                    && !UNIVERSAL_KEYS.contains(&key.as_str())
                    && !is_legacy_key(&info.identifier, key)
                {
                    let keys = info.parameters.iter().map(|p| p.key.as_str());
                    let help = dsl::diag::did_you_mean(key, keys)
                        .map(|s| format!("did you mean `{s}`?"))
                        .or_else(|| {
                            Some(format!(
                                "`{}` takes {}",
                                info.python_name,
                                info.parameters
                                    .iter()
                                    .map(|p| p.key.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ))
                        });
                    out.push(
                        Finding::new(
                            FindingKind::UnknownParameter,
                            Severity::Error,
                            format!("`{}` has no parameter `{key}`", info.python_name),
                            key_span,
                        )
                        .help(help),
                    );
                }
                continue;
            };
            if p.source == "inferred" {
                continue;
            }
            check_value(&info, p, value, value_span, out);
        }
        for p in &info.parameters {
            if p.required != Some(true)
                || p.source == "inferred"
                || UNIVERSAL_KEYS.contains(&p.key.as_str())
                || p.default.is_some()
                || info.input_key.as_deref() == Some(p.key.as_str())
                || a.param(&p.key).is_some()
            {
                continue;
            }
            out.push(
                Finding::new(
                    FindingKind::MissingRequired,
                    Severity::Error,
                    format!("`{}` needs parameter `{}`", info.python_name, p.key),
                    span.clone(),
                )
                .help(Some(format!("add `{}=...`", p.key))),
            );
        }
    }
}

/// Block markers and variable actions are checked through their typed statements.
fn is_marker_or_variable(a: &Action) -> bool {
    matches!(
        a.id.as_str(),
        crate::lift::ID_IF
            | crate::lift::ID_MENU
            | crate::lift::ID_REPEAT_COUNT
            | crate::lift::ID_REPEAT_EACH
            | crate::lift::ID_COMMENT
    ) || ((a.id == ID_SETVAR || a.id == ID_APPENDVAR) && a.param("WFVariableName").is_none())
}

/// What a parameter expects, from its Python type, else its class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Text,
    Number,
    Bool,
    Dict,
    List,
    Any,
}

fn expected(p: &ParamInfo) -> Expect {
    // Apple's parameter class is the more precise fact; the Python type fills in.
    match p.class.as_deref() {
        Some("WFSwitchParameter") => return Expect::Bool,
        Some("WFNumberFieldParameter" | "WFStepperParameter" | "WFSliderParameter") => {
            return Expect::Number
        }
        Some("WFDictionaryParameter") => return Expect::Dict,
        Some("WFTextInputParameter") => return Expect::Text,
        Some(_) => return Expect::Any,
        None => {}
    }
    match p.python_type.as_deref() {
        Some("str") => Expect::Text,
        Some("int" | "float") => Expect::Number,
        Some("bool") => Expect::Bool,
        Some("dict") => Expect::Dict,
        Some("list") => Expect::List,
        _ => Expect::Any,
    }
}

/// The literal a value spells, when it is one (text without variables counts).
fn literal(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Real(r) => Some(r.to_string()),
        Value::Text(t) => {
            let mut s = String::new();
            for p in &t.parts {
                match p {
                    TextPart::Lit(l) => s.push_str(l),
                    TextPart::Var(_) => return None,
                }
            }
            Some(s)
        }
        _ => None,
    }
}

/// A short name of a value's kind, as findings and `catalog learn` use it.
pub fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "text",
        Value::Text(t) if t.parts.iter().all(|p| matches!(p, TextPart::Lit(_))) => "text",
        Value::Text(_) => "text with variables",
        Value::Int(_) | Value::Real(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Date(_) => "date",
        Value::Data(_) => "data",
        Value::Array(_) => "list",
        Value::Dict(_) | Value::DictField(_) => "dictionary",
        Value::Attachment(_) | Value::VarRef(_) => "variable",
        Value::Serialized { .. } => "serialized value",
    }
}

fn is_number_text(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || t.parse::<f64>().is_ok()
}

fn check_value(
    info: &ActionInfo,
    p: &ParamInfo,
    v: &Value,
    span: Option<Range<usize>>,
    out: &mut Vec<Finding>,
) {
    // Values the checker cannot judge.
    if matches!(
        v,
        Value::Attachment(_) | Value::VarRef(_) | Value::Serialized { .. } | Value::Data(_)
    ) || matches!(v, Value::Text(_)) && literal(v).is_none()
    {
        return;
    }
    let exp = if p.enum_values.is_empty() {
        expected(p)
    } else {
        Expect::Text
    };
    let ok = match exp {
        Expect::Any => true,
        Expect::Text => {
            matches!(
                v,
                Value::String(_)
                    | Value::Text(_)
                    | Value::Date(_)
                    | Value::Dict(_)
                    // Several values: App Intents array parameters, several URLs.
                    | Value::Array(_)
            ) || (!p.enum_values.is_empty() && matches!(v, Value::Int(_) | Value::Real(_)))
        }
        Expect::Number => match v {
            Value::Int(_) | Value::Real(_) | Value::Dict(_) => true,
            Value::String(_) | Value::Text(_) => literal(v).is_some_and(|s| is_number_text(&s)),
            _ => false,
        },
        Expect::Bool => match v {
            Value::Bool(_) | Value::Dict(_) => true,
            Value::Int(i) => matches!(i.get(), 0 | 1),
            Value::String(_) | Value::Text(_) => literal(v).is_some_and(|s| {
                matches!(
                    s.to_ascii_lowercase().as_str(),
                    "true" | "false" | "yes" | "no" | "0" | "1" | ""
                )
            }),
            _ => false,
        },
        Expect::Dict => matches!(v, Value::Dict(_) | Value::DictField(_)),
        Expect::List => !matches!(v, Value::Bool(_) | Value::Int(_) | Value::Real(_)),
    };
    if !ok {
        let want = match exp {
            Expect::Text if !p.enum_values.is_empty() => "one of its values",
            Expect::Text => "text",
            Expect::Number => "a number",
            Expect::Bool => "a boolean",
            Expect::Dict => "a dictionary",
            Expect::List => "a list",
            Expect::Any => "anything",
        };
        out.push(
            Finding::new(
                FindingKind::WrongKind,
                Severity::Error,
                format!(
                    "`{}` of `{}` takes {want}, not {}",
                    p.key,
                    info.python_name,
                    value_kind(v)
                ),
                span,
            )
            .help(match exp {
                Expect::Text => Some("write it as a string: `'''...'''`".to_string()),
                _ => None,
            }),
        );
        return;
    }
    // Property names depend on the content item class and the OS version.
    if p.enum_values.is_empty() || p.key == "WFContentItemPropertyName" {
        return;
    }
    let Some(lit) = literal(v) else { return };
    // A number for an enum without numeric values is an index or a boolean state.
    let numeric = |s: &str| s.trim().parse::<f64>().is_ok();
    if matches!(v, Value::Int(_) | Value::Real(_)) && !p.enum_values.iter().any(|e| numeric(e)) {
        return;
    }
    // Case differences and a value's last words (`Grid` for `In a Grid`) are versions of
    // the same value.
    let lower = lit.trim().to_lowercase();
    let close = |e: &str| {
        let e = e.to_lowercase();
        e == lower || (lower.len() >= 3 && e.ends_with(&format!(" {lower}")))
    };
    let matches = |s: &str| {
        p.enum_values.iter().any(|e| e == s || close(e))
            || p.enum_labels.iter().flatten().any(|l| l == s || close(l))
    };
    if !matches(&lit) {
        let help = dsl::diag::did_you_mean(&lit, p.enum_values.iter().map(String::as_str))
            .map(|s| format!("did you mean `'''{s}'''`?"))
            .unwrap_or_else(|| {
                let mut vals: Vec<String> = p
                    .enum_values
                    .iter()
                    .take(12)
                    .map(|v| format!("'{v}'"))
                    .collect();
                if p.enum_values.len() > 12 {
                    vals.push("...".into());
                }
                format!("allowed: {}", vals.join(", "))
            });
        out.push(
            Finding::new(
                FindingKind::NotInEnum,
                Severity::Error,
                format!(
                    "`{lit}` is not a value of `{}` of `{}`",
                    p.key, info.python_name
                ),
                span,
            )
            .help(Some(help)),
        );
    }
}

// ---------------------------------------------------------------------------------------
// Program order: variables and outputs

fn is_magic(name: &str) -> bool {
    ["Repeat Item", "Repeat Index"].iter().any(|b| {
        name == *b
            || name
                .strip_prefix(b)
                .and_then(|r| r.strip_prefix(' '))
                .is_some_and(|r| !r.is_empty() && r.bytes().all(|c| c.is_ascii_digit()))
    })
}

/// Calls `f` on every variable reference in `v`.
fn visit_refs<'a>(v: &'a Value, f: &mut dyn FnMut(&'a VarRef)) {
    crate::ir::walk::walk_value(v, &mut |item| {
        if let crate::ir::walk::Item::Ref(r) = item {
            f(r)
        }
    });
}

fn visit_params<'a>(p: &'a Params, f: &mut dyn FnMut(&'a VarRef)) {
    p.iter().for_each(|(_, v)| visit_refs(v, f));
}

/// Does action `id` read parameter `key`?
type LiveKey<'l> = &'l dyn Fn(&str, &str) -> bool;

/// Every reference a statement makes in its own parameters (not in nested bodies).
///
/// `live`: only the references Shortcuts reads when it runs the statement, as the
/// predicate `live(action, key)` tells. Old files keep stale values: keys the action no
/// longer has (`WFVariable` from Workflow 1.x beside the real input), the operands of every
/// comparison a condition was once set to (only one is read), leftover keys on block
/// markers, and marker actions that form no block.
fn stmt_own_refs<'a>(s: &'a Stmt, live: Option<LiveKey>, f: &mut dyn FnMut(&'a VarRef)) {
    let params = |a: &'a Action, f: &mut dyn FnMut(&'a VarRef)| {
        if live.is_some() && is_marker_or_variable(a) {
            return;
        }
        for (k, v) in &a.params {
            if live.is_none_or(|l| l(&a.id, k)) {
                visit_refs(v, f);
            }
        }
    };
    let markers_params = |m: &'a BlockMarkers, f: &mut dyn FnMut(&'a VarRef)| {
        if live.is_none() {
            visit_params(&m.start.params, f);
        }
    };
    let live = live.is_some();
    match s {
        Stmt::Action(a) | Stmt::Comment { action: a, .. } => params(a, f),
        Stmt::SetVariable { value, action, .. } => {
            if let Some(v) = value {
                visit_refs(v, f);
            }
            params(action, f);
        }
        Stmt::If { cond, markers, .. } => {
            if let Some(v) = &cond.input {
                visit_refs(v, f);
            }
            if let Some(v) = &cond.op {
                visit_refs(v, f);
            }
            if !live || cond.operands.len() <= 1 {
                visit_params(&cond.operands, f);
            }
            markers_params(markers, f);
        }
        Stmt::Menu {
            prompt,
            items,
            markers,
            ..
        } => {
            if let Some(v) = prompt {
                visit_refs(v, f);
            }
            if let MenuItems::Other(v) = items {
                visit_refs(v, f);
            }
            markers_params(markers, f);
        }
        Stmt::RepeatCount { count, markers, .. } => {
            if let Some(v) = count {
                visit_refs(v, f);
            }
            markers_params(markers, f);
        }
        Stmt::RepeatEach { items, markers, .. } => {
            if let Some(v) = items {
                visit_refs(v, f);
            }
            markers_params(markers, f);
        }
    }
}

/// Names set and outputs made anywhere in `body`.
fn collect_defs(body: &[Stmt], names: &mut HashSet<String>, outputs: &mut HashSet<String>) {
    visit_actions(body, &mut |a| {
        if let Some(u) = &a.output {
            outputs.insert(u.clone());
        }
    });
    fn names_in(body: &[Stmt], names: &mut HashSet<String>) {
        for s in body {
            match s {
                Stmt::SetVariable { name, .. } => {
                    names.insert(name.clone());
                }
                Stmt::If {
                    then, otherwise, ..
                } => {
                    names_in(then, names);
                    if let Some((_, b)) = otherwise {
                        names_in(b, names);
                    }
                }
                Stmt::Menu { cases, .. } => cases.iter().for_each(|c| names_in(&c.body, names)),
                Stmt::RepeatCount { body, .. } | Stmt::RepeatEach { body, .. } => {
                    names_in(body, names)
                }
                _ => {}
            }
        }
    }
    names_in(body, names);
}

struct Flow<'l> {
    live: LiveKey<'l>,
    /// Names some statement sets, outputs some action makes.
    set_anywhere: HashSet<String>,
    outputs_anywhere: HashSet<String>,
    defined: HashSet<String>,
    ran: HashSet<String>,
    reported: HashSet<String>,
}

impl<'l> Flow<'l> {
    fn new(body: &[Stmt], live: LiveKey<'l>) -> Self {
        let mut set_anywhere = HashSet::new();
        let mut outputs_anywhere = HashSet::new();
        collect_defs(body, &mut set_anywhere, &mut outputs_anywhere);
        Flow {
            live,
            set_anywhere,
            outputs_anywhere,
            defined: HashSet::new(),
            ran: HashSet::new(),
            reported: HashSet::new(),
        }
    }

    fn use_refs(&mut self, s: &Stmt, out: &mut Vec<Finding>) {
        let mut refs = Vec::new();
        stmt_own_refs(s, Some(self.live), &mut |r| refs.push(r));
        self.check_refs(refs, out);
    }

    fn check_refs(&mut self, refs: Vec<&VarRef>, out: &mut Vec<Finding>) {
        for r in refs {
            let (key, what) = match &r.var {
                Var::Named { name, .. } => {
                    if is_magic(name)
                        || !self.set_anywhere.contains(name)
                        || self.defined.contains(name)
                    {
                        continue;
                    }
                    (
                        format!("v:{name}"),
                        format!("variable `{name}` is used before it is set"),
                    )
                }
                Var::ActionOutput { uuid, name } => {
                    if !self.outputs_anywhere.contains(uuid) || self.ran.contains(uuid) {
                        continue;
                    }
                    (
                        format!("o:{uuid}"),
                        format!(
                            "output {}is used before its action runs",
                            name.as_ref().map(|n| format!("`{n}` ")).unwrap_or_default()
                        ),
                    )
                }
                _ => continue,
            };
            if self.reported.insert(key) {
                out.push(
                    Finding::new(
                        FindingKind::UsedBeforeDefined,
                        Severity::Error,
                        what,
                        r.span.0.clone(),
                    )
                    .help(Some(
                        "move the statement that sets it above this line".to_string(),
                    )),
                );
            }
        }
    }

    fn ran(&mut self, a: &Action) {
        if let Some(u) = &a.output {
            self.ran.insert(u.clone());
        }
    }

    fn run(&mut self, body: &[Stmt], out: &mut Vec<Finding>) {
        for s in body {
            self.use_refs(s, out);
            match s {
                Stmt::Action(a) | Stmt::Comment { action: a, .. } => self.ran(a),
                Stmt::SetVariable { name, action, .. } => {
                    self.defined.insert(name.clone());
                    self.ran(action);
                }
                Stmt::If {
                    then,
                    otherwise,
                    markers,
                    ..
                } => {
                    self.ran(&markers.start);
                    self.run(then, out);
                    if let Some((m, b)) = otherwise {
                        self.use_marker(m, out);
                        self.run(b, out);
                    }
                    self.ran(&markers.end);
                }
                Stmt::Menu { cases, markers, .. } => {
                    self.ran(&markers.start);
                    for c in cases {
                        let mut refs = Vec::new();
                        visit_refs(&c.title, &mut |r| refs.push(r));
                        self.check_refs(refs, out);
                        self.use_marker(&c.marker, out);
                        self.run(&c.body, out);
                    }
                    self.ran(&markers.end);
                }
                Stmt::RepeatCount { body, markers, .. }
                | Stmt::RepeatEach { body, markers, .. } => {
                    // A later iteration sees what an earlier one set.
                    let (mut n, mut o) = (HashSet::new(), HashSet::new());
                    collect_defs(body, &mut n, &mut o);
                    self.defined.extend(n);
                    self.ran.extend(o);
                    self.ran(&markers.start);
                    self.run(body, out);
                    self.ran(&markers.end);
                }
            }
        }
    }

    /// A marker's own parameters are leftovers the block does not read.
    fn use_marker(&mut self, m: &Action, _out: &mut [Finding]) {
        self.ran(m);
    }
}

/// Outputs bound to a name (`x = action(...)`, `x = block_result()`) that nothing uses.
fn unused_outputs(body: &[Stmt], out: &mut Vec<Finding>) {
    let mut used = HashSet::new();
    crate::ir::walk::walk_stmts(body, &mut |item| match item {
        crate::ir::walk::Item::Ref(VarRef {
            var: Var::ActionOutput { uuid, .. },
            ..
        }) => {
            used.insert(uuid.clone());
        }
        crate::ir::walk::Item::RawRef(u) => {
            used.insert(u.to_string());
        }
        _ => {}
    });
    visit_actions(body, &mut |a| {
        let Some(uuid) = &a.output else { return };
        if a.span.0.is_none() || a.param_spans.get("__uuid__").is_some() || used.contains(uuid) {
            return;
        }
        out.push(
            Finding::new(
                FindingKind::UnusedOutput,
                Severity::Warning,
                "this action's output is bound to a name that nothing uses",
                a.span.0.clone(),
            )
            .help(Some("drop the `name = ` or use the output".to_string())),
        );
    });
}

fn empty_blocks(body: &[Stmt], out: &mut Vec<Finding>) {
    fn warn(out: &mut Vec<Finding>, what: &str, span: &SrcSpan) {
        out.push(
            Finding::new(
                FindingKind::EmptyBlock,
                Severity::Warning,
                format!("empty {what}"),
                span.0.clone(),
            )
            .help(Some(
                "add the statements it should run, or remove it".to_string(),
            )),
        );
    }
    for s in body {
        match s {
            Stmt::If {
                then,
                otherwise,
                markers,
                ..
            } => {
                // `if c: pass` + `else: ...` is how a negated test is written.
                let else_full = otherwise.as_ref().is_some_and(|(_, b)| !b.is_empty());
                if then.is_empty() && !else_full {
                    warn(out, "`if` body", &markers.start.span);
                }
                // An empty `else` is the Otherwise marker older editors always added.
            }
            // An empty menu case is an item that does nothing, such as Cancel.
            Stmt::RepeatCount { body, markers, .. } | Stmt::RepeatEach { body, markers, .. }
                if body.is_empty() =>
            {
                warn(out, "loop body", &markers.start.span);
            }
            _ => {}
        }
        match s {
            Stmt::If {
                then, otherwise, ..
            } => {
                empty_blocks(then, out);
                if let Some((_, b)) = otherwise {
                    empty_blocks(b, out);
                }
            }
            Stmt::Menu { cases, .. } => cases.iter().for_each(|c| empty_blocks(&c.body, out)),
            Stmt::RepeatCount { body, .. } | Stmt::RepeatEach { body, .. } => {
                empty_blocks(body, out)
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------
// Inputs and reports for `wfc check`: see `input.rs`.

mod input;
pub use input::{collect_programs, for_each_program, json_report, Entry, Program, Walk};
