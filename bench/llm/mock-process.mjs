/**
 * Child-process entry of the LLM bench: flockflow's mock LLM server, in a process of its own so
 * that the clients under test and the server never share an event loop (or a core's time slice
 * inside one loop). Started with `fork()` by `spawn-mock.mjs`.
 *
 * Control goes over the IPC channel, not over HTTP: a `/__mock/stats` request would open a TCP
 * connection of its own and show up in the very counter the bench reads. Each message
 * `{ id, op }` gets one reply `{ id, ... }`:
 *
 *   clock   → { nowMs }                        this process's `performance.now()`, to convert times
 *   stats   → { stats }                        the mock's counters (clientAborts[].atMs is `nowMs` time)
 *   reset   → {}                               counters, request log and failFirst counts cleared
 *   close   → {}                               server closed; the process then exits by itself
 */
import { startMockLlmServer } from "../../dist/index.js";

const rules = JSON.parse(process.argv[2] ?? "[]");
const server = await startMockLlmServer({ rules });

process.on("message", async (message) => {
  const { id, op } = message;
  switch (op) {
    case "clock":
      process.send({ id, nowMs: performance.now() });
      return;
    case "stats":
      process.send({ id, stats: server.stats() });
      return;
    case "reset":
      server.reset();
      process.send({ id });
      return;
    case "close":
      await server.close();
      process.send({ id });
      process.disconnect();
      return;
    default:
      process.send({ id, error: `unknown op ${op}` });
  }
});

process.send({ ready: true, url: server.url });
