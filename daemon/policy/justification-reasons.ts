/**
 * The reasons that fit each kind of finding (issue 18: a clock drift was offered "weather"). 004 §12 lists why
 * recording may stop or fail (fault or damage, battery, storage, weather, obstruction, other force majeure); §13
 * adds remote, off-site or continuous duty for a late offload only. A clock that was off or reset, or a file the
 * dock reads differently from the recorder, is a matter of the device, not of the weather or the public.
 */
export const JUSTIFICATION_REASONS = ['device_fault', 'battery', 'storage', 'weather', 'obstruction', 'force_majeure', 'remote_duty'] as const;
export type JustificationReason = (typeof JUSTIFICATION_REASONS)[number];

const STOPPED: readonly JustificationReason[] = ['device_fault', 'battery', 'storage', 'weather', 'obstruction', 'force_majeure'];
const DEVICE: readonly JustificationReason[] = ['device_fault', 'storage'];
const CLOCK: readonly JustificationReason[] = ['device_fault', 'battery'];

const FITTING: Readonly<Record<string, readonly JustificationReason[]>> = {
  gap: STOPPED,
  activity_gap: STOPPED,
  seq_missing: ['device_fault', 'battery', 'storage', 'force_majeure'],
  late_offload: ['remote_duty', 'device_fault', 'force_majeure'],
  drift: CLOCK,
  clock_reset: CLOCK,
  hash_mismatch: DEVICE,
  size_mismatch: DEVICE,
  duration_mismatch: DEVICE,
  unreadable: DEVICE,
  container_unreadable: DEVICE,
  bad_name: DEVICE,
  identity_mismatch: ['device_fault'],
  interrupted: ['device_fault', 'battery', 'force_majeure'],
  no_checkout: ['device_fault', 'force_majeure'],
  wrong_officer: ['device_fault', 'force_majeure'],
  // A spot-check's failed item (004 §17): footage incomplete or unclear for one of §12's causes; a failed §5 or §18 item has none.
  spot_check_failed: STOPPED,
};
const OTHER: readonly JustificationReason[] = ['device_fault', 'battery', 'storage', 'force_majeure'];

/** The reasons offered for (and accepted of) a finding of this kind. */
export function reasonsFor(kind: string): readonly JustificationReason[] {
  return FITTING[kind] ?? OTHER;
}
