/**
 * The phonebook form's second remote: from a stored entry to the draft the form edits, and from the
 * draft to the request body (left empty: no second remote; anything typed goes to the service,
 * which names the field it refuses).
 */
import { describe, expect, it } from 'vitest';
import { duplicateRemoteBody, duplicateRemoteDraft, emptyDuplicateRemote } from '../../web/src/ui/views/phonebook-form.js';

describe('the phonebook form’s second remote', () => {
  it.each<[string, Parameters<typeof duplicateRemoteDraft>[0], ReturnType<typeof duplicateRemoteDraft>]>([
    ['an entry without one', {}, emptyDuplicateRemote()],
    ['an entry with address and RTP port', { duplicateRemote: { address: '203.0.113.10', rtpPort: 30002 } }, { dupAddress: '203.0.113.10', dupRtpPort: '30002', dupRtcpPort: '' }],
    ['an entry with an RTCP port too', { duplicateRemote: { address: '2001:db8::1', rtpPort: 30002, rtcpPort: 31000 } }, { dupAddress: '2001:db8::1', dupRtpPort: '30002', dupRtcpPort: '31000' }],
  ])('drafts %s', (_what, row, draft) => {
    expect(duplicateRemoteDraft(row)).toEqual(draft);
  });

  it.each<[string, Parameters<typeof duplicateRemoteBody>[0], unknown]>([
    ['nothing typed', emptyDuplicateRemote(), undefined],
    ['only spaces', { dupAddress: '  ', dupRtpPort: ' ', dupRtcpPort: '' }, undefined],
    ['a draft the form never touched', {}, undefined],
    ['address and RTP port', { dupAddress: ' 203.0.113.10 ', dupRtpPort: '30002', dupRtcpPort: '' }, { address: '203.0.113.10', rtpPort: 30002 }],
    ['an RTCP port too', { dupAddress: '203.0.113.10', dupRtpPort: '30002', dupRtcpPort: '30005' }, { address: '203.0.113.10', rtpPort: 30002, rtcpPort: 30005 }],
    ['a port without an address (the service names what is missing)', { dupAddress: '', dupRtpPort: '30002', dupRtcpPort: '' }, { address: '', rtpPort: 30002 }],
    ['an address without a port (sent as not a number)', { dupAddress: '203.0.113.10', dupRtpPort: '', dupRtcpPort: '' }, { address: '203.0.113.10', rtpPort: Number.NaN }],
  ])('turns %s into the body %j', (_what, draft, body) => {
    expect(duplicateRemoteBody(draft)).toEqual(body);
  });
});
