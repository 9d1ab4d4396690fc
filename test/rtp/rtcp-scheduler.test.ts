import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../server/util/clock.js';
import { RtcpScheduler, type RtcpSchedulerOptions } from '../../server/rtp/rtcp-scheduler.js';
import { reducedMinimumS, RTCP_COMPENSATION, RTCP_MIN_TIME_S } from '../../server/rtp/rtcp-interval.js';

/** Times (ms on the fake clock) of the first `n` reports of a two-party session in which both send. */
function reportTimes(opts: Partial<RtcpSchedulerOptions>, n: number, change?: (s: RtcpScheduler) => void): number[] {
  const clock = new FakeClock(0);
  const times: number[] = [];
  const s = new RtcpScheduler(
    { clock, localHost: '127.0.0.1', cname: 'acip@127.0.0.1', random: () => 0.5, ...opts },
    () => ({ members: 2, senders: 2, weSent: true }),
    () => {
      times.push(clock.now());
      s.sent(100);
    },
  );
  s.start();
  change?.(s);
  for (let i = 0; i < 10_000 && times.length < n; i++) clock.advance(10);
  s.stop();
  return times;
}

describe('RTCP report scheduling (RFC 3550 §6.3)', () => {
  it('computes the interval after a bandwidth change as a scheduler built with the new bandwidth would', () => {
    const wide = reportTimes({ sessionBandwidthKbps: 64, rtcpMinIntervalS: 0.1 }, 3);
    const narrow = reportTimes({ sessionBandwidthKbps: 2, rtcpMinIntervalS: 0.1 }, 3);
    // §6.2: 5 % of a 2 kbit/s session spaces 100-octet reports further apart than the 0.1 s minimum.
    expect(narrow[2]! - narrow[1]!).toBeGreaterThan(wide[2]! - wide[1]!);
    // Changed before the first report fired: that report keeps its time, the next ones follow the new bandwidth.
    const changed = reportTimes({ sessionBandwidthKbps: 2, rtcpMinIntervalS: 0.1 }, 3, (s) => s.setBandwidth(64, 0.1));
    expect(changed[0]).toBe(narrow[0]);
    expect(changed[2]! - changed[1]!).toBeCloseTo(wide[2]! - wide[1]!, 6);
  });

  it('falls back to the 5 s minimum, or the reduced minimum, when a change names none (§6.2)', () => {
    // random() = 0.5 makes the U(0.5, 1.5) factor 1; the interval is then the minimum / (e − 3/2).
    const plain = reportTimes({ sessionBandwidthKbps: 64, rtcpMinIntervalS: 0.1 }, 3, (s) => s.setBandwidth(1000));
    expect(plain[2]! - plain[1]!).toBeCloseTo((RTCP_MIN_TIME_S * 1000) / RTCP_COMPENSATION, 6);
    const reduced = reportTimes({ sessionBandwidthKbps: 64, rtcpReducedMinimum: true }, 3, (s) => s.setBandwidth(1000));
    expect(reduced[2]! - reduced[1]!).toBeCloseTo((reducedMinimumS(1000) * 1000) / RTCP_COMPENSATION, 6);
  });
});
