-- wfc API catalog, schema version 1. See docs/catalog.md.
-- Every fact carries the name of the source it came from (a row of `sources`).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per importer that ran: where it read from and how many rows it contributed.
CREATE TABLE sources (
    name       TEXT PRIMARY KEY,   -- e.g. 'apple-wfactions', 'shortcutsbench'
    precedence INTEGER NOT NULL,   -- 0 wins over 1, 1 over 2, ...
    path       TEXT,               -- file(s) read, ';'-separated; NULL for built-in data
    rows       INTEGER NOT NULL,   -- records read from this source
    note       TEXT
);

CREATE TABLE apps (
    bundle_id TEXT PRIMARY KEY,    -- 'is.workflow.actions' stands for Shortcuts' own actions
    name      TEXT,
    source    TEXT NOT NULL
);

CREATE TABLE actions (
    identifier         TEXT PRIMARY KEY,       -- WFWorkflowActionIdentifier
    python_name        TEXT NOT NULL,          -- identifier with every '.' written '_' (two ids may collide)
    name               TEXT,                   -- display name
    name_source        TEXT,
    description        TEXT,
    description_source TEXT,
    summary            TEXT,                   -- parameter summary, e.g. 'Get contents of ${WFURL}'
    summary_source     TEXT,
    app_bundle_id      TEXT,                   -- the app the action belongs to (docs/catalog.md)
    app_source         TEXT,
    input_key          TEXT,                   -- parameter that receives the implicit input
    input_key_source   TEXT,
    has_output         INTEGER,                -- 1 produces output, 0 does not, NULL unknown
    output_name        TEXT,
    output_types       TEXT,                   -- JSON array of type names
    output_source      TEXT,
    params_source      TEXT,                   -- the source whose parameter list was taken
    workflowbench      INTEGER NOT NULL DEFAULT 0, -- listed in WorkflowLLM identifier2category.json
    id_resolution      TEXT                    -- for WorkflowBench names: 'known', 'bundle-prefix', 'dots'
);

CREATE TABLE categories (
    action   TEXT NOT NULL REFERENCES actions(identifier),
    category TEXT NOT NULL,
    source   TEXT NOT NULL,
    PRIMARY KEY (action, category, source)
);

CREATE TABLE parameters (
    action             TEXT NOT NULL REFERENCES actions(identifier),
    position           INTEGER NOT NULL,
    key                TEXT NOT NULL,     -- WFWorkflowActionParameters key
    label              TEXT,
    class              TEXT,              -- Apple parameter class (WFTextInputParameter, ...) or App Intents value type
    type_name          TEXT,              -- ShortcutsBench type as written ('Enum', 'File(Object)', ...)
    python_type        TEXT,              -- str, int, float, bool, dict, list, Any
    python_type_source TEXT,
    required           INTEGER,           -- 1 required, 0 optional, NULL unknown
    default_json       TEXT,              -- default value as JSON
    description        TEXT,
    description_source TEXT,
    source             TEXT NOT NULL,     -- source of the row (the parameter list)
    PRIMARY KEY (action, key)
);

CREATE TABLE enums (
    action   TEXT NOT NULL,
    key      TEXT NOT NULL,
    position INTEGER NOT NULL,
    value    TEXT NOT NULL,
    label    TEXT,
    source   TEXT NOT NULL,
    PRIMARY KEY (action, key, position),
    FOREIGN KEY (action, key) REFERENCES parameters(action, key)
);

CREATE INDEX categories_by_category ON categories(category);
CREATE INDEX actions_by_app ON actions(app_bundle_id);
CREATE INDEX actions_by_python_name ON actions(python_name);

-- Full-text index: one row per action (kind 'action': identifier words, name, description)
-- and one per parameter (kind 'parameter': key and label, description).
CREATE VIRTUAL TABLE search USING fts5(
    identifier UNINDEXED,
    kind UNINDEXED,
    key UNINDEXED,
    name,
    text,
    tokenize = 'unicode61'
);
