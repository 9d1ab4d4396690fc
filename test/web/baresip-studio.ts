/**
 * A remote "studio" for the panel's end-to-end tests: baresip on loopback that auto-answers, sends a
 * 1 kHz tone at −18 dBFS from a looping WAV, and can be told to dial out through its `cons` module
 * (one command per UDP datagram). Stopped by PID.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baresipConsole, launchBaresip, makeToneWav, writeBaresipFiles } from '../helpers/baresip.js';
import { freePort, type PeerProcess } from '../helpers/sip-peer-process.js';

export interface BaresipStudio {
  sipPort: number;
  displayName: string;
  proc: PeerProcess;
  /** Send one command line to baresip's console, e.g. `/dial sip:…` or `/hangup`. */
  command(line: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startBaresipStudio(displayName: string): Promise<BaresipStudio> {
  const dir = mkdtempSync(join(tmpdir(), 'acip-panel-baresip-'));
  const sipPort = await freePort();
  const consPort = await freePort();
  const wav = join(dir, 'tone.wav');
  // Longer than any test call: baresip hangs up when its source file ends.
  await makeToneWav(wav, { hz: 1000, peakDbfs: -18, seconds: 120 });
  const rtpLo = 20000 + 2 * Math.floor(Math.random() * 9000);
  writeBaresipFiles(
    dir,
    {
      sipPort,
      rtpPorts: [rtpLo, rtpLo + 40],
      consPort,
      audioSource: `aufile,${wav}`,
      modules: ['g711', 'g722', 'opus', 'aufile', 'aubridge', 'account', 'cons'],
      appModules: ['menu'],
      settings: ['opus_stereo yes', 'opus_sprop_stereo yes', 'call_max_calls 4'],
    },
    `"${displayName}" <sip:studio@127.0.0.1:${sipPort}>;regint=0;answermode=auto;audio_codecs=opus/48000/2,G722/16000/1,PCMA/8000/1`,
  );
  const proc = await launchBaresip(dir, { ready: /baresip is ready|Listening on|ua: /i });
  const cons = baresipConsole(consPort);
  return {
    sipPort,
    displayName,
    proc,
    command: (line) => cons.command(line),
    stop: async () => {
      cons.close();
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
