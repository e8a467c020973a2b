/**
 * The demo's two views, one shown at a time: 'segmentation' (the trained SegNet, the default) and
 * 'explorer' (the pooling explorer). The URL's hash names the view (#segmentation, #explorer).
 */
export type ViewName = 'segmentation' | 'explorer';

export const VIEW_NAMES: readonly ViewName[] = ['segmentation', 'explorer'];

/** The view a hash names; anything else opens the default view. */
export function viewFromHash(hash: string): ViewName {
  const name = hash.replace(/^#/, '');
  return (VIEW_NAMES as readonly string[]).includes(name) ? (name as ViewName) : 'segmentation';
}

/** Whether `name` is the view on screen (page-wide handlers such as drag and drop check this). */
export function isActiveView(name: ViewName): boolean {
  return document.body.dataset.view === name;
}
