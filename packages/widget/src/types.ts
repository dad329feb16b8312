import type { Call, CallOptions } from '@kibitz/call'

/** `mount(options)`: the controller's options plus the panel's own (SPEC W1). */
export interface MountOptions extends CallOptions {
  /** Open the panel at once instead of the corner launcher. Default false. */
  startOpen?: boolean
  /** Render nothing: return the controller only (SPEC W6). Default false. */
  headless?: boolean
  /** Self-view only: the real panel with a local camera check, never dials a room. */
  preview?: boolean
  /** Skip the pre-join screen and join muted with the camera off once the panel opens. */
  autoJoin?: boolean
  /** Where the host element goes. Default `document.body`. */
  target?: HTMLElement
  /** The URL behind "Copy invite". Default: the page's own address. */
  inviteLink?: () => string
  /** The product name in the panel's title bar. Default "Kibitz". */
  brandName?: string
  /** Accent colour of buttons and rings (any CSS colour). */
  accent?: string
}

/** What `mount` returns: the headless controller, plus the panel's own controls (SPEC W2). */
export interface MountedWidget extends Call {
  /** Remove the panel and tear the call down (leave, close media). Idempotent. */
  unmount(): Promise<void>
  /** Open / close the panel (no-op when headless). */
  open(): void
  close(): void
  /** The shadow host element, or null when headless. */
  readonly element: HTMLElement | null
}
