// Prints the plain closing line CI reads: "N passed, N failed, N skipped", alone on a line.
import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++; // a file that failed to load
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
    // The run's verdict for scripts/test.mjs: vitest's own exit code is not trusted (a global teardown that stops the
    // embedded PostgreSQL ends the process with 0 even after a failure).
    const verdictFile = process.env.HUTONG_TEST_VERDICT_FILE;
    if (verdictFile) writeFileSync(verdictFile, JSON.stringify({ passed, failed, skipped }));
  }
}
