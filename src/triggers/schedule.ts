/**
 * Schedule triggers (SPEC §7): `source: {mode: "interval", intervalSeconds ≥ 1}` or `{mode: "cron",
 * cron, timezone?}` with five or six fields (seconds optional) or a croner nickname (`@daily`).
 *
 * Reading follows Flocks' poller (reference flocks-service.md §3.3, `compat.py`): without `mode`, a
 * `cron` (or `cronExpression`) means cron, else interval; `intervalSeconds` defaults to 30; cron
 * times are computed in UTC unless `timezone` names an IANA zone.
 *
 * Unlike Flocks, an interval schedule does not fire when it starts: it starts on every server start
 * and on every save of its workflow, and firing then would run the workflow on each edit. The first
 * tick comes one interval after the (re)start.
 *
 * The timers are ours and are not unref'd: a schedule is work the process exists to do while the
 * service runs, and `stop()` (called by `TriggerManager.sync` and `close`) clears them. Cron jobs are
 * croner `Cron` objects, each stopped with `.stop()` (STYLE.md).
 */
import { Cron } from "croner";
import { isPlainObject } from "../model/get-path.js";

export const DEFAULT_INTERVAL_SECONDS = 30;
/** `setTimeout`'s limit (2^31-1 ms, about 24.8 days); longer periods belong to cron. */
const MAX_INTERVAL_SECONDS = Math.floor(0x7fffffff / 1000);
const CRON_MODE = "5-or-6-parts";

export type ScheduleSpec = { mode: "interval"; intervalMs: number } | { mode: "cron"; cron: string; timezone: string };

export interface ScheduleProblem {
  /** Relative to the trigger: `source.cron`, `source.intervalSeconds`. */
  path: string;
  message: string;
}

export type ReadScheduleResult = { ok: true; spec: ScheduleSpec } | { ok: false; problems: ScheduleProblem[] };

export interface ScheduleHandle {
  stop(): void;
}

export function readScheduleSource(source: unknown): ReadScheduleResult {
  if (source !== undefined && !isPlainObject(source)) return fail("source", "`source` must be an object");
  const settings = source ?? {};
  const cronText = settings.cron ?? settings.cronExpression;
  const cronKey = settings.cron !== undefined ? "cron" : "cronExpression";
  const mode = settings.mode ?? (typeof cronText === "string" && cronText.trim() ? "cron" : "interval");
  if (mode === "interval") {
    const seconds = settings.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS;
    if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 1) {
      return fail("source.intervalSeconds", "`intervalSeconds` must be a number ≥ 1");
    }
    if (seconds > MAX_INTERVAL_SECONDS) return fail("source.intervalSeconds", `\`intervalSeconds\` must be at most ${MAX_INTERVAL_SECONDS}; use a cron schedule for longer periods`);
    return { ok: true, spec: { mode: "interval", intervalMs: Math.round(seconds * 1000) } };
  }
  if (mode !== "cron") return fail("source.mode", '`mode` must be "interval" or "cron"');
  if (typeof cronText !== "string" || !cronText.trim()) return fail("source.cron", "a cron schedule needs `cron`, a cron expression");
  const timezone = settings.timezone ?? "UTC";
  if (typeof timezone !== "string" || !isTimeZone(timezone)) return fail("source.timezone", `\`timezone\` must be an IANA time zone such as "Europe/Berlin" (got ${JSON.stringify(timezone)})`);
  const cron = cronText.trim();
  const problem = checkCron(cron, timezone);
  if (problem) return fail(`source.${cronKey}`, problem);
  return { ok: true, spec: { mode: "cron", cron, timezone } };
}

/** Starts firing `onTick`; `stop()` clears the timer or stops the croner job. */
export function startSchedule(spec: ScheduleSpec, onTick: () => void): ScheduleHandle {
  if (spec.mode === "interval") {
    const timer = setInterval(onTick, spec.intervalMs);
    return { stop: () => clearInterval(timer) };
  }
  const job = new Cron(spec.cron, { timezone: spec.timezone, mode: CRON_MODE }, () => onTick());
  return { stop: () => job.stop() };
}

function checkCron(cron: string, timezone: string): string | undefined {
  const fields = cron.split(/\s+/).length;
  if (!cron.startsWith("@") && fields !== 5 && fields !== 6) return `a cron expression has five or six fields (seconds optional), not ${fields}`;
  let job: Cron | undefined;
  try {
    job = new Cron(cron, { timezone, mode: CRON_MODE, paused: true });
    if (job.nextRun() === null) return "this cron expression never fires";
    return undefined;
  } catch (error) {
    return `invalid cron expression: ${(error as Error).message}`;
  } finally {
    job?.stop();
  }
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function fail(path: string, message: string): ReadScheduleResult {
  return { ok: false, problems: [{ path, message }] };
}
