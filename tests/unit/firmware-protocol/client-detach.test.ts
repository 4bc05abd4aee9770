import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RecorderClient } from '../../../firmware-protocol/client/client.js';

describe('RecorderClient.detach', () => {
  it('removes exactly its own listeners from the link, leaving the owner’s', () => {
    const link = new PassThrough();
    const mine = () => undefined;
    link.on('data', mine);
    link.on('close', mine);
    const before = { data: link.listenerCount('data'), close: link.listenerCount('close'), end: link.listenerCount('end'), error: link.listenerCount('error') };
    for (let i = 0; i < 20; i++) new RecorderClient(link).detach();
    expect({ data: link.listenerCount('data'), close: link.listenerCount('close'), end: link.listenerCount('end'), error: link.listenerCount('error') }).toEqual(before);
    expect(link.listeners('data')).toContain(mine);
  });
});
