/**
 * The demo's views, one shown at a time: 'segmentation' (the trained SegNet, the default), 'explorer'
 * (the pooling explorer) and 'check' (argpool's conformance plan and speed table on this adapter).
 * The URL's hash names the view (#segmentation, #explorer, #check).
 */
export type ViewName = 'segmentation' | 'explorer' | 'check';

export const VIEW_NAMES: readonly ViewName[] = ['segmentation', 'explorer', 'check'];

/** The view a hash names; anything else opens the default view. */
export function viewFromHash(hash: string): ViewName {
  const name = hash.replace(/^#/, '');
  return (VIEW_NAMES as readonly string[]).includes(name) ? (name as ViewName) : 'segmentation';
}

/** Whether `name` is the view on screen (page-wide handlers such as drag and drop check this). */
export function isActiveView(name: ViewName): boolean {
  return document.body.dataset.view === name;
}

/**
 * Drag and drop of an image anywhere on the page while `view` is shown: the page is marked
 * `dragging` while a drag is over it, and `onFile` gets the first image dropped (`onNoImage` is
 * told when the drop held none).
 */
export function acceptDroppedImages(view: ViewName, onFile: (file: File) => void, onNoImage: () => void): void {
  let dragDepth = 0;
  document.addEventListener('dragenter', (event) => {
    if (!isActiveView(view)) return;
    event.preventDefault();
    dragDepth++;
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    if (!isActiveView(view)) return;
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) document.body.classList.remove('dragging');
  });
  document.addEventListener('dragover', (event) => {
    if (isActiveView(view)) event.preventDefault();
  });
  document.addEventListener('drop', (event) => {
    if (!isActiveView(view)) return;
    event.preventDefault();
    dragDepth = 0;
    document.body.classList.remove('dragging');
    const file = Array.from(event.dataTransfer?.files ?? []).find((f) => f.type.startsWith('image/'));
    if (file) onFile(file);
    else onNoImage();
  });
}

/** The element with `id`, which index.html must have; `owner` names the view in the error. */
export function element<T extends HTMLElement>(owner: string, id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`${owner}: #${id} is missing from index.html`);
  return found as T;
}
