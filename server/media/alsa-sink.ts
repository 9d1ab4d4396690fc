/**
 * ALSA playback through an `aplay` subprocess reading raw interleaved samples from its stdin.
 *
 * Back-pressure: if more than `maxQueueMs` of audio is waiting in the pipe's user-space buffer
 * (aplay is not keeping up, or the device stalled), new frames are dropped and counted instead
 * of buffering without bound; latency never grows past the limit. If aplay exits while the sink
 * is open, an `error` event is raised and further frames are dropped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { AcipError } from '../util/errors.js';
import { alsaArgs, bytesPerSample, encodeRaw, TailText, type AlsaProcessOptions } from './alsa-pcm.js';
import { AudioIoBase, type AudioSink, type AudioSinkStats } from './audio-io.js';

export interface AlsaSinkOptions extends AlsaProcessOptions {
  /** Audio allowed to wait for aplay before frames are dropped (default 100 ms). */
  maxQueueMs?: number;
  /** How long close() waits for aplay to drain and exit before killing it (default 2000 ms). */
  closeTimeoutMs?: number;
}

export class AlsaSink extends AudioIoBase implements AudioSink {
  readonly kind = 'alsa';
  readonly device: string;
  readonly pid: number | undefined;
  private readonly child: ChildProcess;
  private readonly format: NonNullable<AlsaSinkOptions['sampleFormat']>;
  private readonly maxQueueBytes: number;
  private readonly closeTimeoutMs: number;
  private readonly stderr = new TailText();
  private readonly exitPromise: Promise<void>;
  private failed = false;
  private closing: Promise<void> | undefined;
  private framesWritten = 0;
  private droppedFrames = 0;

  constructor(opts: AlsaSinkOptions) {
    super(opts.sampleRate, opts.channels);
    this.device = opts.device;
    this.format = opts.sampleFormat ?? 'S32_LE';
    const frameBytes = bytesPerSample(this.format) * opts.channels;
    this.maxQueueBytes = Math.max(frameBytes, Math.round(((opts.maxQueueMs ?? 100) * opts.sampleRate) / 1000) * frameBytes);
    this.closeTimeoutMs = opts.closeTimeoutMs ?? 2000;
    const cmd = opts.command ?? 'aplay';
    this.child = spawn(cmd, alsaArgs(opts), { stdio: ['pipe', 'ignore', 'pipe'], env: opts.env ?? process.env });
    this.pid = this.child.pid;
    this.child.stderr!.on('data', (b: Buffer) => this.stderr.add(b));
    // EPIPE when aplay is gone: reported through 'exit' below.
    this.child.stdin!.on('error', () => {
      this.failed = true;
    });
    this.exitPromise = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.failed = true;
        if (!this.closing) {
          const why = signal ? `was killed by ${signal}` : `exited with code ${String(code)}`;
          this.fail(`${cmd} -D ${this.device} ${why}${this.stderr.toString() ? `: ${this.stderr.toString()}` : ''}`);
        }
        resolve();
      });
      this.child.on('error', (e) => {
        this.failed = true;
        this.fail(`cannot run ${cmd}: ${e.message}`);
        resolve();
      });
    });
  }

  private fail(message: string): void {
    if (this.closing) return;
    this.emit('error', new AcipError('ALSA_PLAYBACK_FAILED', message, 'output'));
  }

  /** Bytes waiting in Node's buffer for aplay's stdin. */
  get queuedBytes(): number {
    return this.child.stdin?.writableLength ?? 0;
  }

  write(frame: Float32Array): void {
    const frames = frame.length / this.channels;
    const stdin = this.child.stdin;
    if (this.closing || this.failed || !stdin || stdin.destroyed || stdin.writableLength > this.maxQueueBytes) {
      this.droppedFrames += frames;
      return;
    }
    stdin.write(encodeRaw(frame, this.format));
    this.framesWritten += frames;
  }

  stats(): AudioSinkStats {
    return { kind: this.kind, framesWritten: this.framesWritten, droppedFrames: this.droppedFrames };
  }

  /** Ends aplay's input, waits for it to play out and exit (killing it after `closeTimeoutMs`). Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return;
      this.child.stdin?.end();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), this.closeTimeoutMs);
      });
      const r = await Promise.race([this.exitPromise.then(() => 'exited' as const), timeout]);
      clearTimeout(timer);
      if (r === 'timeout') {
        this.child.kill('SIGKILL');
        await this.exitPromise;
      }
    })();
    return this.closing;
  }
}
