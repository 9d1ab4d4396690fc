/**
 * `sip.presence`: the presence server key of the configuration, its defaults and the errors that
 * name the field, and how it is completed from `sip.registration` (presentity and credentials).
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../server/config/load-config.js';
import { ConfigError } from '../../server/config/config-error.js';
import { outboundCredentials, presenceAccount } from '../../server/sip/presence/presence-account.js';
import { thrownBy } from '../helpers/thrown.js';

const configError = (fn: () => unknown): ConfigError => thrownBy(ConfigError, fn);

describe('sip.presence in the configuration', () => {
  it('is absent by default: no presence server', () => {
    expect(validateConfig({}).sip.presence).toBeUndefined();
  });

  it('fills the documented defaults: publish on, 3600 s', () => {
    const cfg = validateConfig({ sip: { presence: { server: 'sip:presence.example.net;transport=tcp' } } });
    expect(cfg.sip.presence).toEqual({ server: 'sip:presence.example.net;transport=tcp', publish: true, expiresS: 3600 });
  });

  const bad: { name: string; presence: Record<string, unknown>; field: string; message: RegExp }[] = [
    { name: 'a server that is not a SIP URI', presence: { server: 'http://presence.example.net' }, field: 'sip.presence.server', message: /Expected string to match/ },
    { name: 'no server', presence: { publish: true }, field: 'sip.presence.server', message: /required/i },
    { name: 'a lifetime under a minute', presence: { server: 'sip:p.example.net', expiresS: 10 }, field: 'sip.presence.expiresS', message: /greater or equal to 60/ },
    { name: 'an AOR that is not a SIP URI', presence: { server: 'sip:p.example.net', aor: 'studio-a' }, field: 'sip.presence.aor', message: /Expected string to match/ },
    { name: 'an unknown key', presence: { server: 'sip:p.example.net', secret: 'x' }, field: 'sip.presence.secret', message: /Unexpected property/ },
  ];
  for (const b of bad) {
    it(`rejects ${b.name}, naming ${b.field}`, () => {
      const err = configError(() => validateConfig({ sip: { presence: b.presence } }));
      expect(err.code).toBe('CONFIG_INVALID');
      expect(err.field).toBe(b.field);
      expect(err.message).toMatch(b.message);
      expect(err.message.startsWith(`${b.field}:`)).toBe(true);
    });
  }

  it('never echoes the presence password in an error', () => {
    const err = configError(() => validateConfig({ sip: { presence: { server: 'sip:p.example.net', password: 42 } } }));
    expect(err.field).toBe('sip.presence.password');
    expect(err.message).not.toContain('42');
  });
});

describe('the presence account (sip.presence completed from sip.registration)', () => {
  const presence = { server: 'sip:127.0.0.1:5065;transport=tcp', publish: true, expiresS: 600 };
  const registration = { aor: 'sip:studio-a@example.net', username: 'reg-user', password: 'reg-pass' };
  const rows: { name: string; presence: Record<string, unknown>; registration?: typeof registration | { aor: string }; want: unknown }[] = [
    { name: 'takes the registration AOR and credentials', presence: {}, registration, want: { aor: 'sip:studio-a@example.net', auth: { username: 'reg-user', password: 'reg-pass' } } },
    {
      name: 'prefers its own AOR, user and password',
      presence: { aor: 'sip:desk@p.example.net', user: 'desk', password: 'own-pass' },
      registration,
      want: { aor: 'sip:desk@p.example.net', auth: { username: 'desk', password: 'own-pass' } },
    },
    { name: 'uses the AOR user part when no user name is given', presence: { aor: 'sip:desk@p.example.net', password: 'own-pass' }, want: { aor: 'sip:desk@p.example.net', auth: { username: 'desk', password: 'own-pass' } } },
    { name: 'falls back to acip at the server host, without credentials', presence: {}, want: { aor: 'sip:acip@127.0.0.1' } },
    { name: 'answers no challenge without a password', presence: {}, registration: { aor: 'sip:studio-a@example.net' }, want: { aor: 'sip:studio-a@example.net' } },
  ];
  for (const r of rows) {
    it(r.name, () => {
      const account = presenceAccount({ ...presence, ...r.presence }, r.registration);
      expect(account).toEqual({ server: presence.server, publish: true, expiresS: 600, ...(r.want as object) });
    });
  }

  it('is undefined without a presence server', () => {
    expect(presenceAccount(undefined, registration)).toBeUndefined();
  });

  it('gives a MESSAGE the registration credentials first, else the presence server ones', () => {
    expect(outboundCredentials({ ...presence, password: 'p-pass', user: 'p-user' }, registration)).toEqual({ username: 'reg-user', password: 'reg-pass' });
    expect(outboundCredentials({ ...presence, password: 'p-pass', user: 'p-user' }, undefined)).toEqual({ username: 'p-user', password: 'p-pass' });
    expect(outboundCredentials(undefined, { aor: 'sip:studio-a@example.net', password: 'x-pass' })).toEqual({ username: 'studio-a', password: 'x-pass' });
    expect(outboundCredentials(undefined, undefined)).toBeUndefined();
  });
});
