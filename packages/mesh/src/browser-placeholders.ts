import type { Placeholders } from './media-lanes.js'

export interface BrowserPlaceholderOptions {
  /** How often the 2×2 canvas is repainted (ms): each repaint is one captured frame. Default 1 s. */
  repaintMs?: number
  /**
   * Injected for tests; default the page's own. `MediaStreamTrackGenerator: null` forces the
   * `AudioContext` silence where the generator exists.
   */
  document?: Document
  AudioContext?: typeof AudioContext
  MediaStreamTrackGenerator?: TrackGeneratorClass | null
}

/** Chromium's `MediaStreamTrackGenerator` (mediacapture-transform, on Window), as far as used. */
type TrackGeneratorClass = new (init: { kind: 'audio' | 'video' }) => MediaStreamTrack & {
  readonly writable: WritableStream<AudioData>
}

/** Silence is written at this rate, in chunks of what the clock says is due (≤ 1 s at once). */
const SILENCE_RATE = 48_000
const SILENCE_TICK_MS = 100

/**
 * Flowing placeholders in a browser (M33): a 2×2 black canvas repainted on a slow timer through
 * `captureStream`, and silence — written by a timer into a `MediaStreamTrackGenerator` where the
 * browser has one (Chromium), else the track of an `AudioContext` destination fed a constant 0.
 * Made on first use, one per kind (every lane and every mesh may share them). A kind the page
 * cannot make is null (the mesh then fails closed on withheld lanes). `stop()` stops the tracks,
 * the timers and the context.
 */
export function browserPlaceholders(options: BrowserPlaceholderOptions = {}): Placeholders {
  const repaintMs = Math.max(50, options.repaintMs ?? 1_000)
  const made = new Map<'audio' | 'video', MediaStreamTrack | null>()
  let timer: ReturnType<typeof setInterval> | null = null
  let silenceTimer: ReturnType<typeof setInterval> | null = null
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
    return generatedSilence() ?? contextSilence()
  }

  /**
   * Zeros written into a track generator: no audio graph, so no render thread and no audio
   * service (a first `AudioContext` in a browser took ~60 ms to start, a later one 1–2 ms plus
   * a render thread for as long as the call lasts). What the clock says is due is written every
   * 100 ms, so a throttled background timer only makes the chunks larger.
   */
  function generatedSilence(): MediaStreamTrack | null {
    const Generator =
      options.MediaStreamTrackGenerator === undefined
        ? (globalThis as { MediaStreamTrackGenerator?: TrackGeneratorClass })
            .MediaStreamTrackGenerator
        : options.MediaStreamTrackGenerator
    const Data = (globalThis as { AudioData?: typeof AudioData }).AudioData
    if (typeof Generator !== 'function' || typeof Data !== 'function') return null
    const track = new Generator({ kind: 'audio' })
    const writer = track.writable.getWriter()
    // As if it started a tick ago: the first chunk goes now, so the lane flows from its offer.
    const started = performance.now() - SILENCE_TICK_MS
    let written = 0
    // One write in flight at most: a sink that stalls costs a late chunk, never a growing queue.
    let writing = false
    const zeros = new Float32Array(SILENCE_RATE) // AudioData copies what it is given
    const feed = (): void => {
      if (writing) return
      const due = Math.floor(((performance.now() - started) / 1_000) * SILENCE_RATE)
      // Behind by more than a second (a frozen tab): skip ahead rather than send a backlog.
      if (due - written > SILENCE_RATE) written = due - SILENCE_RATE
      const frames = due - written
      if (frames <= 0) return
      const chunk = new Data({
        format: 'f32-planar',
        sampleRate: SILENCE_RATE,
        numberOfFrames: frames,
        numberOfChannels: 1,
        timestamp: Math.round((written / SILENCE_RATE) * 1e6),
        data: zeros.subarray(0, frames),
      })
      written = due
      writing = true
      writer.write(chunk).then(
        () => (writing = false),
        () => {
          writing = false
          chunk.close()
        },
      )
    }
    feed()
    silenceTimer = setInterval(feed, SILENCE_TICK_MS)
    return track
  }

  function contextSilence(): MediaStreamTrack | null {
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
      if (silenceTimer !== null) clearInterval(silenceTimer)
      timer = null
      silenceTimer = null
      for (const track of made.values()) track?.stop()
      made.clear()
      void context?.close().catch(() => undefined)
      context = null
    },
  }
}
