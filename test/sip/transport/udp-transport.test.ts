import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { RECEIVE_BUFFER_BYTES, UdpSipTransport } from '../../../server/sip/transport/udp-transport.js';

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** net.core.rmem_max: the most a socket may ask for without privileges (Linux), or undefined elsewhere. */
function rmemMax(): number | undefined {
  try {
    return Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim());
  } catch {
    return undefined;
  }
}

async function listen(receiveBufferBytes?: number): Promise<UdpSipTransport> {
  const t = await UdpSipTransport.listen({ host: '127.0.0.1', port: 0, ...(receiveBufferBytes !== undefined ? { receiveBufferBytes } : {}) });
  closers.push(() => t.close());
  return t;
}

describe('SIP over UDP: the receive buffer', () => {
  it('asks the kernel for a buffer that holds about a second of a call flood, as much as rmem_max allows', async () => {
    const t = await listen();
    const cap = rmemMax();
    // Linux grants twice what was asked (bookkeeping overhead included), capped at twice rmem_max.
    const expected = cap === undefined ? RECEIVE_BUFFER_BYTES : Math.min(RECEIVE_BUFFER_BYTES, cap);
    expect(t.receiveBufferBytes).toBeGreaterThanOrEqual(expected);
  });

  it('takes the size a caller asks for instead of the default', async () => {
    const small = await listen(64 * 1024);
    const large = await listen();
    expect(small.receiveBufferBytes).toBeGreaterThanOrEqual(64 * 1024);
    expect(small.receiveBufferBytes).toBeLessThan(large.receiveBufferBytes);
  });
});
