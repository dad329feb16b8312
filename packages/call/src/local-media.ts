import { ErrorCode, KibitzError, type MediaLane } from '@kibitz/protocol'

/** The slice of `navigator.mediaDevices` the call uses (inject your own in tests or Node). */
export interface MediaDevicesLike {
  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream>
  getDisplayMedia?(constraints?: DisplayMediaStreamOptions): Promise<MediaStream>
}

type Tracks = Record<MediaLane, MediaStreamTrack | null>

/**
 * Our own capture: microphone, camera and the screen share (with its audio). Every change lands
 * on the mesh as `setTrack(lane, track | null)` — a `replaceTrack` on live links, never a
 * renegotiation (mesh M33+); null puts the lane back on its placeholder. Turning a device off
 * stops its track, so the browser's capture indicator goes off too.
 */
export class LocalMedia {
  readonly #tracks: Tracks = { audio: null, video: null, share: null, shareAudio: null }
  #preview: MediaStream | null = null

  constructor(
    private readonly devices: MediaDevicesLike | null,
    private readonly apply: (lane: MediaLane, track: MediaStreamTrack | null) => void,
    private readonly changed: () => void,
  ) {}

  get micOn(): boolean {
    return this.#tracks.audio !== null
  }
  get camOn(): boolean {
    return this.#tracks.video !== null
  }
  get sharing(): boolean {
    return this.#tracks.share !== null || this.#tracks.shareAudio !== null
  }

  track(lane: MediaLane): MediaStreamTrack | null {
    return this.#tracks[lane]
  }

  /** Camera + mic as one stream for the self tile (null when off or without MediaStream). */
  preview(): MediaStream | null {
    return this.#preview
  }

  async setMic(on: boolean): Promise<void> {
    if (on === this.micOn) return
    if (!on) return this.#set('audio', null)
    const stream = await this.#capture({ audio: true })
    this.#set('audio', stream.getAudioTracks()[0] ?? null)
  }

  async setCam(on: boolean): Promise<void> {
    if (on === this.camOn) return
    if (!on) return this.#set('video', null)
    const stream = await this.#capture({ video: true })
    this.#set('video', stream.getVideoTracks()[0] ?? null)
  }

  /** The browser's picker (screen, window or tab, with its audio when offered). */
  async shareScreen(): Promise<void> {
    const devices = this.devices
    if (!devices?.getDisplayMedia) {
      throw new KibitzError(ErrorCode.NOT_CONFIGURED, 'screen sharing is not available here')
    }
    let stream: MediaStream
    try {
      stream = await devices.getDisplayMedia({ video: true, audio: true })
    } catch (cause) {
      throw new KibitzError(ErrorCode.FORBIDDEN, 'screen share was refused', { cause })
    }
    this.stopShare()
    this.shareTrack(stream.getVideoTracks()[0] ?? null)
    const audio = stream.getAudioTracks()[0]
    if (audio) this.shareTrack(audio)
  }

  /** Publish any track on the share lanes: video → `share`, audio → `shareAudio`. */
  shareTrack(track: MediaStreamTrack | null): void {
    if (track === null) return
    if (track.kind !== 'video' && track.kind !== 'audio') {
      throw new KibitzError(ErrorCode.BAD_MESSAGE, `cannot share a ${String(track.kind)} track`)
    }
    const lane: MediaLane = track.kind === 'video' ? 'share' : 'shareAudio'
    // The browser's own "stop sharing" bar ends the track: follow it.
    track.addEventListener?.('ended', () => {
      if (this.#tracks[lane] === track) this.#set(lane, null)
    })
    this.#set(lane, track)
  }

  stopShare(): void {
    this.#set('share', null)
    this.#set('shareAudio', null)
  }

  stopAll(): void {
    for (const lane of Object.keys(this.#tracks) as MediaLane[]) this.#set(lane, null)
  }

  async #capture(constraints: MediaStreamConstraints): Promise<MediaStream> {
    if (!this.devices) {
      throw new KibitzError(ErrorCode.NOT_CONFIGURED, 'no media devices here (data-only call)')
    }
    try {
      return await this.devices.getUserMedia(constraints)
    } catch (cause) {
      const what = constraints.video ? 'camera' : 'microphone'
      throw new KibitzError(ErrorCode.FORBIDDEN, `${what} was refused or is missing`, { cause })
    }
  }

  #set(lane: MediaLane, track: MediaStreamTrack | null): void {
    const old = this.#tracks[lane]
    if (old === track) return
    this.#tracks[lane] = track
    old?.stop()
    this.apply(lane, track)
    this.#rebuildPreview()
    this.changed()
  }

  #rebuildPreview(): void {
    const Stream = (globalThis as { MediaStream?: typeof MediaStream }).MediaStream
    const tracks = [this.#tracks.video, this.#tracks.audio].filter(
      (t): t is MediaStreamTrack => t !== null,
    )
    this.#preview = Stream && tracks.length > 0 ? new Stream(tracks) : null
  }
}
