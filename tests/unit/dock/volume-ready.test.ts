import { describe, expect, it } from 'vitest';
import { judgeVolume, notAnswering, type VolumeLook } from '../../../daemon/dock/volume-ready.js';

const look = (o: Partial<VolumeLook>): VolumeLook => ({ present: true, mounted: false, answering: true, empty: false, found: 3, expected: 3, missing: [], ...o });

describe('judgeVolume: a volume is read only once it is whole', () => {
  const table: Array<[string, VolumeLook, boolean, string, RegExp?]> = [
    ['no folder yet: wait', look({ present: false, empty: true, found: 0 }), false, 'wait'],
    ['no folder at the time-out: the storage did not appear', look({ present: false, empty: true, found: 0 }), true, 'absent', /did not appear: check the udev rule/],
    ['the mount point before its mount (an empty plain folder): wait', look({ empty: true, found: 0 }), false, 'wait'],
    ['still an empty folder at the time-out: did not appear', look({ empty: true, found: 0 }), true, 'absent', /udev rule/],
    ['a mounted file system with every file: whole', look({ mounted: true }), false, 'whole'],
    ['a mounted file system lacking some: whole, the missing ones flagged later', look({ mounted: true, found: 2, missing: ['x'] }), false, 'whole'],
    ['a mounted file system with none of them: not the recorder’s, at once', look({ mounted: true, found: 0, missing: ['a', 'b', 'c'] }), false, 'foreign', /not the recorder's/],
    ['an empty mounted file system with files expected: not the recorder’s', look({ mounted: true, empty: true, found: 0 }), false, 'foreign'],
    ['a plain folder with every file: whole', look({}), false, 'whole'],
    ['a plain folder half filled: wait', look({ found: 1, missing: ['b', 'c'] }), false, 'wait'],
    ['a plain folder still partial at the time-out: offload what is there', look({ found: 1, missing: ['b', 'c'] }), true, 'whole'],
    ['a plain folder of other files at the time-out: not the recorder’s', look({ found: 0, missing: ['a', 'b', 'c'] }), true, 'foreign'],
    ['nothing catalogued to read: whole as soon as it is a non-empty folder', look({ expected: 0, found: 0 }), false, 'whole'],
    ['a mount that does not answer (its look still in the file system): wait', notAnswering([{ name: 'a', size: 1n }]), false, 'wait'],
    ['a mount that still does not answer at the time-out: no volume, in words that say so', notAnswering([{ name: 'a', size: 1n }]), true, 'absent', /mounted but does not answer/],
  ];
  for (const [name, l, timedOut, verdict, words] of table) {
    it(name, () => {
      const v = judgeVolume(l, timedOut);
      expect(v.verdict).toBe(verdict);
      if (words) expect('reason' in v ? v.reason : '').toMatch(words);
      if (v.verdict === 'whole') expect(v.missing).toEqual(l.missing);
    });
  }
});
