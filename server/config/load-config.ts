/**
 * Build the effective configuration: schema defaults ← YAML file ← ACIP_* env ← flags,
 * then validate against the one schema plus the checks a schema cannot express.
 * Every failure is a ConfigError naming the field and the value; start-up exits 2 on it.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigSchema, type AcipConfig } from './schema.js';
import { ConfigError } from './config-error.js';
import type { ParsedArgs } from './cli.js';
import { parseInputSpec, parseOutputSpec } from '../media/audio-spec.js';
import { isAcipError } from '../util/errors.js';
import { parseIpRule } from '../sip/admission/ip-rules.js';

export interface LoadOptions {
  configFile?: string | undefined;
  overrides?: ParsedArgs['overrides'];
  /** For tests; defaults to fs.readFileSync. */
  readFile?: (path: string) => string;
}

/** Read and parse a YAML config file; never returns anything but a plain mapping. */
export function readConfigFile(path: string, readFile: (p: string) => string = (p) => readFileSync(p, 'utf8')): Record<string, unknown> {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError('--config', path, `cannot read config file (${reason})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    throw new ConfigError('--config', path, `not valid YAML${where}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('--config', path, 'the top level must be a mapping of keys');
  return doc as Record<string, unknown>;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let obj = target;
  for (const key of parts.slice(0, -1)) {
    const next = Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) {
      const fresh: Record<string, unknown> = {};
      obj[key] = fresh;
      obj = fresh;
    } else obj = next as Record<string, unknown>;
  }
  obj[parts[parts.length - 1] as string] = value;
}

function pointerToField(pointer: string): string {
  return pointer.replace(/^\//, '').replace(/\//g, '.') || '(top level)';
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

export function parsePortRange(text: string, field = 'rtp.ports'): { first: number; last: number } {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  if (!m) throw new ConfigError(field, text, 'expected a range A-B, e.g. 5004-5999');
  const first = Number(m[1]);
  const last = Number(m[2]);
  if (first < 1024 || last > 65535) throw new ConfigError(field, text, 'ports must lie within 1024-65535');
  if (first % 2 !== 0) throw new ConfigError(field, text, 'the first port must be even (RTP even, RTCP odd: RFC 3550 §11)');
  if (last <= first) throw new ConfigError(field, text, 'the range must hold at least one even/odd pair (A < B)');
  return { first, last };
}

export interface TlsFiles {
  cert: string;
  key: string;
  ca?: string;
}

/**
 * Read and check `sip.tls`: certificate and key come together, every named file is readable PEM,
 * and the key belongs to the certificate. Undefined when TLS is not configured. Used at start-up
 * and again on SIGHUP (the reload keeps the old pair when this throws).
 */
export function readTlsFiles(tlsCfg: AcipConfig['sip']['tls'], readFile: (p: string) => string = (p) => readFileSync(p, 'utf8')): TlsFiles | undefined {
  const { certFile, keyFile, caFile } = tlsCfg;
  if (certFile === undefined && keyFile === undefined) {
    if (caFile !== undefined) readPem('sip.tls.caFile', caFile, readFile);
    return undefined;
  }
  if (certFile === undefined) throw new ConfigError('sip.tls.certFile', undefined, 'required when sip.tls.keyFile is set');
  if (keyFile === undefined) throw new ConfigError('sip.tls.keyFile', undefined, 'required when sip.tls.certFile is set');
  const cert = readPem('sip.tls.certFile', certFile, readFile);
  const key = readPem('sip.tls.keyFile', keyFile, readFile);
  const ca = caFile !== undefined ? readPem('sip.tls.caFile', caFile, readFile) : undefined;
  if (ca !== undefined) {
    try {
      createSecureContext({ ca });
    } catch (err) {
      throw new ConfigError('sip.tls.caFile', caFile, `cannot be used (${(err as Error).message})`);
    }
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    const m = (err as Error).message;
    // OpenSSL names the key when it is unreadable or does not match ("key values mismatch").
    if (/key/i.test(m)) throw new ConfigError('sip.tls.keyFile', keyFile, `cannot be used with sip.tls.certFile (${m})`);
    throw new ConfigError('sip.tls.certFile', certFile, `cannot be used (${m})`);
  }
  return { cert, key, ...(ca !== undefined ? { ca } : {}) };
}

function readPem(field: string, path: string, readFile: (p: string) => string): string {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError(field, path, `cannot read file (${reason})`);
  }
  if (!text.includes('-----BEGIN ')) throw new ConfigError(field, path, 'not a PEM file');
  return text;
}

/** Checks beyond the schema. The field names are the YAML paths. */
function semanticChecks(cfg: AcipConfig): void {
  parsePortRange(cfg.rtp.ports);
  for (const [field, fn, text] of [
    ['audio.input', parseInputSpec, cfg.audio.input],
    ['audio.output', parseOutputSpec, cfg.audio.output],
  ] as const) {
    try {
      fn(text, field);
    } catch (err) {
      if (isAcipError(err)) throw new ConfigError(field, text, err.message);
      throw err;
    }
  }
  if (!isLoopbackHost(cfg.http.host) && !cfg.http.password) {
    throw new ConfigError(
      'http.password',
      undefined,
      `required because http.host ${cfg.http.host} is not a loopback address (set --http-password or ACIP_HTTP_PASSWORD)`,
    );
  }
  if (isIP(cfg.http.host) === 0 && cfg.http.host !== 'localhost') {
    throw new ConfigError('http.host', cfg.http.host, 'expected an IP address or localhost');
  }
  if (isIP(cfg.sip.host) === 0) throw new ConfigError('sip.host', cfg.sip.host, 'expected an IP address');
  if (isIP(cfg.rtp.host) === 0) throw new ConfigError('rtp.host', cfg.rtp.host, 'expected an IP address');
  // RFC 4028 §4: a Session-Expires below our own Min-SE would be refused by ourselves with 422.
  if (cfg.sip.sessionExpiresS < cfg.sip.minSeS) {
    throw new ConfigError('sip.sessionExpiresS', cfg.sip.sessionExpiresS, `must be at least sip.minSeS (${cfg.sip.minSeS})`);
  }
  readTlsFiles(cfg.sip.tls);
  checkAdmission(cfg);
}

/** Source rules parse as IPs or CIDR ranges, and digest user names are unique. */
function checkAdmission(cfg: AcipConfig): void {
  for (const [field, list] of [
    ['links.allowSources', cfg.links.allowSources],
    ['links.rateLimit.exempt', cfg.links.rateLimit.exempt],
  ] as const) {
    list.forEach((text, i) => {
      try {
        parseIpRule(text);
      } catch (err) {
        throw new ConfigError(`${field}.${i}`, text, (err as Error).message);
      }
    });
  }
  const seen = new Set<string>();
  cfg.links.inboundAuth.users.forEach((u, i) => {
    if (seen.has(u.user)) throw new ConfigError(`links.inboundAuth.users.${i}.user`, u.user, 'appears twice');
    seen.add(u.user);
  });
}

/** Keys that would reach an object's prototype when copied: refuse them by name before anything copies the input. */
function rejectPrototypeKeys(value: unknown, path: string): void {
  if (value === null || typeof value !== 'object') return;
  for (const key of Object.keys(value)) {
    const field = path ? `${path}.${key}` : key;
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new ConfigError(field, key, 'Unexpected property');
    rejectPrototypeKeys((value as Record<string, unknown>)[key], field);
  }
}

/** Validate a raw (already merged) object and fill defaults. */
export function validateConfig(raw: Record<string, unknown>): AcipConfig {
  rejectPrototypeKeys(raw, '');
  const withDefaults = Value.Default(ConfigSchema, Value.Clone(raw)) as Record<string, unknown>;
  const errors = [...Value.Errors(ConfigSchema, withDefaults)];
  if (errors.length > 0) {
    // Report the most specific error first: deeper paths name the field the user typed.
    errors.sort((a, b) => b.path.split('/').length - a.path.split('/').length);
    const first = errors[0]!;
    const others = errors.length > 1 ? ` (+${errors.length - 1} more: ${errors.slice(1, 4).map((e) => pointerToField(e.path)).join(', ')})` : '';
    // A password is never echoed into an error message (start-up logs are often shared).
    const value = /password$/i.test(first.path) ? '(hidden)' : first.value;
    throw new ConfigError(pointerToField(first.path), value, `${first.message}${others}`);
  }
  const cfg = withDefaults as unknown as AcipConfig;
  semanticChecks(cfg);
  return cfg;
}

export function loadConfig(opts: LoadOptions = {}): AcipConfig {
  const raw = opts.configFile ? readConfigFile(opts.configFile, opts.readFile) : {};
  for (const o of opts.overrides ?? []) setPath(raw, o.path, o.value);
  try {
    return validateConfig(raw);
  } catch (err) {
    // Name the flag or env var when an override was the culprit.
    if (err instanceof ConfigError) {
      const culprit = [...(opts.overrides ?? [])].reverse().find((o) => o.path === err.field || (err.field ?? '').startsWith(`${o.path}.`));
      if (culprit) throw new ConfigError(culprit.source, err.value, err.message.replace(/^[^:]+: /, ''));
    }
    throw err;
  }
}
