/**
 * Who acip is at a presence server, and with which credentials it answers challenges: the
 * `sip.presence` settings completed from `sip.registration` (one account usually serves both).
 * Pure: configuration in, options out.
 *
 *   presentity  sip.presence.aor, else sip.registration.aor, else sip:acip@<the server's host>
 *   user        sip.presence.user, else sip.registration.username, else the presentity's user part
 *   password    sip.presence.password, else sip.registration.password (none: challenges are not answered)
 */
import { formatUri, parseUri } from '../grammar/uri.js';

export interface PresenceSettings {
  server: string;
  publish: boolean;
  expiresS: number;
  aor?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
}

export interface RegistrationSettings {
  aor: string;
  username?: string | undefined;
  password?: string | undefined;
}

export interface Credentials {
  username: string;
  password: string;
}

export interface PresenceAccount {
  server: string;
  publish: boolean;
  expiresS: number;
  /** Our presentity (address of record). */
  aor: string;
  auth?: Credentials;
}

/** User part of a URI; undefined when it has none or does not parse. */
function userOf(uri: string): string | undefined {
  try {
    return parseUri(uri).user;
  } catch {
    return undefined;
  }
}

/** `sip:<user>@<host of uri>` (no port or parameters: an address of record). */
function aorAt(user: string, uri: string): string {
  const u = parseUri(uri, 'sip.presence.server');
  return formatUri({ scheme: u.scheme, user, host: u.host, params: new Map(), headers: new Map() });
}

/** The presence account, or undefined when no presence server is configured. Throws SipParseError for a server URI that does not parse. */
export function presenceAccount(presence: PresenceSettings | undefined, registration: RegistrationSettings | undefined, localUser = 'acip'): PresenceAccount | undefined {
  if (!presence) return undefined;
  const aor = presence.aor ?? registration?.aor ?? aorAt(localUser, presence.server);
  const password = presence.password ?? registration?.password;
  const username = presence.user ?? registration?.username ?? userOf(aor);
  return {
    server: presence.server,
    publish: presence.publish,
    expiresS: presence.expiresS,
    aor,
    ...(password !== undefined && username !== undefined ? { auth: { username, password } } : {}),
  };
}

/**
 * Credentials for a challenge to an outgoing request to a peer (MESSAGE): the registration's
 * account, else the presence server's; undefined when neither has a password.
 */
export function outboundCredentials(presence: PresenceSettings | undefined, registration: RegistrationSettings | undefined): Credentials | undefined {
  if (registration?.password !== undefined) {
    const username = registration.username ?? userOf(registration.aor);
    if (username !== undefined) return { username, password: registration.password };
  }
  return presenceAccount(presence, registration)?.auth;
}
