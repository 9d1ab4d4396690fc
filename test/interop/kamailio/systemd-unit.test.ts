/**
 * The shipped systemd unit of a node (server/deploy/systemd/acip.service): systemd's own checker
 * (`systemd-analyze verify`, Debian package systemd) accepts it without a warning, and its keys say
 * what a node needs: the compiled build started as `npm start` starts it, a dedicated user, restart
 * on failure, reload by SIGHUP, a raised file limit and the hardening settings.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../server/config/cli.js';
import { ROOT_DIR } from '../../../server/version.js';
import { requireProgram } from '../../helpers/require-program.js';
import { npmScriptEnv, npmScriptNodeArgs } from '../../helpers/server-build.js';

const UNIT_FILE = join(ROOT_DIR, 'server/deploy/systemd/acip.service');
const UNIT = readFileSync(UNIT_FILE, 'utf8');

/** `[Section]` → key → values in order (a key may repeat); comments and blank lines skipped. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq <= 0) throw new Error(`not a unit line: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

const unit = parseUnit(UNIT);
const service = unit.get('Service') ?? new Map<string, string[]>();
const value = (key: string) => service.get(key)?.at(-1);

/** npm start's node arguments, relative to the repository (the entry point as in package.json). */
function npmStartArgs(): string[] {
  return npmScriptNodeArgs('start').map((a) => (a.startsWith(`${ROOT_DIR}/`) ? a.slice(ROOT_DIR.length + 1) : a));
}

describe('the systemd unit of a node', () => {
  it.each([
    ['Restart', 'on-failure'],
    ['User', 'acip'],
    ['Group', 'acip'],
    ['Type', 'simple'],
    ['ExecReload', '/bin/kill -HUP $MAINPID'],
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    ['ProtectHome', 'yes'],
    ['PrivateTmp', 'yes'],
    ['CapabilityBoundingSet', ''],
    ['StateDirectory', 'acip'],
    ['KillMode', 'mixed'],
  ])('sets %s=%s', (key, expected) => {
    expect(value(key)).toBe(expected);
  });

  it('runs the compiled build with the node flags npm start uses, from the install directory', () => {
    const exec = (value('ExecStart') ?? '').split(/\s+/);
    expect(exec[0]).toBe('/usr/bin/node');
    const start = npmStartArgs();
    const entry = start.at(-1)!;
    // The node flags in npm start's order, then the entry point under WorkingDirectory.
    expect(exec.slice(1, start.length)).toEqual(start.slice(0, -1));
    expect(exec[start.length]).toBe(join(value('WorkingDirectory') ?? '', entry));
    expect(exec.slice(start.length + 1)).toEqual(['--config', '/etc/acip/acip.yaml', '--data-dir', '/var/lib/acip']);
  });

  it('sets the environment npm start sets (the allocator settings)', () => {
    const env = npmScriptEnv('start');
    const assigned = (service.get('Environment') ?? []).map(String);
    for (const [name, v] of Object.entries(env)) expect(assigned, name).toContain(`${name}=${v}`);
  });

  it('passes only flags the service knows (the CLI parser accepts them)', () => {
    const exec = (value('ExecStart') ?? '').split(/\s+/);
    const serviceArgs = exec.slice(npmStartArgs().length + 1);
    const parsed = parseArgs(serviceArgs);
    expect(parsed.configFile).toBe('/etc/acip/acip.yaml');
    expect(parsed.overrides.map((o) => [o.source, o.value])).toEqual([['--data-dir', '/var/lib/acip']]);
  });

  it('raises the file limit for one socket per RTP and RTCP port of every link', () => {
    expect(Number(value('LimitNOFILE'))).toBeGreaterThanOrEqual(16_384);
  });

  it('leaves out MemoryDenyWriteExecute, which would stop V8 compiling JavaScript', () => {
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
  });

  it('is started by multi-user.target after the network is up', () => {
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
    expect(unit.get('Unit')?.get('After')).toEqual(['network-online.target']);
  });

  const hasAnalyze = requireProgram('systemd-analyze');
  it.skipIf(!hasAnalyze)('passes systemd-analyze verify without a warning', () => {
    // verify also checks that ExecStart's program exists: point it at this machine's node.
    const dir = mkdtempSync(join(tmpdir(), 'acip-unit-'));
    try {
      const file = join(dir, 'acip.service');
      writeFileSync(file, UNIT.replaceAll('/usr/bin/node', process.execPath));
      const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 20_000 });
      expect(r.stderr.trim(), r.stderr).toBe('');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!hasAnalyze)('would fail systemd-analyze verify on a misspelt value (the check has teeth)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'acip-unit-'));
    try {
      const file = join(dir, 'acip.service');
      writeFileSync(file, UNIT.replaceAll('/usr/bin/node', process.execPath).replace('Restart=on-failure', 'Restart=sometimes'));
      const { stderr } = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 20_000 });
      expect(stderr).toMatch(/restart specifier/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
