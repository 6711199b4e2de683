// Activation (merchant × method) and rollout-wave state machines as data (design.md "State machines"). Every change
// of status is `transition(q, MACHINE, …)` (shared/machine.ts): one conditional UPDATE.
import { defineMachine } from '../shared/machine';

export const ACTIVATION_STATUSES = ['invited', 'applying', 'approved', 'rejected', 'live', 'paused'] as const;
export type ActivationStatus = (typeof ACTIVATION_STATUSES)[number];

export const ACTIVATION_TRANSITIONS: Readonly<Record<ActivationStatus, readonly ActivationStatus[]>> = {
  invited: ['applying', 'approved'],
  applying: ['approved', 'rejected'],
  /** rejected → approved: the provider account turned active after all (resubmitted or linked). */
  rejected: ['applying', 'approved'],
  approved: ['live'],
  live: ['paused'],
  paused: ['live'],
};

export const ACTIVATION_MACHINE = defineMachine<ActivationStatus>({
  name: 'activation',
  table: 'activations',
  key: ['merchant_id', 'method'],
  statuses: ACTIVATION_STATUSES,
  initial: ['invited'],
  transitions: ACTIVATION_TRANSITIONS,
});

export const WAVE_STATUSES = ['scheduled', 'launched', 'paused'] as const;
export type WaveStatus = (typeof WAVE_STATUSES)[number];

export const WAVE_MACHINE = defineMachine<WaveStatus>({
  name: 'rollout wave',
  table: 'rollout_waves',
  key: ['id'],
  statuses: WAVE_STATUSES,
  initial: ['scheduled'],
  transitions: { scheduled: ['launched', 'paused'], launched: ['paused'], paused: ['scheduled', 'launched'] },
});
