import { describe, expect, it } from 'vitest'
import { ErrorCode } from './errors.js'
import { MAX_ROOM_CHARS } from './limits.js'
import { createRoomId, normalizeRoomId } from './room.js'
import { expectCode } from './testing/assert.js'

describe('P8 room id normalization', () => {
  const table: [input: string, expected: string][] = [
    ['room-3f9k2mq7p1', 'room-3f9k2mq7p1'],
    ['  My Room!! 42 ', 'my-room-42'],
    ['MY-ROOM', 'my-room'],
    ['a__b--c  d', 'a-b-c-d'],
    ['---lead-and-trail---', 'lead-and-trail'],
    ['café', 'caf'],
    ['Ünïcödé rööm', 'n-c-d-r-m'],
    ['emoji🎉room', 'emoji-room'],
    ['tab\tand\nnewline', 'tab-and-newline'],
    ['0', '0'],
    ['x'.repeat(MAX_ROOM_CHARS), 'x'.repeat(MAX_ROOM_CHARS)],
    ['x'.repeat(MAX_ROOM_CHARS + 5), 'x'.repeat(MAX_ROOM_CHARS)],
    // the cap falls right after a separator: the trailing dash is trimmed
    ['x'.repeat(MAX_ROOM_CHARS - 1) + ' tail', 'x'.repeat(MAX_ROOM_CHARS - 1)],
    ['x'.repeat(MAX_ROOM_CHARS - 2) + '!!!!y', 'x'.repeat(MAX_ROOM_CHARS - 2) + '-y'],
    ['x'.repeat(10_000), 'x'.repeat(MAX_ROOM_CHARS)],
  ]
  it.each(table)('%j → %j', (input, expected) => {
    expect(normalizeRoomId(input)).toEqual({ ok: true, value: expected })
  })

  it('is idempotent', () => {
    for (const [input] of table) {
      const once = normalizeRoomId(input)
      expect(once.ok && normalizeRoomId(once.value)).toEqual(once)
    }
  })

  it.each([[''], ['   '], ['!!!'], ['—'], ['🎉🎉'], ['\n\t']])('%j is ROOM_INVALID', (input) => {
    expectCode(normalizeRoomId(input), ErrorCode.ROOM_INVALID)
  })

  it.each([[null], [undefined], [42], [{}], [['room']], [Symbol('r')], [10n]])(
    'non-string %s is ROOM_INVALID',
    (input) => {
      expectCode(normalizeRoomId(input), ErrorCode.ROOM_INVALID)
    },
  )
})

describe('P8 createRoomId', () => {
  it('has the documented format', () => {
    for (let i = 0; i < 200; i++) {
      const id = createRoomId()
      expect(id).toMatch(/^room-[0-9a-z]{10}$/)
      expect(normalizeRoomId(id)).toEqual({ ok: true, value: id })
    }
    expect(createRoomId(4, 'x-')).toMatch(/^x-[0-9a-z]{4}$/)
  })

  it('is not biased (chi-square sanity over 36 symbols)', () => {
    const counts = new Map<string, number>()
    const draws = 2000
    for (let i = 0; i < draws; i++)
      for (const c of createRoomId(10, '')) counts.set(c, (counts.get(c) ?? 0) + 1)
    expect(counts.size).toBe(36)
    const expected = (draws * 10) / 36
    let chi = 0
    for (const n of counts.values()) chi += (n - expected) ** 2 / expected
    // 35 degrees of freedom: p = 0.0001 at ≈ 73; a modulo-biased generator lands far above
    expect(chi).toBeLessThan(80)
  })

  it('does not repeat', () => {
    const seen = new Set(Array.from({ length: 5000 }, () => createRoomId()))
    expect(seen.size).toBe(5000)
  })
})
