/**
 * Text messages between studios (SIP MESSAGE, RFC 3428) as the service sees them: incoming ones
 * are kept in the message log (linked to the live link whose dialog they came in), outgoing ones
 * are resolved (phonebook id or sip:/sips: URI), kept as pending, sent (in the dialog of a live
 * link to that peer when there is one, else outside any dialog) and updated with the outcome.
 * Every new or updated record is announced on `events` (the live feed).
 *
 * Everything SIP and link related comes in through `MessagingDeps`, so this is testable with plain
 * functions and an in-memory log.
 */
import { randomUUID } from 'node:crypto';
import { AcipError } from '../util/errors.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import type { MessageLog, MessageQuery, MessageRecord } from './message-log.js';

/** How an outgoing MESSAGE ended: its final SIP status (408 on timeout, 503 when it could not be sent). */
export interface MessageOutcome {
  status: number;
  reason: string;
}

/** Where an outgoing message goes: a URI, and the live link whose dialog carries it, if any. */
export interface MessageRoute {
  uri: string;
  linkId?: string;
  /** TLS only: false accepts a peer certificate that fails verification (the phonebook entry's choice). */
  tlsVerify?: boolean;
}

export interface MessagingDeps {
  log: MessageLog;
  /** Wall-clock ms (record times). */
  wallNow: () => number;
  /** A phonebook entry's URI and TLS choice, by id; undefined when there is no such entry. */
  entry(id: string): { uri: string; tlsVerify?: boolean } | undefined;
  /** The live link (not ended or failed) whose far end is `uri`, if any. */
  liveLinkTo(uri: string): string | undefined;
  /** Send a MESSAGE: in the dialog of `route.linkId` when set and still up, else outside any dialog. */
  send(route: MessageRoute, text: string): Promise<MessageOutcome>;
  newId?: () => string;
}

/** An incoming message as the SIP layer hands it over. */
export interface ReceivedText {
  from: string;
  text: string;
  /** Whether it came inside a dialog (then it is linked to the live link with that peer). */
  inDialog: boolean;
}

export type MessagingEvents = {
  /** A message was added or its delivery status changed. */
  message: [MessageRecord];
};

const SIP_URI = /^sips?:[^\s<>"]+$/i;

export class Messaging {
  readonly events = new TypedEmitter<MessagingEvents>();
  private readonly newId: () => string;

  constructor(private readonly deps: MessagingDeps) {
    this.newId = deps.newId ?? (() => randomUUID());
  }

  /** Newest first. */
  list(q: MessageQuery): MessageRecord[] {
    return this.deps.log.query(q);
  }

  /** Keep an incoming message (RFC 3428 §7: it was answered 200, so it is delivered). */
  receive(m: ReceivedText): MessageRecord {
    const linkId = m.inDialog ? this.deps.liveLinkTo(m.from) : undefined;
    const r = this.deps.log.add({
      id: this.newId(),
      at: new Date(this.deps.wallNow()).toISOString(),
      direction: 'in',
      remote: m.from,
      ...(linkId !== undefined ? { linkId } : {}),
      text: m.text,
      status: 'delivered',
    });
    this.events.emit('message', r);
    return r;
  }

  /** Where `to` (a phonebook id or a sip:/sips: URI) goes; throws NOT_FOUND / VALIDATION naming `to`. */
  route(to: string): MessageRoute {
    const t = to.trim();
    let uri: string;
    let tlsVerify: boolean | undefined;
    if (/^sips?:/i.test(t)) {
      if (!SIP_URI.test(t)) throw new AcipError('VALIDATION', `not a SIP URI: ${JSON.stringify(t.slice(0, 80))}`, 'to');
      uri = t;
    } else {
      const e = this.deps.entry(t);
      if (!e) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(t)) throw new AcipError('VALIDATION', 'to must be a phonebook entry id or a sip:/sips: URI', 'to');
        throw new AcipError('NOT_FOUND', `no phonebook entry ${JSON.stringify(t.slice(0, 80))}`, 'to');
      }
      if (!/^sips?:/i.test(e.uri)) throw new AcipError('VALIDATION', `phonebook entry ${t} has no sip:/sips: URI`, 'to');
      uri = e.uri;
      tlsVerify = e.tlsVerify;
    }
    const linkId = this.deps.liveLinkTo(uri);
    return { uri, ...(linkId !== undefined ? { linkId } : {}), ...(tlsVerify === false ? { tlsVerify } : {}) };
  }

  /** Send `text` to `to`; resolves with the kept record, delivered (2xx) or failed. */
  async send(to: string, text: string): Promise<MessageRecord> {
    const route = this.route(to);
    const pending = this.deps.log.add({
      id: this.newId(),
      at: new Date(this.deps.wallNow()).toISOString(),
      direction: 'out',
      remote: route.uri,
      ...(route.linkId !== undefined ? { linkId: route.linkId } : {}),
      text,
      status: 'pending',
    });
    this.events.emit('message', pending);
    let outcome: MessageOutcome;
    try {
      outcome = await this.deps.send(route, text);
    } catch (err) {
      outcome = { status: 503, reason: err instanceof Error ? err.message : String(err) };
    }
    const delivered = outcome.status >= 200 && outcome.status < 300;
    const change = { status: delivered ? ('delivered' as const) : ('failed' as const), statusCode: outcome.status, reason: outcome.reason };
    // The log may have dropped it meanwhile (bounds): answer with what it would have kept.
    const done = this.deps.log.update(pending.id, change) ?? { ...pending, ...change };
    this.events.emit('message', done);
    return done;
  }
}
