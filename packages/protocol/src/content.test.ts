import { describe, expect, it } from 'vitest'
import { decodeContent, encodeContent, type ContentMessage } from './content.js'
import { ErrorCode } from './errors.js'
import {
  MAX_APP_PAYLOAD_BYTES,
  MAX_CHAT_CHARS,
  MAX_CHUNK_BASE64_CHARS,
  MAX_COLOR_CHARS,
  MAX_CONTENT_MESSAGE_BYTES,
  MAX_FILE_NAME_CHARS,
  MAX_ID_CHARS,
  MAX_INK_POINTS,
  MAX_INK_STROKES,
  MAX_MIME_CHARS,
  MAX_PAY_LABEL_CHARS,
  MAX_PAY_URL_CHARS,
  MAX_SCHEMA_BYTES,
  MAX_SCHEMA_NAME_CHARS,
  MAX_SCHEMA_VERSION_CHARS,
  MAX_TOKEN_CHARS,
  MAX_TRANSFER_BYTES,
  TRANSFER_CHUNK_BYTES,
} from './limits.js'
import { isAllowedPayUrl } from './pay.js'
import { edgeCases, expectCode, roundTrip } from './testing/assert.js'
import { contentSamples } from './testing/messages.js'
import { transferChunkCount } from './transfer.js'

const s = (n: number) => 'x'.repeat(n)
const xbegin = (patch: Record<string, unknown>) => ({
  k: 'xbegin',
  id: 'x',
  kind: 'file',
  size: 1,
  n: 1,
  ...patch,
})
const strokes = (count: number, pts: number) =>
  Array.from({ length: count }, () => ({
    color: '#000',
    pts: Array.from({ length: pts }, () => ({ x: 0, y: 0 })),
  }))

describe('content plane', () => {
  it.each(contentSamples.map((m, i) => [`${m.k}#${i}`, m] as const))('P6 round trip %s', (_, m) => {
    roundTrip(m, (x: ContentMessage) => encodeContent(x), decodeContent)
  })

  it('P1 unknown kinds (incl. legacy ones we do not speak) decode to known:false', () => {
    for (const k of ['img', 'xresume', 'ledger', 'widget', 'wevt', 'ctl']) {
      expect(decodeContent({ k, m: {} })).toEqual({ ok: true, value: { known: false, kind: k } })
    }
  })

  it('P12 xbegin n must equal ceil(size / chunk)', () => {
    expect(transferChunkCount(TRANSFER_CHUNK_BYTES)).toBe(1)
    expect(transferChunkCount(TRANSFER_CHUNK_BYTES + 1)).toBe(2)
    expect(decodeContent(xbegin({ size: TRANSFER_CHUNK_BYTES * 2, n: 2 })).ok).toBe(true)
    expectCode(
      decodeContent(xbegin({ size: TRANSFER_CHUNK_BYTES * 2, n: 3 })),
      ErrorCode.BAD_MESSAGE,
    )
    expectCode(decodeContent(xbegin({ size: 10, n: 0 })), ErrorCode.BAD_MESSAGE)
    expectCode(decodeContent(xbegin({ size: 1.5, n: 1 })), ErrorCode.BAD_MESSAGE)
    expectCode(decodeContent(xbegin({ kind: 'video' })), ErrorCode.BAD_MESSAGE)
    expectCode(decodeContent(xbegin({ id: 'bad id' })), ErrorCode.BAD_MESSAGE)
  })

  it('P4 bad fields are BAD_MESSAGE', () => {
    expectCode(decodeContent({ k: 'chat' }), ErrorCode.BAD_MESSAGE)
    expectCode(decodeContent({ k: 'app' }), ErrorCode.BAD_MESSAGE)
    expectCode(decodeContent({ k: 'ink', e: { k: 'ptr', x: 2, y: 0 } }), ErrorCode.BAD_MESSAGE)
    expectCode(decodeContent({ k: 'ink', e: { k: 'laser', x: 0, y: 0 } }), ErrorCode.BAD_MESSAGE)
    expectCode(
      decodeContent({
        k: 'ink',
        e: { k: 'draw', sid: 's', x: 0, y: 0, color: 'url(javascript:x)' },
      }),
      ErrorCode.BAD_MESSAGE,
    )
    expectCode(decodeContent({ k: 'pay', url: 'javascript:alert(1)' }), ErrorCode.BAD_MESSAGE)
    expectCode(decodeContent({ k: 'idtoken', jwt: 'not a jwt' }), ErrorCode.BAD_MESSAGE)
    expectCode(
      decodeContent({ k: 'xchunk', id: 'x', i: 0, data: 'not base64!' }),
      ErrorCode.BAD_MESSAGE,
    )
    expectCode(decodeContent({ k: 'xchunk', id: 'x', i: -1, data: '' }), ErrorCode.BAD_MESSAGE)
    expectCode(decodeContent({ k: 'xend', id: 'x', hash: 'abc' }), ErrorCode.BAD_MESSAGE)
    expectCode(
      decodeContent({ k: 'schema', name: '', version: '1', schema: {} }),
      ErrorCode.BAD_MESSAGE,
    )
    expectCode(
      decodeContent({ k: 'caps', grants: { s1: { perceive: 'all', act: [] } } }),
      ErrorCode.BAD_MESSAGE,
    )
  })

  it('P3 app data is sanitized: forbidden keys dropped, non-JSON rejected', () => {
    const data = JSON.parse(
      '{"a":{"__proto__":{"x":1},"constructor":1,"prototype":2,"b":2}}',
    ) as unknown
    expect(decodeContent({ k: 'app', data })).toEqual({
      ok: true,
      value: { known: true, message: { k: 'app', data: { a: { b: 2 } } } },
    })
    expectCode(decodeContent({ k: 'app', data: new Date() }), ErrorCode.BAD_MESSAGE)
    expectCode(decodeContent({ k: 'app', data: new Uint8Array(2) }), ErrorCode.BAD_MESSAGE)
    expectCode(decodeContent({ k: 'app', data: Number.NaN }), ErrorCode.BAD_MESSAGE)
  })

  it('P14 pay url allow-list', () => {
    const good = [
      'https://pay.example/x',
      'lightning:lnbc1xyz',
      'bitcoin:bc1qxyz?amount=0.1',
      'ethereum:0xabc',
      'lnbc2500u1pvjluezpp5',
      'LNURL1DP68GURN8GHJ7',
    ]
    const bad = [
      'http://pay.example',
      'https://user:pw@bank.example',
      'https://',
      'javascript:alert(1)',
      'data:text/html,x',
      'mailto:a@b.c',
      'lightning: spaced',
      'https://a.example/\u0000',
      '',
      s(MAX_PAY_URL_CHARS + 1),
      42,
    ]
    for (const url of good) expect(isAllowedPayUrl(url), url).toBe(true)
    for (const url of bad) expect(isAllowedPayUrl(url), String(url)).toBe(false)
  })

  describe('P4 limits at the edge', () => {
    const appData = (n: number) => s(n - 2) // a JSON string of n bytes
    edgeCases(decodeContent, [
      ['chat text', MAX_CHAT_CHARS, (n) => ({ k: 'chat', text: s(n) })],
      ['chat mid', MAX_ID_CHARS, (n) => ({ k: 'chat', text: '', mid: s(n) })],
      ['app data bytes', MAX_APP_PAYLOAD_BYTES, (n) => ({ k: 'app', data: appData(n) })],
      ['pay url', MAX_PAY_URL_CHARS, (n) => ({ k: 'pay', url: 'https://a.example/' + s(n - 18) })],
      [
        'pay label',
        MAX_PAY_LABEL_CHARS,
        (n) => ({ k: 'pay', url: 'https://a.example/', label: s(n) }),
      ],
      ['idtoken jwt', MAX_TOKEN_CHARS, (n) => ({ k: 'idtoken', jwt: 'a.b.' + s(n - 4) })],
      [
        'schema name',
        MAX_SCHEMA_NAME_CHARS,
        (n) => ({ k: 'schema', name: s(n), version: '1', schema: {} }),
      ],
      [
        'schema version',
        MAX_SCHEMA_VERSION_CHARS,
        (n) => ({ k: 'schema', name: 'a', version: s(n), schema: {} }),
      ],
      [
        'schema body bytes',
        MAX_SCHEMA_BYTES,
        (n) => ({ k: 'schema', name: 'a', version: '1', schema: { d: s(n - 8) } }),
      ],
      [
        'ink strokes',
        MAX_INK_STROKES,
        (n) => ({ k: 'ink', e: { k: 'restore', image: 'i', strokes: strokes(n, 1) } }),
      ],
      [
        'ink points',
        MAX_INK_POINTS,
        (n) => ({ k: 'ink', e: { k: 'restore', image: 'i', strokes: strokes(1, n) } }),
      ],
      [
        'ink colour',
        MAX_COLOR_CHARS,
        (n) => ({ k: 'ink', e: { k: 'clear' }, c: 'rgb(' + '1'.repeat(n - 5) + ')' }),
      ],
      ['xbegin size', MAX_TRANSFER_BYTES, (n) => xbegin({ size: n, n: transferChunkCount(n) })],
      ['xbegin mime', MAX_MIME_CHARS, (n) => xbegin({ mime: s(n) })],
      ['xbegin name', MAX_FILE_NAME_CHARS, (n) => xbegin({ name: s(n) })],
      ['transfer id', MAX_ID_CHARS, (n) => ({ k: 'xcancel', id: s(n) })],
      [
        'xchunk base64',
        MAX_CHUNK_BASE64_CHARS,
        (n) => ({ k: 'xchunk', id: 'x', i: 0, data: 'A'.repeat(n) }),
        ErrorCode.TOO_LARGE,
      ],
    ])
  })

  it('P7 the whole content message is capped', () => {
    // app data is capped at MAX_APP_PAYLOAD_BYTES, the message itself at MAX_CONTENT_MESSAGE_BYTES
    expect(MAX_CONTENT_MESSAGE_BYTES).toBeGreaterThan(MAX_APP_PAYLOAD_BYTES + 64)
    expectCode(
      decodeContent({ k: 'chat', text: '', pad: s(MAX_CONTENT_MESSAGE_BYTES) }),
      ErrorCode.TOO_LARGE,
    )
    expectCode(encodeContent({ k: 'app', data: s(MAX_APP_PAYLOAD_BYTES) }), ErrorCode.TOO_LARGE)
  })
})
