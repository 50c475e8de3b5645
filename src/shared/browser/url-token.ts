/**
 * The Jupyter-style link (`?token=…`) of the labeler and the dashboard: the token moves into
 * localStorage under `key` and leaves the address bar and the history entry, so it is neither
 * bookmarked nor sent on as a Referer.
 */
export function adoptUrlToken(key: string): void {
  const url = new URL(location.href);
  const t = url.searchParams.get('token');
  if (t === null) return;
  localStorage.setItem(key, t);
  url.searchParams.delete('token');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
}
