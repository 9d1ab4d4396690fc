// A worker thread that sends an L24 stereo 1 kHz tone (-18 dBFS peak) as RTP from one socket to one
// or more local ports, packet by packet on request, for tests that block the main thread's event loop:
// the worker has its own event loop and keeps sending while the main thread is stalled. Plain
// JavaScript so that it loads without a compile step.
//
// workerData: { ptimeMs, ports }. It posts { ready: true } once bound. A message { from, count, flag? }
// sends packets from .. from+count-1 (packet k carries sequence number k and RTP timestamp k * samples
// per packet) to every port; once every datagram has been handed to the kernel it sets flag[0] to 1 and
// wakes a thread waiting on it (Atomics.wait), then posts { sent: from + count }. 'close' ends it.
import dgram from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';

const { ptimeMs, ports } = workerData;
const RATE = 48000;
const CH = 2;
const AMP = Math.round(10 ** (-18 / 20) * 8388607);
const spf = Math.round((RATE * ptimeMs) / 1000);
const ssrc = 0x5eed0001;
const sock = dgram.createSocket('udp4');

function packet(k) {
  const b = Buffer.alloc(12 + spf * CH * 3);
  b[0] = 0x80; // V=2 (RFC 3550 §5.1)
  b[1] = 98; // dynamic payload type, no marker
  b.writeUInt16BE(k & 0xffff, 2);
  b.writeUInt32BE((k * spf) >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  let o = 12;
  for (let i = 0; i < spf; i++) {
    const n = k * spf + i;
    const v = Math.round(AMP * Math.sin((2 * Math.PI * 1000 * n) / RATE));
    for (let c = 0; c < CH; c++, o += 3) b.writeIntBE(v, o, 3); // L24: network byte order (RFC 3190)
  }
  return b;
}

function sendAll(from, count) {
  const sends = [];
  for (let k = from; k < from + count; k++) {
    const p = packet(k);
    for (const port of ports) sends.push(new Promise((resolve, reject) => sock.send(p, port, '127.0.0.1', (err) => (err ? reject(err) : resolve()))));
  }
  return Promise.all(sends);
}

parentPort.on('message', (m) => {
  if (m === 'close') {
    sock.close();
    parentPort.close();
    return;
  }
  sendAll(m.from, m.count).then(() => {
    if (m.flag) {
      Atomics.store(m.flag, 0, 1);
      Atomics.notify(m.flag, 0);
    }
    parentPort.postMessage({ sent: m.from + m.count });
  });
});

sock.bind(0, '127.0.0.1', () => parentPort.postMessage({ ready: true }));
