export { RunStore, DEFAULT_RETENTION_RUNS, STORE_FILE_NAME, INTERRUPTED_ERROR } from "./run-store.js";
export type { PendingEvent, RunStoreOptions } from "./run-store.js";
export { compactPayload, compactJson, truncateText, DEFAULT_COMPACTION } from "./compact-payload.js";
export type { CompactionLimits } from "./compact-payload.js";
export { migrate, MIGRATIONS, LATEST_SCHEMA_VERSION } from "./migrations.js";
export type { Migration } from "./migrations.js";
export { SERVICE_RUN_STATUSES } from "./types.js";
export type { NewRun, NewStep, ReleaseRecord, RunFinish, RunRecord, RunSummary, ServiceRunStatus, StoredEvent, StoredStep } from "./types.js";
