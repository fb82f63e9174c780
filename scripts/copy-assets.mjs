// Copies the non-TypeScript runtime files (the Python worker and its `flocks` shim) into dist/,
// next to the compiled host code; tsc copies only what it compiles.
import { cpSync, statSync } from "node:fs";

cpSync("src/sandbox/python", "dist/sandbox/python", {
  recursive: true,
  filter: (source) => !source.includes("__pycache__") && (statSync(source).isDirectory() || source.endsWith(".py")),
});
