/**
 * Versioned schema migrations. `schema_version` holds one row per applied migration; on open, every
 * migration above the highest applied version runs in its own transaction, in order. Migrations
 * are append-only: a released one is never edited, a change is a new version.
 *
 * A database written by a newer flockflow (a version above the last one here) is refused rather
 * than half-understood.
 */
import type Database from "better-sqlite3";
import { ConfigError } from "../errors.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "runs, steps, events, releases, api keys",
    sql: `
      CREATE TABLE runs (
        run_id      TEXT PRIMARY KEY,
        workflow_id TEXT NOT NULL,
        release_id  TEXT,
        status      TEXT NOT NULL,
        trigger     TEXT,
        started_at  INTEGER NOT NULL,
        finished_at INTEGER,
        duration_ms REAL,
        inputs      TEXT NOT NULL,
        outputs     TEXT,
        error       TEXT
      );
      CREATE INDEX runs_by_workflow ON runs (workflow_id, started_at DESC);
      CREATE INDEX runs_running ON runs (status) WHERE status = 'running';

      CREATE TABLE steps (
        run_id      TEXT NOT NULL,
        idx         INTEGER NOT NULL,
        node_id     TEXT NOT NULL,
        node_type   TEXT NOT NULL,
        status      TEXT NOT NULL,
        started_at  INTEGER NOT NULL,
        duration_ms REAL NOT NULL,
        outputs     TEXT,
        error       TEXT,
        error_type  TEXT,
        traceback   TEXT,
        stdout      TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (run_id, idx)
      ) WITHOUT ROWID;

      CREATE TABLE events (
        run_id TEXT NOT NULL,
        seq    INTEGER NOT NULL,
        type   TEXT NOT NULL,
        ts     INTEGER NOT NULL,
        data   TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      ) WITHOUT ROWID;

      CREATE TABLE releases (
        release_id  TEXT PRIMARY KEY,
        workflow_id TEXT NOT NULL,
        snapshot    TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        active      INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX releases_by_workflow ON releases (workflow_id, created_at DESC);
      CREATE UNIQUE INDEX releases_one_active ON releases (workflow_id) WHERE active = 1;

      CREATE TABLE api_keys (
        workflow_id TEXT PRIMARY KEY,
        key_hash    TEXT NOT NULL,
        created_at  INTEGER NOT NULL
      );
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Brings the database up to the latest version; returns the versions applied now. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS, source = "the run store"): number[] {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
  const row = db.prepare("SELECT MAX(version) AS version FROM schema_version").get() as { version: number | null };
  const current = row.version ?? 0;
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  if (current > latest) {
    throw new ConfigError("--data-dir", `database schema version ${current} is newer than this flockflow supports (${latest}); upgrade flockflow`, source);
  }
  const record = db.prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)");
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    })();
    applied.push(migration.version);
  }
  return applied;
}
