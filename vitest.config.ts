import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'hw-tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // 2-core CI machine: real servers, dbus-daemons and ptys per file; keep parallelism modest.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
