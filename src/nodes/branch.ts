/** `branch` and `loop` nodes execute nothing: their outputs are `{}` and they route on their inputs. */
import type { NodeExecutor } from "./types.js";

export const executeBranch: NodeExecutor = () => Promise.resolve({ outputs: {} });
