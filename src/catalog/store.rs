//! Writes a [`Draft`] into SQLite: assigns apps, merges parameter lists, fills the
//! full-text index.

use super::draft::{merge_params, Draft, Fact};
use super::{python_name, CatalogError, Source, BUILTIN_APP, SCHEMA_SQL, SCHEMA_VERSION};
use rusqlite::{params, Connection};
use std::collections::BTreeMap;

/// The app an action belongs to, and the source of that fact:
/// 1. an App Intents file names it;
/// 2. actions that Apple's dumps or wfc's default catalog define, and every
///    `is.workflow.actions.*`, belong to Shortcuts itself ([`BUILTIN_APP`]);
/// 3. else the longest ShortcutsBench app group (`2_all_detailed_identifiers.json`
///    `AppName`) that prefixes the identifier at a dot;
/// 4. else the identifier without its last component.
pub fn assign_app(d: &Draft, id: &str, given: Option<&Fact<String>>) -> (String, Source) {
    if let Some(f) = given {
        return (f.value.clone(), f.source);
    }
    if d.builtin_ids.contains(id) || id.starts_with("is.workflow.actions.") {
        return (BUILTIN_APP.to_string(), Source::Inferred);
    }
    let mut best: Option<&String> = None;
    for g in &d.app_groups {
        if id.len() > g.len()
            && id.starts_with(g.as_str())
            && id.as_bytes()[g.len()] == b'.'
            && best.is_none_or(|b| g.len() > b.len())
        {
            best = Some(g);
        }
    }
    if let Some(g) = best {
        return (g.clone(), Source::Inferred);
    }
    let bundle = id.rsplit_once('.').map(|(b, _)| b).unwrap_or(id);
    (bundle.to_string(), Source::Inferred)
}

pub fn write(conn: &mut Connection, d: &Draft) -> Result<(), CatalogError> {
    conn.execute_batch(SCHEMA_SQL)?;
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO meta(key, value) VALUES ('schema_version', ?1), ('generator', ?2)",
        params![
            SCHEMA_VERSION.to_string(),
            format!("wfc {}", env!("CARGO_PKG_VERSION"))
        ],
    )?;
    for r in &d.runs {
        tx.execute(
            "INSERT INTO sources(name, precedence, path, rows, note) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                r.source.name(),
                r.source.rank(),
                (!r.paths.is_empty()).then(|| r.paths.join(";")),
                r.rows as i64,
                r.note
            ],
        )?;
    }
    // Apps: named ones from the sources, plus every app an action is assigned to.
    let mut apps: BTreeMap<String, (Option<String>, Source)> = d
        .apps
        .iter()
        .map(|(b, f)| (b.clone(), (f.value.clone(), f.source)))
        .collect();
    apps.insert(
        BUILTIN_APP.to_string(),
        (Some("Shortcuts".to_string()), Source::Inferred),
    );
    let assigned: BTreeMap<&String, (String, Source)> = d
        .actions
        .iter()
        .map(|(id, a)| (id, assign_app(d, id, a.app.as_ref())))
        .collect();
    for (bundle, _) in assigned.values() {
        apps.entry(bundle.clone())
            .or_insert((None, Source::Inferred));
    }
    {
        let mut ins =
            tx.prepare("INSERT INTO apps(bundle_id, name, source) VALUES (?1, ?2, ?3)")?;
        for (bundle, (name, source)) in &apps {
            ins.execute(params![bundle, name, source.name()])?;
        }
    }
    {
        let mut ins_action = tx.prepare(
            "INSERT INTO actions(identifier, python_name, name, name_source, description,
                description_source, summary, summary_source, app_bundle_id, app_source,
                input_key, input_key_source, has_output, output_name, output_types,
                output_source, params_source, workflowbench, id_resolution)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                ?17, ?18, ?19)",
        )?;
        let mut ins_cat = tx.prepare(
            "INSERT OR IGNORE INTO categories(action, category, source) VALUES (?1, ?2, ?3)",
        )?;
        let mut ins_param = tx.prepare(
            "INSERT OR IGNORE INTO parameters(action, position, key, label, class, type_name,
                python_type, python_type_source, required, default_json, description,
                description_source, source)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        let mut ins_enum = tx.prepare(
            "INSERT INTO enums(action, key, position, value, label, source)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut ins_fts = tx.prepare(
            "INSERT INTO search(identifier, kind, key, name, text) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let val = |f: &Option<Fact<String>>| f.as_ref().map(|f| f.value.clone());
        let src = |s: Option<Source>| s.map(Source::name);
        for (id, a) in &d.actions {
            let (app, app_source) = &assigned[id];
            let merged = merge_params(&a.params);
            let (out_name, out_types) = match &a.output {
                Some(f) => (
                    f.value.0.clone(),
                    Some(serde_json::to_string(&f.value.1).expect("strings serialize")),
                ),
                None => (None, None),
            };
            ins_action.execute(params![
                id,
                python_name(id),
                val(&a.name),
                src(a.name.as_ref().map(|f| f.source)),
                val(&a.description),
                src(a.description.as_ref().map(|f| f.source)),
                val(&a.summary),
                src(a.summary.as_ref().map(|f| f.source)),
                app,
                app_source.name(),
                val(&a.input_key),
                src(a.input_key.as_ref().map(|f| f.source)),
                a.has_output.as_ref().map(|f| f.value),
                out_name,
                out_types,
                src(a.output.as_ref().map(|f| f.source)),
                src(merged.as_ref().map(|m| m.0)),
                a.workflowbench,
                a.id_resolution,
            ])?;
            for (c, s) in &a.categories {
                ins_cat.execute(params![id, c, s.name()])?;
            }
            let words = id.replace(['.', '-', '_'], " ");
            ins_fts.execute(params![
                id,
                "action",
                Option::<String>::None,
                format!("{} {}", val(&a.name).unwrap_or_default(), words),
                val(&a.description).unwrap_or_default()
            ])?;
            let Some((_, params_list)) = merged else {
                continue;
            };
            for (pos, m) in params_list.iter().enumerate() {
                let p = &m.param;
                ins_param.execute(params![
                    id,
                    pos as i64,
                    p.key,
                    p.label,
                    p.class,
                    p.type_name,
                    p.python_type,
                    src(m.type_source),
                    p.required,
                    p.default.as_ref().map(|v| v.to_string()),
                    p.description,
                    src(m.description_source),
                    m.source.name(),
                ])?;
                for (i, (v, l)) in p.enum_values.iter().enumerate() {
                    ins_enum.execute(params![
                        id,
                        p.key,
                        i as i64,
                        v,
                        l,
                        src(m.enum_source).unwrap_or(m.source.name())
                    ])?;
                }
                if p.description.is_some() || p.label.is_some() {
                    ins_fts.execute(params![
                        id,
                        "parameter",
                        p.key,
                        format!("{} {}", p.key, p.label.as_deref().unwrap_or("")),
                        p.description.as_deref().unwrap_or("")
                    ])?;
                }
            }
        }
    }
    tx.commit()?;
    Ok(())
}
