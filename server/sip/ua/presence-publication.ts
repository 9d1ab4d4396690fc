/**
 * The SIP side of publishing acip's own presence to a presence server (PUBLISH, RFC 3903): one
 * `PresencePublisher` (the state machine: initial, refresh, modify, remove, 412 → initial again)
 * and the requests it asks for. Every PUBLISH goes to the presence server with our address of
 * record as Request-URI, From and To (RFC 3903 §4.1: the Request-URI names the presentity), with
 * one Call-ID and From tag and an increasing CSeq for the whole publication; a 401/407 is answered
 * once with the configured credentials (RFC 3261 §22.2, `sendNonInvite`).
 */
import { DEFAULT_BACKOFF, type BackoffOptions } from '../../util/backoff.js';
import { SipHeaders, type SipRequest, type SipResponse } from '../grammar/message.js';
import { PresencePublisher, type PublishResponse, type PublishSend, type PublisherState } from '../presence/publisher.js';
import type { PresenceState } from '../presence/presence-state.js';
import { PIDF_CONTENT_TYPE } from '../presence/pidf.js';
import type { SipTransport } from '../transport/sip-transport.js';
import type { DigestClient, DigestCredentials } from './digest-client.js';
import { newCallId, newTag } from './ids.js';
import { digestFor, sendNonInvite } from './non-invite-request.js';
import { responseFacts } from './presence-client.js';
import type { SipRoute, UaCore } from './ua-core.js';

/** What a publication needs from the user agent. */
export interface PublicationHost extends Pick<UaCore, 'clock' | 'userAgentName' | 'locate' | 'via' | 'sendRequest'> {
  isClosed(): boolean;
  /** The host we advertise over `transport` (IPv6 in brackets), for the Call-ID. */
  hostOf(transport: SipTransport): string;
}

export interface PublicationOptions {
  /** Presence server URI the PUBLISHes are sent to, e.g. `sip:presence.example.net;transport=tcp`. */
  server: string;
  /** Our address of record: the presentity (Request-URI, From, To and the PIDF entity). */
  aor: string;
  /** Requested publication lifetime, s. */
  expiresS: number;
  /** Credentials for a 401/407. */
  auth?: DigestCredentials;
  backoff?: BackoffOptions;
  /** Every final answer (after a challenge was answered), for logs. */
  onAnswer?: (status: number, reason: string) => void;
  onStateChange?: (from: PublisherState, to: PublisherState) => void;
}

/** Back-off between failed publications: 5 s doubling to 5 min (a presence server that is down is not hammered). */
const PUBLISH_BACKOFF: BackoffOptions = { ...DEFAULT_BACKOFF, initialMs: 5000, maxMs: 300_000 };

export class PresencePublication {
  readonly publisher: PresencePublisher;
  private readonly digest: DigestClient | undefined;
  private readonly fromTag = newTag();
  private callId: string | undefined;
  private cseq = 0;
  /** Settles when the removal sent by `stop()` has its final answer (or could not be sent). */
  private removal: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly host: PublicationHost,
    private readonly o: PublicationOptions,
  ) {
    this.digest = digestFor(o.auth);
    this.publisher = new PresencePublisher({
      clock: host.clock,
      entity: o.aor,
      expiresS: o.expiresS,
      backoff: o.backoff ?? PUBLISH_BACKOFF,
      send: (r) => this.send(r),
      ...(o.onStateChange ? { onStateChange: o.onStateChange } : {}),
    });
  }

  get state(): PublisherState {
    return this.publisher.state;
  }

  /** Publish `presence` (the initial publication). */
  start(presence: PresenceState): void {
    this.publisher.start(presence);
  }

  /** Our presence changed: modify the publication (or carry the change in the next one). */
  setPresence(presence: PresenceState): void {
    this.publisher.setPresence(presence);
  }

  /**
   * Remove the publication (Expires 0, RFC 3903 §4.5) and stop. Resolves once the removal is
   * answered, at once when there was nothing to remove. Idempotent.
   */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.publisher.stop();
    }
    return this.removal ?? Promise.resolve();
  }

  private send(r: PublishSend): void {
    const removal = this.stopping && r.expiresS === 0;
    let settle: () => void = () => undefined;
    if (removal) this.removal = new Promise<void>((resolve) => (settle = resolve));
    const answer = (res: PublishResponse, reason: string) => {
      this.o.onAnswer?.(res.status, reason);
      if (removal) settle();
      else this.publisher.onResponse(res);
    };
    const fail = (status: number, reason: string) => answer({ status }, reason);
    if (this.host.isClosed()) return fail(503, 'user agent closed');
    let located: SipRoute[] | Promise<SipRoute[]>;
    try {
      located = this.host.locate(this.o.server);
    } catch (err) {
      return fail(503, String(err));
    }
    const go = (route: SipRoute) => {
      try {
        sendNonInvite(
          this.host,
          this.request(r, route.transport),
          route,
          {
            onResponse: (res) => {
              if (res.status >= 200) answer(publishFacts(res), res.reason);
            },
            onTimeout: () => fail(408, 'Request Timeout'),
            onTransportError: () => fail(503, 'transport error'),
          },
          { digest: this.digest, nextCSeq: () => ++this.cseq },
        );
      } catch (err) {
        fail(503, String(err));
      }
    };
    if (Array.isArray(located)) go(located[0]!);
    else located.then((routes) => go(routes[0]!), (err: unknown) => fail(503, String(err)));
  }

  private request(r: PublishSend, transport: SipTransport): SipRequest {
    this.callId ??= newCallId(this.host.hostOf(transport));
    const body = Buffer.from(r.body ?? '', 'utf8');
    const h = new SipHeaders();
    h.append('Via', this.host.via(transport));
    h.append('Max-Forwards', '70');
    h.append('From', `<${this.o.aor}>;tag=${this.fromTag}`);
    h.append('To', `<${this.o.aor}>`);
    h.append('Call-ID', this.callId);
    h.append('CSeq', `${++this.cseq} PUBLISH`);
    h.append('Event', 'presence');
    h.append('Expires', String(r.expiresS));
    // RFC 3903 §11.3.2: the entity tag of the publication this one refreshes, modifies or removes.
    if (r.ifMatch !== undefined) h.append('SIP-If-Match', r.ifMatch);
    h.append('User-Agent', this.host.userAgentName);
    if (body.length > 0) h.append('Content-Type', PIDF_CONTENT_TYPE);
    h.append('Content-Length', String(body.length));
    return { kind: 'request', method: 'PUBLISH', uri: this.o.aor, version: 'SIP/2.0', headers: h, body };
  }
}

/** The facts of a PUBLISH response the publisher reads: status, timing, and the SIP-ETag of a 2xx (RFC 3903 §11.3.1). */
function publishFacts(res: SipResponse): PublishResponse {
  const out: PublishResponse = { ...responseFacts(res) };
  const etag = res.headers.get('SIP-ETag')?.trim();
  if (etag) out.etag = etag;
  return out;
}
