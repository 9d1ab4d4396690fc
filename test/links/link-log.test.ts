/**
 * What a call writes to the log at info level: one line when its attempt ends (ended, or waiting to
 * redial), saying why; the steps before it go out at debug. A call of any length writes the same.
 */
import { describe, expect, it } from 'vitest';
import { flush } from './fakes.js';
import { dialAndAnswer, invite, setup, type Env } from './manager-env.js';

const transitions = (env: Env, level: 'info' | 'debug') => env.log.lines.filter((l) => l.level === level && / → /.test(l.msg)).map((l) => l.msg.replace(/^link \w+: /, ''));

describe('log lines of a call', () => {
  it('an answered inbound call the far end hangs up writes one info line, at its end', async () => {
    const env = setup();
    const call = await invite(env);
    call.remoteBye();
    await flush();
    expect(transitions(env, 'info')).toEqual(['ending → ended (far end hung up)']);
    expect(transitions(env, 'debug')).toEqual(['idle → connected (answered)', 'connected → ending (far end hung up)']);
  });

  it('a dialled call the far end hangs up writes one info line, at its end', async () => {
    const env = setup();
    await dialAndAnswer(env);
    env.ua.lastInvite.remoteBye();
    await flush();
    expect(transitions(env, 'info')).toEqual(['ending → ended (far end hung up)']);
  });

  it('a permanent link writes one info line per attempt: when it starts waiting to redial', async () => {
    const env = setup();
    await dialAndAnswer(env, { to: 'sip:far@192.0.2.9', permanent: true });
    env.ua.lastInvite.remoteBye();
    await flush();
    expect(transitions(env, 'info')).toEqual(['connected → redialling (far end hung up)']);
  });

  it('a refused dial writes its failure reason in its one info line', async () => {
    const env = setup();
    env.manager.dial({ to: 'sip:far@192.0.2.9' });
    await flush();
    env.ua.lastInvite.fail(486, 'Busy Here');
    await flush();
    expect(transitions(env, 'info')).toHaveLength(1);
    expect(transitions(env, 'info')[0]).toMatch(/→ ended \(.*Busy Here/);
  });
});
