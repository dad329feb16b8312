import { describe, expect, it } from 'vitest'
import {
  DEFAULT_AUDIT_LIMIT,
  appendAudit,
  auditFor,
  blockedEntry,
  createAuditLog,
  expiredEntry,
  grantChangedEntry,
  type AuditEntry,
} from './audit.js'
import { AGENT_DEFAULT_GRANT, EMPTY_GRANT, FULL_GRANT } from './grant.js'

describe('C20 the audit ring', () => {
  it('C20 appends newest last and keeps at most `limit` entries', () => {
    let log: readonly AuditEntry[] = []
    for (let i = 0; i < 7; i++) log = appendAudit(log, expiredEntry(i, `p${i}`), 5)
    expect(log.map((e) => e.at)).toEqual([2, 3, 4, 5, 6])
    expect(Object.isFrozen(log)).toBe(true)
  })

  it('C20 never mutates its input; a zero limit keeps nothing', () => {
    const one = appendAudit([], expiredEntry(1, 'a'))
    const two = appendAudit(one, expiredEntry(2, 'a'))
    expect(one).toHaveLength(1)
    expect(two).toHaveLength(2)
    expect(appendAudit(two, expiredEntry(3, 'a'), 0)).toEqual([])
  })

  it(`C20 createAuditLog defaults to ${DEFAULT_AUDIT_LIMIT} entries and filters by peer`, () => {
    const log = createAuditLog()
    for (let i = 0; i < 250; i++)
      log.append(blockedEntry(i, i % 2 ? 'odd' : 'even', 'send-chat', 'chat'))
    expect(log.entries()).toHaveLength(DEFAULT_AUDIT_LIMIT)
    expect(log.entries()[0]?.at).toBe(50)
    expect(log.entries().at(-1)?.at).toBe(249)
    expect(log.forPeer('odd').every((e) => e.peer === 'odd')).toBe(true)
    expect(auditFor(log.entries(), 'odd')).toHaveLength(100)
    const snapshot = log.entries()
    log.clear()
    expect(log.entries()).toEqual([])
    expect(snapshot).toHaveLength(DEFAULT_AUDIT_LIMIT)
  })
})

describe('C21 audit entries', () => {
  it('C21 blocked: who, which capability, what kind of content', () => {
    expect(blockedEntry(5, 'agent-1', 'send-chat', 'chat')).toEqual({
      at: 5,
      kind: 'blocked',
      peer: 'agent-1',
      capability: 'send-chat',
      detail: 'chat',
    })
  })

  it('C21 grant-changed: what was added and removed', () => {
    expect(
      grantChangedEntry(6, 'a', AGENT_DEFAULT_GRANT, {
        perceive: ['read-chat'],
        act: ['send-chat'],
      }),
    ).toEqual({
      at: 6,
      kind: 'grant-changed',
      peer: 'a',
      detail: '+send-chat -read-roster -receive-directed',
    })
    expect(grantChangedEntry(7, 'a', FULL_GRANT, FULL_GRANT)).toEqual({
      at: 7,
      kind: 'grant-changed',
      peer: 'a',
    })
    expect(grantChangedEntry(8, 'a', FULL_GRANT, EMPTY_GRANT).detail).toContain('-see-screen')
  })

  it('C21 entries are cleaned: unknown capability dropped, detail and peer clamped', () => {
    const e = appendAudit([], {
      at: NaN,
      kind: 'blocked',
      peer: 'p'.repeat(500),
      capability: 'root' as never,
      detail: 'd'.repeat(5000),
    })[0]!
    expect(e.at).toBe(0)
    expect(e.capability).toBeUndefined()
    expect(e.peer).toHaveLength(64)
    expect(e.detail).toHaveLength(200)
    expect(JSON.parse(JSON.stringify(e))).toEqual(e)
  })
})
