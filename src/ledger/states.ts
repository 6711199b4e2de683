// The reconciliation run's state machine as data; its status changes only through `transition` (shared/machine.ts).
import { defineMachine } from '../shared/machine';

export const RECONCILIATION_RUN_STATUSES = ['running', 'completed', 'failed'] as const;
export type ReconciliationRunStatus = (typeof RECONCILIATION_RUN_STATUSES)[number];

export const RECONCILIATION_RUN_MACHINE = defineMachine<ReconciliationRunStatus>({
  name: 'reconciliation run',
  table: 'reconciliation_runs',
  key: ['id'],
  statuses: RECONCILIATION_RUN_STATUSES,
  initial: ['running'],
  transitions: { running: ['completed', 'failed'], completed: [], failed: [] },
});
