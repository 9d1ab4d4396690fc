import { describe, expect, it } from 'vitest';
import { bindUdp, literalFirstLookup } from '../../server/rtp/port-pair.js';

describe('the RTP sockets\' address lookup', () => {
  it.each([
    ['127.0.0.1', 4],
    ['::1', 6],
    ['192.0.2.7', 4],
  ])('answers the IP literal %s at once, without deferring to the next tick', (host, family) => {
    let answer: [unknown, string, number] | null = null;
    literalFirstLookup(host, family, (err, address, fam) => {
      answer = [err, address, fam];
    });
    expect(answer).toEqual([null, host, family]);
  });

  it('still resolves a name through the system resolver', async () => {
    const got = await new Promise<[unknown, string, number]>((resolve) => literalFirstLookup('localhost', 4, (err, address, fam) => resolve([err, address, fam])));
    expect(got).toEqual([null, '127.0.0.1', 4]);
  });

  it('carries datagrams between two sockets bound with it', async () => {
    const a = await bindUdp('127.0.0.1', 0);
    const b = await bindUdp('127.0.0.1', 0);
    try {
      const got = new Promise<string>((resolve) => b.once('message', (m) => resolve(m.toString())));
      a.send(Buffer.from('tone'), b.address().port, '127.0.0.1');
      expect(await got).toBe('tone');
    } finally {
      a.close();
      b.close();
    }
  });
});
