import dns from 'node:dns';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bindUdp, literalFirstLookup } from '../../server/rtp/port-pair.js';

type Answer = [NodeJS.ErrnoException | null, string, number];

describe("the RTP sockets' address lookup", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each([
    ['127.0.0.1', 4],
    ['0.0.0.0', 4],
    ['192.0.2.7', 4],
    ['::1', 6],
    ['2001:db8::5', 6],
  ])('answers the IP literal %s at once, without deferring to the next tick and without the resolver', (host, family) => {
    const lookup = vi.spyOn(dns, 'lookup');
    let answer: Answer | null = null;
    literalFirstLookup(host, family, (err, address, fam) => {
      answer = [err, address, fam];
    });
    expect(answer).toEqual([null, host, family]);
    expect(lookup).not.toHaveBeenCalled();
  });

  it('hands a name to dns.lookup with the family dgram asked for', () => {
    const lookup = vi.spyOn(dns, 'lookup').mockImplementation(((_h: string, _o: unknown, cb: (e: null, a: string, f: number) => void) => {
      cb(null, '192.0.2.9', 4);
    }) as unknown as typeof dns.lookup);
    let answer: Answer | null = null;
    literalFirstLookup('peer.example', 4, (err, address, fam) => {
      answer = [err, address, fam];
    });
    expect(lookup).toHaveBeenCalledWith('peer.example', { family: 4 }, expect.any(Function));
    expect(answer).toEqual([null, '192.0.2.9', 4]);
  });

  it('resolves a real name through the system resolver', async () => {
    const got = await new Promise<Answer>((resolve) => literalFirstLookup('localhost', 4, (err, address, fam) => resolve([err, address, fam])));
    expect(got).toEqual([null, '127.0.0.1', 4]);
  });

  it('carries datagrams between two sockets bound with it, and calls the send callback without an error', async () => {
    const a = await bindUdp('127.0.0.1', 0);
    const b = await bindUdp('127.0.0.1', 0);
    try {
      const got = new Promise<string>((resolve) => b.once('message', (m) => resolve(m.toString())));
      const sent = new Promise<Error | null>((resolve) => a.send(Buffer.from('tone'), b.address().port, '127.0.0.1', (err) => resolve(err)));
      expect(await sent).toBeNull();
      expect(await got).toBe('tone');
    } finally {
      a.close();
      b.close();
    }
  });

  it('still hands a failed name lookup to the send callback', async () => {
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND peer.invalid'), { code: 'ENOTFOUND' });
    vi.spyOn(dns, 'lookup').mockImplementation(((_h: string, _o: unknown, cb: (e: Error) => void) => {
      setImmediate(() => cb(notFound));
    }) as unknown as typeof dns.lookup);
    const a = await bindUdp('127.0.0.1', 0);
    try {
      const err = await new Promise<Error | null>((resolve) => a.send(Buffer.from('x'), 9, 'peer.invalid', (e) => resolve(e)));
      expect(err).toBe(notFound);
    } finally {
      a.close();
    }
  });

  it('still rejects a bind to a port in use with EADDRINUSE, and leaves the taken port working', async () => {
    const a = await bindUdp('127.0.0.1', 0);
    try {
      await expect(bindUdp('127.0.0.1', a.address().port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(a.address().port).toBeGreaterThan(0);
    } finally {
      a.close();
    }
  });
});
