import { describe, expect, it } from 'vitest'
import { AGENT_DEFAULT_GRANT, EMPTY_GRANT, FULL_GRANT } from './grant.js'
import { defaultGrant, disclosureOf, isAgent } from './kind.js'
import { ACT, CAPABILITIES, PERCEIVE, isAct, isCapability, isPerceive } from './vocabulary.js'

describe('C1 the vocabulary', () => {
  it('C1 has five perceive and three act capabilities, disjoint', () => {
    expect(PERCEIVE).toEqual([
      'see-screen',
      'hear-audio',
      'read-chat',
      'read-roster',
      'receive-directed',
    ])
    expect(ACT).toEqual(['send-chat', 'speak', 'act'])
    expect(CAPABILITIES).toHaveLength(8)
    expect(PERCEIVE.some((c) => isAct(c))).toBe(false)
  })

  it('C1 prototype keys and near-misses are not capabilities', () => {
    for (const name of [
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'READ-CHAT',
      'read-media',
      '',
    ])
      expect(isCapability(name)).toBe(false)
    expect(isPerceive('read-chat')).toBe(true)
    expect(isAct(42)).toBe(false)
  })
})

describe('C4 defaults by kind', () => {
  it('C4 a human is full', () => {
    for (const meta of [undefined, null, {}, { role: 'guest' }, { role: 'host' }, 'agent', []])
      expect(defaultGrant(meta)).toBe(FULL_GRANT)
    expect(FULL_GRANT.perceive).toEqual(PERCEIVE)
    expect(FULL_GRANT.act).toEqual(ACT)
  })

  it("C4 meta.role === 'agent' is read-only: read-chat, read-roster, receive-directed, nothing else", () => {
    expect(isAgent({ role: 'agent' })).toBe(true)
    expect(defaultGrant({ role: 'agent', name: 'bot' })).toBe(AGENT_DEFAULT_GRANT)
    expect(AGENT_DEFAULT_GRANT).toEqual({
      perceive: ['read-chat', 'read-roster', 'receive-directed'],
      act: [],
    })
  })

  it("C4 meta.kind === 'voice-assistant' is an agent too", () => {
    expect(defaultGrant({ kind: 'voice-assistant' })).toBe(AGENT_DEFAULT_GRANT)
  })

  it('C4 only an own, exact role counts (no prototype, no getters, no near-misses)', () => {
    expect(isAgent(Object.create({ role: 'agent' }))).toBe(false)
    expect(isAgent({ role: 'Agent' })).toBe(false)
    expect(isAgent({ role: ['agent'] })).toBe(false)
    const getter = Object.defineProperty({}, 'role', { get: () => 'agent', enumerable: true })
    expect(isAgent(getter)).toBe(false)
    const throwing = new Proxy(
      {},
      {
        getOwnPropertyDescriptor: () => {
          throw new Error('trap')
        },
      },
    )
    expect(isAgent(throwing)).toBe(false)
  })

  it('C5 the constants are frozen', () => {
    for (const g of [FULL_GRANT, AGENT_DEFAULT_GRANT, EMPTY_GRANT]) {
      expect(Object.isFrozen(g)).toBe(true)
      expect(Object.isFrozen(g.perceive)).toBe(true)
      expect(Object.isFrozen(g.act)).toBe(true)
    }
    expect(() => (FULL_GRANT.act as string[]).push('x')).toThrow()
  })
})

describe('C3 disclosure', () => {
  it('C3 reads backend/egress from meta, cleaned', () => {
    expect(disclosureOf({ role: 'agent', backend: '  Claude\u202e\n ', egress: true })).toEqual({
      backend: 'Claude',
      egress: true,
    })
    expect(disclosureOf({ backend: 'x'.repeat(500), egress: 'yes' })).toEqual({
      backend: 'x'.repeat(64),
    })
    expect(disclosureOf({ backend: 7 })).toEqual({})
    expect(disclosureOf(undefined)).toEqual({})
  })

  it('C3 disclosure never changes the default grant', () => {
    expect(defaultGrant({ role: 'agent', egress: false, backend: 'local' })).toBe(
      AGENT_DEFAULT_GRANT,
    )
  })
})
