/**
 * SIP over TCP (RFC 3261 §18): the shared stream transport (`stream-transport.ts`: framing,
 * connection reuse, size limits, stall and idle timeouts) over plain `net` sockets.
 */
import net from 'node:net';
import { DEFAULT_SIP_PORT } from './response-routing.js';
import type { SipDestination } from './sip-transport.js';
import { StreamSipTransport, type Dialled, type StreamTransportOptions } from './stream-transport.js';

export type TcpTransportOptions = StreamTransportOptions;

export class TcpSipTransport extends StreamSipTransport {
  readonly protocol = 'tcp' as const;
  protected readonly defaultPort = DEFAULT_SIP_PORT;

  static async listen(opts: TcpTransportOptions): Promise<TcpSipTransport> {
    const server = net.createServer({ noDelay: true });
    const local = await StreamSipTransport.bind(server, opts);
    return new TcpSipTransport(server, local, opts, 'connection');
  }

  protected dial(dest: SipDestination): Dialled {
    return {
      socket: net.connect({ host: dest.address, port: dest.port, noDelay: true }),
      readyEvent: 'connect',
      accept: () => {},
      mapError: (err) => err,
    };
  }
}
