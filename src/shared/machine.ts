// State machines as data, and the one function that moves a row from one state to another. Every status change in
// Hutong is `transition(...)`: one conditional `UPDATE … SET status = $to WHERE <key> AND status = ANY($from)`, so two
// racers can never both win, and a `from` the machine's table does not allow is refused before any SQL runs (a bug,
// not a race). A test scans src/ and fails on any other SQL that sets a status column.
import type { Queryable } from './db';

export interface Machine<S extends string> {
  /** What the machine is about ('order', 'refund', …): used in messages. */
  readonly name: string;
  readonly table: string;
  /** The columns that identify one row (usually ['id']). */
  readonly key: readonly string[];
  readonly statuses: readonly S[];
  /** Where a row is born (INSERT); every other state must be reachable from these. */
  readonly initial: readonly S[];
  /** For each state, the states it may move to. A state with no targets is final. */
  readonly transitions: Readonly<Record<S, readonly S[]>>;
  /** Columns stored as JSON text (the value is serialised here). */
  readonly jsonColumns?: readonly string[];
}

export function defineMachine<S extends string>(m: Machine<S>): Machine<S> {
  return m;
}

/** A transition the table does not allow: a programming error, never a caller's 4xx. */
export class ForbiddenTransition extends Error {
  constructor(machine: string, from: string, to: string) {
    super(`${machine}: ${from} → ${to} is not in the state table`);
    this.name = 'ForbiddenTransition';
  }
}

export function canTransition<S extends string>(m: Machine<S>, from: S, to: S): boolean {
  return m.transitions[from].includes(to);
}

/** Statuses that may move to `to` (the `from` list to pass when any allowed predecessor will do). */
export function predecessors<S extends string>(m: Machine<S>, to: S): S[] {
  return m.statuses.filter((s) => m.transitions[s].includes(to));
}

function assertAllowed<S extends string>(m: Machine<S>, from: readonly S[], to: S): void {
  if (from.length === 0) throw new ForbiddenTransition(m.name, '(nothing)', to);
  for (const f of from) if (!canTransition(m, f, to)) throw new ForbiddenTransition(m.name, f, to);
}

/** Other columns set with the transition; their names come from code, never from a request. */
export type ColumnValues = Record<string, unknown>;

/**
 * Moves every row matching `match` whose status is one of `from` to `to`, setting `set` with it; returns the rows
 * that moved (an empty list: another writer moved them first, or they were never in `from`).
 */
export async function transitionWhere<S extends string, Row>(
  q: Queryable,
  m: Machine<S>,
  match: ColumnValues,
  from: readonly S[],
  to: S,
  set: ColumnValues = {},
): Promise<Row[]> {
  assertAllowed(m, from, to);
  if ('status' in set) throw new ForbiddenTransition(m.name, 'set.status', to);
  const params: unknown[] = [to, [...from]];
  const param = (value: unknown) => `$${params.push(value)}`;
  const encode = (column: string, value: unknown) =>
    m.jsonColumns?.includes(column) && value !== null ? JSON.stringify(value) : value;
  const assignments = Object.entries(set)
    .map(([c, v]) => `, ${c} = ${param(encode(c, v))}`)
    .join('');
  const conditions = Object.entries(match)
    .map(([c, v]) => ` AND ${c} = ${param(v)}`)
    .join('');
  const { rows } = await q.query<Row>(
    `UPDATE ${m.table} SET status = $1${assignments} WHERE status = ANY($2::text[])${conditions} RETURNING *`,
    params,
  );
  return rows;
}

/** Moves the one row with this key (a string for a one-column key); undefined when it was not in `from`. */
export async function transition<S extends string, Row>(
  q: Queryable,
  m: Machine<S>,
  key: string | readonly unknown[],
  from: readonly S[],
  to: S,
  set: ColumnValues = {},
): Promise<Row | undefined> {
  const values = typeof key === 'string' ? [key] : key;
  if (values.length !== m.key.length) throw new Error(`${m.name}: key needs ${m.key.join(', ')}`);
  const match = Object.fromEntries(m.key.map((c, i) => [c, values[i]]));
  return (await transitionWhere<S, Row>(q, m, match, from, to, set))[0];
}

/** For generic column updates next to the machine: the status column is only ever written by `transition`. */
export function withoutStatus(set: ColumnValues): ColumnValues {
  if ('status' in set) throw new Error('status is changed only through transition()');
  return set;
}

/** States reachable from the initial ones (for the table tests). */
export function reachable<S extends string>(m: Machine<S>): Set<S> {
  const seen = new Set<S>(m.initial);
  const queue: S[] = [...m.initial];
  while (queue.length)
    for (const to of m.transitions[queue.shift()!])
      if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
  return seen;
}
