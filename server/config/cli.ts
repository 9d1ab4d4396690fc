/**
 * Command-line flags and ACIP_* environment variables, derived from the config schema:
 * every schema leaf with `x-flag` metadata is a flag `--NAME VALUE` (or `--NAME=VALUE`)
 * and an environment variable `ACIP_NAME` (upper case, dashes to underscores).
 * Flags beat environment, which beats the config file, which beats the defaults.
 */
import type { TSchema } from '@sinclair/typebox';
import { ConfigSchema, type FlagMeta } from './schema.js';
import { ConfigError } from './config-error.js';

export interface FlagDef extends FlagMeta {
  /** Dotted config path, e.g. `sip.port`. */
  path: string;
  env: string;
  description: string;
  defaultValue: unknown;
  schema: TSchema;
}

/** Flags that are not config keys. */
export const META_FLAGS: readonly { flag: string; arg?: string; env?: string; description: string }[] = [
  { flag: 'config', arg: 'FILE', env: 'ACIP_CONFIG', description: 'YAML config file (keys as in the README); flags and ACIP_* override it' },
  { flag: 'help', description: 'Show this help and exit' },
  { flag: 'version', description: 'Print the version and exit' },
];

export function envName(flag: string): string {
  return `ACIP_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/** Walk the schema and collect every flag definition. */
export function flagDefs(schema: TSchema = ConfigSchema, prefix = ''): FlagDef[] {
  const out: FlagDef[] = [];
  const props = (schema as { properties?: Record<string, TSchema> }).properties;
  if (!props) return out;
  for (const [key, child] of Object.entries(props)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const meta = (child as { 'x-flag'?: FlagMeta })['x-flag'];
    if (meta) {
      out.push({
        ...meta,
        path,
        env: envName(meta.flag),
        description: String((child as { description?: string }).description ?? ''),
        defaultValue: (child as { default?: unknown }).default,
        schema: child,
      });
    }
    if ((child as { type?: string }).type === 'object') out.push(...flagDefs(child, path));
  }
  return out;
}

export interface ParsedArgs {
  help: boolean;
  version: boolean;
  configFile: string | undefined;
  /** Overrides keyed by dotted path, values as typed by the schema (numbers converted). `source` names the flag or env var. */
  overrides: { path: string; value: unknown; source: string }[];
}

function convert(def: FlagDef, raw: string, source: string): unknown {
  const type = (def.schema as { type?: string }).type;
  if (type === 'integer' || type === 'number') {
    if (!/^-?\d+(\.\d+)?$/.test(raw.trim())) throw new ConfigError(source, raw, `expected a number for ${def.path}`);
    const n = Number(raw);
    if (type === 'integer' && !Number.isSafeInteger(n)) throw new ConfigError(source, raw, `expected an integer for ${def.path}`);
    return n;
  }
  // A list of strings is written comma-separated: --allow-sources 192.0.2.0/24,2001:db8::/32.
  if (type === 'array') return raw.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (type === 'boolean') {
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new ConfigError(source, raw, `expected true or false for ${def.path}`);
  }
  return raw;
}

/**
 * Parse argv (without node and script) and the environment. Throws ConfigError naming the flag
 * or variable on unknown flags, missing values or wrong types.
 */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ParsedArgs {
  const defs = flagDefs();
  const byFlag = new Map(defs.map((d) => [d.flag, d]));
  const result: ParsedArgs = { help: false, version: false, configFile: undefined, overrides: [] };

  // Environment first; flags are appended after and so win when applied in order.
  if (env.ACIP_CONFIG) result.configFile = env.ACIP_CONFIG;
  for (const def of defs) {
    const raw = env[def.env];
    if (raw !== undefined && raw !== '') result.overrides.push({ path: def.path, value: convert(def, raw, def.env), source: def.env });
  }

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new ConfigError(arg, arg, 'unexpected argument; flags start with -- (see --help)');
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (name === 'help') {
      result.help = true;
      continue;
    }
    if (name === 'version') {
      result.version = true;
      continue;
    }
    const takeValue = (): string => {
      if (eq >= 0) return arg.slice(eq + 1);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new ConfigError(`--${name}`, undefined, 'needs a value');
      i++;
      return next;
    };
    if (name === 'config') {
      result.configFile = takeValue();
      continue;
    }
    const def = byFlag.get(name);
    if (!def) throw new ConfigError(`--${name}`, arg, 'unknown flag (see --help)');
    result.overrides.push({ path: def.path, value: convert(def, takeValue(), `--${name}`), source: `--${name}` });
  }
  return result;
}

export function helpText(version: string): string {
  const defs = flagDefs();
  const rows: [string, string][] = [];
  for (const d of defs) {
    const def = d.defaultValue === undefined ? '' : ` [default: ${String(d.defaultValue)}]`;
    rows.push([`--${d.flag} ${d.arg}`, `${d.description}${def}\n${' '.repeat(30)}env ${d.env}`]);
  }
  for (const m of META_FLAGS) rows.push([`--${m.flag}${m.arg ? ` ${m.arg}` : ''}`, `${m.description}${m.env ? `\n${' '.repeat(30)}env ${m.env}` : ''}`]);
  const body = rows.map(([l, r]) => `  ${l.padEnd(26)}  ${r}`).join('\n');
  return `acip ${version}: broadcast audio-over-IP contribution codec (EBU Tech 3326 SIP, RTP)

Usage: npm start -- [flags]     (or: node --import tsx server/main.ts [flags])

Flags:
${body}

Every setting can also come from a YAML file (--config); see README.md for its keys.
Precedence: flags > ACIP_* environment > config file > built-in defaults.
`;
}
