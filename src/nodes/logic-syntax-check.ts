/**
 * Syntax checks of generated logic-node code, without running it.
 *
 * JavaScript is compiled in the host with `vm.Script`, inside the same wrapper the code worker
 * compiles (`src/sandbox/js/code-worker.js`, `compile()`), so "compiles here" means "compiles
 * there": top-level `await` and `return` are fine, `import` is not. Compiling runs nothing.
 * test/nodes/logic.test.ts checks that the wrapper below still matches the worker's.
 *
 * Python is parsed by `python3 -I` with `ast.parse` (the code on stdin; nothing is executed), under
 * a 5 s limit, and the process is killed at once when the node's signal aborts.
 */
import { spawn } from "node:child_process";
import vm from "node:vm";
import type { CodeLanguage } from "../model/types.js";

/** The parameters of the worker's function wrapper (code-worker.js `PARAMS`). */
export const JS_WRAPPER_PARAMS =
  "inputs, outputs, tool, llm, get_path, cancelled, console, print, setTimeout, setInterval, clearTimeout, clearInterval, __ff_result";

const JS_FILENAME = "<logic>";
export const PYTHON_CHECK_TIMEOUT_MS = 5_000;

const PYTHON_CHECK = [
  "import ast, sys",
  "try:",
  "    ast.parse(sys.stdin.buffer.read())",
  "except (SyntaxError, ValueError) as e:",
  "    line = getattr(e, 'lineno', None)",
  "    print(type(e).__name__ + ': ' + str(getattr(e, 'msg', e)) + (' (line %d)' % line if line else ''))",
  "    sys.exit(1)",
].join("\n");

/**
 * The syntax error of `code` as one line (`SyntaxError: Unexpected token ';' (line 3)`), or
 * undefined when it parses. Rejects with `signal.reason` when the signal aborts, and with an
 * ordinary Error when the check itself cannot run (no python3, time limit).
 */
export function checkSyntax(language: CodeLanguage, code: string, signal: AbortSignal): Promise<string | undefined> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (language === "javascript") return Promise.resolve(checkJavascriptSyntax(code));
  return checkPythonSyntax(code, signal);
}

export function checkJavascriptSyntax(code: string): string | undefined {
  // The header is one line and `lineOffset: -1` makes the code's first line line 1 (as the worker).
  const source = `(async function (${JS_WRAPPER_PARAMS}) {"use strict"; try {\n${code}\n} finally { __ff_result.outputs = outputs; } })`;
  try {
    new vm.Script(source, { filename: JS_FILENAME, lineOffset: -1 });
    return undefined;
  } catch (error) {
    if (!(error instanceof Error) || error.name !== "SyntaxError") return `${(error as Error)?.name ?? "Error"}: ${String((error as Error)?.message ?? error)}`;
    const line = Number(/^<logic>:(\d+)/.exec(error.stack ?? "")?.[1]);
    const codeLines = code.split("\n").length;
    const where = !Number.isFinite(line) ? "" : line >= 1 && line <= codeLines ? ` (line ${line})` : " (at the end of the code)";
    return `SyntaxError: ${error.message}${where}`;
  }
}

function checkPythonSyntax(code: string, signal: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    // A minimal environment: the check needs PATH to find python3 and nothing else.
    const child = spawn("python3", ["-I", "-c", PYTHON_CHECK], { env: { PATH: process.env.PATH ?? "" }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let settled = false;
    const finish = (settle: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      settle();
    };
    const onAbort = (): void => {
      child.kill("SIGKILL");
      finish(() => reject(signal.reason));
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish(() => reject(new Error(`the python syntax check did not finish within ${PYTHON_CHECK_TIMEOUT_MS / 1000} s`)));
    }, PYTHON_CHECK_TIMEOUT_MS);
    signal.addEventListener("abort", onAbort, { once: true });
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    // The process may exit before reading all of stdin (EPIPE); its exit status still decides.
    child.stdin.on("error", () => {});
    child.on("error", (error) => finish(() => reject(new Error(`the python syntax check could not start python3: ${error.message}`, { cause: error }))));
    child.on("close", (status) => {
      if (status === 0) finish(() => resolve(undefined));
      else if (status === 1 && stdout.trim() !== "") finish(() => resolve(stdout.trim()));
      else finish(() => reject(new Error(`the python syntax check failed (exit ${status}): ${stderr.trim() || stdout.trim()}`)));
    });
    child.stdin.end(code, "utf8");
  });
}
