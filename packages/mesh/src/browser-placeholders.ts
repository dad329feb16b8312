import type { Placeholders } from './media-lanes.js'

export interface BrowserPlaceholderOptions {
  /** How often the 2×2 canvas is repainted (ms): each repaint is one captured frame. Default 1 s. */
  repaintMs?: number
  /** Injected for tests; default the page's own `document` and `AudioContext`. */
  document?: Document
  AudioContext?: typeof AudioContext
}

/**
 * Flowing placeholders in a browser (M33): a 2×2 black canvas repainted on a slow timer through
 * `captureStream`, and the track of an `AudioContext` destination fed a constant 0 (silence). Made on first use, one
 * per kind (every lane and every mesh may share them). A kind the page cannot make is null (the
 * mesh then fails closed on withheld lanes). `stop()` stops the tracks, the timer and the context.
 */
export function browserPlaceholders(options: BrowserPlaceholderOptions = {}): Placeholders {
  const repaintMs = Math.max(50, options.repaintMs ?? 1_000)
  const made = new Map<'audio' | 'video', MediaStreamTrack | null>()
  let timer: ReturnType<typeof setInterval> | null = null
  let context: AudioContext | null = null
  let stopped = false

  function video(): MediaStreamTrack | null {
    const doc = options.document ?? globalThis.document
    const canvas = doc?.createElement('canvas')
    const paint = canvas?.getContext('2d')
    if (!canvas || !paint || typeof canvas.captureStream !== 'function') return null
    canvas.width = 2
    canvas.height = 2
    const repaint = () => {
      paint.fillStyle = '#000'
      paint.fillRect(0, 0, 2, 2)
    }
    repaint()
    const track = canvas.captureStream().getVideoTracks()[0] ?? null
    // A canvas stream only produces frames when painted: a slow repaint keeps the lane flowing.
    if (track) timer = setInterval(repaint, repaintMs)
    return track
  }

  function audio(): MediaStreamTrack | null {
    const Ctx = options.AudioContext ?? globalThis.AudioContext
    if (typeof Ctx !== 'function') return null
    // No output device: the context only feeds the placeholder track. Opening the default
    // output held the page for 70–140 ms on a first AudioContext in Chromium (bench mesh, first
    // frame); `sinkId: { type: 'none' }` (Chromium 110+) renders the graph without one. Browsers
    // without the option ignore it. Silence needs no fidelity: at 8 kHz with playback-sized
    // buffers the render thread wakes ~60 times a second instead of ~375, which took ~10% off
    // the CPU a two-page call uses until its first frame (bench mesh, `KIBITZ_BENCH_CPU`).
    const sinkless = { sinkId: { type: 'none' } } as AudioContextOptions
    try {
      context = new Ctx({ ...sinkless, sampleRate: 8_000, latencyHint: 'playback' })
    } catch {
      context = new Ctx(sinkless) // a browser that refuses the rate
    }
    // Made on first use, normally after the user clicked "join", so autoplay policy lets it run.
    void context.resume().catch(() => undefined)
    const destination = context.createMediaStreamDestination()
    // A destination with no input renders nothing and Chromium then sends no RTP at all: feed it
    // a constant 0 so silence actually flows.
    const zero = context.createConstantSource()
    zero.offset.value = 0
    zero.connect(destination)
    zero.start()
    return destination.stream.getAudioTracks()[0] ?? null
  }

  return {
    placeholder(kind) {
      if (stopped || (kind !== 'audio' && kind !== 'video')) return null
      if (!made.has(kind)) {
        let track: MediaStreamTrack | null = null
        try {
          track = kind === 'video' ? video() : audio()
        } catch {
          track = null
        }
        made.set(kind, track)
      }
      return made.get(kind) ?? null
    },
    stop() {
      stopped = true
      if (timer !== null) clearInterval(timer)
      timer = null
      for (const track of made.values()) track?.stop()
      made.clear()
      void context?.close().catch(() => undefined)
      context = null
    },
  }
}
