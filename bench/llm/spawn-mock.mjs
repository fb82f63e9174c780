/**
 * The parent's handle on the mock LLM server running in its own process (`mock-process.mjs`):
 * start it, read its counters, reset them, convert its clock to ours, close it.
 *
 * Clocks: both processes run on this machine, and `performance.timeOrigin + performance.now()` is
 * wall-clock milliseconds in each, read from the same system clock. `clockOffsetMs()` checks that
 * with a few IPC round trips (the server's reading against the midpoint of ours); the offset it
 * finds is reported with the results, never subtracted, since its own error is the round trip.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const ENTRY = fileURLToPath(new URL("./mock-process.mjs", import.meta.url));

/** Wall-clock milliseconds on this process's high-resolution clock. */
export const nowAbsMs = () => performance.timeOrigin + performance.now();

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

  let timeOrigin;
  return {
    url,
    async stats() {
      return (await ask("stats")).stats;
    },
    async reset() {
      await ask("reset");
    },
    /** The server's `performance.now()` reading `atMs` as wall-clock ms on the shared clock. */
    async toAbsMs(atMs) {
      timeOrigin ??= (await ask("clock")).timeOrigin;
      return timeOrigin + atMs;
    },
    /** Median over `rounds` pings of (server clock − midpoint of ours), with the median round trip. */
    async clockOffsetMs(rounds = 21) {
      const offsets = [];
      const roundTrips = [];
      for (let i = 0; i < rounds; i++) {
        const sentAt = nowAbsMs();
        const reply = await ask("clock");
        const receivedAt = nowAbsMs();
        timeOrigin = reply.timeOrigin;
        offsets.push(reply.timeOrigin + reply.nowMs - (sentAt + receivedAt) / 2);
        roundTrips.push(receivedAt - sentAt);
      }
      const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      return { offsetMs: median(offsets), roundTripMs: median(roundTrips) };
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
