import { fileURLToPath } from 'node:url'
import { startBroker, type Broker } from '@kibitz/broker'
import {
  bundleForBrowser,
  pollUntil,
  servePageInChromium,
  type ChromiumHandle,
} from '@kibitz/test-utils'
import type { KibReactPage } from './browser-react-page.js'

/**
 * The Node side of react.browser.test.ts: the real broker (in this process, port 0), the React
 * test app bundled from ./browser-react-page.tsx and served from 127.0.0.1, one headless Chromium
 * (fake camera/mic), and DOM probes. Each `open()` is its own browser context (its own user).
 */

const PAGE_ENTRY = fileURLToPath(new URL('./browser-react-page.tsx', import.meta.url))
/** Presence heartbeat in the pages (ms): the idle-render check spans several of them. */
export const PING_MS = 500
/** A DOM condition on a 2-core box shared with other suites. */
export const DOM_MS = 15_000

export type Page = Awaited<ReturnType<ChromiumHandle['newPage']>>

/** One tile as the DOM shows it. */
export interface TileView {
  name: string
  connected: boolean
  cam: string
  speaking: string
  self: string
  /** The avatar text, or null while the video shows. */
  avatar: string | null
  video: {
    shown: boolean
    muted: boolean
    paused: boolean
    width: number
    height: number
    readyState: number
    /** The element's test mark (set by `markVideos`): the same element across toggles. */
    mark: string | null
  }
}

export interface AppView {
  status: string
  self: string
  /** The `useParticipant` badge: our name and cam flag. */
  badge: { name: string; cam: string }
  tiles: TileView[]
  chat: string[]
}

export interface ReactHarness {
  broker: Broker
  /** A new page (context) running the app in `room` as `name`. */
  open(room: string, name: string, opts?: { strict?: boolean; unmountAt?: string }): Promise<Page>
  stop(): Promise<void>
}

export async function startReactHarness(): Promise<ReactHarness> {
  const [broker, js] = await Promise.all([
    startBroker({ port: 0, host: '127.0.0.1' }),
    bundleForBrowser({
      entry: PAGE_ENTRY,
      resolveDir: fileURLToPath(new URL('.', import.meta.url)),
      jsx: 'automatic',
    }),
  ])
  // Remote tiles play sound through their <video>: allow it without a click.
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
  const url = served.url
  const browser = served.chromium
  return {
    broker,
    stop,
    async open(room, name, opts = {}) {
      const q = new URLSearchParams({
        room,
        name,
        signal: broker.url,
        ping: String(PING_MS),
        ...(opts.strict ? { strict: '1' } : {}),
        ...(opts.unmountAt ? { unmount: opts.unmountAt } : {}),
      })
      const page = await browser.newPage(`${url}/?${q}`, { name })
      await page.waitForFunction(() => typeof window.kibReact === 'object')
      return page
    },
  }
}

/** Call `window.kibReact[name]()` in the page. */
export function kr<K extends keyof KibReactPage>(
  page: Page,
  name: K,
): Promise<ReturnType<KibReactPage[K]>> {
  return page.evaluate((n) => window.kibReact[n as K](), name) as Promise<
    ReturnType<KibReactPage[K]>
  >
}

/** The app as its DOM shows it. */
export function view(page: Page): Promise<AppView> {
  return page.evaluate(() => {
    const main = document.querySelector('main')
    const tiles = [...document.querySelectorAll<HTMLElement>('[data-part="roster"] > li')].map(
      (li) => {
        const tile = li.querySelector<HTMLElement>('[data-kibitz-tile]')!
        const v = tile.querySelector('video')!
        const avatar = tile.querySelector('[data-part="avatar"]')
        return {
          name: li.dataset.name ?? '',
          connected: li.dataset.connected === 'true',
          cam: tile.dataset.cam ?? '',
          speaking: tile.dataset.speaking ?? '',
          self: tile.dataset.self ?? '',
          avatar: avatar ? (avatar.textContent ?? '') : null,
          video: {
            shown: getComputedStyle(v).display !== 'none',
            muted: v.muted,
            paused: v.paused,
            width: v.videoWidth,
            height: v.videoHeight,
            readyState: v.readyState,
            mark: v.dataset.testMark ?? null,
          },
        }
      },
    )
    const badge = document.querySelector<HTMLElement>('[data-part="self-badge"]')
    return {
      status: main?.dataset.status ?? '',
      self: main?.dataset.self ?? '',
      badge: { name: badge?.textContent ?? '', cam: badge?.dataset.cam ?? '' },
      tiles,
      chat: [...document.querySelectorAll('[data-part="chat"] > li')].map(
        (li) => li.textContent ?? '',
      ),
    }
  })
}

/** Tag every tile's <video> with `data-test-mark=<name>`: a remount would lose it. */
export function markVideos(page: Page): Promise<void> {
  return page.evaluate(() => {
    for (const li of document.querySelectorAll<HTMLElement>('[data-part="roster"] > li')) {
      const v = li.querySelector('video')
      if (v) v.dataset.testMark = li.dataset.name ?? ''
    }
  })
}

/** Poll `fn` until `ok` holds of its result; the last result explains a timeout. */
export const until = <T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  ms = DOM_MS,
): Promise<T> => pollUntil(fn, ok, what, ms)

/** The tile of `name` in `v`. */
export function tile(v: AppView, name: string): TileView | undefined {
  return v.tiles.find((t) => t.name === name)
}
