/**
 * Real Chromium for tests (TESTING.md "Real browsers"): playwright-core driving Debian's
 * /usr/bin/chromium, headless, with the launch flags that make WebRTC work on loopback here.
 *
 * Usage notes:
 * - Gate the file: `const chromiumPath = requireChromium()` at module level, then
 *   `describe.skipIf(!chromiumPath)(…)`. Locally a missing browser skips with a loud warning; with
 *   `CI` set it throws, so CI never passes by skipping.
 * - Build the page: `bundleForBrowser({ entry, resolveDir })` (./bundle.ts) turns a TS entry into
 *   one script (workspace packages from source, simple-peer shims), and `serveStatic({...})`
 *   (./static-server.ts) serves it with an HTML shell from 127.0.0.1 — a secure context, so
 *   WebCrypto and WebRTC work without TLS.
 * - `launchChromium()` once per file (`beforeAll`), `stop()` in `afterAll`: it closes the browser
 *   and removes the temp HOME. Each `newPage(url, { name })` is its own browser context (separate
 *   storage, like separate users); console errors and uncaught page errors print prefixed with
 *   `name`, so a failing page explains itself in the test output.
 * - `page.close()` is a killed tab (no unload handshake reaches our code); `page.reload()` is the
 *   same tab coming back.
 * - ICE: Chromium gathers every interface. Keep only 127.0.0.1 candidates in the signaling path
 *   (`loopbackOnly` from @kibitz/mesh) and pass `iceServers: []`.
 * - Timeouts: the first launch takes ~0.5–1 s; a page's first WebRTC link opens well under 1 s.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'

/** The Chromium binary: `KIBITZ_CHROMIUM`, else Debian's `/usr/bin/chromium`. */
export function chromiumPath(): string {
  return process.env.KIBITZ_CHROMIUM ?? '/usr/bin/chromium'
}

/** Whether the Chromium binary exists. */
export function hasChromium(): boolean {
  return existsSync(chromiumPath())
}

/**
 * The Chromium path a browser test needs. Missing with `CI` set: throws (the suite must fail, not
 * skip). Missing locally: warns loudly and returns null so the caller can `describe.skipIf`.
 */
export function requireChromium(what = 'the browser tests'): string | null {
  const path = chromiumPath()
  if (existsSync(path)) return path
  const hint = 'apt-get update && apt-get install -y chromium (or set KIBITZ_CHROMIUM)'
  if (process.env.CI) throw new Error(`${path} is missing: ${what} must run in CI; ${hint}`)
  console.warn(`\n!!! ${path} not found: SKIPPING ${what}. Install it: ${hint} !!!\n`)
  return null
}

/**
 * Playwright's own `--disable-features` list (playwright-core 1.65, `chromiumSwitches`). Chromium
 * reads only the last `--disable-features` of its command line, so {@link DISABLED_FEATURES}
 * repeats it; `chromium.test.ts` fails when Playwright's list has an item this one lacks.
 */
const PLAYWRIGHT_DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync',
  'DestroyProfileOnBrowserClose',
  'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable',
  'LensOverlay',
  'MediaRouter',
  'PaintHolding',
  'ThirdPartyStoragePartitioning',
  'AvoidCorsURLLoaderRestartOnRedirect',
  'TcpPortRandomizationWin',
  'OptimizationHints',
  'NetworkTimeServiceQuerying',
  'AimEnabled',
  'PreconnectToSearch',
  'msForceBrowserSignIn',
  'msEdgeUpdateLaunchServicesPreferredVersion',
] as const

/**
 * Features off: Playwright's, and the omnibox popup's WebUI. Full Chromium in `--headless` mode
 * loads that popup (two WebUI apps) in a renderer of its own for every window — every browser
 * context, so every `newPage` — at ~150–300 ms of CPU each (Chrome trace): work no page asked for,
 * competing with the pages under test for the machine's two cores.
 */
export const DISABLED_FEATURES: readonly string[] = [
  ...PLAYWRIGHT_DISABLED_FEATURES,
  'WebUIOmniboxPopup',
  'WebUIOmniboxAimPopup',
]

/**
 * The launch flags from TESTING.md. Fake UI lifts mDNS candidate hiding, allow-loopback yields
 * the 127.0.0.1 candidate, the resolver rule stops Chromium's own lookups of outside hosts.
 * Never add `--user-data-dir` (Playwright refuses it). `--disable-features` is here once, with
 * Playwright's list inside ({@link DISABLED_FEATURES}): another one would replace it.
 */
export const CHROMIUM_ARGS: readonly string[] = [
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
  `--disable-features=${DISABLED_FEATURES.join(',')}`,
]

export interface LaunchChromiumOptions {
  /** Default: {@link chromiumPath}. */
  executablePath?: string
  /** Appended to {@link CHROMIUM_ARGS} (a `--disable-features` must repeat {@link DISABLED_FEATURES}). */
  extraArgs?: readonly string[]
  /** Which page console messages reach the test output: errors only (default) or everything. */
  console?: 'errors' | 'all' | 'none'
  /** Browser launch timeout (ms). Default 30 s. */
  timeoutMs?: number
}

export interface NewPageOptions {
  /** Prefix of this page's console lines in the test output. Default `page1`, `page2`, … */
  name?: string
}

export interface ChromiumHandle {
  browser: Browser
  /** A page in a fresh browser context; navigates to `url` (waits for `load`) when given. */
  newPage(url?: string, options?: NewPageOptions): Promise<Page>
  /** Close the browser (every context and page) and remove the temp HOME. Idempotent. */
  stop(): Promise<void>
}

/** Print a page's console errors and uncaught errors into the test output, prefixed with `name`. */
export function pipePageConsole(
  page: Page,
  name: string,
  level: 'errors' | 'all' | 'none' = 'errors',
): void {
  if (level === 'none') return
  page.on('console', (msg) => {
    const type = msg.type()
    if (level === 'all') console.log(`[${name}] console.${type}: ${msg.text()}`)
    else if (type === 'error') console.error(`[${name}] console.error: ${msg.text()}`)
  })
  page.on('pageerror', (err) => console.error(`[${name}] pageerror: ${err.stack ?? err.message}`))
  page.on('crash', () => console.error(`[${name}] page crashed`))
}

/**
 * Launch headless Chromium with the TESTING.md flags. HOME, XDG_CONFIG_HOME and XDG_CACHE_HOME
 * point inside a fresh temp dir, so Chromium writes nothing elsewhere; `stop()` removes it.
 */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<ChromiumHandle> {
  const home = mkdtempSync(join(tmpdir(), 'kibitz-chromium-'))
  const level = options.console ?? 'errors'
  let browser: Browser
  try {
    browser = await chromium.launch({
      executablePath: options.executablePath ?? chromiumPath(),
      headless: true,
      args: [...CHROMIUM_ARGS, ...(options.extraArgs ?? [])],
      timeout: options.timeoutMs ?? 30_000,
      env: {
        ...process.env,
        HOME: home,
        XDG_CONFIG_HOME: join(home, 'config'),
        XDG_CACHE_HOME: join(home, 'cache'),
      },
    })
  } catch (error) {
    rmSync(home, { recursive: true, force: true })
    throw error
  }
  let count = 0
  let stopping: Promise<void> | null = null
  return {
    browser,
    async newPage(url, pageOptions = {}) {
      const context = await browser.newContext()
      const page = await context.newPage()
      pipePageConsole(page, pageOptions.name ?? `page${++count}`, level)
      if (url !== undefined) await page.goto(url)
      return page
    },
    stop() {
      stopping ??= (async () => {
        try {
          await browser.close()
        } finally {
          rmSync(home, { recursive: true, force: true })
        }
      })()
      return stopping
    },
  }
}
