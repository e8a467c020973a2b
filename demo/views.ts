/**
 * The demo's views, one shown at a time: 'segmentation' (the trained SegNet, the default), 'explorer'
 * (the pooling explorer), 'check' (argpool's conformance plan and speed table on this adapter) and
 * 'model' (your own model: inspected, then run through argpool and a CPU reference).
 * The URL's hash names the view (#segmentation, #explorer, #check, #model).
 */
export type ViewName = 'segmentation' | 'explorer' | 'check' | 'model';

export const VIEW_NAMES: readonly ViewName[] = ['segmentation', 'explorer', 'check', 'model'];

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
 * Drag and drop of files anywhere on the page while `view` is shown: the page is marked `dragging`
 * while a drag is over it, and `onFiles` gets the files dropped (possibly none).
 */
export function acceptDroppedFiles(view: ViewName, onFiles: (files: File[]) => void): void {
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
    onFiles(Array.from(event.dataTransfer?.files ?? []));
  });
}

/**
 * Drag and drop of an image anywhere on the page while `view` is shown: `onFile` gets the first
 * image dropped (`onNoImage` is told when the drop held none).
 */
export function acceptDroppedImages(view: ViewName, onFile: (file: File) => void, onNoImage: () => void): void {
  acceptDroppedFiles(view, (files) => {
    const file = files.find((f) => f.type.startsWith('image/'));
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
