/**
 * A drop zone: a box that takes files dropped on it or chosen with its file input (the keyboard
 * and screen-reader path), and hands them to one callback.
 */

/** Calls `onFiles` with the files dropped on `zone` or chosen in `input`. */
export function dropZone(zone: HTMLElement, input: HTMLInputElement, onFiles: (files: File[]) => void): void {
  const over = (on: boolean) => {
    if (on) zone.dataset['over'] = '';
    else delete zone.dataset['over'];
  };
  zone.addEventListener('dragenter', (e) => {
    e.preventDefault();
    over(true);
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    over(true);
  });
  zone.addEventListener('dragleave', (e) => {
    if (!zone.contains(e.relatedTarget as Node | null)) over(false);
  });
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    over(false);
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length > 0) onFiles(files);
  });
  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    input.value = ''; // choosing the same file again fires change again
    if (files.length > 0) onFiles(files);
  });
}

/** Stops the browser from opening a file dropped next to a zone (and leaving the page). */
export function ignoreStrayDrops(): void {
  for (const type of ['dragover', 'drop'] as const) {
    window.addEventListener(type, (e) => {
      if (!(e.target instanceof Element && e.target.closest('.drop'))) e.preventDefault();
    });
  }
}
