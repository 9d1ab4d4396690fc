/**
 * acip's registration at a registrar (RFC 3261 §10) as the board shows it: the status of each
 * attempt, and the registration-lost alarm raised when a registration that worked (or was being
 * made) fails, cleared when it works again.
 */
import type { Clock } from '../util/clock.js';
import type { AcipConfig } from '../config/schema.js';
import { parseUri } from '../sip/grammar/uri.js';
import type { LinkManagerUa, LinkRegistration } from './call-port.js';
import type { LinkLogger } from './link-logger.js';
import type { RegistrationStatus } from './link-types.js';
import type { AlarmBoard } from './alarm-board.js';

export type RegistrationConfig = NonNullable<AcipConfig['sip']['registration']>;

export interface LinkRegistrationDeps {
  ua: Pick<LinkManagerUa, 'register'>;
  clock: Pick<Clock, 'wallNow'>;
  log: LinkLogger;
  alarms: Pick<AlarmBoard, 'raise' | 'clear'>;
  /** Every new status (the manager keeps it and publishes it). */
  onStatus: (status: RegistrationStatus) => void;
}

/** Register as `reg` says; the returned handle unregisters and closes. */
export function startLinkRegistration(reg: RegistrationConfig, deps: LinkRegistrationDeps): LinkRegistration {
  const username = reg.username ?? userOf(reg.aor);
  let current: RegistrationStatus | undefined;
  const set = (state: RegistrationStatus['state'], extra: Partial<RegistrationStatus> = {}) => {
    const was = current?.state;
    current = { state, aor: reg.aor, registrar: reg.registrar, ...extra };
    deps.onStatus(current);
    if (state === 'registered') deps.alarms.clear('registration-lost', undefined);
    else if (state === 'failed' && (was === 'registered' || was === 'registering')) {
      deps.alarms.raise('registration-lost', undefined, `registration of ${reg.aor} at ${reg.registrar} failed: ${extra.lastError ?? ''}`);
    }
  };
  set('registering');
  const r = deps.ua.register({
    registrar: reg.registrar,
    aor: reg.aor,
    ...(username !== undefined ? { username } : {}),
    ...(reg.password !== undefined ? { password: reg.password } : {}),
    expires: reg.expires,
  });
  r.on('registered', ({ expires }) => {
    deps.log.info({ aor: reg.aor, expires }, `registered ${reg.aor} at ${reg.registrar} for ${expires} s`);
    set('registered', { expiresAt: new Date(deps.clock.wallNow() + expires * 1000).toISOString() });
  });
  r.on('failed', (f) => {
    const retry = f.retryInSeconds !== undefined ? `; retrying in ${Math.round(f.retryInSeconds)} s` : '';
    deps.log.warn({ aor: reg.aor, status: f.status }, `registration of ${reg.aor} failed: ${f.status} ${f.reason}${retry}`);
    set('failed', {
      lastError: `${f.status} ${f.reason}`,
      ...(f.retryInSeconds !== undefined ? { nextRetryAt: new Date(deps.clock.wallNow() + f.retryInSeconds * 1000).toISOString() } : {}),
    });
  });
  r.on('unregistered', () => set('unregistered'));
  return r;
}

function userOf(aor: string): string | undefined {
  try {
    return parseUri(aor).user;
  } catch {
    return undefined;
  }
}
