import { describe, expect, it } from 'vitest';
import { IP_VERDICT_CACHE_MAX, IpRuleSet, addressBytes, normalizeSource, parseIpRule } from '../../../server/sip/admission/ip-rules.js';

describe('source address rules', () => {
  const rows: [rules: string[], address: string, matches: boolean][] = [
    [['127.0.0.1'], '127.0.0.1', true],
    [['127.0.0.1'], '127.0.0.2', false],
    [['10.0.0.0/8'], '10.255.1.2', true],
    [['10.0.0.0/8'], '11.0.0.1', false],
    [['192.0.2.128/25'], '192.0.2.129', true],
    [['192.0.2.128/25'], '192.0.2.127', false],
    [['0.0.0.0/0'], '203.0.113.9', true],
    [['0.0.0.0/0'], '2001:db8::1', false],
    [['10.0.0.0/8'], '::ffff:10.1.2.3', true],
    [['::ffff:10.0.0.0/104'], '10.1.2.3', true],
    [['2001:db8::/32'], '2001:db8:ffff::1', true],
    [['2001:db8::/32'], '2001:db9::1', false],
    [['2001:db8::1'], '2001:DB8:0:0:0:0:0:1', true],
    [['::1'], '::1', true],
    [['::1'], '127.0.0.1', false],
    [['fe80::/10'], 'fe80::1%eth0', true],
    [['::/0'], '192.0.2.1', true],
    [['2001:db8::/127'], '2001:db8::1', true],
    [['2001:db8::/128'], '2001:db8::1', false],
    [['192.0.2.1', '2001:db8::/48'], '2001:db8:0:1::5', true],
    [['10.0.0.0/8'], 'not-an-address', false],
  ];
  it.each(rows)('rules %j match %s: %s', (rules, address, expected) => {
    expect(new IpRuleSet(rules).matches(address)).toBe(expected);
  });

  const bad: string[] = ['10.0.0.0/33', '2001:db8::/129', 'example.com', '10.0.0/8', '10.0.0.1/', '10.0.0.1/x', '', 'fe80::1%eth0/64'];
  it.each(bad)('rejects the rule %j with a message naming it', (text) => {
    expect(() => parseIpRule(text)).toThrow(/not an IP address|prefix length/);
  });

  it('reads an IPv4-mapped IPv6 address as the same 16 bytes as the IPv4 address', () => {
    expect(addressBytes('::ffff:192.0.2.7')).toEqual(addressBytes('192.0.2.7'));
    expect(addressBytes('::ffff:c000:207')).toEqual(addressBytes('192.0.2.7'));
  });

  it('keys a peer by one source text whichever socket family it arrived on', () => {
    expect(normalizeSource('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(normalizeSource('2001:DB8::1')).toBe('2001:db8::1');
  });
});

describe('remembered verdicts', () => {
  it('gives an address asked again the verdict it got the first time', () => {
    const set = new IpRuleSet(['192.0.2.0/24']);
    expect([set.matches('192.0.2.7'), set.matches('192.0.2.7'), set.matches('198.51.100.1'), set.matches('198.51.100.1')]).toEqual([true, true, false, false]);
  });

  it('stays right for more distinct sources than it remembers (the memory is bounded)', () => {
    const set = new IpRuleSet(['10.0.0.0/8']);
    const n = IP_VERDICT_CACHE_MAX * 2 + 3;
    const verdicts = Array.from({ length: n }, (_, i) => set.matches(i % 2 === 0 ? `10.0.${i >> 8}.${i & 255}` : `11.0.${i >> 8}.${i & 255}`));
    expect(verdicts).toEqual(Array.from({ length: n }, (_, i) => i % 2 === 0));
  });

  it('matches nothing with no rules, whatever the text', () => {
    expect(new IpRuleSet([]).matches('192.0.2.1')).toBe(false);
  });
});
