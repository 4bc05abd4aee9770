import { label } from './i18n/index.js';

/** Words for the API's names (CONTRACT "Names used in the API") from the catalogue; unknown names are shown readably. */
export const roleLabel = (name: string | null | undefined) => label('role', name);
export const slotStateLabel = (name: string | null | undefined) => label('slot', name);
export const findingLabel = (name: string | null | undefined) => label('finding', name);
export const reasonLabel = (name: string | null | undefined) => label('reason', name);
export const findingStateLabel = (name: string | null | undefined) => label('fstate', name);
export const readinessLabel = (name: string | null | undefined) => label('readiness', name);
export const deviceStatusLabel = (name: string | null | undefined) => label('dstatus', name);
export const sessionResultLabel = (name: string | null | undefined) => label('sresult', name);

/** Device findings, justified by the equipment manager (CONTRACT "device findings"). */
export const DEVICE_FINDINGS = ['drift', 'clock_reset', 'hash_mismatch', 'no_checkout'];
