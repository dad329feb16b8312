import { MAX_CHAT_LINES } from '@kibitz/protocol'
import { describe, expect, it } from 'vitest'
import { CHAT_REPLAY_LINES, ChatLog } from './chat.js'

describe('ChatLog (K9)', () => {
  it('orders by the author timestamp, keeps arrival order for ties, dedups by (author, mid)', () => {
    const log = new ChatLog(() => 0.5)
    log.own('me', 'Me', 'first', 100)
    expect(
      log.receive('bob', 'Bob', { k: 'chat', text: 'late', mid: 'a', ts: 50 }, 1_000),
    ).not.toBeNull()
    expect(
      log.receive('cy', 'Cy', { k: 'chat', text: 'tie', mid: 'a', ts: 100 }, 1_000),
    ).not.toBeNull()
    // The same mid from the same author is a duplicate; from another author it is not.
    expect(
      log.receive('bob', 'Bob', { k: 'chat', text: 'dup', mid: 'a', ts: 60 }, 1_000),
    ).toBeNull()
    expect(log.lines.map((l) => l.text)).toEqual(['late', 'first', 'tie'])
  })

  it('clamps a future timestamp to our clock and attributes with the name given (from the roster)', () => {
    const log = new ChatLog()
    const line = log.receive('bob', 'Bob', { k: 'chat', text: 'x', mid: 'm', ts: 9e12 }, 5_000)
    expect(line).toMatchObject({ ts: 5_000, name: 'Bob', from: 'bob', isSelf: false, dm: false })
  })

  it('replays only our own recent public lines; direct lines never', () => {
    const log = new ChatLog()
    for (let i = 0; i < CHAT_REPLAY_LINES + 5; i++) log.own('me', 'Me', `l${i}`, i)
    log.own('me', 'Me', 'secret', 10_000, 'bob')
    log.receive('bob', 'Bob', { k: 'chat', text: 'theirs', mid: 'z', ts: 1 }, 20_000)
    const replay = log.replay('me')
    expect(replay).toHaveLength(CHAT_REPLAY_LINES)
    expect(replay.at(-1)).toMatchObject({ k: 'chat', text: `l${CHAT_REPLAY_LINES + 4}` })
    expect(replay.some((m) => m.text === 'secret' || m.text === 'theirs')).toBe(false)
    expect(replay.every((m) => m.dm === undefined)).toBe(true)
  })

  it('is capped, drops the oldest, and a reconnect keeps our lines ours', () => {
    const log = new ChatLog()
    for (let i = 0; i < MAX_CHAT_LINES + 10; i++) log.own('me', 'Me', `l${i}`, i)
    expect(log.lines).toHaveLength(MAX_CHAT_LINES)
    expect(log.lines[0]!.text).toBe('l10')
    log.rekeySelf('me', 'me2')
    expect(log.replay('me2')).toHaveLength(CHAT_REPLAY_LINES)
    log.clear()
    expect(log.lines).toEqual([])
  })
})
