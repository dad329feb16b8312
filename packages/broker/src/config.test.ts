import { describe, expect, test } from 'vitest'
import { DEFAULT_CONFIG, envName, parseConfig, type BrokerConfig } from './config.js'

function config(argv: string[], env: Record<string, string> = {}): BrokerConfig {
  const r = parseConfig(argv, env)
  if (!r.ok) throw new Error(r.error.message)
  if (r.value.help) throw new Error('got help')
  return r.value.config
}
function error(argv: string[], env: Record<string, string> = {}): string {
  const r = parseConfig(argv, env)
  if (r.ok) throw new Error('expected an error')
  expect(r.error.code).toBe('BAD_MESSAGE')
  return r.error.message
}

describe('parseConfig', () => {
  test('defaults: 127.0.0.1:8787, memory mode, no TURN', () => {
    const c = config([])
    expect(c).toMatchObject({
      port: 8787,
      host: '127.0.0.1',
      turnUrls: [],
      licenseKeys: [],
      turnTtlSeconds: 86_400,
    })
    expect(c.redis).toBeUndefined()
    expect(c.turnSecret).toBeUndefined()
    expect(c).toMatchObject({
      maxSocketsPerTag: 64,
      maxTagsPerSocket: 8,
      rate: 200,
      burst: 400,
      claimTtlMs: 5000,
      grantTtlSeconds: 600,
    })
  })

  test('every flag', () => {
    const c = config([
      '--port',
      '9000',
      '--host',
      '0.0.0.0',
      '--turn-secret',
      's3cret',
      '--turn-urls',
      'turn:a:3478, turns:b:5349 ,',
      '--turn-ttl',
      '3600',
      '--license-keys',
      'k1,k2',
      '--grant-secret',
      'g',
      '--grant-ttl',
      '120',
      '--redis',
      'redis://127.0.0.1:6390',
      '--max-sockets-per-tag',
      '10',
      '--max-tags-per-socket',
      '2',
      '--rate',
      '50',
      '--burst',
      '100',
      '--claim-ttl-ms',
      '3000',
      '--static-dir',
      '/srv/site',
    ])
    expect(c).toEqual({
      port: 9000,
      host: '0.0.0.0',
      turnSecret: 's3cret',
      turnUrls: ['turn:a:3478', 'turns:b:5349'],
      turnTtlSeconds: 3600,
      licenseKeys: ['k1', 'k2'],
      grantSecret: 'g',
      grantTtlSeconds: 120,
      redis: 'redis://127.0.0.1:6390',
      maxSocketsPerTag: 10,
      maxTagsPerSocket: 2,
      rate: 50,
      burst: 100,
      claimTtlMs: 3000,
      staticDir: '/srv/site',
    })
  })

  test('--flag=value form', () => {
    expect(config(['--port=0']).port).toBe(0)
  })

  test('env vars KIBITZ_<FLAG>, and flags win over env', () => {
    expect(envName('turn-secret')).toBe('KIBITZ_TURN_SECRET')
    expect(envName('max-sockets-per-tag')).toBe('KIBITZ_MAX_SOCKETS_PER_TAG')
    const env = {
      KIBITZ_PORT: '7000',
      KIBITZ_TURN_SECRET: 'from-env',
      KIBITZ_LICENSE_KEYS: 'a,b',
      KIBITZ_REDIS: 'redis://r:1',
    }
    expect(config([], env)).toMatchObject({
      port: 7000,
      turnSecret: 'from-env',
      licenseKeys: ['a', 'b'],
      redis: 'redis://r:1',
    })
    expect(config(['--port', '7001', '--turn-secret', 'flag'], env)).toMatchObject({
      port: 7001,
      turnSecret: 'flag',
    })
    // An empty env var counts as unset.
    expect(config([], { KIBITZ_PORT: '' }).port).toBe(DEFAULT_CONFIG.port)
  })

  test('bad values name the flag or env var', () => {
    expect(error(['--port', 'abc'])).toMatch(/--port.*whole number/)
    expect(error(['--port', '70000'])).toMatch(/--port.*between 0 and 65535/)
    expect(error(['--port', '-1'])).toMatch(/--port/)
    expect(error([], { KIBITZ_PORT: '1.5' })).toMatch(/KIBITZ_PORT/)
    expect(error(['--rate', '0'])).toMatch(/--rate/)
    expect(error(['--claim-ttl-ms', '10'])).toMatch(/--claim-ttl-ms.*between 300/)
    expect(error(['--redis', 'http://x'])).toMatch(/--redis.*redis:\/\//)
    expect(error(['--redis', 'not a url'])).toMatch(/--redis/)
    expect(error(['--host', ''])).toMatch(/--host.*empty/)
    expect(error(['--nope'])).toMatch(/nope.*--help/i)
    expect(error(['--port'])).toMatch(/port/)
    expect(error(['stray'])).toMatch(/stray|positional/i)
  })

  test('--help returns the text with every flag and env name', () => {
    const r = parseConfig(['--help'], {})
    expect(r.ok && r.value.help).toBe(true)
    const text = r.ok && r.value.help ? r.value.text : ''
    for (const flag of [
      '--port',
      '--turn-secret',
      '--redis',
      '--claim-ttl-ms',
      'KIBITZ_TURN_URLS',
      'KIBITZ_STATIC_DIR',
    ]) {
      expect(text).toContain(flag)
    }
  })
})
