import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Timing assertions need the CPU: two files at once on a 2-core machine is the most that keeps
    // their margins honest.
    fileParallelism: true,
    maxWorkers: 2,
    pool: "forks",
  },
});
