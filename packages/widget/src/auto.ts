import { mount } from './mount.js'
import type { MountedWidget, MountOptions } from './types.js'
import { VERSION } from './version.js'

/**
 * The entry of the self-contained `widget.js` (SPEC W3–W5): defines `window.Kibitz`, and when the
 * script tag carries `data-room`, mounts the call once the page's body exists. By default the call
 * signals to the origin that served `widget.js`, so `<script src="https://broker/widget.js">` works
 * from any page. An invalid room is one clear console error, never an exception in the page.
 */

export interface KibitzGlobal {
  mount(options: MountOptions): MountedWidget
  version: string
}

// `currentScript` is only set while this script first runs: read it now.
const script = (
  typeof document !== 'undefined' ? document.currentScript : null
) as HTMLScriptElement | null
const scriptOrigin = originOf(script?.src)

function originOf(src: string | undefined): string | null {
  if (!src) return null
  try {
    const origin = new URL(src, globalThis.location?.href).origin
    return origin === 'null' ? null : origin
  } catch {
    return null
  }
}

function mountWithDefaults(options: MountOptions): MountedWidget {
  const o = typeof options === 'object' && options !== null ? options : ({} as MountOptions)
  return mount({ ...(scriptOrigin ? { signalHost: scriptOrigin } : {}), ...o })
}

/** The one-liner's options from the tag's data attributes. */
export function optionsFromScript(el: HTMLScriptElement): MountOptions | null {
  const d = el.dataset
  if (d.room === undefined) return null
  const host: MountOptions['host'] = d.host
    ? {
        kind: 'name',
        name: d.host,
        ...(d.lobby === 'true' || d.lobby === '' ? { lobby: true } : {}),
      }
    : undefined
  return {
    room: d.room,
    ...(d.name ? { name: d.name } : {}),
    ...(d.startOpen !== undefined ? { startOpen: d.startOpen !== 'false' } : {}),
    ...(d.preview !== undefined ? { preview: d.preview !== 'false' } : {}),
    ...(host ? { host } : {}),
  }
}

function autoMount(): void {
  const options = script ? optionsFromScript(script) : null
  if (!options) return
  try {
    mountWithDefaults(options)
  } catch (err) {
    console.error(`[kibitz] widget.js could not mount data-room="${options.room}":`, err)
  }
}

const api: KibitzGlobal = { mount: mountWithDefaults, version: VERSION }
;(globalThis as { Kibitz?: KibitzGlobal }).Kibitz = api

if (typeof document !== 'undefined') {
  if (document.body) autoMount()
  else document.addEventListener('DOMContentLoaded', autoMount, { once: true })
}
