/**
 * Every error flockflow raises, each with a stable `code` and `name` (docs/errors.md lists them;
 * test/errors.test.ts keeps the two in step). Codes are never reused.
 *
 * Errors are recognised by `name` or `code`, never by message text, so the checks still work after
 * an error has been rebuilt on the far side of a worker or process boundary.
 */

export interface FlockflowErrorOptions {
  cause?: unknown;
}

export class FlockflowError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: FlockflowErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = "FlockflowError";
  }
}

/**
 * SPEC §1.4: the one cancellation type. It stands alone (not a FlockflowError) so nothing that
 * handles "errors" catches it by accident. Abort controllers use it as their reason, so undici,
 * timers and the sandbox bridge all reject with exactly this object. Let it propagate.
 */
export class RunCancelledError extends Error {
  readonly code = "FF_RUN_CANCELLED";
  readonly runId: string | undefined;

  constructor(runId?: string, options?: FlockflowErrorOptions) {
    super(`Run cancelled: run_id=${runId ?? "<unknown>"}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RunCancelledError";
    this.runId = runId;
  }
}

/** True for a RunCancelledError, also one rebuilt from another realm or process. */
export function isCancellation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { name?: unknown }).name === "RunCancelledError";
}

export type TimeoutKind = "attempt" | "ttft" | "idle" | "node" | "run" | "http";

/** A deadline fired. Distinct from cancellation (SPEC §1.5); retryable for LLM attempts. */
export class TimeoutError extends FlockflowError {
  readonly kind: TimeoutKind;
  readonly timeoutMs: number;

  constructor(kind: TimeoutKind, timeoutMs: number, message?: string) {
    super(`FF_TIMEOUT_${kind.toUpperCase()}`, message ?? `${kind} timeout after ${formatSeconds(timeoutMs)}s`);
    this.name = "TimeoutError";
    this.kind = kind;
    this.timeoutMs = timeoutMs;
  }
}

export function isTimeout(error: unknown, kind?: TimeoutKind): error is TimeoutError {
  return error instanceof TimeoutError && (kind === undefined || error.kind === kind);
}

export interface ValidationIssue {
  /** Where: `nodes[2].code`, `edges[0].to`, `line 3, column 7`. */
  location: string;
  /** Stable rule id, e.g. `required`, `unknown_node`, `invalid_json`. */
  rule: string;
  message: string;
  severity: "error" | "warning";
}

export class WorkflowValidationError extends FlockflowError {
  readonly issues: ValidationIssue[];
  readonly source: string | undefined;

  constructor(issues: ValidationIssue[], source?: string) {
    const errors = issues.filter((i) => i.severity === "error");
    const head = source ? `Invalid workflow ${source}` : "Invalid workflow";
    const lines = errors.map((i) => `  ${i.location}: ${i.message}`);
    super("FF_WORKFLOW_INVALID", `${head}:\n${lines.join("\n")}`);
    this.name = "WorkflowValidationError";
    this.issues = issues;
    this.source = source;
  }
}

export class WorkflowNotFoundError extends FlockflowError {
  constructor(message: string) {
    super("FF_WORKFLOW_NOT_FOUND", message);
    this.name = "WorkflowNotFoundError";
  }
}

export class ConfigError extends FlockflowError {
  readonly keyPath: string;
  constructor(keyPath: string, message: string, source?: string) {
    super("FF_CONFIG_INVALID", `${source ? `${source}: ` : ""}${keyPath}: ${message}`);
    this.name = "ConfigError";
    this.keyPath = keyPath;
  }
}

export class ToolNotFoundError extends FlockflowError {
  readonly toolName: string;
  constructor(toolName: string) {
    super("FF_TOOL_NOT_FOUND", `Tool not found: '${toolName}'`);
    this.name = "ToolNotFoundError";
    this.toolName = toolName;
  }
}

export class ToolError extends FlockflowError {
  readonly toolName: string;
  constructor(toolName: string, cause: unknown) {
    super("FF_TOOL_FAILED", `Tool '${toolName}' failed: ${describeError(cause)}`, { cause });
    this.name = "ToolError";
    this.toolName = toolName;
  }
}

export class ToolModuleError extends FlockflowError {
  constructor(source: string, message: string, cause?: unknown) {
    super("FF_TOOL_MODULE_INVALID", `Tools module ${source}: ${message}`, { cause });
    this.name = "ToolModuleError";
  }
}

/** A node type whose runtime arrives with a later issue, or a node that cannot run as written. */
export class NodeUnavailableError extends FlockflowError {
  constructor(message: string) {
    super("FF_NODE_UNAVAILABLE", message);
    this.name = "NodeUnavailableError";
  }
}

/** User code in a code node raised. `errorType` is the user's exception type (`TypeError`, ...). */
export class CodeError extends FlockflowError {
  readonly errorType: string;
  readonly traceback: string;
  readonly stdout: string;
  constructor(errorType: string, message: string, traceback: string, stdout: string) {
    super("FF_CODE_ERROR", message);
    this.name = "CodeError";
    this.errorType = errorType;
    this.traceback = traceback;
    this.stdout = stdout;
  }
}

/**
 * A logic node's code could not be generated: the LLM call failed, or the code still had a syntax
 * error after the repair rounds. The message names the node and the last syntax error or cause.
 */
export class CodeGenerationError extends FlockflowError {
  constructor(message: string, cause?: unknown) {
    super("FF_CODEGEN_FAILED", message, { cause });
    this.name = "CodeGenerationError";
  }
}

/** A code-node worker died: out of memory, or crashed. */
export class WorkerCrashError extends FlockflowError {
  constructor(message: string, cause?: unknown) {
    super("FF_WORKER_CRASHED", message, { cause });
    this.name = "WorkerCrashError";
  }
}

export class TemplateError extends FlockflowError {
  constructor(message: string, cause?: unknown) {
    super("FF_TEMPLATE_FAILED", message, { cause });
    this.name = "TemplateError";
  }
}

export class HttpRequestError extends FlockflowError {
  constructor(message: string, cause?: unknown) {
    super("FF_HTTP_REQUEST_FAILED", message, { cause });
    this.name = "HttpRequestError";
  }
}

export class SubworkflowError extends FlockflowError {
  constructor(message: string, cause?: unknown) {
    super("FF_SUBWORKFLOW_FAILED", message, { cause });
    this.name = "SubworkflowError";
  }
}

export class JoinConflictError extends FlockflowError {
  constructor(message: string) {
    super("FF_JOIN_CONFLICT", message);
    this.name = "JoinConflictError";
  }
}

export class PendingJoinError extends FlockflowError {
  constructor(message: string) {
    super("FF_JOIN_PENDING", message);
    this.name = "PendingJoinError";
  }
}

export class MaxStepsExceededError extends FlockflowError {
  constructor(maxSteps: number) {
    super("FF_MAX_STEPS_EXCEEDED", `Exceeded max_steps=${maxSteps}. Possible infinite loop.`);
    this.name = "MaxStepsExceededError";
  }
}

export class RuntimeClosedError extends FlockflowError {
  constructor() {
    super("FF_RUNTIME_CLOSED", "The runtime is closed");
    this.name = "RuntimeClosedError";
  }
}

export class InvalidOptionError extends FlockflowError {
  constructor(message: string) {
    super("FF_INVALID_OPTION", message);
    this.name = "InvalidOptionError";
  }
}

/**
 * One failed LLM attempt (HTTP status, transport or stream failure). `isRetryable` is decided when
 * the error is built (SPEC §1.7): connection errors, 408, 409, 429, 5xx and broken streams are;
 * other 4xx are not.
 */
export class LlmCallError extends FlockflowError {
  readonly status: number | undefined;
  readonly isRetryable: boolean;
  readonly provider: string;
  /** Minimum wait the server asked for (`Retry-After`), in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: "FF_LLM_HTTP_STATUS" | "FF_LLM_CONNECTION" | "FF_LLM_STREAM" | "FF_LLM_RESPONSE",
    provider: string,
    message: string,
    options: { status?: number; isRetryable: boolean; retryAfterMs?: number; cause?: unknown },
  ) {
    super(code, message, { cause: options.cause });
    this.name = "LlmCallError";
    this.provider = provider;
    this.status = options.status;
    this.isRetryable = options.isRetryable;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export interface LlmCandidateFailure {
  provider: string;
  model: string;
  /** `preflight` when no request was sent for this candidate. */
  phase: "preflight" | "request";
  message: string;
}

/** Every candidate of an `ask` failed; the message lists each one's failure (SPEC §5). */
export class LlmAskError extends FlockflowError {
  readonly failures: LlmCandidateFailure[];
  constructor(failures: LlmCandidateFailure[], requestedExplicitly: boolean) {
    const head =
      requestedExplicitly && failures.length > 1
        ? "The requested model is unavailable, and the fallback to the default model failed too."
        : "The LLM model is unavailable.";
    const details = failures.map((f) => `${f.provider}/${f.model}: ${f.message}`).join("; ");
    super("FF_LLM_UNAVAILABLE", details ? `${head} Details: ${details}` : head);
    this.name = "LlmAskError";
    this.failures = failures;
  }
}

/** No LLM target can be resolved: nothing configured and nothing requested. */
export class LlmNotConfiguredError extends FlockflowError {
  constructor(message: string) {
    super("FF_LLM_NOT_CONFIGURED", message);
    this.name = "LlmNotConfiguredError";
  }
}

/** `Type: message`, the way step records and Flocks report a cause. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${errorTypeOf(error)}: ${error.message}`;
  return String(error);
}

/** The type name users see: the user's own exception type for code errors, else the class name. */
export function errorTypeOf(error: unknown): string {
  if (error instanceof CodeError) return error.errorType;
  if (error instanceof Error) return error.name || "Error";
  return typeof error;
}

/** Seconds as Python prints a float: 1 → "1.0", 0.5 → "0.5". */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? s.toFixed(1) : String(s);
}
