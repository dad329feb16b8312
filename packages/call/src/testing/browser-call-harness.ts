import { fileURLToPath } from 'node:url'
import { startBroker, type Broker } from '@kibitz/broker'
import type { HostTier } from '@kibitz/presence'
import { createRoomId } from '@kibitz/protocol'
import {
  bundleForBrowser,
  pollUntil,
  servePageInChromium,
  type ChromiumHandle,
} from '@kibitz/test-utils'
import { expect } from 'vitest'
import type { Inbound, KibCallPage } from './browser-call-page.js'

/**
 * The Node side of call.browser.test.ts: the real broker (in this process), the page bundle
 * served from 127.0.0.1, one headless Chromium, and helpers that drive `window.kib` in its pages
 * and judge what they decode. Page side: ./browser-call-page.ts.
 */

const PAGE_ENTRY = fileURLToPath(new URL('./browser-call-page.ts', import.meta.url))
/**
 * Faster presence timing than the default (2.5 s / 12 s). A killed tab leaves through the broker's
 * `member-left` at once; the reap is the backstop, and a 1.5 s reap dropped live pages whose
 * heartbeats a starved 2-core box delayed.
 */
const TIMING = { pingMs: 500, reapMs: 5_000, freezeGuardMs: 2_500 }
/** Swaps land within a frame or two; the placeholder paints once a second; the box is shared. */
export const MEDIA_MS = 15_000

export type Page = Awaited<ReturnType<ChromiumHandle['newPage']>>
export interface Member {
  name: string
  id: string
  page: Page
}

export interface CallHarness {
  broker: Broker
  /** Open a page in its own context (or reload `page`), create a controller in `room`, join. */
  open(
    name: string,
    extra?: { meta?: Record<string, unknown>; cam?: boolean; page?: Page },
  ): Promise<Member>
  stop(): Promise<void>
}

export async function startCallHarness(host: HostTier): Promise<CallHarness> {
  const [broker, js] = await Promise.all([
    startBroker({ port: 0, host: '127.0.0.1' }),
    bundleForBrowser({
      entry: PAGE_ENTRY,
      resolveDir: fileURLToPath(new URL('.', import.meta.url)),
    }),
  ])
  try {
    expect(js).not.toMatch(/require\(["']node:/)
    // Presence bundles its own socket.io-client: the page needs no global `io` script.
    expect(js).toMatch(/engine\.io/)
  } catch (error) {
    await broker.close()
    throw error
  }
  // The silent AudioContext placeholder and the <audio> sinks run without a click here.
  const served = await servePageInChromium(js, {
    extraArgs: ['--autoplay-policy=no-user-gesture-required'],
  }).catch(async (error: unknown) => {
    await broker.close()
    throw error
  })
  const stop = async () => {
    await served.stop()
    await broker.close()
  }
  const room = createRoomId()
  const url = served.url
  const browser = served.chromium
  return {
    broker,
    stop,
    async open(name, extra = {}) {
      const page = extra.page ?? (await browser.newPage(undefined, { name }))
      // A given page is the same tab coming back: reload it (a new document, a new controller).
      if (extra.page) await page.reload()
      else await page.goto(url)
      await page.waitForFunction(() => typeof window.kib === 'object')
      const m = { name, id: '', page }
      await kib(m, 'create', {
        room,
        name,
        signalHost: broker.url,
        host,
        timing: TIMING,
        ...(extra.meta ? { meta: extra.meta } : {}),
      })
      m.id = await kib(m, 'join', { cam: extra.cam ?? false })
      return m
    },
  }
}

/** Call `window.kib[name](...args)` in the page. */
export function kib<K extends keyof KibCallPage>(
  m: { page: Page },
  name: K,
  ...args: Parameters<KibCallPage[K]>
): Promise<Awaited<ReturnType<KibCallPage[K]>>> {
  return m.page.evaluate(
    ([n, a]) => (window.kib[n as K] as (...x: unknown[]) => unknown)(...(a as unknown[])),
    [name, args] as const,
  ) as Promise<Awaited<ReturnType<KibCallPage[K]>>>
}

/** Poll `fn` until `ok` holds of its result; the last result explains a timeout. */
export const until = <T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  ms = MEDIA_MS,
): Promise<T> => pollUntil(fn, ok, what, ms)

/** Every member lists exactly `all` (by id), each other one with an open data link. */
export async function roster(all: readonly Member[]): Promise<void> {
  const want = JSON.stringify(all.map((m) => m.id).sort())
  await Promise.all(
    all.map((m) =>
      until(
        () => kib(m, 'participants'),
        (ps) => JSON.stringify(ps.map((p) => p.id).sort()) === want && ps.every((p) => p.connected),
        `${m.name}'s roster`,
      ),
    ),
  )
}

/** Until `at` lists `from` with `flag` (camOn / micOn) equal to `on`. */
export function sees(at: Member, from: Member, flag: 'camOn' | 'micOn', on: boolean) {
  return until(
    () => kib(at, 'participants'),
    (ps) => ps.find((p) => p.id === from.id)?.[flag] === on,
    `${at.name} sees ${from.name}'s ${flag} ${on}`,
  )
}

export type Lane = 'video' | 'audio' | 'share' | 'shareAudio'

/** The fake camera (640×480), or a 4:3 size WebRTC's CPU adaptation scaled it down to. */
export const isCamera = (f: Inbound | null) =>
  !!f && f.width >= 160 && f.width <= 640 && f.width * 3 === f.height * 4
export const isPlaceholder = (f: Inbound | null) => !!f && f.width === 2 && f.height === 2

/**
 * `at` decodes fresh frames of `from`'s `lane` of that `shape`: it holds once `frames` more frames
 * were decoded after a sample where it already held (a swap in flight is not enough). The
 * placeholder paints once a second: one fresh frame is enough there.
 */
export async function decodes(
  at: Member,
  from: Member,
  lane: Lane,
  shape: (f: Inbound | null) => boolean,
  what: string,
): Promise<Inbound> {
  const frames = shape === isPlaceholder ? 1 : 3
  const label = `${at.name} ← ${from.name} ${lane}: ${what}`
  const read = async () => (await kib(at, 'inbound', from.id))[lane]
  try {
    const first = (await until(read, shape, label))!
    return (await until(
      read,
      (f) => shape(f) && f!.framesDecoded >= first.framesDecoded + frames,
      `${label} (fresh frames)`,
    ))!
  } catch (error) {
    // What the sender's video encoders did, to tell a stalled sender from a gate.
    const out = await kib(from, 'outbound').catch(() => null)
    throw new Error(`${String(error)}\n${from.name}'s video senders: ${JSON.stringify(out)}`, {
      cause: error,
    })
  }
}

/**
 * Every live link made exactly one offer/answer exchange (no renegotiation, not even asked for),
 * and none was rebuilt.
 */
export async function noRenegotiation(all: readonly Member[]): Promise<void> {
  for (const m of all) {
    const pcs = (await kib(m, 'negotiation')).filter((c) => c.state !== 'closed')
    expect(pcs, `${m.name}: one connection per link`).toHaveLength(all.length - 1)
    for (const c of pcs) {
      expect(c.offers + c.answers, `${m.name}: ${JSON.stringify(c)}`).toBe(1)
      expect(c.remoteDescriptions, `${m.name}: ${JSON.stringify(c)}`).toBe(1)
      // The offerer's one `negotiationneeded` came before its offer; a swap never fires one.
      expect(c.negotiationNeeded, `${m.name}: ${JSON.stringify(c)}`).toBe(c.offers)
    }
  }
}

/**
 * Decoded silence is not exactly 0 (Opus leaves ~1e-9 per second); the fake microphone beeps
 * every 500 ms, ~0.1 per second.
 */
export const SILENT = 1e-4

/** Audio energy `at` received on `from`'s `lane` over a 1.2 s window (over two beeps). */
export async function energyGrowth(at: Member, from: Member, lane: 'audio' | 'shareAudio') {
  const before = (await kib(at, 'inbound', from.id))[lane]
  await new Promise((r) => setTimeout(r, 1_200))
  const after = (await kib(at, 'inbound', from.id))[lane]
  return before && after ? after.audioEnergy - before.audioEnergy : Number.NaN
}
