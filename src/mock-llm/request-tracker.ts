/**
 * The server's counters and request log (issue 3, item 8): what tests assert after the fact. Times
 * are this process's `performance.now()`, so a test in the same process can compare them with its
 * own clock.
 *
 * The log keeps the most recent LOG_LIMIT requests (bodies included), so a mock that serves a long
 * benchmark or demo does not grow without bound; the counters count every request.
 */
import type { IncomingMessage } from "node:http";
import type { MockClientAbort, MockRequestOutcome, MockRequestRecord, MockStats } from "./types.js";

/** Requests the log keeps (the oldest go first). */
export const LOG_LIMIT = 1000;

export class RequestTracker {
  #nextId = 1;
  #log: MockRequestRecord[] = [];
  #requests = 0;
  #byModel: Record<string, number> = {};
  #connectionsOpened = 0;
  #connectionsOpen = 0;
  #inFlight = 0;
  #peakInFlight = 0;
  #clientAborts: MockClientAbort[] = [];

  connectionOpened(): void {
    this.#connectionsOpened++;
    this.#connectionsOpen++;
  }

  connectionClosed(): void {
    this.#connectionsOpen--;
  }

  /** A chat request has arrived (its body may still be on the way). */
  start(req: IncomingMessage, path: string): MockRequestRecord {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
    const record: MockRequestRecord = {
      id: this.#nextId++,
      model: "",
      stream: false,
      path,
      authorization: req.headers.authorization ?? null,
      headers,
      body: null,
      startedAtMs: performance.now(),
    };
    if (this.#log.length >= LOG_LIMIT) this.#log.shift();
    this.#log.push(record);
    this.#requests++;
    this.#inFlight++;
    if (this.#inFlight > this.#peakInFlight) this.#peakInFlight = this.#inFlight;
    return record;
  }

  /** The body has been read and names its model. */
  identify(record: MockRequestRecord, model: string, stream: boolean): void {
    record.model = model;
    record.stream = stream;
    this.#byModel[model] = (this.#byModel[model] ?? 0) + 1;
  }

  finish(record: MockRequestRecord, outcome: MockRequestOutcome): void {
    const atMs = performance.now();
    record.finishedAtMs = atMs;
    record.outcome = outcome;
    this.#inFlight--;
    if (outcome === "client_aborted") this.#clientAborts.push({ requestId: record.id, model: record.model, atMs });
  }

  stats(): MockStats {
    return {
      requests: this.#requests,
      requestsByModel: { ...this.#byModel },
      connectionsOpened: this.#connectionsOpened,
      connectionsOpen: this.#connectionsOpen,
      inFlight: this.#inFlight,
      peakInFlight: this.#peakInFlight,
      clientAborts: this.#clientAborts.map((abort) => ({ ...abort })),
    };
  }

  records(): MockRequestRecord[] {
    return this.#log.map((record) => ({ ...record, headers: { ...record.headers } }));
  }

  /**
   * Live gauges (open connections, in flight) keep their values, and the peak restarts from the
   * current in-flight count. Request ids keep counting, so an id never names two requests.
   */
  reset(): void {
    this.#log = [];
    this.#requests = 0;
    this.#byModel = {};
    this.#connectionsOpened = 0;
    this.#peakInFlight = this.#inFlight;
    this.#clientAborts = [];
  }
}
