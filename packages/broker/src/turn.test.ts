import { describe, expect, it } from 'vitest'
import { LicenseKeys, licenseTag } from './grant.js'
import {
  DEFAULT_TURN_TTL_SECONDS,
  MAX_TURN_TTL_SECONDS,
  MIN_TURN_TTL_SECONDS,
  clampTurnTtl,
  mintTurnCredentials,
  splitIceUrls,
} from './turn.js'

describe('turn.ts', () => {
  it('mints `<expiry>:<user>` / base64 HMAC-SHA1 (fixed vector)', () => {
    // Vector computed once with `printf %s '1700000600:open' | openssl dgst -sha1 -hmac secret -binary | base64`.
    const c = mintTurnCredentials('secret', 'open', 600, 1_700_000_000_999)
    expect(c.username).toBe('1700000600:open')
    expect(c.expiresAt).toBe(1_700_000_600)
    expect(c.credential).toBe('eP3BbvfxQiJcsf1PT+ET1YJCXOM=')
  })

  it('clamps the TTL', () => {
    expect(clampTurnTtl(1)).toBe(MIN_TURN_TTL_SECONDS)
    expect(clampTurnTtl(1e9)).toBe(MAX_TURN_TTL_SECONDS)
    expect(clampTurnTtl(Number.NaN)).toBe(DEFAULT_TURN_TTL_SECONDS)
    expect(clampTurnTtl(3600.7)).toBe(3600)
  })

  it('splits ICE urls by scheme and drops anything else', () => {
    expect(
      splitIceUrls([
        ' stun:a:3478 ',
        'stuns:b',
        'turn:c?transport=udp',
        'TURNS:d:443',
        'http://x',
        'turn:',
        '',
      ]),
    ).toEqual({ stun: ['stun:a:3478', 'stuns:b'], turn: ['turn:c?transport=udp', 'TURNS:d:443'] })
  })
})

describe('license keys', () => {
  it('match exactly, ignore blanks and duplicates', () => {
    const keys = new LicenseKeys(['a', ' b ', '', 'a'])
    expect(keys.size).toBe(2)
    expect(keys.has('a')).toBe(true)
    expect(keys.has('b')).toBe(true)
    expect(keys.has('A')).toBe(false)
    expect(keys.has('')).toBe(false)
    expect(new LicenseKeys([]).has('a')).toBe(false)
  })

  it('the license tag is 16 base64url chars of SHA-256', () => {
    expect(licenseTag('abc')).toBe('ungWv48Bz-pBQUDe')
  })
})
