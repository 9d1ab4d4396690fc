import { describe, expect, it } from 'vitest';
import { requireProgram } from '../../helpers/require-program.js';
import { PcmuSink, startBaresip } from '../../helpers/sip-baresip.js';
import { minimalSdp, startUa } from '../../helpers/sip-ua-harness.js';

const has = requireProgram('baresip') && requireProgram('sox');

describe('our UAC against baresip with auto-answer', () => {
  for (const proto of ['udp', 'tcp'] as const) {
    it.skipIf(!has)(`calls over ${proto.toUpperCase()}, gets baresip's SDP answer and its 1 kHz tone over RTP, and hangs up`, async () => {
      const h = await startUa();
      const bs = await startBaresip();
      const sink = await PcmuSink.open();
      try {
        await bs.proc.waitForOutput(/baresip is ready|Populated \d+ audio codec/i, 8000);
        const target = `sip:uas@127.0.0.1:${bs.port}${proto === 'tcp' ? ';transport=tcp' : ''}`;
        const call = h.ua.invite(target, { sdp: minimalSdp(sink.port) });
        const outcome = await new Promise<{ sdp?: string; failed?: number }>((resolve) => {
          const t = setTimeout(() => resolve({ failed: 0 }), 10_000);
          call.on('answered', (a) => {
            clearTimeout(t);
            resolve(a.sdp !== undefined ? { sdp: a.sdp } : {});
          });
          call.on('failed', (f) => {
            clearTimeout(t);
            resolve({ failed: f.status });
          });
        });
        expect(outcome.failed).toBeUndefined();
        expect(outcome.sdp).toMatch(/m=audio \d+ RTP\/AVP 0/);
        // Let ~1.5 s of audio arrive, then check it is the tone (PCMU, 8 kHz).
        const deadline = Date.now() + 5000;
        while (sink.samples.length < 12_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        const warmup = 1600; // skip the first 200 ms
        sink.samples = sink.samples.slice(warmup);
        const { rms, frequencyHz } = sink.analyse();
        expect(sink.samples.length).toBeGreaterThan(8000);
        expect(frequencyHz).toBeGreaterThan(950);
        expect(frequencyHz).toBeLessThan(1050);
        // -18 dBFS peak sine → RMS 0.089; allow for G.711 and resampling.
        expect(rms).toBeGreaterThan(0.07);
        expect(rms).toBeLessThan(0.11);
        const before = bs.proc.output.length;
        await call.bye();
        // baresip logs the end of the call ("… terminated (duration: …)") once it got our BYE.
        const deadline2 = Date.now() + 5000;
        while (!/terminated/i.test(bs.proc.output.slice(before)) && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 50));
        expect(bs.proc.output.slice(before)).toMatch(/terminated/i);
        expect(call.state).toBe('ended');
        // The call really used the transport under test.
        expect((proto === 'tcp' ? h.tcp : h.udp).counters.messagesOut).toBeGreaterThanOrEqual(3);
        if (proto === 'tcp') expect(h.udp.counters.messagesOut).toBe(0);
      } finally {
        sink.close();
        await bs.stop();
        await h.close();
      }
    }, 40_000);
  }
});
