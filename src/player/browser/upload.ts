/** The upload control: POST /api/tracks with a progress bar (XMLHttpRequest upload events), then `onUploaded`. */
import type { PlayerApi, TrackInfo } from './api.js';

export function bindUpload(api: PlayerApi, onUploaded: (t: TrackInfo) => Promise<void>): void {
  const input = document.getElementById('upload-file') as HTMLInputElement;
  const bar = document.getElementById('upload-progress') as HTMLProgressElement;
  const status = document.getElementById('upload-status')!;
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    if (!file) return;
    bar.hidden = false;
    bar.value = 0;
    status.textContent = `uploading ${file.name}…`;
    try {
      const t = await api.upload(file, file.name.replace(/\.[^.]*$/, '') || file.name, (f) => {
        bar.value = f;
        status.textContent = f < 1 ? `uploading ${Math.round(f * 100)}%` : 'decoding on the server…';
      });
      status.textContent = `uploaded "${t.title}"`;
      await onUploaded(t);
    } catch (err) {
      status.textContent = `upload failed: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      bar.hidden = true;
      input.value = '';
    }
  });
}
