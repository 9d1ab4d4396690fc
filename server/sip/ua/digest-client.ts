/**
 * Client side of SIP digest authentication (RFC 3261 §22.2–§22.3, RFC 7616 and RFC 8760 for
 * SHA-256, qop=auth with a nonce count). Remembers the last challenge so that refreshes reuse
 * the nonce with an incremented nc, and recognises a rejected password: a second challenge with
 * the same nonce and without stale=true.
 */
import type { SipRequest, SipResponse } from '../grammar/message.js';
import { buildAuthorization, chooseChallenge, makeCnonce, type DigestChallenge } from '../grammar/digest.js';

export interface DigestCredentials {
  username: string;
  password: string;
}

export type ChallengeOutcome = 'retry' | 'rejected' | 'unusable';

export class DigestClient {
  private challenge: DigestChallenge | undefined;
  private header: 'Authorization' | 'Proxy-Authorization' = 'Authorization';
  private nc = 0;
  private cnonce = makeCnonce();

  constructor(private readonly creds: DigestCredentials) {}

  /**
   * Take a 401/407. 'retry' when the request should be re-sent with `authorize`; 'rejected' when
   * the server refused credentials built from this very nonce (wrong password, §22.2);
   * 'unusable' when no challenge could be used.
   */
  onChallenge(res: SipResponse): ChallengeOutcome {
    const isProxy = res.status === 407;
    const values = res.headers.getAll(isProxy ? 'Proxy-Authenticate' : 'WWW-Authenticate');
    const ch = chooseChallenge(values);
    if (!ch) return 'unusable';
    const sameNonce = this.challenge !== undefined && this.challenge.nonce === ch.nonce && this.challenge.realm === ch.realm;
    if (sameNonce && !ch.stale && this.nc > 0) return 'rejected';
    this.challenge = ch;
    this.header = isProxy ? 'Proxy-Authorization' : 'Authorization';
    this.nc = 0;
    this.cnonce = makeCnonce();
    return 'retry';
  }

  /** Add the credentials header to `req` (nc incremented per request with the same nonce, RFC 7616 §3.4). */
  authorize(req: SipRequest): void {
    if (!this.challenge) return;
    this.nc += 1;
    const value = buildAuthorization({
      challenge: this.challenge,
      method: req.method,
      uri: req.uri,
      username: this.creds.username,
      password: this.creds.password,
      nc: this.nc,
      cnonce: this.cnonce,
      body: req.body,
    });
    req.headers.set(this.header, value);
  }

  get hasChallenge(): boolean {
    return this.challenge !== undefined;
  }

  /** Nonce count used for the last request (for tests and logs). */
  get nonceCount(): number {
    return this.nc;
  }
}
