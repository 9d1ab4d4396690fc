/**
 * SIP session establishment rate (RFC 7501 §3.3: the highest rate at which every session attempt
 * of a sustained run succeeds), measured with `sipp -sn uac` against acip's UA (test/bench/sip-uas.ts in
 * its own process) and, when installed, against baresip with auto-answer.
 *
 * Search: the rate doubles from START_RATE until a step fails, then a binary search narrows the
 * interval to within RESOLUTION. Each step is a sustained run of STEP_S seconds (default 10 s to
 * keep `npm run bench` short; set ACIP_SIP_BENCH_STEP_S=30 for the full RFC 7501 figure).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import dgram from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const STEP_S = Number(process.env.ACIP_SIP_BENCH_STEP_S ?? 10);
const START_RATE = Number(process.env.ACIP_SIP_BENCH_START ?? 100);
const MAX_RATE = Number(process.env.ACIP_SIP_BENCH_MAX ?? 3200);
const RESOLUTION = 0.1;
/** Which peers to measure (comma list), default both. */
const TARGETS = new Set((process.env.ACIP_SIP_BENCH_TARGETS ?? 'acip,baresip').split(',')); // stop when (fail - ok) / ok < 10 %

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const srv = net.createServer();
    const port = await new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as net.AddressInfo).port)));
    await new Promise<void>((r) => srv.close(() => r()));
    const u = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      u.once('error', () => r(false));
      u.bind(port, '127.0.0.1', () => r(true));
    });
    u.close();
    if (ok) return port;
  }
  throw new Error('no free port');
}

function stopPid(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.pid === undefined || child.exitCode !== null) return resolve();
    const t = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 3000);
    child.once('close', () => {
      clearTimeout(t);
      resolve();
    });
    process.kill(child.pid, 'SIGTERM');
  });
}

function waitOutput(child: ChildProcess, re: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${re}: ${out.slice(-500)}`)), ms);
    const on = (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1] ?? m[0]);
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
  });
}

/** One sustained sipp run at `rate`; true when every call succeeded. */
function sippStep(target: string, rate: number, dir: string, service: string): Promise<{ ok: boolean; success: number; failed: number }> {
  const calls = Math.round(rate * STEP_S);
  const stf = join(dir, `step-${rate}.csv`);
  return new Promise((resolve) => {
    const child = spawn(
      'sipp',
      ['-sn', 'uac', target, '-s', service, '-i', '127.0.0.1', '-r', String(rate), '-m', String(calls), '-l', String(Math.max(100, rate * 4)),
        '-recv_timeout', '5000', '-nostdin', '-trace_stat', '-stf', stf, '-fd', '1', '-timeout', `${STEP_S + 20}s`],
      { cwd: dir, stdio: 'ignore' },
    );
    const killer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), (STEP_S + 30) * 1000);
    child.on('close', (code) => {
      clearTimeout(killer);
      let success = 0;
      let failed = calls;
      try {
        const lines = readFileSync(stf, 'utf8').trim().split('\n');
        const head = lines[0]!.split(';');
        const last = lines[lines.length - 1]!.split(';');
        success = Number(last[head.indexOf('SuccessfulCall(C)')]);
        failed = Number(last[head.indexOf('FailedCall(C)')]);
      } catch {
        // no stats: count as failed
      }
      resolve({ ok: code === 0 && success === calls && failed === 0, success, failed });
    });
  });
}

/** RFC 7501 session establishment rate against `target` (stepped search of sipp -r). */
async function establishmentRate(name: string, target: string, dir: string, service: string): Promise<number> {
  let okRate = 0;
  let failRate = 0;
  let rate = START_RATE;
  while (rate <= MAX_RATE) {
    const r = await sippStep(target, rate, dir, service);
    process.stdout.write(`  ${name}: ${rate} calls/s for ${STEP_S} s → ${r.ok ? 'all succeeded' : `${r.failed} failed`}\n`);
    if (!r.ok) {
      failRate = rate;
      break;
    }
    okRate = rate;
    rate *= 2;
  }
  if (failRate === 0) return okRate; // never failed up to MAX_RATE
  while (okRate > 0 && (failRate - okRate) / okRate > RESOLUTION) {
    const mid = Math.round((okRate + failRate) / 2);
    const r = await sippStep(target, mid, dir, service);
    process.stdout.write(`  ${name}: ${mid} calls/s for ${STEP_S} s → ${r.ok ? 'all succeeded' : `${r.failed} failed`}\n`);
    if (r.ok) okRate = mid;
    else failRate = mid;
  }
  return okRate;
}

async function startAcipUas(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./sip-uas.ts', import.meta.url).pathname, '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = Number(await waitOutput(child, /READY (\d+)/, 20_000));
  return { child, port };
}

async function startBaresipUas(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const cfg = join(dir, 'baresip');
  spawnSync('mkdir', ['-p', cfg]);
  writeFileSync(
    join(cfg, 'config'),
    [`sip_listen 127.0.0.1:${port}`, 'net_interface 127.0.0.1', 'rtp_ports 20000-40000', 'module_path /usr/lib/baresip/modules',
      'module g711.so', 'module aubridge.so', 'module account.so', 'module menu.so', 'audio_source aubridge,nil',
      'audio_player aubridge,nil', 'call_max_calls 10000', ''].join('\n'),
  );
  writeFileSync(join(cfg, 'accounts'), `<sip:uas@127.0.0.1:${port}>;regint=0;answermode=auto;audio_codecs=PCMU/8000/1\n`);
  // Output ignored: an undrained pipe would block baresip once its buffer fills.
  const child = spawn('baresip', ['-f', cfg], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1500));
  return { child, port };
}

export async function runSipBench(): Promise<void> {
  if (!has('sipp')) {
    process.stdout.write('sip: sipp not installed, skipped\n');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'acip-sip-bench-'));
  try {
    process.stdout.write(`sip: session establishment rate (RFC 7501), sipp -sn uac, ${STEP_S} s steps\n`);
    let acipRate: number | undefined;
    if (TARGETS.has('acip')) {
      const acip = await startAcipUas();
      try {
        acipRate = await establishmentRate('acip', `127.0.0.1:${acip.port}`, dir, 'acip');
      } finally {
        await stopPid(acip.child);
      }
    }
    let baresipRate: number | undefined;
    if (TARGETS.has('baresip') && has('baresip')) {
      const bs = await startBaresipUas(dir);
      try {
        baresipRate = await establishmentRate('baresip', `127.0.0.1:${bs.port}`, dir, 'uas');
      } finally {
        await stopPid(bs.child);
      }
    }
    const parts = [
      ...(acipRate !== undefined ? [`acip ${acipRate} calls/s`] : []),
      ...(baresipRate !== undefined ? [`baresip ${baresipRate} calls/s`] : []),
    ];
    process.stdout.write(`sip: ${parts.join(', ')} (highest rate with every attempt of a ${STEP_S} s run successful)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) void runSipBench();
