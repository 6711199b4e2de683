// Stopping on SIGTERM/SIGINT: stop accepting connections, let the requests in flight finish within the deadline
// (then close their connections), let the worker finish its current pass, then close the database.
import type { Server } from 'node:http';
import type { Hutong } from '../app';

/** While draining, a connection whose request has been answered is closed this soon (it is keep-alive otherwise). */
const IDLE_SWEEP_MS = 100;

export interface StopOutcome {
  /** Connections closed at the deadline with a request still in flight. */
  abandoned: number;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function stopGracefully(
  hutong: Hutong,
  deadlineMs: number,
  health: Server | undefined,
): Promise<StopOutcome> {
  const server = hutong.app.server;
  let abandoned = 0;
  const sweeper = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  const deadline = setTimeout(() => {
    // Idle keep-alive connections are closed as they appear; what is left has a request in flight.
    server.closeIdleConnections();
    server.getConnections((_err, count) => {
      abandoned = count;
      server.closeAllConnections();
    });
  }, deadlineMs);
  try {
    // app.close() stops listening, answers 503 to new requests on open connections and waits for those in flight.
    await Promise.all([hutong.app.close(), hutong.worker.stop(), health ? closeServer(health) : undefined]);
  } finally {
    clearInterval(sweeper);
    clearTimeout(deadline);
  }
  await hutong.db.close();
  return { abandoned };
}
