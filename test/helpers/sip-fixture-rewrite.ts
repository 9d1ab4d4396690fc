/**
 * Rewrite every Via sent-by in a raw SIP message (folded or not, any transport token, any
 * version) to 127.0.0.1:`port`, so a UA answering "to the Via" answers the test's own socket
 * and no test traffic leaves loopback. Works on the bytes as latin1 so the body is untouched.
 */
const VIA_HEADER = /^(via|v)[ \t]*:(?:[^\r\n]*)(?:\r?\n[ \t][^\r\n]*)*/gim;
const SENT_BY = /(SIP[ \t\r\n]*\/[ \t\r\n]*[\d.]+[ \t\r\n]*\/[ \t\r\n]*[A-Za-z]+[ \t\r\n]+)([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])([ \t]*:[ \t]*\d+)?/g;

export function rewriteViaSentBy(raw: Buffer, port: number): Buffer {
  const text = raw.toString('latin1');
  // Only the header sections matter, but a datagram may carry a second message after the body
  // (RFC 4475 dblreq): rewriting every Via header line anywhere is what the tests want.
  const out = text.replace(VIA_HEADER, (header) => header.replace(SENT_BY, (_m, proto: string) => `${proto}127.0.0.1:${port}`));
  return Buffer.from(out, 'latin1');
}
