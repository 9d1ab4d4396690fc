import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError, describeError, type FetchLike } from '../../web/src/model/api-client.js';

function fakeFetch(status: number, body: unknown) {
  const calls: { url: string; init: Parameters<FetchLike>[1] }[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init });
    return { ok: status < 400, status, headers: { get: () => null }, text: async () => (body === undefined ? '' : JSON.stringify(body)) };
  };
  return { fetch, calls };
}

describe('panel REST client', () => {
  it('sends the CSRF header on every request and JSON bodies on writes', async () => {
    const f = fakeFetch(201, { id: 'l1' });
    const api = new ApiClient({ fetch: f.fetch });
    await api.post('/api/links', { to: 'sip:a@b' });
    await api.get('/api/links');
    await api.del('/api/links/l1');
    expect(f.calls[0]!.init.headers['X-Acip-CSRF']).toBe('1');
    expect(f.calls[0]!.init.headers['Content-Type']).toBe('application/json');
    expect(f.calls[0]!.init.body).toBe('{"to":"sip:a@b"}');
    expect(f.calls[1]!.init.headers['X-Acip-CSRF']).toBe('1');
    expect(f.calls[1]!.init.body).toBeUndefined();
    expect(f.calls[2]!.init.headers['X-Acip-CSRF']).toBe('1');
    expect(f.calls.every((c) => c.init.credentials === 'same-origin')).toBe(true);
  });

  it('turns error bodies into ApiError with code and field', async () => {
    const api = new ApiClient({ fetch: fakeFetch(400, { code: 'VALIDATION', message: 'to: not a SIP URI', field: 'to' }).fetch });
    const err = await api.post('/api/links', { to: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'VALIDATION', field: 'to', message: 'to: not a SIP URI' });
  });

  it('asks for a login on 401', async () => {
    let asked = 0;
    const api = new ApiClient({ fetch: fakeFetch(401, { code: 'AUTH_REQUIRED', message: 'log in' }).fetch, onUnauthorized: () => asked++ });
    await expect(api.get('/api/status')).rejects.toMatchObject({ status: 401 });
    expect(asked).toBe(1);
  });

  it('reports an unreachable service as such', async () => {
    const api = new ApiClient({
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    await expect(api.get('/api/status')).rejects.toMatchObject({ status: 0, code: 'UNREACHABLE' });
  });

  it('explains a 403 as the viewer role', () => {
    expect(describeError('Dial', new ApiError(403, 'FORBIDDEN', 'viewer'))).toMatch(/viewer/);
    expect(describeError('Dial', new ApiError(400, 'VALIDATION', 'to: bad'))).toBe('Dial failed: to: bad');
  });
});
