/**
 * The sipp command lines of the interop tests, as data: `planSipp` turns a call description into the
 * argument list sipp 3.6 is started with, and `toneArgs` into the sox line that writes `tone.al`.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { SIPP_FIXTURES, planSipp, toneArgs, type SippCall, type SippPlan } from './sipp-scenario.js';

const PLACE = { port: 5070, mediaPort: 6000, dir: '/w', acipSipPort: 5060 } as const;
const sf = (name: string) => ['-sf', join(SIPP_FIXTURES, name)];

const ROWS: { name: string; call: SippCall; want: SippPlan }[] = [
  {
    name: 'a UAS waits for acip: no service, no remote host',
    call: { scenario: 'prack-uas.xml', role: 'uas', timeoutS: 30 },
    want: { args: [...sf('prack-uas.xml'), '-i', '127.0.0.1', '-p', '5070', '-m', '1', '-nostdin', '-timeout', '30'] },
  },
  {
    name: 'a UAC calls acip as service acip at its SIP port, last on the line, and fails on the timeout when told',
    call: { scenario: 'message.xml', role: 'uac', timeoutS: 15, timeoutError: true },
    want: { args: [...sf('message.xml'), '-s', 'acip', '-i', '127.0.0.1', '-p', '5070', '-m', '1', '-nostdin', '-timeout', '15', '-timeout_error', '127.0.0.1:5060'] },
  },
  {
    name: 'a media port, a message log and statistics go to the working folder under the scenario and port',
    call: { scenario: 'silent-uac-no-media.xml', role: 'uac', media: true, timeoutS: 40, traceMessages: true, traceStats: true },
    want: {
      args: [
        ...sf('silent-uac-no-media.xml'), '-s', 'acip', '-i', '127.0.0.1', '-p', '5070', '-mp', '6000', '-m', '1', '-nostdin', '-timeout', '40',
        '-trace_msg', '-message_file', '/w/silent-uac-no-media-5070-messages.log',
        '-trace_stat', '-stf', '/w/silent-uac-no-media-5070-stats.csv', '-trace_err', '-error_file', '/w/silent-uac-no-media-5070-errors.log',
        '127.0.0.1:5060',
      ],
      messageFile: '/w/silent-uac-no-media-5070-messages.log',
      statFile: '/w/silent-uac-no-media-5070-stats.csv',
      errorFile: '/w/silent-uac-no-media-5070-errors.log',
    },
  },
  {
    name: 'keys come as -key pairs before the further arguments',
    call: { scenario: 'replaces-new-uac.xml', role: 'uac', timeoutS: 30, keys: { replaces: 'c@h;to-tag=a;from-tag=b' }, extra: ['-d', '4000'] },
    want: { args: [...sf('replaces-new-uac.xml'), '-s', 'acip', '-i', '127.0.0.1', '-p', '5070', '-m', '1', '-nostdin', '-key', 'replaces', 'c@h;to-tag=a;from-tag=b', '-d', '4000', '-timeout', '30', '127.0.0.1:5060'] },
  },  {
    name: "a flood: one of sipp's own scenarios from another loopback source, to another service, many calls at a rate and a limit",
    call: { scenario: 'uac', builtin: true, role: 'uac', service: 'service', host: '127.0.0.2', calls: 300, rate: 200, limit: 300, timeoutS: 8, timeoutError: true },
    want: { args: ['-sn', 'uac', '-s', 'service', '-i', '127.0.0.2', '-p', '5070', '-m', '300', '-r', '200', '-l', '300', '-nostdin', '-timeout', '8', '-timeout_error', '127.0.0.1:5060'] },
  },
];

describe('the sipp command line', () => {
  it.each(ROWS)('$name', ({ call, want }) => {
    expect(planSipp(call, PLACE)).toEqual(want);
  });

  it('refuses a source address off loopback', () => {
    expect(() => planSipp({ scenario: 'uac', builtin: true, role: 'uac', host: '10.0.0.1', timeoutS: 5 }, PLACE)).toThrow(/loopback/);
  });

  it('refuses a call that wants a media port when none was picked', () => {
    expect(() => planSipp({ scenario: 'early-media-uas.xml', role: 'uas', media: true, timeoutS: 30 }, { ...PLACE, mediaPort: undefined })).toThrow(/media port/);
  });

  it('writes the tone as raw A-law at 8 kHz with the gain of its peak level', () => {
    expect(toneArgs('/w/tone.al', { hz: 1000, peakDbfs: -12 })).toEqual(['-n', '-r', '8000', '-c', '1', '-e', 'a-law', '-t', 'raw', '/w/tone.al', 'synth', '10', 'sine', '1000', 'vol', '0.2512']);
  });
});
