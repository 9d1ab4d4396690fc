/**
 * A real baresip (Debian 1.0) for the link acceptance tests (PEERS.md): a loopback UA that plays a
 * known looping WAV, records what it receives with `sndfile` (one dump folder per instance, so two
 * calls never overwrite each other's files), can be told to dial or hang up through `cons`, and can
 * be killed (SIGKILL) and restarted on the same ports. Stopped by PID only.
 */
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
  /** The received-audio dumps written so far (full paths, oldest first). */
  decDumps(): string[];
  /** SIGKILL by PID (crash), leaving config and ports for `restart`. */
  kill(): Promise<void>;
  /** Start again on the same ports with the same config. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function makeSourceWav(path: string, seconds: number): Promise<void> {
  const r = await runProgram(
    'sox',
    ['-n', '-r', '48000', '-c', '2', '-b', '16', path, 'synth', String(seconds), 'sine', String(SOURCE_TONE.hz), 'vol', `${SOURCE_TONE.peakDbfs}dB`],
    20_000,
  );
  if (r.code !== 0) throw new Error(`sox failed: ${r.stderr}`);
}

export async function startBaresip(opts: BaresipOptions = {}): Promise<BaresipPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'acip-lt-baresip-'));
  const sndDir = join(dir, 'snd');
  mkdirSync(sndDir);
  const sipPort = opts.sipPort ?? (await freePort());
  const consPort = opts.consPort ?? (await freePort());
  const rtpLo = opts.rtpRange?.[0] ?? 20000 + 2 * Math.floor(Math.random() * 15000);
  const rtpHi = opts.rtpRange?.[1] ?? rtpLo + 40;
  const wav = opts.sourceWav ?? join(dir, 'source.wav');
  // Longer than any test call: baresip hangs up when its source file ends.
  if (!opts.sourceWav) await makeSourceWav(wav, 300);
  const modules = ['g711', 'g722', 'l16', 'opus', 'aufile', 'aubridge', 'sndfile', 'account', 'cons', ...(opts.ebuacip ? ['ebuacip'] : [])];
  writeFileSync(
    join(dir, 'config'),
    [
      `sip_listen 127.0.0.1:${sipPort}`,
      'net_interface 127.0.0.1',
      `rtp_ports ${rtpLo}-${rtpHi}`,
      'module_path /usr/lib/baresip/modules',
      ...modules.map((m) => `module ${m}.so`),
      'module_app menu.so',
      `cons_listen 127.0.0.1:${consPort}`,
      `audio_source aufile,${wav}`,
      'audio_player aubridge,nil',
      'ausrc_srate 48000',
      'ausrc_channels 2',
      'opus_stereo yes',
      'opus_sprop_stereo yes',
      'opus_bitrate 128000',
      'opus_application audio',
      `snd_path ${sndDir}`,
      'call_max_calls 4',
      ...(opts.jitterBufferDelay ? [`jitter_buffer_delay ${opts.jitterBufferDelay}`] : []),
      ...(opts.audioBuffer ? [`audio_buffer ${opts.audioBuffer}`] : []),
      ...(opts.ebuacipJbType ? [`ebuacip_jb_type ${opts.ebuacipJbType}`] : []),
      '',
    ].join('\n'),
  );
  const codecs = (opts.codecs ?? Object.values(BARESIP_CODECS)).join(',');
  const params = `;answermode=auto;audio_codecs=${codecs}${opts.ptimeMs ? `;ptime=${opts.ptimeMs}` : ''}${opts.extraAccountParams ?? ''}`;
  const account = opts.registrar
    ? `<sip:${opts.registrar.user}@${opts.registrar.hostPort}>;auth_pass=${opts.registrar.authPass};regint=60${params}`
    : `<sip:studio@127.0.0.1:${sipPort}>;regint=0${params}`;
  writeFileSync(join(dir, 'accounts'), `"LT studio" ${account}\n`);

  const sock = dgram.createSocket('udp4');
  const launch = async (): Promise<PeerProcess> => {
    const proc = PeerProcess.start('baresip', ['-f', dir], dir);
    if (!(await proc.waitForOutput(/baresip is ready/i, 10_000))) {
      await proc.stop();
      throw new Error(`baresip did not start: ${proc.output.slice(-2000)}`);
    }
    return proc;
  };
  const peer: BaresipPeer = {
    sipPort,
    consPort,
    uri: `sip:studio@127.0.0.1:${sipPort}`,
    dir,
    sndDir,
    proc: await launch(),
    opts: { ...opts, sipPort, consPort, rtpRange: [rtpLo, rtpHi] },
    command: (line) => new Promise((resolve, reject) => sock.send(Buffer.from(`${line}\n`), consPort, '127.0.0.1', (e) => (e ? reject(e) : resolve()))),
    decDumps: () =>
      readdirSync(sndDir)
        .filter((n) => n.endsWith('-dec.wav'))
        .sort()
        .map((n) => join(sndDir, n)),
    async kill() {
      const pid = peer.proc.child.pid;
      if (pid !== undefined && peer.proc.child.exitCode === null && peer.proc.child.signalCode === null) {
        const gone = new Promise((r) => peer.proc.child.once('close', r));
        process.kill(pid, 'SIGKILL');
        await gone;
      }
    },
    async restart() {
      peer.proc = await launch();
    },
    async stop() {
      try {
        sock.close();
      } catch {
        // already closed
      }
      await peer.proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return peer;
}
