import { createCall, ErrorCode, KibitzError, type Call } from '@kibitz/call'
import { render } from 'preact'
import { STYLES } from './styles.js'
import type { MountedWidget, MountOptions } from './types.js'
import { Widget, type PanelHandle } from './ui/widget.js'

/** The tag of the shadow host: a custom-element name no page stylesheet targets by accident. */
export const HOST_TAG = 'kibitz-call'

/**
 * Mount the floating call (SPEC W1–W6). The panel renders inside an open shadow root on a
 * `<kibitz-call data-kibitz>` element appended to `target` (default `document.body`); with
 * `headless: true` nothing is rendered and the controller alone is returned. Bad options (an
 * empty room, a bad name) throw the controller's typed `KibitzError` before anything is added to
 * the page.
 */
export function mount(options: MountOptions): MountedWidget {
  if (typeof options !== 'object' || options === null) {
    throw new KibitzError(ErrorCode.BAD_MESSAGE, 'mount(options) needs an options object')
  }
  const call = createCall(options)
  if (options.headless === true) return withPanel(call, null, null, () => undefined)

  const doc = (options.target?.ownerDocument ?? globalThis.document) as Document | undefined
  if (!doc) {
    void call.destroy()
    throw new KibitzError(ErrorCode.NOT_CONFIGURED, 'mount() needs a page: use headless: true')
  }
  const host = doc.createElement(HOST_TAG)
  host.setAttribute('data-kibitz', '')
  const shadow = host.attachShadow({ mode: 'open' })
  const style = doc.createElement('style')
  style.textContent = STYLES
  const container = doc.createElement('div')
  container.className = 'k'
  if (options.accent) container.style.setProperty('--a', options.accent)
  shadow.append(style, container)
  ;(options.target ?? doc.body ?? doc.documentElement).append(host)

  const handle: PanelHandle = { open: () => undefined, close: () => undefined }
  render(<Widget call={call} options={options} handle={handle} />, container)
  return withPanel(call, host, handle, () => {
    render(null, container)
    host.remove()
  })
}

function withPanel(
  call: Call,
  host: HTMLElement | null,
  handle: PanelHandle | null,
  removeUi: () => void,
): MountedWidget {
  let gone: Promise<void> | null = null
  return {
    ...call,
    element: host,
    open: () => handle?.open(),
    close: () => handle?.close(),
    unmount() {
      gone ??= (async () => {
        removeUi()
        await call.destroy()
      })()
      return gone
    },
  }
}
