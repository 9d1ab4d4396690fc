/**
 * Start baresip as an auto-answering UA on loopback (config in a temp dir),
 * sending a 1 kHz tone from a WAV made by sox, and decode the PCMU RTP it sends us.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dgram from 'node:dgram';
import { launchBaresip, makeToneWav, writeBaresipFiles } from './baresip.js';
import { freePort, type PeerProcess } from './sip-peer-process.js';

export interface Baresip {
  port: number;
  proc: PeerProcess;
  dir: string;
  stop(): Promise<void>;
}

export async function startBaresip(opts: { extraAccountParams?: string; registrar?: string; authPass?: string } = {}): Promise<Baresip> {
  const dir = mkdtempSync(join(tmpdir(), 'acip-baresip-'));
  const port = await freePort();
  const wav = join(dir, 'tone.wav');
  // 1 kHz sine, peak -18 dBFS, longer than any test call (baresip hangs up when the file ends).
  await makeToneWav(wav, { hz: 1000, peakDbfs: -18, seconds: 30 });
  const rtpLo = 30000 + Math.floor(Math.random() * 20000);
  const account = opts.registrar
    ? `<sip:${opts.registrar}>;auth_pass=${opts.authPass ?? ''};regint=60;answermode=auto;audio_codecs=PCMU/8000/1`
    : `<sip:uas@127.0.0.1:${port}>;regint=0;answermode=auto;audio_codecs=PCMU/8000/1`;
  writeBaresipFiles(
    dir,
    {
      sipPort: port,
      rtpPorts: [rtpLo, rtpLo + 100],
      audioSource: `aufile,${wav}`,
      modules: ['g711', 'aufile', 'aubridge', 'account', 'menu'],
      settings: ['call_max_calls 4'],
    },
    `${account}${opts.extraAccountParams ?? ''}`,
  );
  // Not waited for here: callers wait for the output they need.
  const proc = await launchBaresip(dir);
  return {
    port,
    proc,
    dir,
    stop: async () => {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** G.711 μ-law to linear, normalised to [-1, 1) (ITU-T G.711). */
export function ulawToFloat(byte: number): number {
  const u = ~byte & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return (sign ? -magnitude : magnitude) / 32768;
}

/** Receive RTP on a UDP socket and decode PCMU payloads into one sample array. */
export class PcmuSink {
  samples: number[] = [];
  packets = 0;
  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (buf) => {
      if (buf.length < 12 || buf[0]! >> 6 !== 2) return;
      const cc = buf[0]! & 0x0f;
      const pt = buf[1]! & 0x7f;
      if (pt !== 0) return;
      this.packets++;
      for (let i = 12 + cc * 4; i < buf.length; i++) this.samples.push(ulawToFloat(buf[i]!));
    });
  }

  static async open(): Promise<PcmuSink> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return new PcmuSink(s);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** RMS and zero-crossing frequency of the samples at 8 kHz. */
  analyse(): { rms: number; frequencyHz: number } {
    const x = this.samples;
    let sum = 0;
    let crossings = 0;
    for (let i = 0; i < x.length; i++) {
      sum += x[i]! * x[i]!;
      if (i > 0 && x[i - 1]! < 0 && x[i]! >= 0) crossings++;
    }
    const seconds = x.length / 8000;
    return { rms: Math.sqrt(sum / Math.max(1, x.length)), frequencyHz: seconds > 0 ? crossings / seconds : 0 };
  }

  close(): void {
    this.socket.close();
  }
}
