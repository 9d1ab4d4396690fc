/**
 * A baresip caller that speaks SIP over TLS too: the link tests' baresip (a looping tone it sends,
 * `sndfile` dumps of what it receives), plus `sip_cafile` with the test CA, so it can dial a
 * `sips:` URI and check the certificates of Kamailio and of the callee it reaches, and a
 * certificate of its own (`sip_certificate`) for the TLS connections Kamailio opens to it (the BYE
 * of the callee). baresip opens TLS on its SIP port + 1.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BARESIP_CODECS, baresipConsole, launchBaresip, makeToneWav, SOURCE_TONE, writeBaresipFiles } from '../../helpers/baresip.js';
import type { TestCerts } from '../../helpers/certs.js';
import { freePort, type PeerProcess } from '../../helpers/sip-peer-process.js';

export interface TlsCaller {
  proc: PeerProcess;
  command(line: string): Promise<void>;
  /** Received-audio dumps so far, oldest first. */
  decDumps(): string[];
  stop(): Promise<void>;
}

export async function startTlsCaller(certs: TestCerts): Promise<TlsCaller> {
  const dir = mkdtempSync(join(tmpdir(), 'acip-kam-tls-caller-'));
  const sndDir = join(dir, 'snd');
  mkdirSync(sndDir);
  const wav = join(dir, 'source.wav');
  // Longer than the call: baresip hangs up when its source file ends.
  await makeToneWav(wav, { ...SOURCE_TONE, seconds: 120 });
  const sipPort = await freePort();
  const consPort = await freePort();
  const rtpLo = 20000 + 2 * Math.floor(Math.random() * 15000);
  writeBaresipFiles(
    dir,
    {
      sipPort,
      consPort,
      rtpPorts: [rtpLo, rtpLo + 40],
      audioSource: `aufile,${wav}`,
      modules: ['g711', 'opus', 'aufile', 'aubridge', 'sndfile', 'account', 'cons'],
      appModules: ['menu'],
      settings: [`sip_certificate ${certs.server.combinedFile}`, `sip_cafile ${certs.ca.certFile}`, `snd_path ${sndDir}`, 'opus_stereo yes', 'opus_sprop_stereo yes'],
    },
    `"TLS caller" <sip:caller@127.0.0.1:${sipPort}>;regint=0;answermode=auto;audio_codecs=${BARESIP_CODECS.opus}`,
  );
  const proc = await launchBaresip(dir, { ready: /baresip is ready/i });
  const cons = baresipConsole(consPort);
  return {
    proc,
    command: (line) => cons.command(line),
    decDumps: () =>
      readdirSync(sndDir)
        .filter((n) => n.endsWith('-dec.wav'))
        .sort()
        .map((n) => join(sndDir, n)),
    stop: async () => {
      cons.close();
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
