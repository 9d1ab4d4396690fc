import { describe, it, expect } from 'vitest';
import { startBaresip } from '../../helpers/baresip.js';
import { startLtAcip, sleep, waitForLinkState, measureTone, readWavFile } from './harness.js';
import { readdirSync } from 'node:fs';

describe('scratch', () => {
  it('explores', async () => {
    const acip = await startLtAcip({ profiles: { 'lt.yaml': 'name: lt-pcma\ntitle: t\ncodecs: [{codec: PCMA}]\nptimeMs: 20\njitterBuffer: {mode: adaptive, minMs: 20, maxMs: 100}\n' } });
    const b = await startBaresip({ ebuacip: true, codecs: [process.env.CODEC ?? 'L16/48000/2'], jitterBufferDelay: process.env.JBD ?? '5-10', ebuacipJbType: (process.env.JBT as any) });
    try {
      const dial = process.env.DIR === 'in';
      let id: string;
      if (dial) {
        await b.command(`/dial sip:acip@127.0.0.1:${acip.sipPort}`);
        await sleep(1500);
        const l = await acip.api('GET', '/api/links');
        id = l.body.links?.[0]?.id ?? l.body[0]?.id;
        console.log(JSON.stringify(l.body).slice(0, 300));
      } else {
        const r = await acip.api('POST', '/api/links', { to: b.uri, profile: process.env.PROFILE ?? 'l16-stereo-48k' });
        console.log(r.status, JSON.stringify(r.body).slice(0, 300));
        id = r.body.id;
      }
      const s = await waitForLinkState(acip, id, 'connected', 5000);
      await sleep(Number(process.env.HOLD ?? 3000));
      const s2 = (await acip.api('GET', `/api/links/${id}`)).body;
      console.log(JSON.stringify({ rx: s2.rx, tx: s2.tx, codec: s2.codec, eb: s2.ebuacip }));
      console.log(s2.localSdp, s2.remoteSdp);
      await acip.api('DELETE', `/api/links/${id}`);
      await waitForLinkState(acip, id, 'ended', 5000);
      await sleep(500);
      console.log(b.decDumps(), readdirSync(acip.recDir));
      for (const f of b.decDumps()) { const w = readWavFile(f); console.log(f, w.sampleRate, w.channels, w.frames, measureTone(w, 1000)); }
      for (const f of readdirSync(acip.recDir)) { console.log(blocks(acip.recDir + '/' + f)); const w = readWavFile(acip.recDir + '/' + f); console.log(f, w.sampleRate, w.channels, w.bitDepth, w.frames, measureTone(w, 440)); }
      console.log(b.proc.output.slice(-3000));
      expect(1).toBe(1);
    } finally {
      await b.stop();
      await acip.close();
    }
  }, 60_000);
});
export function blocks(path: string) {
  const w = readWavFile(path);
  const out: string[] = [];
  const n = Math.floor(w.sampleRate * 0.02);
  for (let i = 0; i + n <= w.frames; i += n) {
    let a = 0; for (let j = 0; j < n; j++) a += w.samples[(i + j) * w.channels]! ** 2;
    out.push((10 * Math.log10(a / n + 1e-12)).toFixed(0));
  }
  return out.join(' ');
}
