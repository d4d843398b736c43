import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['model-tests/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
