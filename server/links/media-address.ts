/**
 * Which address to write into our SDP (c=) so the far end can reach our RTP sockets.
 * A configured public address wins; a call to a loopback host gets the loopback address; otherwise
 * the RTP bind address when it is not a wildcard, else the first non-internal IPv4 address.
 */
import { networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import type { AcipConfig } from '../config/schema.js';

function firstExternalIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

export function mediaAddressChooser(config: AcipConfig): (remoteHost: string | undefined) => string {
  return (remoteHost) => {
    if (config.sip.publicAddress) return config.sip.publicAddress;
    if (remoteHost && ((isIP(remoteHost) === 4 && remoteHost.startsWith('127.')) || remoteHost === '::1' || remoteHost === 'localhost')) {
      return remoteHost === '::1' ? '::1' : '127.0.0.1';
    }
    const bind = config.rtp.host;
    if (bind !== '0.0.0.0' && bind !== '::') return bind;
    return firstExternalIPv4() ?? '127.0.0.1';
  };
}
