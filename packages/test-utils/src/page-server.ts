import { launchChromium, type ChromiumHandle, type LaunchChromiumOptions } from './chromium.js'
import { serveStatic } from './static-server.js'

/** One page script served from 127.0.0.1 and one Chromium to open it in. */
export interface PageInChromium {
  /** The page: `<body>` plus the script. */
  url: string
  chromium: ChromiumHandle
  /** Close the browser, then the server. Idempotent. */
  stop(): Promise<void>
}

/**
 * Serve `js` as the only script of an empty page and launch Chromium (`options`, e.g. extra
 * flags). If the launch fails, the server is closed before the error is rethrown.
 */
export async function servePageInChromium(
  js: string,
  options: LaunchChromiumOptions = {},
): Promise<PageInChromium> {
  const server = await serveStatic({
    '/index.html': '<!doctype html><body><script src="/page.js"></script></body>',
    '/page.js': js,
  })
  let chromium: ChromiumHandle
  try {
    chromium = await launchChromium(options)
  } catch (error) {
    await server.close()
    throw error
  }
  let stopped: Promise<void> | null = null
  return {
    url: server.url,
    chromium,
    stop: () =>
      (stopped ??= (async () => {
        await chromium.stop()
        await server.close()
      })()),
  }
}
