/**
 * A real baresip (Debian 1.0) for the link acceptance tests: a loopback UA that plays a
 * known looping WAV, records what it receives with `sndfile` (one dump folder per instance, so two
 * calls never overwrite each other's files), can be told to dial or hang up through `cons`, and can
 * be killed (SIGKILL) and restarted on the same ports. Stopped with its process group (stopProcess).
 */
import dgram from 'node:dgram';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, PeerProcess, runProgram } from './sip-peer-process.js';

/** audio_codecs entries for baresip's accounts line (G.722 is named by its 16 kHz audio rate). */
export const BARESIP_CODECS = {
  opus: 'opus/48000/2',
  L16: 'L16/48000/2',
  G722: 'G722/16000/1',
  PCMA: 'PCMA/8000/1',
} as const;

export interface BaresipOptions {
  /** audio_codecs of the account, in order (default: opus, L16, G722, PCMA). */
  codecs?: readonly string[];
  /** Load the ebuacip module (EBU Tech 3368 SDP attributes). */
  ebuacip?: boolean;
  /** `jitter_buffer_delay A-B` (frames). */
  jitterBufferDelay?: string;
  /** `audio_buffer MIN-MAX` (ms): what the ebuacip module announces as its jbdef. */
  audioBuffer?: string;
  /** `ebuacip_jb_type` (fixed or auto); without it the ebuacip module sends no jbdef at all. */
  ebuacipJbType?: 'fixed' | 'auto';
  /** Account `ptime=` parameter (ms). */
  ptimeMs?: number;
  /** The WAV baresip sends (looped by writing it long); default: a 440 Hz sine, see `SOURCE_TONE`. */
  sourceWav?: string;
  /** Register at this registrar (`host:port`) as user `user` with `authPass`. */
  registrar?: { hostPort: string; user: string; authPass: string };
  /** Extra account parameters appended to the accounts line (`;key=value…`). */
  extraAccountParams?: string;
  /** Re-use these ports (restart on the same address). */
  sipPort?: number;
  consPort?: number;
  rtpRange?: [number, number];
}

/** The known signal baresip sends unless told otherwise. */
export const SOURCE_TONE = { hz: 440, peakDbfs: -12 } as const;

export interface BaresipPeer {
  sipPort: number;
  consPort: number;
  /** Our account's URI (what acip dials). */
  uri: string;
  dir: string;
  /** Where sndfile writes `dump-…-dec.wav` (received) and `-enc.wav` (sent). */
  sndDir: string;
  proc: PeerProcess;
  opts: BaresipOptions;
  /** Send a console command line (`/dial sip:…`, `/hangup`, `/quit`). */
  command(line: string): Promise<void>;
  /** The received-audio dumps written so far (full paths, oldest first); may still be open: see closedDecDumps. */
  decDumps(): string[];
  /** SIGKILL by PID (crash), leaving config and ports for `restart`. */
  kill(): Promise<void>;
  /** Start again on the same ports with the same config. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** One baresip `config` file on loopback; the lines every peer in the tests shares are written here. */
export interface BaresipConfig {
  sipPort: number;
  /** `audio_source` value: `aufile,PATH` or `ausine,HZ`. */
  audioSource: string;
  /** `module X.so` lines in load order (account must follow the codec modules it resolves). */
  modules: readonly string[];
  /** `module_app X.so` lines. */
  appModules?: readonly string[];
  rtpPorts?: readonly [number, number];
  /** `cons_listen` port (UDP console, for `command`). */
  consPort?: number;
  /** Further `key value` lines (opus_stereo yes, jitter_buffer_delay 5-10, …). */
  settings?: readonly string[];
}

export function baresipConfigText(c: BaresipConfig): string {
  return [
    `sip_listen 127.0.0.1:${c.sipPort}`,
    'net_interface 127.0.0.1',
    ...(c.rtpPorts ? [`rtp_ports ${c.rtpPorts[0]}-${c.rtpPorts[1]}`] : []),
    'module_path /usr/lib/baresip/modules',
    ...c.modules.map((m) => `module ${m}.so`),
    ...(c.appModules ?? []).map((m) => `module_app ${m}.so`),
    ...(c.consPort !== undefined ? [`cons_listen 127.0.0.1:${c.consPort}`] : []),
    `audio_source ${c.audioSource}`,
    'audio_player aubridge,nil',
    'ausrc_srate 48000',
    'ausrc_channels 2',
    ...(c.settings ?? []),
    '',
  ].join('\n');
}

/** Writes `config` and a one-line `accounts` file into baresip's config dir. */
export function writeBaresipFiles(dir: string, config: BaresipConfig, accountLine: string): void {
  writeFileSync(join(dir, 'config'), baresipConfigText(config));
  writeFileSync(join(dir, 'accounts'), `${accountLine}\n`);
}

/** A stereo 48 kHz 16-bit sine WAV made by sox (`peakDbfs` is the peak level). */
export async function makeToneWav(path: string, tone: { hz: number; peakDbfs: number; seconds: number }): Promise<void> {
  const r = await runProgram(
    'sox',
    ['-n', '-r', '48000', '-c', '2', '-b', '16', path, 'synth', String(tone.seconds), 'sine', String(tone.hz), 'vol', `${tone.peakDbfs}dB`],
    20_000,
  );
  if (r.code !== 0) throw new Error(`sox failed: ${r.stderr}`);
}

/**
 * Starts `baresip -f dir …args` (a PeerProcess: stopped with its process group). With `ready`, waits up to 10 s
 * for the output to match it, and stops the process and throws if it does not.
 */
export async function launchBaresip(dir: string, opts: { args?: readonly string[]; ready?: RegExp } = {}): Promise<PeerProcess> {
  const proc = PeerProcess.start('baresip', ['-f', dir, ...(opts.args ?? [])], dir);
  if (opts.ready && !(await proc.waitForOutput(opts.ready, 10_000))) {
    await proc.stop();
    throw new Error(`baresip did not start: ${proc.output.slice(-2000)}`);
  }
  return proc;
}

/** Sends command lines to baresip's `cons` module over UDP. */
export function baresipConsole(consPort: number): { command(line: string): Promise<void>; close(): void } {
  const sock = dgram.createSocket('udp4');
  return {
    command: (line) => new Promise((resolve, reject) => sock.send(Buffer.from(`${line}\n`), consPort, '127.0.0.1', (e) => (e ? reject(e) : resolve()))),
    close() {
      try {
        sock.close();
      } catch {
        // already closed
      }
    },
  };
}

/** The received-audio dumps `sndfile` has written in `sndDir` (full paths, oldest first). */
export function decDumpsIn(sndDir: string): string[] {
  return readdirSync(sndDir)
    .filter((n) => n.endsWith('-dec.wav'))
    .sort()
    .map((n) => join(sndDir, n));
}

/**
 * Whether a WAV file's header is written for its final length: its RIFF size is the file's size − 8.
 * libsndfile writes the sizes when it closes the file, and baresip's `sndfile` closes a dump some time
 * after it prints that the call ended; read before then, the dump parses as 0 s of audio.
 */
export function wavClosed(path: string): boolean {
  const head = Buffer.alloc(8);
  const fd = openSync(path, 'r');
  try {
    if (readSync(fd, head, 0, 8, 0) < 8) return false;
  } finally {
    closeSync(fd);
  }
  return head.toString('latin1', 0, 4) === 'RIFF' && head.readUInt32LE(4) === statSync(path).size - 8;
}

/**
 * The received-audio dumps in `sndDir` once every one is closed (polled, at most `timeoutMs`; after
 * that the dumps as they are, so a test's own checks say what is wrong).
 */
export async function closedDecDumps(sndDir: string, timeoutMs = 5000): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const dumps = decDumpsIn(sndDir);
    if ((dumps.length > 0 && dumps.every(wavClosed)) || Date.now() >= until) return dumps;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A baresip driven over its console (`startConsoleBaresip`). */
export interface ConsoleBaresip {
  sipPort: number;
  proc: PeerProcess;
  /** Where `sndfile` writes what baresip plays and records (one folder per instance). */
  sndDir: string;
  command(line: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * baresip that plays a SOURCE_TONE file and records what it receives with `sndfile` (G.711 loaded; the
 * codecs it uses and whether it answers by itself are the account line's). `account(sipPort)` gives the accounts line (the caller's display name, URI and
 * transport); `modules` and `settings` are added to the plain set (e.g. `srtp` and its certificates);
 * `toneSeconds` (default 60) should outlast the call: baresip hangs up when its source file ends.
 */
export async function startConsoleBaresip(opts: {
  tag: string;
  account: (sipPort: number) => string;
  modules?: readonly string[];
  settings?: readonly string[];
  toneSeconds?: number;
}): Promise<ConsoleBaresip> {
  const dir = mkdtempSync(join(tmpdir(), `acip-${opts.tag}-baresip-`));
  const sndDir = join(dir, 'snd');
  mkdirSync(sndDir);
  const sipPort = await freePort();
  const consPort = await freePort();
  const rtpLo = 20000 + 2 * Math.floor(Math.random() * 15000);
  const wav = join(dir, 'source.wav');
  await makeToneWav(wav, { ...SOURCE_TONE, seconds: opts.toneSeconds ?? 60 });
  writeBaresipFiles(
    dir,
    {
      sipPort,
      consPort,
      rtpPorts: [rtpLo, rtpLo + 40],
      audioSource: `aufile,${wav}`,
      modules: ['g711', 'aufile', 'aubridge', 'sndfile', ...(opts.modules ?? []), 'account', 'cons'],
      appModules: ['menu'],
      settings: [...(opts.settings ?? []), `snd_path ${sndDir}`],
    },
    opts.account(sipPort),
  );
  const proc = await launchBaresip(dir, { ready: /baresip is ready/i });
  const cons = baresipConsole(consPort);
  return {
    sipPort,
    proc,
    sndDir,
    command: (line) => cons.command(line),
    async stop() {
      cons.close();
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startBaresip(opts: BaresipOptions = {}): Promise<BaresipPeer> {
  const sipPort = opts.sipPort ?? (await freePort());
  const consPort = opts.consPort ?? (await freePort());
  const rtpLo = opts.rtpRange?.[0] ?? 20000 + 2 * Math.floor(Math.random() * 15000);
  const rtpHi = opts.rtpRange?.[1] ?? rtpLo + 40;
  const codecs = (opts.codecs ?? Object.values(BARESIP_CODECS)).join(',');
  const params = `;answermode=auto;audio_codecs=${codecs}${opts.ptimeMs ? `;ptime=${opts.ptimeMs}` : ''}${opts.extraAccountParams ?? ''}`;
  const account = opts.registrar
    ? `<sip:${opts.registrar.user}@${opts.registrar.hostPort}>;auth_pass=${opts.registrar.authPass};regint=60${params}`
    : `<sip:studio@127.0.0.1:${sipPort}>;regint=0${params}`;
  const dir = mkdtempSync(join(tmpdir(), 'acip-lt-baresip-'));
  const sndDir = join(dir, 'snd');
  mkdirSync(sndDir);
  const wav = opts.sourceWav ?? join(dir, 'source.wav');
  // Longer than any test call: baresip hangs up when its source file ends.
  if (!opts.sourceWav) await makeToneWav(wav, { ...SOURCE_TONE, seconds: 300 });
  writeBaresipFiles(
    dir,
    {
      sipPort,
      rtpPorts: [rtpLo, rtpHi],
      consPort,
      audioSource: `aufile,${wav}`,
      modules: ['g711', 'g722', 'l16', 'opus', 'aufile', 'aubridge', 'sndfile', 'account', 'cons', ...(opts.ebuacip ? ['ebuacip'] : [])],
      appModules: ['menu'],
      settings: [
        'opus_stereo yes',
        'opus_sprop_stereo yes',
        'opus_bitrate 128000',
        'opus_application audio',
        `snd_path ${sndDir}`,
        'call_max_calls 4',
        ...(opts.jitterBufferDelay ? [`jitter_buffer_delay ${opts.jitterBufferDelay}`] : []),
        ...(opts.audioBuffer ? [`audio_buffer ${opts.audioBuffer}`] : []),
        ...(opts.ebuacipJbType ? [`ebuacip_jb_type ${opts.ebuacipJbType}`] : []),
      ],
    },
    `"LT studio" ${account}`,
  );

  const cons = baresipConsole(consPort);
  const launch = (): Promise<PeerProcess> => launchBaresip(dir, { ready: /baresip is ready/i });
  const peer: BaresipPeer = {
    sipPort,
    consPort,
    uri: `sip:studio@127.0.0.1:${sipPort}`,
    dir,
    sndDir,
    proc: await launch(),
    opts: { ...opts, sipPort, consPort, rtpRange: [rtpLo, rtpHi] },
    command: (line) => cons.command(line),
    decDumps: () => decDumpsIn(sndDir),
    async kill() {
      await peer.proc.kill();
    },
    async restart() {
      peer.proc = await launch();
    },
    async stop() {
      cons.close();
      await peer.proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return peer;
}
