/**
 * Keyboard and pointer input of the transport: space = play / pause anywhere except in text fields, holding
 * shift (or pressing and holding the force button, for touch screens) forces jumps until released.
 */

export interface TransportActions {
  togglePlay(): void;
  setForcing(on: boolean): void;
}

const isTextField = (t: EventTarget | null) =>
  t instanceof HTMLElement &&
  (t.tagName === 'SELECT' || t.tagName === 'TEXTAREA' || (t instanceof HTMLInputElement && !['checkbox', 'range', 'button'].includes(t.type)));

export function bindTransport(a: TransportActions): void {
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Shift') return a.setForcing(true);
    if (e.code === 'Space' && !isTextField(e.target) && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault(); // no page scroll
      // A focused button or checkbox would also act on the keyup (e.g. "load" reloading the track): space
      // means play / pause everywhere on this page, so take the focus off it first.
      if (document.activeElement instanceof HTMLElement && document.activeElement !== document.body) document.activeElement.blur();
      if (!e.repeat) a.togglePlay();
    }
  });
  document.addEventListener('keyup', (e) => {
    if (e.key === 'Shift') a.setForcing(false);
    if (e.code === 'Space' && !isTextField(e.target)) e.preventDefault();
  });
  // A shift released while the window had no focus never sends its keyup.
  window.addEventListener('blur', () => a.setForcing(false));

  document.getElementById('play')!.addEventListener('click', () => a.togglePlay());
  const force = document.getElementById('force')!;
  force.addEventListener('pointerdown', () => a.setForcing(true));
  for (const ev of ['pointerup', 'pointerleave', 'pointercancel']) force.addEventListener(ev, () => a.setForcing(false));
}
