/**
 * A client waiting for a run (`wait: true`, `/invoke`) that goes away cancels the run (SPEC §7).
 * The response's `close` event fires when the connection ends; if the response has not been
 * written by then, the client left early.
 */
import type { FastifyReply } from "fastify";
import type { ActiveRun } from "./run-manager.js";

export function cancelOnDisconnect(reply: FastifyReply, run: ActiveRun): () => void {
  const response = reply.raw;
  const onClose = (): void => {
    if (!response.writableEnded) run.cancel();
  };
  response.on("close", onClose);
  // The client may have left before this listener existed. (Not `request.raw.destroyed`: a request
  // whose body has been read is destroyed too, with its client still waiting.)
  if (response.destroyed || response.closed) onClose();
  return () => response.off("close", onClose);
}
