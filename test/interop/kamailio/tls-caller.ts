/**
 * A baresip caller that speaks SIP over TLS too: the link tests' baresip (a looping tone it sends,
 * `sndfile` dumps of what it receives), plus `sip_cafile` with the test CA, so it can dial a
 * `sips:` URI and check the certificates of Kamailio and of the callee it reaches, and a
 * certificate of its own (`sip_certificate`) for the TLS connections Kamailio opens to it (the BYE
 * of the callee). baresip opens TLS on its SIP port + 1.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BARESIP_CODECS, startConsoleBaresip } from '../../helpers/baresip.js';
import type { TestCerts } from '../../helpers/certs.js';
import type { PeerProcess } from '../../helpers/sip-peer-process.js';

export interface TlsCaller {
  proc: PeerProcess;
  command(line: string): Promise<void>;
  /** Received-audio dumps so far, oldest first. */
  decDumps(): string[];
  stop(): Promise<void>;
}

export async function startTlsCaller(certs: TestCerts): Promise<TlsCaller> {
  const b = await startConsoleBaresip({
    tag: 'kam-tls-caller',
    modules: ['opus'],
    settings: [`sip_certificate ${certs.server.combinedFile}`, `sip_cafile ${certs.ca.certFile}`, 'opus_stereo yes', 'opus_sprop_stereo yes'],
    account: (port) => `"TLS caller" <sip:caller@127.0.0.1:${port}>;regint=0;answermode=auto;audio_codecs=${BARESIP_CODECS.opus}`,
    toneSeconds: 120,
  });
  return {
    proc: b.proc,
    command: (line) => b.command(line),
    decDumps: () =>
      readdirSync(b.sndDir)
        .filter((n) => n.endsWith('-dec.wav'))
        .sort()
        .map((n) => join(b.sndDir, n)),
    stop: () => b.stop(),
  };
}
