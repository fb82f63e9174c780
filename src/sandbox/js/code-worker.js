// @ts-check
/**
 * Entry of a JavaScript code-node worker thread (SPEC §4). Plain JavaScript so that the same file
 * runs from `src/` under the test runner and from `dist/` after the build.
 *
 * User code runs in a `vm` context created once per worker: it sees only JavaScript built-ins and the
 * node globals made for each job (`inputs`, `outputs`, `tool`, `llm`, `get_path`, `cancelled`,
 * `console`, `print`, timers). Every value handed to user code is made inside that context (JSON
 * parsed by the context's own `JSON`), so no host-realm object or constructor is reachable from it.
 * The worker runs with an empty `process.env`; it opens no connection: tool and LLM calls go to
 * the host.
 *
 * Transport (shared-channel.js has the memory layout and the full protocol): jobs arrive and
 * results leave through a SharedArrayBuffer, with a MessagePort in each direction for what does
 * not fit. Between jobs the thread blocks in `Atomics.wait` on the job doorbell, after spinning on
 * it for up to `spinMs`: where idle cores halt (virtual machines especially), waking a sleeping
 * thread costs tens of µs on both sides, more than a trivial node's whole work, while a chain of
 * nodes hands over its next job within a few µs to tens of µs. Spinning is bounded three ways: by
 * time, by the pool's spin slots (at most one spinning worker fewer than there are cores, so the
 * host keeps a core), and by a SpinBudget that stops spinning when spins stop paying off.
 *
 * Host calls are posted on the `toHost` port and announced with a bump of the TO_HOST doorbell.
 * Synchronous ones (`tool.run`, `llm.ask`) then block in `Atomics.wait` on SYNC_REPLY until the host
 * has put the reply on the `fromHost` port (`receiveMessageOnPort` reads it without the event
 * loop). Asynchronous ones (`tool.runAsync`, `llm.askAsync`) get their reply as a parent-port
 * message, which the event loop delivers while the job awaits it.
 *
 * The host never asks this thread to stop a job: on a deadline or cancel it terminates the thread
 * (which also ends an `Atomics.wait` or a spin).
 */
import { parentPort, receiveMessageOnPort, threadId, workerData } from "node:worker_threads";
import vm from "node:vm";
import { format } from "node:util";
import {
  CANCEL, JOB_ID, JOB_LENGTHS, JOB_VIA, RESULT_DONE, RESULT_FAILED, RESULT_JOB, RESULT_KIND, RESULT_LENGTHS,
  SYNC_REPLY, SpinBudget, TO_HOST, TO_WORKER, VIA_PORT, channelViews, readStrings, writeStrings,
} from "./shared-channel.js";

if (!parentPort) throw new Error("code-worker must run in a worker thread");
const port = parentPort;
/** @type {import("node:worker_threads").MessagePort} sync replies and oversized jobs, read with receiveMessageOnPort */
const fromHost = workerData.fromHost;
/** @type {import("node:worker_threads").MessagePort} host calls and oversized results */
const toHost = workerData.toHost;
const channel = channelViews(workerData.channel);
const control = channel.control;
/** @type {Int32Array} pool-wide: each slot holds the thread id of a spinning worker, or 0 */
const spinSlots = workerData.spinSlots;
/** How long an idle worker spins on the job doorbell before it sleeps. */
const SPIN_MS = workerData.spinMs;

const context = vm.createContext({});
/** Globals the context has before any job ran; anything else is removed after each job. */
const baseGlobals = new Set(Object.getOwnPropertyNames(vm.runInContext("globalThis", context)));
const contextGlobal = vm.runInContext("globalThis", context);

// The facade factory is compiled inside the context so that every function user code can reach is a
// context function. `bridge` holds the host-realm functions; it is captured, never exposed.
const makeGlobals = vm.runInContext(
  `(function (bridge) {
    "use strict";
    const parse = JSON.parse;
    const NOT_FOUND = {};
    function lookup(data, rawPath) {
      const path = String(rawPath).trim();
      if (path === "") return NOT_FOUND;
      if (path === "$") return data;
      const body = path.startsWith("$.") ? path.slice(2) : path;
      let current = data;
      for (const segment of body.split(".")) {
        if (Array.isArray(current)) {
          if (!/^-?\\d+$/.test(segment)) return NOT_FOUND;
          const index = Number(segment);
          if (index < 0 || index >= current.length) return NOT_FOUND;
          current = current[index];
        } else if (current !== null && typeof current === "object") {
          if (!Object.prototype.hasOwnProperty.call(current, segment)) return NOT_FOUND;
          current = current[segment];
        } else {
          return NOT_FOUND;
        }
      }
      return current;
    }
    function unwrap(replyJson) {
      const reply = parse(replyJson);
      if (reply.ok) return reply.value;
      const error = new Error(reply.error.message);
      error.name = reply.error.name;
      if (reply.error.code !== undefined) error.code = reply.error.code;
      throw error;
    }
    function toolArgs(args) {
      if (args === undefined || args === null) return {};
      if (typeof args !== "object" || Array.isArray(args)) throw new TypeError("tool arguments must be an object");
      return args;
    }
    function llmOptions(options) {
      if (options === undefined || options === null) return {};
      if (typeof options !== "object" || Array.isArray(options)) throw new TypeError("llm options must be an object");
      return options;
    }
    return function globalsFor(jobId, inputsJson) {
      const inputs = parse(inputsJson);
      const call = (request) => unwrap(bridge.callSync(jobId, request));
      const callAsync = async (request) => unwrap(await bridge.callAsync(jobId, request));
      const tool = Object.freeze({
        run: (name, args) => call({ kind: "tool", name: String(name), args: toolArgs(args) }),
        run_safe: (name, args) => call({ kind: "tool_safe", name: String(name), args: toolArgs(args) }),
        runAsync: (name, args) => callAsync({ kind: "tool", name: String(name), args: toolArgs(args) }),
        runSafeAsync: (name, args) => callAsync({ kind: "tool_safe", name: String(name), args: toolArgs(args) }),
      });
      const llm = Object.freeze({
        ask: (prompt, options) => call({ kind: "llm", prompt: String(prompt), options: llmOptions(options) }),
        askAsync: (prompt, options) => callAsync({ kind: "llm", prompt: String(prompt), options: llmOptions(options) }),
      });
      const log = (...args) => bridge.capture(jobId, args);
      const console = Object.freeze({ log, info: log, warn: log, error: log, debug: log });
      const get_path = (path, data) => {
        const value = lookup(data === undefined ? inputs : data, path);
        return value === NOT_FOUND ? null : value;
      };
      const cancelled = () => bridge.cancelled();
      const setTimeout = (fn, ms, ...args) => bridge.setTimer(jobId, false, () => fn(...args), ms);
      const setInterval = (fn, ms, ...args) => bridge.setTimer(jobId, true, () => fn(...args), ms);
      const clearTimeout = (id) => bridge.clearTimer(id);
      return { inputs, outputs: {}, tool, llm, get_path, cancelled, console, print: log,
               setTimeout, setInterval, clearTimeout, clearInterval: clearTimeout };
    };
  })`,
  context,
)(createBridge());

const PARAMS = "inputs, outputs, tool, llm, get_path, cancelled, console, print, setTimeout, setInterval, clearTimeout, clearInterval, __ff_result";

/**
 * Compiled node functions by code, least recently used first. Keyed by code alone (not node id) so
 * that a chain of nodes with the same code compiles once; the script's filename is the neutral
 * CODE_FILENAME, and describeError names the node instead.
 * @type {Map<string, Function>}
 */
const compiled = new Map();
const COMPILE_CACHE_SIZE = 1000;
const CODE_FILENAME = "<code>";
let nextCallId = 1;
/** @type {Map<number, (replyJson: string) => void>} */
const asyncCalls = new Map();
/** @type {{ id: number, stdout: string[], timers: Map<number, NodeJS.Timeout> } | null} */
let job = null;
let nextTimerId = 1;

function createBridge() {
  return {
    /** @param {number} jobId @param {unknown} request */
    callSync(jobId, request) {
      const id = nextCallId++;
      postToHost({ type: "call", jobId, id, sync: true, call: request });
      return waitForSyncReply(id);
    },
    /** @param {number} jobId @param {unknown} request @returns {Promise<string>} */
    callAsync(jobId, request) {
      const id = nextCallId++;
      return new Promise((resolve) => {
        asyncCalls.set(id, resolve);
        postToHost({ type: "call", jobId, id, sync: false, call: request });
      });
    },
    /** @param {number} jobId @param {unknown[]} args */
    capture(jobId, args) {
      if (job && job.id === jobId) job.stdout.push(format(...args) + "\n");
    },
    cancelled() {
      return Atomics.load(control, CANCEL) === 1;
    },
    /** @param {number} jobId @param {boolean} repeat @param {() => void} fn @param {number} ms */
    setTimer(jobId, repeat, fn, ms) {
      if (!job || job.id !== jobId) return 0;
      const id = nextTimerId++;
      const timers = job.timers;
      const run = () => {
        if (!repeat) timers.delete(id);
        fn();
      };
      timers.set(id, repeat ? setInterval(run, ms) : setTimeout(run, ms));
      return id;
    },
    /** @param {number} id */
    clearTimer(id) {
      const timer = job?.timers.get(id);
      if (timer) {
        clearTimeout(timer);
        job?.timers.delete(id);
      }
    },
  };
}

/** @param {unknown} message */
function postToHost(message) {
  toHost.postMessage(message);
  Atomics.add(control, TO_HOST, 1);
  Atomics.notify(control, TO_HOST);
}

/** @param {number} id @returns {string} the reply as JSON text */
function waitForSyncReply(id) {
  for (;;) {
    const seen = Atomics.load(control, SYNC_REPLY);
    const received = receiveMessageOnPort(fromHost);
    if (received) {
      if (received.message.type === "reply" && received.message.id === id) return received.message.json;
      continue;
    }
    Atomics.wait(control, SYNC_REPLY, seen);
  }
}

/** @param {string} code */
function compile(code) {
  let fn = compiled.get(code);
  if (fn) {
    compiled.delete(code);
  } else {
    // The header is one line and `lineOffset: -1` makes the user's first line line 1.
    const source = `(async function (${PARAMS}) {"use strict"; try {\n${code}\n} finally { __ff_result.outputs = outputs; } })`;
    fn = /** @type {Function} */ (new vm.Script(source, { filename: CODE_FILENAME, lineOffset: -1 }).runInContext(context));
    if (compiled.size >= COMPILE_CACHE_SIZE) compiled.delete(/** @type {string} */ (compiled.keys().next().value));
  }
  compiled.set(code, fn);
  return fn;
}

/** @param {unknown} error @param {string} nodeId */
function describeError(error, nodeId) {
  if (error === null || typeof error !== "object") {
    return { name: "Error", message: String(error), traceback: "" };
  }
  const e = /** @type {{ name?: unknown, message?: unknown, stack?: unknown }} */ (error);
  const name = typeof e.name === "string" ? e.name : "Error";
  const message = typeof e.message === "string" ? e.message : String(error);
  const stack = typeof e.stack === "string" ? e.stack : "";
  const marker = `${CODE_FILENAME}:`;
  const nodeMarker = `<${nodeId}>:`;
  let traceback = stack
    .split("\n")
    .filter((line) => line.includes(marker))
    .map((line) => line.trim().replaceAll(marker, nodeMarker))
    .join("\n");
  if (name === "SyntaxError" && traceback === "") {
    // A compile error's stack starts with "<code>:LINE" above the offending source line.
    const first = stack.split("\n")[0] ?? "";
    if (first.startsWith(marker)) traceback = `at ${nodeMarker}${first.slice(marker.length)}`;
  }
  return { name, message, traceback };
}

function resetGlobals() {
  for (const name of Object.getOwnPropertyNames(contextGlobal)) {
    if (!baseGlobals.has(name)) delete contextGlobal[name];
  }
}

/**
 * Hands a result to the host: in the result region when it fits, else as a `toHost` message.
 * @param {number} jobId @param {number} kind RESULT_DONE or RESULT_FAILED @param {string[]} strings
 */
function postResult(jobId, kind, strings) {
  if (writeStrings(control, RESULT_LENGTHS, channel.result, strings)) {
    control[RESULT_KIND] = kind;
    Atomics.store(control, RESULT_JOB, jobId);
  } else {
    toHost.postMessage({ type: "result", jobId, kind, strings });
  }
  Atomics.add(control, TO_HOST, 1);
  Atomics.notify(control, TO_HOST);
}

/** @param {{ jobId: number, nodeId: string, code: string, inputsJson: string }} message */
async function runJob(message) {
  const { jobId, nodeId, code, inputsJson } = message;
  Atomics.store(control, CANCEL, 0);
  job = { id: jobId, stdout: [], timers: new Map() };
  const current = job;
  const result = { outputs: /** @type {unknown} */ (undefined) };
  try {
    const fn = compile(code);
    const g = makeGlobals(jobId, inputsJson);
    await fn(g.inputs, g.outputs, g.tool, g.llm, g.get_path, g.cancelled, g.console, g.print,
      g.setTimeout, g.setInterval, g.clearTimeout, g.clearInterval, result);
    const outputs = result.outputs;
    let outputsJson = "{}";
    if (outputs !== undefined && outputs !== null) {
      if (typeof outputs !== "object" || Array.isArray(outputs)) {
        throw new TypeError("`outputs` must be an object");
      }
      outputsJson = JSON.stringify(outputs);
    }
    postResult(jobId, RESULT_DONE, [outputsJson, current.stdout.join("")]);
  } catch (error) {
    const { name, message, traceback } = describeError(error, nodeId);
    postResult(jobId, RESULT_FAILED, [name, message, traceback, current.stdout.join("")]);
  } finally {
    for (const timer of current.timers.values()) clearTimeout(timer);
    current.timers.clear();
    // The host drops replies for a job that ended; forget the calls still waiting for one.
    asyncCalls.clear();
    job = null;
    resetGlobals();
  }
}

/** Job doorbell value of the last job taken. */
let jobsTaken = 0;
const spinBudget = new SpinBudget();

/** @returns {boolean} whether this thread got a spin slot (then it must release it) */
function claimSpinSlot() {
  for (let i = 0; i < spinSlots.length; i++) {
    if (Atomics.compareExchange(spinSlots, i, 0, threadId) === 0) return true;
  }
  return false;
}

function releaseSpinSlot() {
  for (let i = 0; i < spinSlots.length; i++) {
    if (Atomics.compareExchange(spinSlots, i, threadId, 0) === threadId) return;
  }
}

/** Blocks until the host has rung the job doorbell past `jobsTaken`. */
function waitForJob() {
  if (Atomics.load(control, TO_WORKER) !== jobsTaken) return;
  if (SPIN_MS > 0 && spinBudget.tryTake() && claimSpinSlot()) {
    try {
      const until = performance.now() + SPIN_MS;
      do {
        for (let i = 0; i < 1000; i++) {
          if (Atomics.load(control, TO_WORKER) !== jobsTaken) {
            spinBudget.succeeded();
            return;
          }
        }
      } while (performance.now() < until);
      spinBudget.failed();
    } finally {
      releaseSpinSlot();
    }
  }
  while (Atomics.load(control, TO_WORKER) === jobsTaken) Atomics.wait(control, TO_WORKER, jobsTaken);
}

/** @returns {{ jobId: number, nodeId: string, code: string, inputsJson: string }} */
function takeJob() {
  jobsTaken = Atomics.load(control, TO_WORKER);
  const jobId = Atomics.load(control, JOB_ID);
  if (control[JOB_VIA] === VIA_PORT) {
    for (;;) {
      const received = receiveMessageOnPort(fromHost);
      if (!received) throw new Error("job announced on the port but none arrived");
      if (received.message.type === "job") return received.message;
    }
  }
  const [nodeId, code, inputsJson] = readStrings(control, JOB_LENGTHS, channel.job, 3);
  return { jobId, nodeId, code, inputsJson };
}

/**
 * One turn of the job loop. Runs from setImmediate so that the previous job's leftover callbacks
 * and microtasks have run before the thread blocks; the job itself runs on the event loop (it may
 * await timers and async host calls), and schedules the next turn when it settles.
 */
function serve() {
  waitForJob();
  void runJob(takeJob()).finally(() => setImmediate(serve));
}

port.on("message", (message) => {
  if (message.type === "reply") {
    const resolve = asyncCalls.get(message.id);
    if (resolve) {
      asyncCalls.delete(message.id);
      resolve(message.json);
    }
  }
});
port.postMessage({ type: "ready" });
setImmediate(serve);
