// A separate process that sends an L24 stereo 1 kHz tone (-18 dBFS peak) as RTP to one or more
// local ports at real-time pace, for tests that block the receiving process's event loop: the
// packets keep coming while the receiver is stalled. Plain JavaScript so that it starts fast.
// Usage: node rtp-sender-child.mjs PTIME_MS SECONDS PORT [PORT...]. Stops by itself after SECONDS.
import dgram from 'node:dgram';

const [ptimeMs, seconds, ...ports] = process.argv.slice(2).map(Number);
if (!(ptimeMs > 0) || !(seconds > 0 && seconds <= 60) || ports.length === 0) {
  console.error('usage: rtp-sender-child.mjs PTIME_MS SECONDS PORT [PORT...]');
  process.exit(2);
}
const RATE = 48000;
const CH = 2;
const AMP = Math.round(10 ** (-18 / 20) * 8388607);
const spf = Math.round((RATE * ptimeMs) / 1000);
const ssrc = 0x5eed0001;
const sock = dgram.createSocket('udp4');
const t0 = performance.now();
let k = 0;
let sample = 0;

function packet(seq, ts) {
  const b = Buffer.alloc(12 + spf * CH * 3);
  b[0] = 0x80; // V=2 (RFC 3550 §5.1)
  b[1] = 98; // dynamic payload type, no marker
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(ts >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  let o = 12;
  for (let i = 0; i < spf; i++, sample++) {
    const v = Math.round(AMP * Math.sin((2 * Math.PI * 1000 * sample) / RATE));
    for (let c = 0; c < CH; c++, o += 3) b.writeIntBE(v, o, 3); // L24: network byte order (RFC 3190)
  }
  return b;
}

function pump() {
  const now = performance.now();
  if (now - t0 > seconds * 1000) {
    sock.close();
    return;
  }
  while (t0 + k * ptimeMs <= now) {
    const p = packet(k, k * spf);
    for (const port of ports) sock.send(p, port, '127.0.0.1');
    k++;
  }
  setTimeout(pump, 1);
}
pump();
