import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadConfig, parsePortRange, validateConfig } from '../../server/config/load-config.js';
import { parseArgs, flagDefs, helpText } from '../../server/config/cli.js';
import { ConfigError } from '../../server/config/config-error.js';
import { thrownBy } from '../helpers/thrown.js';

const fixture = (name: string) => join(import.meta.dirname, '../fixtures/config', name);

const configError = (fn: () => unknown): ConfigError => thrownBy(ConfigError, fn);

describe('configuration defaults', () => {
  it('starts with no file on the embedded defaults of EBU Tech 3326', () => {
    const cfg = loadConfig();
    expect(cfg.sip.port).toBe(5060);
    expect(cfg.sip.host).toBe('0.0.0.0');
    expect(cfg.sip.transports).toEqual(['udp', 'tcp']);
    expect(cfg.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(cfg.rtp.ports).toBe('5004-5999');
    expect(cfg.audio).toEqual({ input: 'tone', output: 'null' });
    expect(cfg.dataDir).toBe('./acip-data');
    expect(cfg.log.level).toBe('info');
  });
});

describe('config file', () => {
  it('loads a complete valid file with every section', () => {
    const cfg = loadConfig({ configFile: fixture('good.yaml') });
    expect(cfg.sip).toMatchObject({ host: '127.0.0.1', port: 5070, transports: ['udp'], maxLinks: 4 });
    expect(cfg.sip.registration).toMatchObject({ registrar: 'sip:127.0.0.1:5080', expires: 300 });
    expect(cfg.http.port).toBe(8090);
    expect(cfg.rtp.ports).toBe('6000-6099');
    expect(cfg.audio).toEqual({ input: 'tone:440:-20', output: 'file:/tmp/acip-{link}.wav' });
    expect(cfg.defaultProfile).toBe('opus-music-128k');
    expect(cfg.log.level).toBe('warn');
  });

  it.each([
    ['bad-port.yaml', 'sip.port', 70000, /less or equal to 65535/],
    ['bad-type.yaml', 'sip.port', 'five', /integer/],
    ['unknown-key.yaml', 'sip.prot', 5060, /Unexpected property/],
    ['odd-rtp.yaml', 'rtp.ports', '5005-5100', /must be even/],
    ['bad-input.yaml', 'audio.input', 'trumpet', /./],
    ['public-no-password.yaml', 'http.password', undefined, /not a loopback address/],
  ])('rejects %s naming the field %s and the value', (file, field, value, message) => {
    const err = configError(() => loadConfig({ configFile: fixture(file) }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.field).toBe(field);
    expect(err.value).toEqual(value);
    expect(err.message).toMatch(message);
    expect(err.message.startsWith(`${field}:`)).toBe(true);
  });

  it('reports a file that is not YAML with its line', () => {
    const err = configError(() => loadConfig({ configFile: fixture('not-yaml.yaml') }));
    expect(err.field).toBe('--config');
    expect(err.message).toMatch(/not valid YAML at line 2/);
  });

  it('reports an unreadable file by path and reason', () => {
    const err = configError(() => loadConfig({ configFile: '/nonexistent/acip.yaml' }));
    expect(err.field).toBe('--config');
    expect(err.value).toBe('/nonexistent/acip.yaml');
    expect(err.message).toMatch(/ENOENT/);
  });

  it('treats a __proto__ key as an unknown key, not as a prototype', () => {
    const err = configError(() => validateConfig(JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown>));
    expect(err.message).toMatch(/Unexpected property|__proto__/);
  });

  it('accepts a public HTTP host once a password is set', () => {
    const cfg = validateConfig({ http: { host: '0.0.0.0', password: 'long-enough-password' } });
    expect(cfg.http.host).toBe('0.0.0.0');
  });
});

describe('RTP port range', () => {
  it.each([
    ['5004-5999', { first: 5004, last: 5999 }],
    ['6000-6001', { first: 6000, last: 6001 }],
  ])('parses %s', (text, expected) => {
    expect(parsePortRange(text)).toEqual(expected);
  });
  it.each(['5004', '5999-5004', '80-100', '5004-70000', 'a-b', '5004-5004'])('rejects %s', (text) => {
    expect(() => parsePortRange(text)).toThrow(ConfigError);
  });
});

describe('flags and environment', () => {
  it('derives one flag per schema leaf that carries flag metadata, each with an ACIP_ variable', () => {
    const flags = Object.fromEntries(flagDefs().map((d) => [d.flag, d.env]));
    expect(flags).toMatchObject({
      'sip-port': 'ACIP_SIP_PORT',
      'http-port': 'ACIP_HTTP_PORT',
      'http-host': 'ACIP_HTTP_HOST',
      'rtp-ports': 'ACIP_RTP_PORTS',
      'data-dir': 'ACIP_DATA_DIR',
      input: 'ACIP_INPUT',
      output: 'ACIP_OUTPUT',
    });
  });

  it('parses every documented flag in both --flag value and --flag=value forms', () => {
    const args = parseArgs([
      '--sip-port', '5070', '--http-port=8081', '--http-host', '127.0.0.2', '--rtp-ports', '6000-6100',
      '--config', 'x.yaml', '--data-dir', '/tmp/d', '--input', 'tone:440', '--output=file:/tmp/{link}.wav',
    ]);
    expect(args.configFile).toBe('x.yaml');
    const cfg = loadConfig({ overrides: args.overrides });
    expect(cfg.sip.port).toBe(5070);
    expect(cfg.http).toMatchObject({ port: 8081, host: '127.0.0.2' });
    expect(cfg.rtp.ports).toBe('6000-6100');
    expect(cfg.dataDir).toBe('/tmp/d');
    expect(cfg.audio).toEqual({ input: 'tone:440', output: 'file:/tmp/{link}.wav' });
  });

  it('lets flags beat the environment, which beats the file', () => {
    const args = parseArgs(['--sip-port', '5090'], { ACIP_SIP_PORT: '5080', ACIP_HTTP_PORT: '9000' });
    const cfg = loadConfig({ configFile: fixture('good.yaml'), overrides: args.overrides });
    expect(cfg.sip.port).toBe(5090);
    expect(cfg.http.port).toBe(9000);
    expect(cfg.rtp.ports).toBe('6000-6099');
  });

  it('names the flag when a flag value is out of range', () => {
    const args = parseArgs(['--http-port', '99999']);
    const err = configError(() => loadConfig({ overrides: args.overrides }));
    expect(err.field).toBe('--http-port');
    expect(err.value).toBe(99999);
  });

  it('names the environment variable when it holds a bad value', () => {
    const err = configError(() => parseArgs([], { ACIP_SIP_PORT: 'abc' }));
    expect(err.field).toBe('ACIP_SIP_PORT');
  });

  it.each([
    [['--bogus', '1'], '--bogus', /unknown flag/],
    [['--sip-port'], '--sip-port', /needs a value/],
    [['stray'], 'stray', /unexpected argument/],
    [['--input', 'tone:abc'], '--input', /./],
  ])('rejects %j naming %s', (argv, field, msg) => {
    const err = configError(() => loadConfig({ overrides: parseArgs(argv).overrides }));
    expect(err.field).toBe(field);
    expect(err.message).toMatch(msg);
  });

  it('lists every flag and its variable in --help', () => {
    const text = helpText('1.2.3');
    for (const d of flagDefs()) {
      expect(text).toContain(`--${d.flag}`);
      expect(text).toContain(d.env);
    }
    expect(text).toContain('--config FILE');
    expect(text).toContain('--help');
  });
});

describe('keys for link supervision and session timers', () => {
  it('defaults the inactivity timeout, per-source limit, ended-link board size and RFC 4028 timers', () => {
    const cfg = loadConfig();
    expect(cfg.rtp.inactivityTimeoutS).toBe(30);
    expect(cfg.links.maxPerSource).toBe(4);
    expect(cfg.links.keepEnded).toBe(50);
    expect(cfg.sip.sessionExpiresS).toBe(1800);
    expect(cfg.sip.minSeS).toBe(90);
  });

  it.each([
    [{ rtp: { inactivityTimeoutS: 0 } }, (c: ReturnType<typeof validateConfig>) => c.rtp.inactivityTimeoutS, 0],
    [{ links: { maxPerSource: 1 } }, (c: ReturnType<typeof validateConfig>) => c.links.maxPerSource, 1],
    [{ links: { keepEnded: 0 } }, (c: ReturnType<typeof validateConfig>) => c.links.keepEnded, 0],
    [{ sip: { sessionExpiresS: 90 } }, (c: ReturnType<typeof validateConfig>) => c.sip.sessionExpiresS, 90],
    [{ sip: { sessionExpiresS: 600, minSeS: 600 } }, (c: ReturnType<typeof validateConfig>) => c.sip.minSeS, 600],
    [
      { rtp: { duplicatePath: { localHost: '192.0.2.7', remote: { address: '198.51.100.9', rtpPort: 6000 } } } },
      (c: ReturnType<typeof validateConfig>) => c.rtp.duplicatePath?.remote?.rtpPort,
      6000,
    ],
  ])('accepts %j', (raw, read, expected) => {
    expect(read(validateConfig(raw))).toBe(expected);
  });

  it.each([
    [{ rtp: { inactivityTimeoutS: -1 } }, 'rtp.inactivityTimeoutS', -1, /greater or equal to 0/],
    [{ rtp: { inactivityTimeoutS: 'soon' } }, 'rtp.inactivityTimeoutS', 'soon', /number/],
    [{ links: { maxPerSource: 0 } }, 'links.maxPerSource', 0, /greater or equal to 1/],
    [{ links: { maxPerSource: 2.5 } }, 'links.maxPerSource', 2.5, /integer/],
    [{ links: { keepEnded: -5 } }, 'links.keepEnded', -5, /greater or equal to 0/],
    [{ sip: { sessionExpiresS: 89 } }, 'sip.sessionExpiresS', 89, /greater or equal to 90/],
    [{ sip: { minSeS: 60 } }, 'sip.minSeS', 60, /greater or equal to 90/],
    [{ rtp: { duplicatePath: { localHost: '192.0.2.7', remote: { address: 'x', rtpPort: 70000 } } } }, 'rtp.duplicatePath.remote.rtpPort', 70000, /less or equal to 65535/],
    [{ sip: { sessionExpiresS: 120, minSeS: 300 } }, 'sip.sessionExpiresS', 120, /at least sip\.minSeS \(300\)/],
  ])('rejects %j naming the field %s and the value', (raw, field, value, message) => {
    const err = configError(() => validateConfig(raw));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.field).toBe(field);
    expect(err.value).toEqual(value);
    expect(err.message).toMatch(message);
    expect(err.message.startsWith(`${field}:`)).toBe(true);
  });
});

describe('keys for inbound admission', () => {
  it('defaults to no source rules, no users, SHA-256 before MD5, and loopback exempt from the rate limit', () => {
    const cfg = validateConfig({});
    expect(cfg.links.allowSources).toEqual([]);
    expect(cfg.links.inboundAuth).toEqual({ realm: 'acip', users: [], algorithms: ['SHA-256', 'MD5'], nonceLifetimeS: 60 });
    expect(cfg.links.rateLimit).toEqual({ requestsPerS: 20, burst: 40, blockS: 60, exempt: ['127.0.0.0/8', '::1'] });
    expect(cfg.links.authLockout).toEqual({ maxFailures: 10, lockoutS: 300 });
  });

  it('accepts IPv4 and IPv6 addresses and ranges and users with passwords', () => {
    const cfg = validateConfig({
      links: { allowSources: ['192.0.2.7', '10.0.0.0/8', '2001:db8::/32', '::ffff:198.51.100.0/120'], inboundAuth: { users: [{ user: 'studio', password: 'secret-pw' }] } },
    });
    expect(cfg.links.allowSources).toHaveLength(4);
    expect(cfg.links.inboundAuth.users[0]).toEqual({ user: 'studio', password: 'secret-pw' });
  });

  it.each([
    [{ links: { allowSources: ['192.0.2.7', 'studio.example.net'] } }, 'links.allowSources.1'],
    [{ links: { allowSources: ['10.0.0.0/40'] } }, 'links.allowSources.0'],
    [{ links: { rateLimit: { exempt: ['::1/200'] } } }, 'links.rateLimit.exempt.0'],
    [{ links: { inboundAuth: { users: [{ user: 'a', password: 'secret-pw' }, { user: 'a', password: 'secret-pw2' }] } } }, 'links.inboundAuth.users.1.user'],
    [{ links: { inboundAuth: { algorithms: ['SHA-512'] } } }, 'links.inboundAuth.algorithms.0'],
    [{ links: { authLockout: { maxFailures: 11 } } }, 'links.authLockout.maxFailures'],
  ])('rejects %j naming %s', (raw, field) => {
    expect(configError(() => validateConfig(raw)).field).toBe(field);
  });

  it('never echoes a password into the error', () => {
    const err = configError(() => validateConfig({ links: { inboundAuth: { users: [{ user: 'a', password: 'short' }] } } }));
    expect(err.field).toBe('links.inboundAuth.users.0.password');
    expect(err.message).not.toContain('short');
  });
});

describe('the allow-sources flag', () => {
  it('takes a comma-separated list from the flag or ACIP_ALLOW_SOURCES', () => {
    expect(loadConfig({ overrides: parseArgs(['--allow-sources', '192.0.2.0/24, 2001:db8::/32']).overrides }).links.allowSources).toEqual(['192.0.2.0/24', '2001:db8::/32']);
    expect(loadConfig({ overrides: parseArgs([], { ACIP_ALLOW_SOURCES: '127.0.0.1' }).overrides }).links.allowSources).toEqual(['127.0.0.1']);
  });

  it('names the flag when one of its ranges is bad', () => {
    const err = configError(() => loadConfig({ overrides: parseArgs(['--allow-sources', '192.0.2.0/24,nonsense']).overrides }));
    expect(err.field).toBe('--allow-sources');
    expect(err.message).toMatch(/nonsense/);
  });
});
