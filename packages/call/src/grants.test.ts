import { AGENT_DEFAULT_GRANT, createAuditLog, FULL_GRANT } from '@kibitz/capabilities'
import type { Participant, RoomSnapshot } from '@kibitz/presence'
import { describe, expect, it } from 'vitest'
import { GrantBook } from './grants.js'

const person = (id: string, meta: Record<string, unknown> = {}): Participant => ({
  id,
  name: id,
  avatar: '',
  cam: false,
  mic: false,
  role: typeof meta.role === 'string' ? meta.role : undefined,
  meta,
  engine: { v: '0.1.0', p: 1, f: [] },
  isSelf: false,
  isHost: false,
  isAuthority: false,
  verified: false,
})

const snap = (grants: RoomSnapshot['grants']): RoomSnapshot =>
  ({
    participants: [person('ann'), person('bot', { role: 'agent' })],
    grants,
  }) as unknown as RoomSnapshot

describe('GrantBook (K8)', () => {
  it('kind defaults, the host map clamped to the vocabulary, changes and expiry audited', () => {
    let now = 1_000
    const audit = createAuditLog()
    const book = new GrantBook(audit, () => now, true)
    expect(book.update(snap({}))).toEqual([])
    expect(book.of('ann')).toMatchObject({ perceive: FULL_GRANT.perceive, act: FULL_GRANT.act })
    expect(book.of('bot')).toMatchObject({ act: [] })
    expect(book.can('bot', 'send-chat')).toBe(false)
    expect(book.of('stranger')).toMatchObject({ perceive: [], act: [] })

    const widened = {
      perceive: [...AGENT_DEFAULT_GRANT.perceive],
      act: ['send-chat', 'fly'],
      expiresAt: 2_000,
    }
    expect(book.update(snap({ bot: widened }))).toEqual(['bot'])
    expect(book.of('bot').act).toEqual(['send-chat']) // 'fly' is not a capability
    expect(book.nextExpiry()).toBe(2_000)
    now = 2_000
    expect(book.update(null)).toEqual(['bot'])
    expect(book.can('bot', 'send-chat')).toBe(false)
    expect(audit.forPeer('bot').map((e) => [e.kind, e.detail])).toEqual([
      ['grant-changed', '+send-chat'],
      ['expired', undefined],
    ])
  })

  it('a room without a host tier ignores any map', () => {
    const book = new GrantBook(createAuditLog(), () => 0, false)
    book.update(snap({ bot: { perceive: [], act: ['send-chat'] } }))
    expect(book.can('bot', 'send-chat')).toBe(false)
  })
})
