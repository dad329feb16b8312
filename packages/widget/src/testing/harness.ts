import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker, type Broker } from '@kibitz/broker'
import { launchChromium, type ChromiumHandle } from '@kibitz/test-utils'
import { buildWidgetScript, type WidgetScript } from '../../scripts/build-iife.mjs'

/**
 * The widget's browser tests: the packed `widget.js` (built in-process by the same function as
 * `pnpm build`), written with the test's pages into a temp dir that the real broker serves as its
 * static site, and one headless Chromium.
 */
export interface WidgetRig {
  broker: Broker
  chromium: ChromiumHandle
  script: WidgetScript
  /** URL of a page written into the static dir. */
  url(path: string): string
  stop(): Promise<void>
}

/** Where tests save screenshots for a person to look at (gitignored). */
export const ARTIFACTS = join(import.meta.dirname, '../../../../test-artifacts/widget')

export async function startWidgetRig(pages: Record<string, string>): Promise<WidgetRig> {
  const dir = mkdtempSync(join(tmpdir(), 'kibitz-widget-'))
  const script = await buildWidgetScript({ outfile: join(dir, 'widget.js') })
  for (const [name, html] of Object.entries(pages)) writeFileSync(join(dir, name), html)
  const broker = await startBroker({ port: 0, host: '127.0.0.1', staticDir: dir })
  let chromium: ChromiumHandle
  try {
    chromium = await launchChromium({ extraArgs: ['--autoplay-policy=no-user-gesture-required'] })
  } catch (error) {
    await broker.close()
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return {
    broker,
    chromium,
    script,
    url: (path) => `${broker.url}/${path.replace(/^\//, '')}`,
    async stop() {
      await chromium.stop()
      await broker.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A plain page: some host content, then `extraHead` and `body` as given. */
export function page(body: string, extraHead = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>host page</title>${extraHead}</head><body><h1 id="title">A host page</h1><p id="para">Host text.</p><button id="probe" type="button">Host button</button>${body}</body></html>`
}
