/**
 * SIP over TLS (RFC 3261 §26.2, RFC 5630 for sips:): the shared stream transport
 * (`stream-transport.ts`: framing, size limits, stall and idle timeouts, connection reuse) over
 * `node:tls` sockets.
 *
 * Outbound connections ask for the target's name with SNI (RFC 6066 §3) when the URI named a host,
 * and verify the peer's certificate (chain against `ca`, else the system CAs; name or address
 * against the subjectAltName, RFC 5922 §7.2) unless the destination says `tlsVerify: false`. A
 * failure ends the attempt with `SIP_TLS_VERIFY_FAILED` carrying the OpenSSL reason.
 *
 * Connection reuse (RFC 5923): a peer that puts `alias` in its Via gets our requests for its
 * sent-by over the connection it opened; our own connections are kept, one per remote target, and
 * an unverified one (`tlsVerify: false`) never carries a request that asked for verification.
 *
 * `reloadCredentials` swaps certificate and key for new handshakes (`tls.Server.setSecureContext`):
 * open connections, and the calls on them, carry on.
 */
import { isIP } from 'node:net';
import tls from 'node:tls';
import { DEFAULT_SIPS_PORT } from './response-routing.js';
import type { SipDestination } from './sip-transport.js';
import { StreamSipTransport, type Dialled, type StreamConnection, type StreamTransportOptions } from './stream-transport.js';
import { SipTransportError } from './transport-error.js';

/** PEM material: our certificate chain and key, and the CAs we trust for peers (absent: the system's). */
export interface TlsCredentials {
  cert: string | Buffer;
  key: string | Buffer;
  ca?: string | Buffer | undefined;
}

export interface TlsTransportOptions extends StreamTransportOptions {
  credentials: TlsCredentials;
}

/** Readable words for the verification failures people meet most; others show the bare code. */
const VERIFY_REASONS = new Map<string, string>([
  ['DEPTH_ZERO_SELF_SIGNED_CERT', 'the certificate is self-signed'],
  ['SELF_SIGNED_CERT_IN_CHAIN', 'a self-signed certificate is in the chain'],
  ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'the issuer of the certificate is not trusted'],
  ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'the issuer of the certificate is not trusted'],
  ['UNABLE_TO_GET_ISSUER_CERT', 'the issuer of the certificate is not trusted'],
  ['CERT_HAS_EXPIRED', 'the certificate has expired'],
  ['CERT_NOT_YET_VALID', 'the certificate is not yet valid'],
  ['CERT_REVOKED', 'the certificate is revoked'],
  ['ERR_TLS_CERT_ALTNAME_INVALID', 'the certificate does not name this host or address'],
]);

function isTlsLibraryError(err: Error): boolean {
  const e = err as Error & { code?: unknown; library?: unknown };
  return e.library !== undefined || (typeof e.code === 'string' && /^ERR_(SSL|TLS)_/.test(e.code));
}

export class TlsSipTransport extends StreamSipTransport {
  readonly protocol = 'tls' as const;
  protected readonly defaultPort = DEFAULT_SIPS_PORT;
  protected override readonly honoursAlias = true;
  private credentials: TlsCredentials;

  private constructor(server: tls.Server, local: { address: string; port: number }, opts: TlsTransportOptions) {
    super(server, local, opts, 'secureConnection');
    this.credentials = opts.credentials;
    server.on('tlsClientError', (err) => this.logger.debug({ err: String(err) }, 'sip tls: inbound handshake failed'));
  }

  /** Throws (before listening) when the certificate and key do not load or do not match. */
  static async listen(opts: TlsTransportOptions): Promise<TlsSipTransport> {
    const { cert, key, ca } = opts.credentials;
    const server = tls.createServer({
      cert,
      key,
      ...(ca ? { ca } : {}),
      handshakeTimeout: opts.connectTimeoutMs ?? 10_000,
      noDelay: true,
    });
    const local = await StreamSipTransport.bind(server, opts);
    return new TlsSipTransport(server, local, opts);
  }

  /**
   * New certificate, key (and CAs) for handshakes from now on, ours and our peers'. Throws, leaving
   * the old ones in force, when they do not load.
   */
  reloadCredentials(credentials: TlsCredentials): void {
    const { cert, key, ca } = credentials;
    // Validate first: createSecureContext throws on unreadable PEM or a key that does not match.
    tls.createSecureContext({ cert, key, ...(ca ? { ca } : {}) });
    (this.server as tls.Server).setSecureContext({ cert, key, ...(ca ? { ca } : {}) });
    this.credentials = credentials;
    this.logger.info({}, 'sip tls: certificate reloaded');
  }

  protected override mayReuse(conn: StreamConnection, dest: SipDestination): boolean {
    if (!conn.outbound) return true;
    if (dest.serverName !== undefined && conn.serverName !== dest.serverName) return false;
    return conn.verified || dest.tlsVerify === false;
  }

  protected dial(dest: SipDestination): Dialled {
    const { cert, key, ca } = this.credentials;
    const serverName = dest.serverName !== undefined && isIP(dest.serverName) === 0 ? dest.serverName : undefined;
    const verify = dest.tlsVerify !== false;
    const peer = `${serverName ?? dest.address}:${dest.port}`;
    const socket = tls.connect({
      host: dest.address,
      port: dest.port,
      ...(serverName ? { servername: serverName } : {}),
      // We present our certificate too, for peers that ask for one (mutual TLS).
      cert,
      key,
      ...(ca ? { ca } : {}),
      // Checked in `accept`, so that the failure becomes a typed error with the reason in it.
      rejectUnauthorized: false,
    });
    return {
      socket,
      readyEvent: 'secureConnect',
      accept: (conn) => {
        conn.serverName = serverName;
        conn.verified = socket.authorized;
        if (!verify || socket.authorized) return;
        const reason = String(socket.authorizationError ?? 'UNKNOWN');
        const words = VERIFY_REASONS.get(reason);
        throw new SipTransportError(
          'SIP_TLS_VERIFY_FAILED',
          `TLS certificate of ${peer} failed verification: ${reason}${words ? ` (${words})` : ''}`,
          reason,
        );
      },
      mapError: (err) => {
        if (!isTlsLibraryError(err)) return err;
        const reason = String((err as Error & { code?: unknown }).code ?? err.message);
        return new SipTransportError('SIP_TLS_HANDSHAKE_FAILED', `TLS handshake with ${peer} failed: ${err.message}`, reason, { cause: err });
      },
    };
  }
}
