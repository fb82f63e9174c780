/**
 * `GET /api/runs/:runId/events` (SPEC §7): a run's events as Server-Sent Events. Each message's
 * `event:` is the SPEC §3 type, its `data:` the event object (with `type` and `seq`), its `id:` the
 * event's sequence number. A late subscriber first gets the events so far, from the store, then
 * the live ones; the stream ends after `run.finished` (or right after the replay for a run that is
 * no longer running, such as an `interrupted` one).
 *
 * No event is lost or sent twice across the replay/live boundary: the live subscription is taken
 * first and buffers, then the stored events are replayed, then the buffer is drained, skipping
 * every `seq` already sent. `Last-Event-ID` resumes after that id.
 *
 * Written by hand on the raw response (the reply is hijacked): the whole protocol is a few lines,
 * and it keeps the replay/live hand-over and the end of the stream in one place.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { RunStore } from "../store/index.js";
import type { RunManager, SequencedEvent } from "./run-manager.js";

const HEARTBEAT_MS = 15_000;
/** A subscriber this far behind is not reading; it is dropped rather than buffered forever. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export function streamRunEvents(runId: string, request: FastifyRequest, reply: FastifyReply, runs: RunManager, store: RunStore): void {
  const raw = reply.raw;
  let lastSeq = parseLastEventId(request.headers["last-event-id"]);
  let replaying = true;
  let ended = false;
  const pending: SequencedEvent[] = [];

  reply.hijack();
  raw.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  raw.flushHeaders();

  const heartbeat = setInterval(() => {
    if (!ended) raw.write(": ping\n\n");
  }, HEARTBEAT_MS).unref();

  const end = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    unsubscribe();
    raw.end();
  };

  const send = (seq: number, data: Record<string, unknown> & { type: string }): void => {
    if (ended || seq <= lastSeq) return;
    lastSeq = seq;
    raw.write(`id: ${seq}\nevent: ${data.type}\ndata: ${JSON.stringify({ ...data, seq })}\n\n`);
    if (raw.writableLength > MAX_BUFFERED_BYTES) {
      ended = true;
      clearInterval(heartbeat);
      unsubscribe();
      raw.destroy();
      return;
    }
    if (data.type === "run.finished") end();
  };

  const active = runs.get(runId);
  let liveEnded = active === undefined;
  const unsubscribe = active
    ? active.subscribe({
        event: (item) => {
          if (replaying) pending.push(item);
          else send(item.seq, item.event as Record<string, unknown> & { type: string });
        },
        end: () => {
          liveEnded = true;
          if (!replaying) end();
        },
      })
    : () => {};
  raw.on("close", end);

  runs.flushEvents(runId);
  for (const stored of store.eventsAfter(runId, lastSeq)) send(stored.seq, stored.data);
  replaying = false;
  for (const item of pending) send(item.seq, item.event as Record<string, unknown> & { type: string });
  pending.length = 0;
  if (liveEnded) end();
}

function parseLastEventId(header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  const n = value === undefined ? 0 : Number(value);
  return Number.isInteger(n) && n > 0 ? n : 0;
}
