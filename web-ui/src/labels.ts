import type { Role } from './api.js';

/** Plain-language words for the API's names (CONTRACT "Names used in the API"); unknown names are shown readably. */
const readable = (name: string) => name.replace(/_/g, ' ');
const from = (table: Record<string, string>) => (name: string | null | undefined) => (name ? (table[name] ?? readable(name)) : '');

export const roleLabel = from({
  officer: 'Officer',
  equipment_manager: 'Equipment manager',
  supervisor: 'Supervisor',
  legal: 'Legal reviewer',
  auditor: 'Auditor',
  admin: 'Administrator',
});

export const slotStateLabel = from({
  identifying: 'Identifying the recorder',
  logging_in: 'Logging in to the recorder',
  reading: 'Reading clock, battery and files',
  setting_clock: "Setting the recorder's clock",
  entering_msc: 'Opening the recorder’s storage',
  waiting_volume: 'Waiting for the recorder’s storage',
  offloading: 'Copying footage',
  signing: 'Signing the record of this docking',
  erasing: 'Erasing copied footage from the recorder',
  exiting_msc: 'Closing the recorder’s storage',
  ready: 'Ready: footage is safe, the recorder may be taken',
  failed: 'Failed',
  interrupted: 'Interrupted',
});

/** Flags and finding kinds. */
export const findingLabel = from({
  gap: 'Gap in recording',
  seq_missing: 'Missing file (number skipped)',
  drift: "Recorder's clock was off",
  clock_reset: "Recorder's clock had been reset",
  late_offload: 'Offloaded late (after the same-day rule)',
  hash_mismatch: 'File differs from what the recorder hashed',
  size_mismatch: 'File size differs',
  unreadable: 'File could not be read',
  container_unreadable: 'File does not open as video or sound (its container does not parse)',
  duration_mismatch: "Length differs from the recorder's list",
  bad_name: 'File name not understood',
  identity_mismatch: 'Recorder gives different serial numbers for itself',
  interrupted: 'Docking was interrupted',
  wrong_officer: 'Recorded under another officer',
  no_checkout: 'Recorded without a checkout',
  dock_unsynced: "Dock's own clock not synchronised",
  disk_low: 'Dock storage running low',
  activity_gap: 'Not recording during a declared activity',
});

/** Justification reasons (004 §12; §13 for late offload). */
export const REASONS = ['device_fault', 'battery', 'storage', 'weather', 'obstruction', 'force_majeure', 'remote_duty'] as const;
export const reasonLabel = from({
  device_fault: 'Recorder fault',
  battery: 'Battery ran out',
  storage: 'Recorder storage was full',
  weather: 'Weather',
  obstruction: 'Obstructed by others',
  force_majeure: 'Other force majeure',
  remote_duty: 'Remote, off-site or continuous duty',
});

export const findingStateLabel = from({
  open: 'Needs a justification',
  justified: 'Justified, awaiting a supervisor',
  approved: 'Approved',
  rejected: 'Rejected: justify again',
  info: 'For information',
});

export const readinessLabel = from({
  battery: 'The battery is too low to hand it out',
  storage: 'Its storage is too full',
  pending_files: 'It still holds footage that is not offloaded',
  dock_unsynced: "The dock's clock is not synchronised, so it cannot set the recorder's clock",
});

export const deviceStatusLabel = from({
  in_dock: 'In the dock',
  checked_out: 'Checked out',
  in_repair: 'In repair',
  retired: 'Retired',
});

export const sessionResultLabel = from({
  ok: 'Done',
  running: 'In progress',
  interrupted: 'Interrupted',
  failed: 'Failed',
});

/** Device findings, justified by the equipment manager (CONTRACT "device findings"). */
export const DEVICE_FINDINGS = ['drift', 'clock_reset', 'hash_mismatch', 'no_checkout'];

/** What each role may do, as the contract's rights matrix says (the dock enforces it anyway). */
export function can(role: Role) {
  const is = (...roles: Role[]) => roles.includes(role);
  return {
    registry: is('equipment_manager', 'supervisor', 'legal', 'auditor', 'admin'),
    checkout: is('equipment_manager'),
    search: is('officer', 'equipment_manager', 'supervisor', 'legal', 'auditor'),
    play: is('officer', 'supervisor', 'legal'),
    justify: is('officer', 'equipment_manager'),
    decide: is('supervisor'),
    audit: is('supervisor', 'legal', 'auditor', 'admin'),
  };
}
