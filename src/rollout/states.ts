// Activation (merchant × method) as data (design.md "State machines").
export const ACTIVATION_STATUSES = ['invited', 'applying', 'approved', 'rejected', 'live', 'paused'] as const;
export type ActivationStatus = (typeof ACTIVATION_STATUSES)[number];

export const ACTIVATION_TRANSITIONS: Readonly<Record<ActivationStatus, readonly ActivationStatus[]>> = {
  invited: ['applying', 'approved'],
  applying: ['approved', 'rejected'],
  rejected: ['applying'],
  approved: ['live'],
  live: ['paused'],
  paused: ['live'],
};

export const WAVE_STATUSES = ['scheduled', 'launched', 'paused'] as const;
export type WaveStatus = (typeof WAVE_STATUSES)[number];
