/**
 * The parent's handle on the mock LLM server running in its own process (`mock-process.mjs`):
 * start it, read its counters, reset them, convert its clock to ours, close it.
 *
 * Clocks: the server records times on its own `performance.now()`. Both processes' `now()` run on the
 * same monotonic clock at the same rate but from different origins, so one offset converts
 * between them. `syncClock()` measures it over IPC pings, NTP-style: the server's reading against
 * the midpoint of ours, taken from the ping with the shortest round trip, so the error is at most
 * half that round trip (about 0.05 ms here). `performance.timeOrigin` is no substitute: it is read
 * from the wall clock when each process starts, and a wall-clock adjustment between the two starts
 * shifted it by 2.7 ms in one run, more than the latencies being measured.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const ENTRY = fileURLToPath(new URL("./mock-process.mjs", import.meta.url));

export async function spawnMock(rules) {
  const child = fork(ENTRY, [JSON.stringify(rules)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const pending = new Map();
  let nextId = 1;
  let exited = false;
  const url = await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`mock process exited early (code ${code})`)));
    child.on("message", (message) => {
      if (message.ready) return resolve(message.url);
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message);
    });
  });
  child.removeAllListeners("exit");
  child.once("exit", () => {
    exited = true;
    for (const waiter of pending.values()) waiter.reject(new Error("mock process exited"));
    pending.clear();
  });

  const ask = (op) =>
    new Promise((resolve, reject) => {
      if (exited) return reject(new Error("mock process exited"));
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, op });
    });

  let offsetMs;
  return {
    url,
    async stats() {
      return (await ask("stats")).stats;
    },
    async reset() {
      await ask("reset");
    },
    /**
     * Measures (again) the server clock's offset from ours: the reading of the ping with the
     * shortest round trip among `rounds`. Resolves with { offsetMs, roundTripMs }.
     */
    async syncClock(rounds = 31) {
      let best;
      for (let i = 0; i < rounds; i++) {
        const sentAt = performance.now();
        const reply = await ask("clock");
        const receivedAt = performance.now();
        const roundTripMs = receivedAt - sentAt;
        if (!best || roundTripMs < best.roundTripMs) best = { offsetMs: reply.nowMs - (sentAt + receivedAt) / 2, roundTripMs };
      }
      offsetMs = best.offsetMs;
      return best;
    },
    /** A server `performance.now()` reading (such as `clientAborts[].atMs`) on our clock; needs syncClock(). */
    toClientMs(atMs) {
      if (offsetMs === undefined) throw new Error("syncClock() first");
      return atMs - offsetMs;
    },
    /** Closes the server; resolves once the child process has exited. */
    async close() {
      if (exited) return;
      const gone = new Promise((resolve) => child.once("exit", resolve));
      await ask("close").catch(() => {});
      await gone;
    },
  };
}
