/**
 * Active-speaker detection (browsers): an RMS meter per participant's microphone track. A
 * participant is speaking while the level is above `threshold`, and for `holdMs` after it drops
 * (so pauses between words do not flicker). Placeholder lanes are silent, so they never speak.
 */
export interface SpeakingDetector {
  /** Meter this participant's mic track; null stops metering them. */
  watch(id: string, track: MediaStreamTrack | null): void
  /** Stop metering everyone not in `ids` (participants who left). */
  retain(ids: ReadonlySet<string>): void
  /** Ids speaking now. */
  speaking(): ReadonlySet<string>
  stop(): void
}

export interface SpeakingOptions {
  /** RMS level (0…1) that counts as speech. Default 0.02. */
  threshold?: number
  /** Keep "speaking" this long after the level drops (ms). Default 400. */
  holdMs?: number
  /** Sampling period (ms). Default 100. */
  intervalMs?: number
}

interface Meter {
  track: MediaStreamTrack
  /** Chromium feeds a remote WebRTC track into Web Audio only while a media element plays it. */
  sink: HTMLAudioElement | null
  source: MediaStreamAudioSourceNode
  analyser: AnalyserNode
  buffer: Float32Array<ArrayBuffer>
  lastLoud: number
}

/** A detector on the Web Audio API, or null where there is none (Node: `speaking` stays empty). */
export function createSpeakingDetector(
  onChange: (ids: ReadonlySet<string>) => void,
  options: SpeakingOptions = {},
): SpeakingDetector | null {
  const Ctx = (globalThis as { AudioContext?: typeof AudioContext }).AudioContext
  const Stream = (globalThis as { MediaStream?: typeof MediaStream }).MediaStream
  if (!Ctx || !Stream) return null
  const threshold = options.threshold ?? 0.02
  const holdMs = options.holdMs ?? 400
  const intervalMs = options.intervalMs ?? 100
  let ctx: AudioContext | null = null
  const meters = new Map<string, Meter>()
  let current: ReadonlySet<string> = new Set()

  const unwatch = (id: string): void => {
    const m = meters.get(id)
    if (!m) return
    m.source.disconnect()
    if (m.sink) {
      m.sink.pause()
      m.sink.srcObject = null
    }
    meters.delete(id)
  }

  // The meter runs only while something is metered: an idle controller costs nothing.
  let timer: ReturnType<typeof setInterval> | null = null
  const sample = (): void => {
    const now = Date.now()
    const next = new Set<string>()
    for (const [id, m] of meters) {
      if (m.track.readyState === 'ended') continue
      m.analyser.getFloatTimeDomainData(m.buffer)
      let sum = 0
      for (const v of m.buffer) sum += v * v
      if (Math.sqrt(sum / m.buffer.length) >= threshold) m.lastLoud = now
      if (now - m.lastLoud < holdMs) next.add(id)
    }
    if (next.size !== current.size || [...next].some((id) => !current.has(id))) {
      current = next
      onChange(current)
    }
    if (meters.size === 0 && timer !== null) {
      clearInterval(timer)
      timer = null
    }
  }

  return {
    watch(id, track) {
      if (meters.get(id)?.track === track) return
      unwatch(id)
      if (!track) return
      try {
        // Only analysed, never played: no output device (Chromium 110+; others ignore it).
        ctx ??= new Ctx({ sinkId: { type: 'none' } } as AudioContextOptions)
        // Created outside a user gesture it may start suspended: try now (a page that captures
        // media may run it), and again on the page's next click or key press (Safari's rule).
        if (ctx.state === 'suspended') resumeOnGesture(ctx)
        const stream = new Stream([track])
        const sink = silentSink(stream)
        const source = ctx.createMediaStreamSource(stream)
        const analyser = ctx.createAnalyser()
        analyser.fftSize = 512
        source.connect(analyser)
        timer ??= setInterval(sample, intervalMs)
        meters.set(id, {
          track,
          sink,
          source,
          analyser,
          buffer: new Float32Array(analyser.fftSize),
          lastLoud: 0,
        })
      } catch {
        // A track the audio graph refuses (e.g. ended) just is not metered.
      }
    },
    retain(ids) {
      for (const id of [...meters.keys()]) if (!ids.has(id)) unwatch(id)
    },
    speaking: () => current,
    stop() {
      if (timer !== null) clearInterval(timer)
      timer = null
      for (const id of [...meters.keys()]) unwatch(id)
      void ctx?.close().catch(() => undefined)
      ctx = null
    },
  }
}

/** A muted `<audio>` playing the stream (never heard: the app plays audio its own way). */
function silentSink(stream: MediaStream): HTMLAudioElement | null {
  const doc = (globalThis as { document?: Document }).document
  if (!doc) return null
  const el = doc.createElement('audio')
  el.muted = true
  el.srcObject = stream
  void el.play().catch(() => undefined)
  return el
}

/**
 * Resume a suspended `AudioContext` now if the browser allows it, else on the first click, touch
 * or key press anywhere in the page (browsers only start audio inside a user gesture).
 */
function resumeOnGesture(ctx: AudioContext): void {
  const doc = (globalThis as { document?: Document }).document
  const events = ['pointerdown', 'keydown', 'touchend'] as const
  const off = (): void => {
    for (const e of events) doc?.removeEventListener(e, resume, true)
  }
  const resume = (): void => {
    if (ctx.state !== 'suspended') return off()
    ctx.resume().then(off, () => undefined)
  }
  for (const e of events) doc?.addEventListener(e, resume, true)
  resume()
}
