/**
 * RTP/RTCP port pairs: RTP on an even port, RTCP on the next odd one (RFC 3550 §11; RFC 3551
 * recommends even RTP ports; EBU Tech 3326 defaults to 5004/5005).
 *
 * We bind the sockets while searching, so the pair we return is ours (no probe-then-bind race
 * with other processes or sessions).
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { AcipError } from '../util/errors.js';

export interface PortRange {
  /** Lowest port (rounded up to even). */
  min: number;
  /** Highest port usable for RTCP (the last pair is max−1/max when max is odd). */
  max: number;
}

export interface BoundPortPair {
  rtp: dgram.Socket;
  rtcp: dgram.Socket;
  rtpPort: number;
  rtcpPort: number;
}

export const DEFAULT_PORT_RANGE: PortRange = { min: 5004, max: 5999 };

export function socketTypeFor(host: string): 'udp4' | 'udp6' {
  return net.isIPv6(host) ? 'udp6' : 'udp4';
}

/**
 * Receive buffer asked of the kernel (it caps at net.core.rmem_max). The 208 KiB default holds only
 * ~160 ms of 1 ms L24 stereo, so an event-loop stall longer than that lost packets that had arrived.
 */
export const RTP_RECV_BUFFER_BYTES = 2 * 1024 * 1024;

/** The callback of a dgram socket's `lookup` option (dns.lookup's, with one address). */
export type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * The address lookup a socket runs on every unconnected `send(buf, port, address)` and on `bind`.
 * An IP literal (all an RTP destination ever is: SDP c= lines and latched source addresses) is
 * answered at once; dns.lookup answers a literal too, but only on the next tick, so every packet
 * paid a deferral and a trip through the tick queue between two timer callbacks. A name still goes
 * to dns.lookup (asynchronous, as before), and its errors reach the send callback or the bind error
 * as they did. Answering synchronously makes `bind` emit 'listening' (or 'error') inside the call:
 * `bindUdp` listens for both before it binds. The RTP sockets are never connected (symmetric RTP
 * latches and follows NAT rebinding, RFC 4961), so each send runs this.
 */
export function literalFirstLookup(hostname: string, options: dns.LookupOneOptions | number, callback: LookupCallback): void {
  const family = net.isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  dns.lookup(hostname, typeof options === 'number' ? { family: options } : options, callback);
}

/** Bind a UDP socket; resolves with it bound or rejects with the bind error (socket closed). */
export function bindUdp(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket({
      type: socketTypeFor(host),
      recvBufferSize: RTP_RECV_BUFFER_BYTES,
      // dgram's own type for the option is dns.lookup's overloads; ours takes the form dgram calls.
      lookup: literalFirstLookup as unknown as dgram.SocketOptions['lookup'],
    });
    const onError = (err: Error): void => {
      sock.removeListener('listening', onListening);
      try {
        sock.close();
      } catch {
        // already closed
      }
      reject(err);
    };
    const onListening = (): void => {
      sock.removeListener('error', onError);
      resolve(sock);
    };
    sock.once('error', onError);
    sock.once('listening', onListening);
    try {
      // The lookup answers a literal at once, so a failure after the bind (e.g. setting the receive
      // buffer size) throws here rather than on a later tick: close the socket, do not leak it.
      sock.bind({ address: host, port, exclusive: true });
    } catch (err) {
      sock.removeListener('error', onError);
      sock.removeListener('listening', onListening);
      closeQuietly(sock);
      reject(err as Error);
    }
  });
}

function closeQuietly(sock: dgram.Socket): void {
  try {
    sock.close();
  } catch {
    // already closed
  }
}

/** Bind RTP on exactly `rtpPort` and RTCP on `rtcpPort` (default rtpPort + 1). */
export async function bindPortPair(host: string, rtpPort: number, rtcpPort = rtpPort === 0 ? 0 : rtpPort + 1): Promise<BoundPortPair> {
  const rtp = await bindUdp(host, rtpPort);
  let rtcp: dgram.Socket;
  try {
    rtcp = await bindUdp(host, rtcpPort);
  } catch (err) {
    closeQuietly(rtp);
    throw err;
  }
  // A port asked for is the port bound: only an ephemeral one (0) needs getsockname.
  return { rtp, rtcp, rtpPort: rtpPort === 0 ? rtp.address().port : rtpPort, rtcpPort: rtcpPort === 0 ? rtcp.address().port : rtcpPort };
}

/**
 * Find and bind a free even/odd pair in `range` on `host`. Starts at a random pair (so parallel
 * sessions do not all collide on the first one) and tries each pair at most once.
 * Throws AcipError 'RTP_NO_PORTS' when every pair is taken.
 */
export async function allocatePortPair(range: PortRange = DEFAULT_PORT_RANGE, host = '0.0.0.0'): Promise<BoundPortPair> {
  const first = range.min + (range.min % 2);
  const last = range.max - 1 - ((range.max - 1) % 2); // last even port whose +1 ≤ max
  if (!Number.isInteger(first) || !Number.isInteger(range.max) || first < 1 || range.max > 65535 || last < first) {
    throw new AcipError('RTP_PORT_RANGE', `port range ${range.min}-${range.max} holds no even/odd pair`, 'portRange');
  }
  const pairs = (last - first) / 2 + 1;
  const start = randomInt(pairs);
  let lastErr: unknown;
  for (let i = 0; i < pairs; i++) {
    const port = first + ((start + i) % pairs) * 2;
    try {
      return await bindPortPair(host, port, port + 1);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
      lastErr = err;
    }
  }
  throw new AcipError('RTP_NO_PORTS', `no free RTP/RTCP port pair in ${range.min}-${range.max} on ${host}`, 'portRange', {
    cause: lastErr,
  });
}

/** Closes every socket (one that throws, already closed, counts as closed), then calls `done` once. */
export function closeSockets(sockets: readonly dgram.Socket[], done: () => void): void {
  let open = sockets.length;
  const closed = (): void => {
    if (--open === 0) done();
  };
  for (const s of sockets) {
    try {
      s.close(closed);
    } catch {
      closed();
    }
  }
}
