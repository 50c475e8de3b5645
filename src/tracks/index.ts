/** Public surface of the tracks concern: registration, the HTTP routes, and the upload parsing they use. */
export {
  TRACK_ID,
  AUDIO_EXTENSIONS,
  audioContentType,
  registerTrack,
  registerTrackBytes,
  trackIdFromName,
  trackIdFromText,
  type RegisterOptions,
  type RegisterBytesOptions,
  type AudioFormat,
  type Probe,
} from './register.js';
export { trackRoutes, type TrackRoutesDeps, type TrackView } from './routes.js';
export { readUpload, uploadExtension, sniffExtension, type Upload } from './upload.js';
export { parseMultipart, multipartBoundary, headerParams, type MultipartPart } from './multipart.js';
