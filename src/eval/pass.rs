//! The deterministic pass verdict: the checkable part of WorkflowLLM's judged pass rate, and
//! more. A sample passes when it parses as wfc's DSL, compiles to a shortcut plist, `wfc check`
//! finds nothing at the chosen severity, calls only the record's allowed APIs (and the
//! statements the DSL writes as syntax: if, menu, repeat, set/append variable, comment), and
//! reads no variable before it is set. The verdict lists every rule that failed.

use crate::catalog::Catalog;
use crate::check::{Checker, FindingKind, Severity};
use crate::dsl::{self, ParseOptions};
use crate::ir::{visit_actions, Workflow};
use serde::Serialize;
use std::collections::HashSet;

/// Actions the DSL writes as statements, allowed whatever the record's API list says.
pub const BUILTIN_ACTIONS: &[&str] = crate::ir::STATEMENT_IDS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// There is a prediction for the record at all.
    Present,
    /// The code parses as wfc's DSL.
    Parses,
    /// The program calls at least one action (an empty program does nothing).
    NotEmpty,
    /// The parsed program compiles to a plist that serializes.
    Compiles,
    /// `wfc check` reports nothing at the chosen severity (other than undefined variables).
    CheckClean,
    /// Every action called is in the record's `apis` or a built-in statement.
    AllowedApis,
    /// No variable or action output is read before it is set.
    DefinedBeforeUse,
}

impl Rule {
    pub const ALL: [Rule; 7] = [
        Rule::Present,
        Rule::Parses,
        Rule::NotEmpty,
        Rule::Compiles,
        Rule::CheckClean,
        Rule::AllowedApis,
        Rule::DefinedBeforeUse,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Rule::Present => "present",
            Rule::Parses => "parses",
            Rule::NotEmpty => "not-empty",
            Rule::Compiles => "compiles",
            Rule::CheckClean => "check-clean",
            Rule::AllowedApis => "allowed-apis",
            Rule::DefinedBeforeUse => "defined-before-use",
        }
    }
}

/// One failed rule and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    pub rule: Rule,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub pass: bool,
    /// Rules that could not be checked (compile and later rules when the code does not parse;
    /// allowed APIs when the record lists none).
    pub unchecked: Vec<Rule>,
    pub failed: Vec<Failure>,
}

impl Verdict {
    /// The verdict of a record without a prediction.
    pub fn missing() -> Verdict {
        Verdict {
            pass: false,
            unchecked: Rule::ALL[1..].to_vec(),
            failed: vec![Failure {
                rule: Rule::Present,
                detail: "no prediction has this id".into(),
            }],
        }
    }

    pub fn failed_rules(&self) -> Vec<Rule> {
        let mut r: Vec<Rule> = self.failed.iter().map(|f| f.rule).collect();
        r.dedup();
        r
    }
}

/// Settings of the verdict.
pub struct PassRules<'c> {
    checker: Checker<'c>,
    /// Findings at or above this severity fail `check-clean` (`Error`: errors only).
    pub severity: Severity,
}

impl<'c> PassRules<'c> {
    pub fn new(catalog: &'c Catalog, severity: Severity) -> Self {
        PassRules {
            checker: Checker::new(catalog),
            severity,
        }
    }

    /// The verdict for `code`, allowed to call `apis` (`None`: the record has no API list).
    pub fn verdict(&self, code: &str, apis: Option<&[String]>) -> Verdict {
        let mut failed = Vec::new();
        let mut unchecked = Vec::new();
        let wf = match dsl::parse(code, ParseOptions::default()) {
            Ok(wf) => wf,
            Err(diags) => {
                // The DSL resolves names while parsing, so a variable read before any
                // assignment is a parse diagnostic; it counts for `defined-before-use`.
                for d in &diags {
                    let (l, c) = d.position(code);
                    let rule = if d.message.contains("undefined variable") {
                        Rule::DefinedBeforeUse
                    } else {
                        Rule::Parses
                    };
                    failed.push(Failure {
                        rule,
                        detail: format!("{l}:{c}: {}", d.message),
                    });
                }
                if failed.is_empty() {
                    failed.push(Failure {
                        rule: Rule::Parses,
                        detail: "does not parse".into(),
                    });
                }
                unchecked.extend([
                    Rule::NotEmpty,
                    Rule::Compiles,
                    Rule::CheckClean,
                    Rule::AllowedApis,
                ]);
                failed.sort_by_key(|f| f.rule);
                return Verdict {
                    pass: false,
                    unchecked,
                    failed,
                };
            }
        };
        if wf.action_count() == 0 {
            failed.push(Failure {
                rule: Rule::NotEmpty,
                detail: "the program calls no action".into(),
            });
        }
        if let Err(e) = compiles(&wf) {
            failed.push(Failure {
                rule: Rule::Compiles,
                detail: e,
            });
        }
        for f in self.checker.check(&wf) {
            if f.kind == FindingKind::UsedBeforeDefined {
                failed.push(Failure {
                    rule: Rule::DefinedBeforeUse,
                    detail: f.message,
                });
            } else if f.severity <= self.severity {
                failed.push(Failure {
                    rule: Rule::CheckClean,
                    detail: format!("{}: {}", f.kind.name(), f.message),
                });
            }
        }
        match apis {
            Some(apis) => {
                let allowed: HashSet<&str> = apis
                    .iter()
                    .map(|s| s.as_str())
                    .chain(BUILTIN_ACTIONS.iter().copied())
                    .collect();
                let mut seen = HashSet::new();
                visit_actions(&wf.body, &mut |a| {
                    if !allowed.contains(a.id.as_str()) && seen.insert(a.id.clone()) {
                        failed.push(Failure {
                            rule: Rule::AllowedApis,
                            detail: format!("calls {}, not in the allowed APIs", a.id),
                        });
                    }
                });
            }
            None => unchecked.push(Rule::AllowedApis),
        }
        failed.sort_by_key(|f| f.rule);
        Verdict {
            pass: failed.is_empty(),
            unchecked,
            failed,
        }
    }
}

fn compiles(wf: &Workflow) -> Result<(), String> {
    let dict = crate::compile::compile(wf);
    let mut buf = Vec::new();
    plist::Value::Dictionary(dict)
        .to_writer_binary(&mut buf)
        .map_err(|e| format!("plist: {e}"))
}
