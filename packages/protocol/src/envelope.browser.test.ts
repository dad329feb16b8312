import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromBase64Url, toBase64Url, utf8 } from './bytes.js'
import { deriveRoomKeys, open, seal, type RoomKeys } from './envelope.js'
import { FROZEN_TAGS } from './testing/vectors.js'

/**
 * P17 browser parity: the protocol sources bundled for the browser derive the same room tags as
 * Node, and envelopes sealed on one side open on the other. Real Chromium via playwright-core.
 */

const CHROMIUM = process.env.KIBITZ_CHROMIUM ?? '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
if (!hasChromium) {
  if (process.env.CI)
    throw new Error(
      `${CHROMIUM} is missing: the browser cross-check must run in CI (apt-get install -y chromium)`,
    )
  console.warn(
    `\n!!! ${CHROMIUM} not found: SKIPPING the browser envelope cross-check (apt-get install -y chromium) !!!\n`,
  )
}

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
]

const ENTRY = `
import { deriveRoomKeys, seal, open, toBase64Url, fromBase64Url, utf8, fromUtf8 } from './index.ts'
async function keys(room) {
  const r = await deriveRoomKeys(room)
  if (!r.ok) throw new Error(r.error.code)
  return r.value
}
globalThis.kibitzProtocol = {
  secure: () => globalThis.isSecureContext,
  tag: async (room) => (await keys(room)).tag,
  seal: async (room, text) => {
    const r = await seal(await keys(room), utf8(text))
    if (!r.ok) throw new Error(r.error.code)
    return toBase64Url(r.value)
  },
  open: async (room, b64) => {
    const r = await open(await keys(room), fromBase64Url(b64))
    return r.ok ? { ok: true, text: fromUtf8(r.value) } : { ok: false, code: r.error.code }
  },
}
`

interface BrowserApi {
  secure(): boolean
  tag(room: string): Promise<string>
  seal(room: string, text: string): Promise<string>
  open(room: string, b64: string): Promise<{ ok: true; text: string } | { ok: false; code: string }>
}
declare const kibitzProtocol: BrowserApi

describe.skipIf(!hasChromium)('P17 envelope parity: Node ↔ real Chromium', () => {
  let server: Server
  let browser: Browser
  let page: Page
  let home: string

  beforeAll(async () => {
    const here = dirname(fileURLToPath(import.meta.url))
    const bundle = await build({
      stdin: { contents: ENTRY, resolveDir: here, loader: 'ts', sourcefile: 'browser-entry.ts' },
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    })
    const js = bundle.outputFiles[0]!.text
    // The bundle must not drag in Node built-ins (P16: browsers are a first-class runtime).
    expect(js).not.toMatch(/require\(["']node:/)
    server = createServer((req, res) => {
      if (req.url === '/bundle.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(js)
      } else {
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><script src="/bundle.js"></script>')
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    home = mkdtempSync(join(tmpdir(), 'kibitz-protocol-browser-'))
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ARGS,
      env: {
        ...process.env,
        HOME: home,
        XDG_CONFIG_HOME: join(home, 'config'),
        XDG_CACHE_HOME: join(home, 'cache'),
      },
    })
    page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    await page.waitForFunction(
      () => typeof (globalThis as { kibitzProtocol?: unknown }).kibitzProtocol === 'object',
    )
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await new Promise((resolve) => server?.close(resolve))
    if (home) rmSync(home, { recursive: true, force: true })
  })

  const nodeKeys = async (room: string): Promise<RoomKeys> => {
    const r = await deriveRoomKeys(room)
    if (!r.ok) throw r.error
    return r.value
  }

  it('runs in a secure context (WebCrypto available)', async () => {
    expect(await page.evaluate(() => kibitzProtocol.secure())).toBe(true)
  })

  it('the browser derives the same tags as Node (and the frozen vectors)', async () => {
    const rooms = [...FROZEN_TAGS.map(([room]) => room), '  My Room!! 42 ', 'Ünïcödé rööm 7']
    for (const room of rooms) {
      const browserTag = await page.evaluate((r) => kibitzProtocol.tag(r), room)
      expect(browserTag, room).toBe((await nodeKeys(room)).tag)
    }
    for (const [room, tag] of FROZEN_TAGS)
      expect(await page.evaluate((r) => kibitzProtocol.tag(r), room)).toBe(tag)
  })

  it('the browser opens a Node-sealed envelope', async () => {
    const text = JSON.stringify({ t: 'roster', note: 'héllo 😀' })
    const sealed = await seal(await nodeKeys('room-3f9k2mq7p1'), utf8(text))
    if (!sealed.ok) throw sealed.error
    const b64 = toBase64Url(sealed.value)
    expect(
      await page.evaluate(([r, e]) => kibitzProtocol.open(r!, e!), ['room-3f9k2mq7p1', b64]),
    ).toEqual({ ok: true, text })
    // and refuses it under another room's key
    expect(
      await page.evaluate(([r, e]) => kibitzProtocol.open(r!, e!), ['room-other', b64]),
    ).toEqual({ ok: false, code: 'ENVELOPE_INVALID' })
  })

  it('Node opens a browser-sealed envelope', async () => {
    const text = JSON.stringify({ k: 'chat', text: 'from chromium ✓' })
    const b64 = await page.evaluate(([r, t]) => kibitzProtocol.seal(r!, t!), ['My Room 42', text])
    const opened = await open(await nodeKeys('my-room-42'), fromBase64Url(b64))
    if (!opened.ok) throw opened.error
    expect(new TextDecoder().decode(opened.value)).toBe(text)
  })
})
