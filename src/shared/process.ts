// The process-level safety net for the server entries (`npm start`, the production entry): a promise rejected with
// nobody listening, or an exception thrown from a callback, is logged and the process keeps serving. Node's default
// is to exit, which would drop every request in flight and every background step for one missed `.catch` — and
// nothing in Hutong relies on in-memory state for correctness (rows are committed before provider calls, sweeps
// re-drive whatever was left), so carrying on is safe. `npm test` refuses floating promises (scripts/check-promises.mjs);
// this catches what slips through at run time.

export interface SafetyNetLog {
  error(obj: Record<string, unknown>, msg: string): void;
}

/** Installs the handlers once per process; returns a function that removes them (tests). */
export function installProcessSafetyNet(log: SafetyNetLog): () => void {
  const onRejection = (reason: unknown) => {
    log.error(
      { err: reason instanceof Error ? reason : new Error(String(reason)) },
      'unhandled promise rejection (kept serving)',
    );
  };
  const onException = (err: Error, origin: string) => {
    log.error({ err, origin }, 'uncaught exception (kept serving)');
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
