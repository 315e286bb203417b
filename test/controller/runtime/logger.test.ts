import { Logger, parseLevel, redact, REDACTED } from '../../../lib/controller/runtime/logger';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'debug') {
  const lines: string[] = [];
  const logger = new Logger({ level, stream: { write: (s: string) => lines.push(s) }, now: () => new Date(Date.UTC(2026, 10, 21, 6, 0, 0)) });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l)) };
}

describe('logger', () => {
  it('writes one JSON object a line, ts/level/msg first, with child fields', () => {
    const { logger, lines, parsed } = capture('info');
    const child = logger.child({ controller: 'quayregistry' }).child({ namespace: 'quay' });
    child.info('reconciled', { name: 'registry', durationMs: 12 });
    child.debug('not written at info');
    logger.error('failed', { ts: 'spoof', err: Object.assign(new Error('GET /x: 500'), { status: 500 }) });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('{"ts":"2026-11-21T06:00:00.000Z","level":"info","msg":"reconciled","controller":"quayregistry","namespace":"quay","name":"registry","durationMs":12}\n');
    const [, second] = parsed();
    expect(second.ts).toBe('2026-11-21T06:00:00.000Z');
    expect(second['field.ts']).toBe('spoof');
    expect(second.err).toMatchObject({ name: 'Error', message: 'GET /x: 500', status: 500 });
    expect(typeof second.err.stack).toBe('string');
  });

  it('never prints Secret data, passwords, tokens, keys or database URIs', () => {
    const { logger, lines, parsed } = capture();
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'registry-quay-config-secret', namespace: 'quay', labels: { app: 'quay' } },
      type: 'Opaque',
      data: { 'config.yaml': Buffer.from('DB_URI: postgresql://quay:hunter2@db/quay').toString('base64') },
      stringData: { password: 'hunter2' },
    };
    logger.info('applying', {
      object: secret,
      config: {
        DB_URI: 'postgresql://quay:hunter2@db/quay',
        DATABASE_SECRET_KEY: 'sek-ret-1',
        SECRET_KEY: 'sek-ret-2',
        BUILDLOGS_REDIS: { host: 'redis', password: 'hunter2', port: 6379 },
        DISTRIBUTED_STORAGE_CONFIG: { default: ['S3Storage', { access_key: 'AKIA-xyz', secret_key: 'shh', s3_bucket: 'b' }] },
        nested: [{ token: 't-123' }, { apiKey: 'k-456' }, { clairPsk: 'psk-789' }],
      },
      url: 'postgresql://quay:hunter2@db:5432/quay?sslmode=disable',
    });
    logger.warn('connect failed: postgresql://quay:hunter2@db/quay', { err: new Error('dial postgresql://quay:hunter2@db/quay') });
    const text = lines.join('');
    for (const secretValue of ['hunter2', 'sek-ret', 'AKIA-xyz', 'shh', 't-123', 'k-456', 'psk-789', secret.data['config.yaml']]) {
      expect(text).not.toContain(secretValue);
    }
    const [line] = parsed();
    // What is not secret stays readable.
    expect(line.object.metadata).toEqual({ name: 'registry-quay-config-secret', namespace: 'quay', labels: { app: 'quay' } });
    expect(line.object.data).toBe(REDACTED);
    expect(line.object.stringData).toBe(REDACTED);
    expect(line.config.DB_URI).toBe(REDACTED);
    expect(line.config.BUILDLOGS_REDIS).toEqual({ host: 'redis', password: REDACTED, port: 6379 });
    expect(line.config.DISTRIBUTED_STORAGE_CONFIG.default[1]).toEqual({ access_key: REDACTED, secret_key: REDACTED, s3_bucket: 'b' });
    expect(line.url).toBe(`postgresql://quay:${REDACTED}@db:5432/quay?sslmode=disable`);
    // The input object is left alone.
    expect(secret.stringData.password).toBe('hunter2');
  });

  it.each([
    ['credential', { awsCredential: 'x' }],
    ['credentials', { credentials: { user: 'u' } }],
    ['auth (at the end)', { basicAuth: 'x' }],
    ['authorization', { Authorization: 'Bearer x' }],
    ['cookie', { 'Set-Cookie': 'sid=x' }],
    ['private', { privateKeyPem: 'x' }],
    ['binaryData', { binaryData: { 'ssl.key': 'eA==' } }],
  ])('redacts %s', (_name, fields) => {
    const [key] = Object.keys(fields);
    expect(redact({ ...fields, name: 'kept' })).toEqual({ [key]: REDACTED, name: 'kept' });
  });

  it('does not redact names that only look alike: author, authority, keep', () => {
    expect(redact({ author: 'a', authority: 'b', keep: 'c' })).toEqual({ author: 'a', authority: 'b', keep: 'c' });
  });

  it('redact handles cycles, dates, buffers, bigints and maps', () => {
    const a: Record<string, unknown> = { name: 'a', when: new Date(0), buf: Buffer.from('xyz'), n: 10n, m: new Map([['token', 'x']]) };
    a.self = a;
    expect(redact(a)).toEqual({ name: 'a', when: '1970-01-01T00:00:00.000Z', buf: '[Buffer 3 bytes]', n: '10', m: { token: REDACTED }, self: '[Circular]' });
    // The same object twice (not a cycle) is printed twice.
    const shared = { x: 1 };
    expect(redact({ a: shared, b: shared })).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });

  it('writes each level at or above the threshold, with its level name', () => {
    const all = capture('debug');
    for (const level of ['debug', 'info', 'warn', 'error'] as const) all.logger[level](`at ${level}`);
    expect(all.parsed().map((l) => [l.level, l.msg])).toEqual([['debug', 'at debug'], ['info', 'at info'], ['warn', 'at warn'], ['error', 'at error']]);
    const warn = capture('warn');
    for (const level of ['debug', 'info', 'warn', 'error'] as const) warn.logger[level](`at ${level}`);
    expect(warn.parsed().map((l) => l.level)).toEqual(['warn', 'error']);
  });

  it('parseLevel: a known level in any case and spacing, else the fallback', () => {
    expect([parseLevel('DEBUG'), parseLevel(' Warn '), parseLevel('error', 'debug')]).toEqual(['debug', 'warn', 'error']);
    expect([parseLevel(undefined), parseLevel(''), parseLevel('verbose'), parseLevel('toString'), parseLevel(undefined, 'warn')]).toEqual(['info', 'info', 'info', 'info', 'warn']);
  });

  it('redact drops functions and symbols, and an undefined field even under a sensitive name', () => {
    expect(redact([() => 1, Symbol('s'), 1])).toEqual([undefined, undefined, 1]);
    const out = redact({ password: undefined, name: 'n' }) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['name']);
  });

  it('redact names typed arrays by size and prints an invalid date as such', () => {
    expect(redact({ bytes: new Uint8Array([1, 2, 3]), when: new Date(NaN) })).toEqual({ bytes: '[Uint8Array 3 bytes]', when: 'Invalid Date' });
  });

  it('redact cuts objects and arrays nested deeper than 12 levels', () => {
    // 12 levels print in full (strings are never cut); the 13th object or array is cut.
    const nest = (levels: number, leaf: unknown, wrap: (v: unknown) => unknown) => Array.from({ length: levels }).reduce<unknown>((v) => wrap(v), leaf);
    expect(redact(nest(12, 'leaf', (v) => ({ a: v })))).toEqual(nest(12, 'leaf', (v) => ({ a: v })));
    expect(redact(nest(13, 'leaf', (v) => ({ a: v })))).toEqual(nest(12, '[Truncated]', (v) => ({ a: v })));
    expect(redact(nest(13, 'leaf', (v) => [v]))).toEqual(nest(12, '[Truncated]', (v) => [v]));
  });
});
