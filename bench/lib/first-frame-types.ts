/** What a first-frame page reports on `window.firstFrame` (times: `performance.now()`, i.e. ms since its navigation started). */
export interface FirstFrameResult {
  /** The first presented remote frame larger than 2×2 (the peer's camera). */
  firstFrameMs: number | null
  /** The page's `performance.timeOrigin` (epoch ms): puts two pages' times on one clock. */
  origin: number
  error: string | null
  /** When each stage was reached (ms since navigation), to see where the time goes. */
  marks: Record<string, number>
  /** Traced pages only (first-frame-probe.ts `TraceWire`): binary messages sent and received. */
  wire?: { tx: [string, number][]; rx: [string, number][] } | null
}

/** Record the first time `name` is reached. */
export function mark(result: FirstFrameResult, name: string): void {
  result.marks[name] ??= performance.now()
}

declare global {
  interface Window {
    firstFrame?: FirstFrameResult
  }
}

/** Watch `video` with `requestVideoFrameCallback` and fill `result` as frames are presented. */
export function watchFirstFrames(video: HTMLVideoElement, result: FirstFrameResult): void {
  const onFrame: VideoFrameRequestCallback = (_now, meta) => {
    // A Kibitz link shows the 2×2 placeholder until the camera is swapped in.
    if (meta.width > 2) result.firstFrameMs ??= performance.now()
    else video.requestVideoFrameCallback(onFrame)
  }
  video.requestVideoFrameCallback(onFrame)
}

/** A muted autoplaying `<video>` in the page. */
export function addVideo(): HTMLVideoElement {
  const video = document.createElement('video')
  video.muted = true
  video.autoplay = true
  video.playsInline = true
  document.body.append(video)
  return video
}

/**
 * Mark `pc` when the page makes its first RTCPeerConnection and `ice` when one first connects
 * (a subclass swapped in before anything runs; nothing else changes).
 */
export function markPeerConnections(result: FirstFrameResult): void {
  const Native = window.RTCPeerConnection
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config)
      mark(result, 'pc')
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected') mark(result, 'ice')
      })
    }
  }
}
