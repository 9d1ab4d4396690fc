/**
 * A remote "studio" for the panel's end-to-end tests: baresip on loopback that auto-answers, sends a
 * 1 kHz tone at −18 dBFS from a looping WAV, and can be told to dial out through its `cons` module
 * (UDP command lines, PEERS.md). Stopped by PID.
 */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, PeerProcess, runProgram } from '../helpers/sip-peer-process.js';

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
  const sox = await runProgram('sox', ['-n', '-r', '48000', '-c', '2', '-b', '16', wav, 'synth', '120', 'sine', '1000', 'vol', '-18dB'], 20_000);
  if (sox.code !== 0) throw new Error(`sox failed: ${sox.stderr}`);
  const rtpLo = 20000 + 2 * Math.floor(Math.random() * 9000);
  writeFileSync(
    join(dir, 'config'),
    [
      `sip_listen 127.0.0.1:${sipPort}`,
      'net_interface 127.0.0.1',
      `rtp_ports ${rtpLo}-${rtpLo + 40}`,
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module g722.so',
      'module opus.so',
      'module aufile.so',
      'module aubridge.so',
      'module account.so',
      'module cons.so',
      'module_app menu.so',
      `cons_listen 127.0.0.1:${consPort}`,
      `audio_source aufile,${wav}`,
      'audio_player aubridge,nil',
      'ausrc_srate 48000',
      'ausrc_channels 2',
      'opus_stereo yes',
      'opus_sprop_stereo yes',
      'call_max_calls 4',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'accounts'),
    `"${displayName}" <sip:studio@127.0.0.1:${sipPort}>;regint=0;answermode=auto;audio_codecs=opus/48000/2,G722/16000/1,PCMA/8000/1\n`,
  );
  const proc = PeerProcess.start('baresip', ['-f', dir], dir);
  if (!(await proc.waitForOutput(/baresip is ready|Listening on|ua: /i, 10_000))) {
    await proc.stop();
    throw new Error(`baresip did not start: ${proc.output.slice(-2000)}`);
  }
  const sock = dgram.createSocket('udp4');
  return {
    sipPort,
    displayName,
    proc,
    command: (line) => new Promise((resolve, reject) => sock.send(Buffer.from(`${line}\n`), consPort, '127.0.0.1', (e) => (e ? reject(e) : resolve()))),
    stop: async () => {
      sock.close();
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
