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
 * the host over the parent port.
 *
 * Synchronous host calls (`tool.run`, `llm.ask`): post the call, then block in `Atomics.wait` on a
 * shared counter until the host has put the reply on the dedicated sync port and bumped the counter
 * (`receiveMessageOnPort` reads it without the event loop). Asynchronous calls (`tool.runAsync`,
 * `llm.askAsync`) get their reply as an ordinary message.
 *
 * The host never asks this thread to stop a job: on a deadline or cancel it terminates the thread.
 */
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import vm from "node:vm";
import { format } from "node:util";

if (!parentPort) throw new Error("code-worker must run in a worker thread");
const port = parentPort;
/** @type {import("node:worker_threads").MessagePort} */
const syncPort = workerData.syncPort;
/** [0]: sync reply counter, [1]: cancel flag of the current job. */
const flags = new Int32Array(workerData.signalBuffer);

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
      port.postMessage({ type: "call", jobId, id, sync: true, call: request });
      return waitForSyncReply(id);
    },
    /** @param {number} jobId @param {unknown} request @returns {Promise<string>} */
    callAsync(jobId, request) {
      const id = nextCallId++;
      return new Promise((resolve) => {
        asyncCalls.set(id, resolve);
        port.postMessage({ type: "call", jobId, id, sync: false, call: request });
      });
    },
    /** @param {number} jobId @param {unknown[]} args */
    capture(jobId, args) {
      if (job && job.id === jobId) job.stdout.push(format(...args) + "\n");
    },
    cancelled() {
      return Atomics.load(flags, 1) === 1;
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

/** @param {number} id @returns {string} the reply as JSON text */
function waitForSyncReply(id) {
  for (;;) {
    const seen = Atomics.load(flags, 0);
    const received = receiveMessageOnPort(syncPort);
    if (received) {
      if (received.message.id === id) return received.message.json;
      continue;
    }
    Atomics.wait(flags, 0, seen);
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

/** @param {{ jobId: number, nodeId: string, code: string, inputsJson: string }} message */
async function runJob(message) {
  const { jobId, nodeId, code, inputsJson } = message;
  Atomics.store(flags, 1, 0);
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
    port.postMessage({ type: "done", jobId, outputsJson, stdout: current.stdout.join("") });
  } catch (error) {
    port.postMessage({ type: "failed", jobId, error: describeError(error, nodeId), stdout: current.stdout.join("") });
  } finally {
    for (const timer of current.timers.values()) clearTimeout(timer);
    current.timers.clear();
    job = null;
    resetGlobals();
  }
}

port.on("message", (message) => {
  if (message.type === "run") {
    void runJob(message);
  } else if (message.type === "reply") {
    const resolve = asyncCalls.get(message.id);
    if (resolve) {
      asyncCalls.delete(message.id);
      resolve(message.json);
    }
  }
});
port.postMessage({ type: "ready" });
