import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startBroker, type Broker } from '@kibitz/broker'
import {
  launchChromium,
  pipePageConsole,
  requireChromium,
  type ChromiumHandle,
} from '@kibitz/test-utils'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildSite } from '../scripts/build.mjs'

/**
 * The site in real Chromium, served by the real broker, with the fake widget (src/testing): what
 * the pages do around the widget. The real widget's own UI is tested in packages/widget.
 */

const FAKE_WIDGET = join(dirname(fileURLToPath(import.meta.url)), 'testing', 'fake-widget.js')
const chromiumPath = requireChromium('the demo site browser tests')

interface FakeMount {
  room: string
  startOpen: boolean
  preview: boolean
  mounted: boolean
}

const mounts = (page: Page): Promise<FakeMount[]> =>
  page.evaluate(
    () => (window as unknown as { __kibitzFake: { mounts: FakeMount[] } }).__kibitzFake.mounts,
  )

describe.skipIf(!chromiumPath)('demo site in Chromium', () => {
  let tmp: string
  let broker: Broker
  let chromium: ChromiumHandle
  let context: BrowserContext
  const pageErrors: string[] = []

  /** A tab in the shared phone-sized context (tabs share BroadcastChannel, like real tabs). */
  async function open(path: string, name = path): Promise<Page> {
    const page = await context.newPage()
    pipePageConsole(page, name)
    page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`))
    await page.goto(`${broker.url}${path}`)
    return page
  }

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'kibitz-site-browser-'))
    const outDir = join(tmp, 'dist')
    buildSite({ outDir, widgetJs: FAKE_WIDGET })
    broker = await startBroker({ port: 0, host: '127.0.0.1', staticDir: outDir })
    chromium = await launchChromium({ executablePath: chromiumPath ?? undefined })
    context = await chromium.browser.newContext({ viewport: { width: 375, height: 740 } })
  })

  afterAll(async () => {
    await chromium?.stop()
    await broker?.close()
    rmSync(tmp, { recursive: true, force: true })
  })

  it('Start a call lands on room.html with an unguessable room in the fragment', async () => {
    const page = await open('/')
    const shown = (await page.locator('#start-link').textContent()) ?? ''
    expect((await mounts(page)).map((m) => m.preview)).toEqual([true])
    await page.locator('#start-call').click()
    await page.waitForURL(/\/room\.html#/)
    const hash = await page.evaluate(() => location.hash)
    expect(hash).toMatch(/^#room-[a-z0-9]{10,}$/)
    expect(shown).toBe(`${broker.url}/room.html${hash}`)
    await expect.poll(() => page.locator('#room-link').textContent()).toBe(shown)
    expect(await mounts(page)).toEqual([
      expect.objectContaining({ room: hash.slice(1), startOpen: true, mounted: true }),
    ])
    // Every visit makes a different room.
    const again = await open('/')
    expect(await again.locator('#start-link').textContent()).not.toBe(shown)
    await Promise.all([page.close(), again.close()])
  })

  it('room.html: no room → a fresh one in the fragment; ?room= and hand-edited fragments', async () => {
    const page = await open('/room.html')
    const hash = await page.evaluate(() => location.hash)
    expect(hash).toMatch(/^#room-[a-z0-9]{10,}$/)
    await page.reload()
    expect(await page.evaluate(() => location.hash)).toBe(hash)
    expect((await mounts(page))[0]?.room).toBe(hash.slice(1))

    await page.goto(`${broker.url}/room.html?room=Team%20Sync`)
    expect(await mounts(page)).toEqual([expect.objectContaining({ room: 'team-sync' })])
    expect(await page.locator('#room-link').textContent()).toBe(`${broker.url}/room.html#team-sync`)

    await page.evaluate(() => (location.hash = '#Other Room'))
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#other-room')
    const all = await mounts(page)
    expect(all.map((m) => [m.room, m.mounted])).toEqual([
      ['team-sync', false],
      ['other-room', true],
    ])
    await page.close()
  })

  it('embed.html: the script tag mounts the room from ?room=, and shows that one-liner', async () => {
    const page = await open('/embed.html?room=room-abc123xyz9')
    await expect
      .poll(() => mounts(page))
      .toEqual([expect.objectContaining({ room: 'room-abc123xyz9', startOpen: false })])
    expect(await page.locator('#snippet').textContent()).toBe(
      `<script src="${broker.url}/widget.js" data-room="room-abc123xyz9"></script>`,
    )
    await page.goto(`${broker.url}/embed.html`)
    await expect.poll(() => mounts(page)).toEqual([expect.objectContaining({ room: 'embed-demo' })])
    await page.close()
  })

  it('embed-spa.html: tabs route by hash and the route readout follows', async () => {
    const page = await open('/embed-spa.html?room=spa-one')
    const route = page.getByTestId('route')
    expect(await route.textContent()).toBe('#/home')
    expect(await mounts(page)).toEqual([expect.objectContaining({ room: 'spa-one' })])
    for (const [name, hash] of [
      ['Pricing', '#/pricing'],
      ['About', '#/about'],
      ['Features', '#/features'],
    ] as const) {
      await page.getByRole('link', { name, exact: true }).click()
      await expect.poll(() => route.textContent()).toBe(hash)
      expect(await page.locator('.tabs [aria-current="page"]').allTextContents()).toEqual([name])
      expect(await page.getByRole('heading', { level: 2, name }).isVisible()).toBe(true)
    }
    await page.goBack()
    await expect.poll(() => route.textContent()).toBe('#/about')
    await page.close()
  })

  it('embed-spa.html: the call follows you; the follower does not echo the move back', async () => {
    const leader = await open('/embed-spa.html?room=follow-x', 'leader')
    const follower = await open('/embed-spa.html?room=follow-x', 'follower')
    // A third tab listens on the fake widget's channel and counts the route messages.
    const spy = await open('/embed.html?room=unrelated', 'spy')
    await spy.evaluate(() => {
      const seen: unknown[] = []
      ;(window as unknown as { seen: unknown[] }).seen = seen
      new BroadcastChannel('kibitz-fake:follow-x').onmessage = (e) => seen.push(e.data.data)
    })
    await leader.getByRole('link', { name: 'Pricing', exact: true }).click()
    await expect.poll(() => follower.getByTestId('route').textContent()).toBe('#/pricing')
    expect(await follower.evaluate(() => location.hash)).toBe('#/pricing')
    await new Promise((r) => setTimeout(r, 200))
    expect(await spy.evaluate(() => (window as unknown as { seen: unknown[] }).seen)).toEqual([
      { kind: 'route', route: '#/pricing' },
    ])
    expect(await leader.getByTestId('route').textContent()).toBe('#/pricing')
    await Promise.all([leader.close(), follower.close(), spy.close()])
  })

  it('every page fits a phone-sized viewport without sideways scrolling', async () => {
    const page = await open('/')
    for (const path of [
      '/',
      '/room.html#room-abcdefghij',
      '/embed.html',
      '/embed-spa.html',
      '/docs/',
      '/docs/protocol.html',
      '/docs/architecture.html',
      '/docs/packages/broker.html',
      '/docs/packages/broker/http.html',
    ]) {
      await page.goto(`${broker.url}${path}`)
      const [scroll, width] = await page.evaluate(() => [
        document.documentElement.scrollWidth,
        window.innerWidth,
      ])
      expect(scroll, path).toBeLessThanOrEqual(width)
    }
    await page.close()
  })
  it('no page threw an uncaught error', () => {
    expect(pageErrors).toEqual([])
  })
})
