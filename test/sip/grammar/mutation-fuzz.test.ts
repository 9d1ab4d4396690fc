import { describe, expect, it } from 'vitest';
import { parseMessage, SipParseError } from '../../../server/sip/grammar/parser.js';
import { serializeMessage } from '../../../server/sip/grammar/serializer.js';
import { rejectionForParseError, validateRequest } from '../../../server/sip/grammar/validate.js';
import { createResponse } from '../../../server/sip/grammar/response.js';
import { SipFramingError, SipStreamFramer } from '../../../server/sip/transport/stream-framer.js';
import type { SipMessage } from '../../../server/sip/grammar/message.js';
import { parseNameAddr } from '../../../server/sip/grammar/uri.js';
import { parseVia } from '../../../server/sip/grammar/via.js';
import { mulberry32 } from '../../helpers/prng.js';
import { mutate } from '../../helpers/sip-mutator.js';
import { CAPTURES, capture, rfc4475, rfc4475Files } from './fixtures.js';

const SEED = Number(process.env.SIP_FUZZ_SEED ?? 0x5eed4475);
const CASES = 100_000;
/** Time bound for CI on a shared machine; the run normally takes a few seconds. */
const MAX_MS = 60_000;

const corpus = [...CAPTURES.map(capture), ...rfc4475Files().map(rfc4475)];

function comparable(m: SipMessage): string {
  const start = m.kind === 'request' ? [m.method, m.uri, m.version] : [m.version, m.status, m.reason];
  const headers = m.headers.entries().filter((h) => h.name !== 'Content-Length').map((h) => [h.name, h.value]);
  return JSON.stringify([m.kind, start, headers, m.body.toString('base64')]);
}

/** Everything a UAS does with a datagram, none of which may throw anything but SipParseError from parse. */
function exercise(bytes: Buffer): 'parsed' | 'rejected' {
  let m: SipMessage;
  try {
    m = parseMessage(bytes);
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    const r = rejectionForParseError(e);
    if (r && e.partial?.kind === 'request') serializeMessage(createResponse(e.partial, r.status, r.reason, { toTag: 't' }));
    return 'rejected';
  }
  const wire = serializeMessage(m);
  const again = parseMessage(wire);
  if (comparable(again) !== comparable(m)) throw new Error('serialize(parse(x)) does not parse to the same message');
  if (m.kind === 'request') {
    const r = validateRequest(m);
    serializeMessage(createResponse(m, r?.status ?? 200, r?.reason, { toTag: 't' }));
  }
  // The header grammars either parse or throw SipParseError.
  for (const name of ['From', 'To', 'Contact', 'Via']) {
    for (const v of m.headers.getAll(name)) {
      try {
        if (name === 'Via') parseVia(v);
        else parseNameAddr(v);
      } catch (e) {
        if (!(e instanceof SipParseError)) throw e;
      }
    }
  }
  return 'parsed';
}

describe('mutation fuzz of the SIP grammar', () => {
  it(`handles ${CASES} mutated messages with a SipParseError or a message that round-trips (seed ${SEED})`, () => {
    const rand = mulberry32(SEED);
    const t0 = performance.now();
    let run = 0;
    const outcomes = { parsed: 0, rejected: 0 };
    for (; run < CASES; run++) {
      if ((run & 1023) === 0 && performance.now() - t0 > MAX_MS) break;
      const base = corpus[Math.floor(rand() * corpus.length)]!;
      const { bytes, ops } = mutate(base, rand, 4);
      try {
        outcomes[exercise(bytes)]++;
      } catch (e) {
        throw new Error(`case ${run} (seed ${SEED}, ops ${ops.join(',')}): ${(e as Error).stack}\ninput: ${JSON.stringify(bytes.toString('latin1'))}`);
      }
    }
    // Both outcomes must be common, or the mutator is not exploring the grammar.
    expect(outcomes.parsed).toBeGreaterThan(run / 10);
    expect(outcomes.rejected).toBeGreaterThan(run / 10);
    // The time bound only exists for a badly overloaded CI machine; on any sane one all cases run.
    if (performance.now() - t0 < MAX_MS) expect(run).toBe(CASES);
    console.log(`sip fuzz: ${run} cases in ${Math.round(performance.now() - t0)} ms, ${outcomes.parsed} parsed, ${outcomes.rejected} rejected`);
  });

  it('frames mutated streams with messages or a SipFramingError, whatever the split', () => {
    const rand = mulberry32(SEED ^ 0xf4a3e);
    for (let run = 0; run < 5_000; run++) {
      const parts: Buffer[] = [];
      for (let k = 0; k < 3; k++) parts.push(mutate(corpus[Math.floor(rand() * corpus.length)]!, rand, 2).bytes);
      const stream = Buffer.concat(parts);
      const f = new SipStreamFramer();
      let framed = 0;
      let pos = 0;
      try {
        while (pos < stream.length) {
          const n = 1 + Math.floor(rand() * 200);
          for (const m of f.push(stream.subarray(pos, pos + n))) {
            framed += m.length;
            try {
              parseMessage(m, undefined, { framing: 'stream' });
            } catch (e) {
              if (!(e instanceof SipParseError)) throw e;
            }
          }
          pos += n;
        }
      } catch (e) {
        if (!(e instanceof SipFramingError)) throw e;
      }
      expect(framed).toBeLessThanOrEqual(stream.length);
    }
  });
});
