/** Public surface of the render core (issue 3). The queue, CLI and watcher build on these pieces. */
export {
  planSplice,
  planReference,
  renderSplice,
  fadeWindow,
  equalPowerGain,
  equalPowerGains,
  toSample,
  SpliceRangeError,
  type SplicePlan,
  type SpliceRequest,
  type Segment,
} from './splice.js';
export { encodeWav, encodeWavInto, readWav, type WavData } from './wav.js';
export { decodeFile, sha256File, sha256Bytes, ffmpegPath, parseFfmpegOutputFormat, type DecodedAudio, type DecodeOptions } from './decode.js';
export { PcmCache, pcmBytes, pcmViews, decodeToShared, type PcmCacheOptions, type PcmCacheStats } from './pcm-cache.js';
export {
  EVENT_ID_PATTERN,
  snippetFileName,
  type SharedPcm,
  type SnippetKind,
  type RenderTask,
  type RenderResult,
  type DecodeTask,
  type DecodeResult,
} from './messages.js';
export {
  RenderPool,
  SnippetRenderer,
  type RenderPoolOptions,
  type SnippetRendererOptions,
  type TrackRef,
  type JumpSpec,
} from './pool.js';
