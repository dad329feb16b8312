/**
 * Media lanes of a peer link: microphone, camera, screen share, and the screen share's audio.
 * Every link negotiates all four up front (in this order) and only ever swaps their tracks. The
 * lane names are also the content kinds capabilities gate (`@kibitz/capabilities`).
 */
export const MEDIA_LANES = ['audio', 'video', 'share', 'shareAudio'] as const
export type MediaLane = (typeof MEDIA_LANES)[number]
