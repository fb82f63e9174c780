/**
 * The host-call protocol shared by every sandbox (JavaScript workers now, Python processes later).
 * Code running outside the host event loop never opens a connection or sees a secret: it asks the
 * host with a HostCall, and the host answers with a HostReply. The sandbox knows nothing about what
 * a tool or an LLM is; it only forwards calls to the HostCallHandler it was given.
 */

export interface ToolHostCall {
  kind: "tool" | "tool_safe";
  name: string;
  args: Record<string, unknown>;
}

export interface LlmHostCall {
  kind: "llm";
  prompt: string;
  options: Record<string, unknown>;
}

export type HostCall = ToolHostCall | LlmHostCall;

/**
 * Serves one call from a code node. `signal` is the node's signal: it aborts (with
 * RunCancelledError or a node/run TimeoutError as its reason) when the node is cancelled or its
 * deadline fires, and the handler must then settle at once with that reason.
 */
export type HostCallHandler = (call: HostCall, signal: AbortSignal) => Promise<unknown>;

/** An error as it crosses a thread or process boundary; rebuilt on the far side by `name`. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
}

export type HostReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === "string" ? { code } : {}) };
  }
  return { name: "Error", message: String(error) };
}
