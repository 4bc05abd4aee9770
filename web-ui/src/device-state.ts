import type { Device } from './api.js';
import { time } from './format.js';
import { t } from './i18n/index.js';
import { deviceStatusLabel } from './labels.js';

/**
 * Where a recorder is, in words: its registry status and, separately, whether it is in a slot now (issue 18:
 * a recorder's page said "in the dock" after it left, reading the registry status as its place).
 */
export function deviceWhere(d: Pick<Device, 'status' | 'docked' | 'lastUndockedAt'>): string {
  const where = d.docked ? t('device.where.docked') : d.lastUndockedAt ? t('device.where.awaySince', { at: time(d.lastUndockedAt) }) : t('device.where.away');
  return `${deviceStatusLabel(d.status)} · ${where}`;
}
