import { MAX_GRANTS, decodeContent, encodeContent, type ContentMessage } from '@kibitz/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { grantsEqual } from './algebra.js'
import { AGENT_DEFAULT_GRANT, EMPTY_GRANT, FULL_GRANT, type Grant } from './grant.js'
import {
  EMPTY_GRANT_MAP,
  fromWire,
  getGrant,
  grantCount,
  pruneExpired,
  resolveGrant,
  sanitizeGrantMap,
  setGrant,
  toWire,
  type GrantMap,
} from './grant-map.js'
import { grantArb } from './testing/arbitraries.js'

const agent = { role: 'agent', backend: 'Claude', egress: true }
const human = { name: 'Dana' }
const NOW = 1_000

describe('C12 C13 setGrant', () => {
  it('C13 set returns a new frozen map; the old one is untouched', () => {
    const dirty = { perceive: ['read-chat', 'bogus'], act: ['send-chat'] } as unknown as Grant
    const m1 = setGrant(EMPTY_GRANT_MAP, 'a1', dirty)
    expect(grantCount(EMPTY_GRANT_MAP)).toBe(0)
    expect(getGrant(m1, 'a1')).toEqual({ perceive: ['read-chat'], act: ['send-chat'] })
    expect(Object.isFrozen(m1)).toBe(true)
    const m2 = setGrant(m1, 'a1', FULL_GRANT)
    expect(getGrant(m1, 'a1')?.act).toEqual(['send-chat'])
    expect(getGrant(m2, 'a1')).toEqual(FULL_GRANT)
  })

  it('C13 null clears the entry (back to the default); clearing nothing returns the same map', () => {
    const m1 = setGrant(EMPTY_GRANT_MAP, 'a1', FULL_GRANT)
    const m2 = setGrant(m1, 'a1', null)
    expect(getGrant(m2, 'a1')).toBeUndefined()
    expect(resolveGrant(m2, 'a1', agent, NOW)).toEqual({
      ...AGENT_DEFAULT_GRANT,
      backend: 'Claude',
      egress: true,
    })
    expect(setGrant(m2, 'a1', null)).toBe(m2)
  })

  it('C12 C13 invalid ids and prototype keys are refused; lookups never hit inherited members', () => {
    for (const id of ['', 'x'.repeat(65), '__proto__', 'constructor', 'prototype'])
      expect(setGrant(EMPTY_GRANT_MAP, id, FULL_GRANT)).toBe(EMPTY_GRANT_MAP)
    expect(getGrant(EMPTY_GRANT_MAP, 'toString')).toBeUndefined()
    expect(getGrant(EMPTY_GRANT_MAP, 'hasOwnProperty')).toBeUndefined()
    expect(resolveGrant(EMPTY_GRANT_MAP, 'toString', human, NOW)).toEqual(FULL_GRANT)
  })

  it(`C13 at MAX_GRANTS (${MAX_GRANTS}) a new id is refused but existing ids can change`, () => {
    let map: GrantMap = EMPTY_GRANT_MAP
    for (let i = 0; i < MAX_GRANTS; i++) map = setGrant(map, `p${i}`, AGENT_DEFAULT_GRANT)
    expect(grantCount(map)).toBe(MAX_GRANTS)
    expect(setGrant(map, 'one-more', FULL_GRANT)).toBe(map)
    expect(getGrant(setGrant(map, 'p0', FULL_GRANT), 'p0')).toEqual(FULL_GRANT)
  })
})

describe('C14 resolveGrant', () => {
  it('C14 absence → default by kind, with the participant’s own disclosure attached', () => {
    expect(resolveGrant(EMPTY_GRANT_MAP, 'h', human, NOW)).toEqual(FULL_GRANT)
    expect(resolveGrant(EMPTY_GRANT_MAP, 'a', agent, NOW)).toEqual({
      ...AGENT_DEFAULT_GRANT,
      backend: 'Claude',
      egress: true,
    })
  })

  it('C14 an explicit grant may widen an agent beyond its default, never beyond FULL', () => {
    const map = setGrant(EMPTY_GRANT_MAP, 'a', {
      perceive: ['read-chat', 'see-screen', 'read-files'],
      act: ['send-chat', 'admin'],
    } as unknown as Grant)
    const g = resolveGrant(map, 'a', agent, NOW)
    expect(g.perceive).toEqual(['see-screen', 'read-chat'])
    expect(g.act).toEqual(['send-chat'])
  })

  it('C14 an explicit grant may narrow a human', () => {
    const map = setGrant(EMPTY_GRANT_MAP, 'h', { perceive: ['read-chat'], act: [] })
    expect(resolveGrant(map, 'h', human, NOW)).toEqual({ perceive: ['read-chat'], act: [] })
  })

  it('C3 C14 disclosure comes from the participant’s meta, never from the host’s entry', () => {
    const map = setGrant(EMPTY_GRANT_MAP, 'a', { ...FULL_GRANT, backend: 'forged', egress: false })
    const g = resolveGrant(map, 'a', { role: 'agent' }, NOW)
    expect(g.backend).toBeUndefined()
    expect(g.egress).toBeUndefined()
  })

  it('C14 never more than requested', () => {
    const map = setGrant(EMPTY_GRANT_MAP, 'a', FULL_GRANT)
    const requested = { perceive: ['read-chat'], act: ['send-chat'], expiresAt: 5_000 }
    expect(resolveGrant(map, 'a', agent, NOW, requested)).toEqual({
      perceive: ['read-chat'],
      act: ['send-chat'],
      expiresAt: 5_000,
      backend: 'Claude',
      egress: true,
    })
    expect(resolveGrant(map, 'a', agent, 5_000, requested).perceive).toEqual([])
  })

  it('C15 an expired explicit entry lapses to the default for the kind (at expiresAt === now)', () => {
    const map = setGrant(EMPTY_GRANT_MAP, 'a', { ...FULL_GRANT, expiresAt: 2_000 })
    expect(resolveGrant(map, 'a', agent, 1_999)).toMatchObject({
      act: FULL_GRANT.act,
      expiresAt: 2_000,
    })
    expect(resolveGrant(map, 'a', agent, 2_000)).toEqual({
      ...AGENT_DEFAULT_GRANT,
      backend: 'Claude',
      egress: true,
    })
    const narrowed = setGrant(EMPTY_GRANT_MAP, 'h', { perceive: [], act: [], expiresAt: 2_000 })
    expect(resolveGrant(narrowed, 'h', human, 2_000)).toEqual(FULL_GRANT)
  })

  it('C14 property: the resolved grant is never wider than the entry/default nor the request', () => {
    fc.assert(
      fc.property(
        fc.option(grantArb, { nil: undefined }),
        fc.option(grantArb, { nil: undefined }),
        fc.boolean(),
        fc.integer({ min: 0, max: 2_000_000_000_000 }),
        (entry, requested, isAgentMeta, now) => {
          const map = entry ? setGrant(EMPTY_GRANT_MAP, 'p', entry) : EMPTY_GRANT_MAP
          const meta = isAgentMeta ? { role: 'agent' } : {}
          const g = resolveGrant(map, 'p', meta, now, requested)
          const base =
            entry && !(entry.expiresAt !== undefined && now >= entry.expiresAt)
              ? entry
              : isAgentMeta
                ? AGENT_DEFAULT_GRANT
                : FULL_GRANT
          for (const bound of requested ? [base, requested] : [base]) {
            expect(g.perceive.every((c) => bound.perceive.includes(c))).toBe(true)
            expect(g.act.every((c) => bound.act.includes(c))).toBe(true)
          }
        },
      ),
    )
  })
})

describe('C15 pruneExpired', () => {
  it('C15 drops lapsed entries and names them', () => {
    let map = setGrant(EMPTY_GRANT_MAP, 'a', { ...FULL_GRANT, expiresAt: 10 })
    map = setGrant(map, 'b', FULL_GRANT)
    map = setGrant(map, 'c', { ...EMPTY_GRANT, expiresAt: 20 })
    const r = pruneExpired(map, 10)
    expect(r.expired).toEqual(['a'])
    expect(Object.keys(r.map).sort()).toEqual(['b', 'c'])
    expect(pruneExpired(r.map, 19).map).toBe(r.map)
  })
})

describe('C16 sanitizeGrantMap and the wire', () => {
  it('C16 drops prototype keys and bad ids, sanitizes each grant (junk → EMPTY, not default)', () => {
    const input = JSON.parse(
      '{"__proto__": {"perceive": ["see-screen"], "act": []}, "constructor": {"perceive": [], "act": []},' +
        ' "a": {"perceive": ["read-chat", "x"], "act": ["speak"]}, "b": "full", "": {"perceive": [], "act": []}}',
    )
    const r = sanitizeGrantMap(input)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(Object.keys(r.value).sort()).toEqual(['a', 'b'])
    expect(getGrant(r.value, 'a')).toEqual({ perceive: ['read-chat'], act: ['speak'] })
    expect(getGrant(r.value, 'b')).toBe(EMPTY_GRANT)
    expect(Object.getPrototypeOf(r.value)).toBeNull()
  })

  it('C16 more than MAX_GRANTS entries, non-objects and hostile objects fail with a typed error', () => {
    const big = Object.fromEntries(
      Array.from({ length: MAX_GRANTS + 1 }, (_, i) => [`p${i}`, FULL_GRANT]),
    )
    const r = sanitizeGrantMap(big)
    expect(r.ok || r.error.code).toBe('TOO_LARGE')
    for (const junk of [null, 'x', [], 3]) {
      const j = sanitizeGrantMap(junk)
      expect(j.ok || j.error.code).toBe('BAD_MESSAGE')
    }
    const trap = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('boom')
        },
      },
    )
    const t = sanitizeGrantMap(trap)
    expect(t.ok || t.error.code).toBe('BAD_MESSAGE')
  })

  it('C16 round trip through a protocol `caps` content message', () => {
    let map = setGrant(EMPTY_GRANT_MAP, 'agent-1', {
      perceive: ['read-chat', 'see-screen'],
      act: ['send-chat'],
      expiresAt: 99_999,
    })
    map = setGrant(map, 'human-2', { perceive: ['read-chat'], act: [], backend: 'not on the wire' })
    const message: ContentMessage = { k: 'caps', grants: toWire(map) }
    const text = encodeContent(message)
    expect(text.ok).toBe(true)
    if (!text.ok) return
    const decoded = decodeContent(JSON.parse(text.value))
    expect(decoded.ok && decoded.value.known).toBe(true)
    if (!decoded.ok || !decoded.value.known || decoded.value.message.k !== 'caps') return
    const back = fromWire(decoded.value.message.grants)
    expect(getGrant(back, 'agent-1')).toEqual(getGrant(map, 'agent-1'))
    expect(getGrant(back, 'human-2')).toEqual({ perceive: ['read-chat'], act: [] })
  })

  it('C16 property: toWire → encode → decode → fromWire preserves every grant', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-zA-Z0-9_-]{1,20}$/), grantArb, { maxKeys: 20 }),
        (entries) => {
          let map = EMPTY_GRANT_MAP
          for (const [id, g] of Object.entries(entries)) map = setGrant(map, id, g)
          const text = encodeContent({ k: 'caps', grants: toWire(map) })
          if (!text.ok) throw text.error
          const decoded = decodeContent(JSON.parse(text.value))
          if (!decoded.ok || !decoded.value.known || decoded.value.message.k !== 'caps')
            throw new Error('decode')
          const back = fromWire(decoded.value.message.grants)
          expect(grantCount(back)).toBe(grantCount(map))
          for (const id of Object.keys(map))
            expect(grantsEqual(getGrant(back, id), getGrant(map, id))).toBe(true)
        },
      ),
    )
  })

  it('C16 a wire map with unknown capability names decodes, and fromWire drops them', () => {
    const decoded = decodeContent({
      k: 'caps',
      grants: { p: { perceive: ['read-chat', 'future-cap'], act: ['teleport'] } },
    })
    if (!decoded.ok || !decoded.value.known || decoded.value.message.k !== 'caps')
      throw new Error('decode')
    expect(getGrant(fromWire(decoded.value.message.grants), 'p')).toEqual({
      perceive: ['read-chat'],
      act: [],
    })
  })
})
