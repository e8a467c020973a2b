/**
 * The demo page's entry: shows the view the URL's hash names and loads its code the first time it is
 * shown, so the explorer does not create sessions for the model, and the segmentation view does not
 * start the explorer's GPU context, until someone opens them (nor does anything load tfjs or ORT for
 * the "Your model" view before it is opened).
 */
import { viewFromHash, VIEW_NAMES, type ViewName } from './views';

const started = new Set<ViewName>();

const BANNERS: Record<ViewName, string> = { segmentation: 'seg-banner', explorer: 'gpu-banner', check: 'check-banner', model: 'model-banner' };
const TITLES: Record<ViewName, string> = {
  segmentation: 'argpool demo: SegNet segmentation in the browser',
  explorer: 'argpool demo: pooling explorer',
  check: 'argpool demo: check this GPU',
  model: 'argpool demo: your model',
};

function start(view: ViewName): void {
  if (started.has(view)) return;
  started.add(view);
  const loaded =
    view === 'segmentation'
      ? import('./segmentation/app').then((module) => module.startSegmentation())
      : view === 'check'
        ? import('./check').then((module) => module.startCheck())
        : view === 'model'
          ? import('./model/app').then((module) => module.startModelView())
          : import('./explorer').then((module) => module.startExplorer());
  loaded.catch((error: unknown) => {
    const banner = document.getElementById(BANNERS[view]);
    if (banner) {
      banner.textContent = `This view could not load: ${error instanceof Error ? error.message : String(error)}`;
      banner.hidden = false;
    }
    throw error;
  });
}

function show(view: ViewName): void {
  document.body.dataset.view = view;
  for (const name of VIEW_NAMES) {
    document.getElementById(`view-${name}`)!.hidden = name !== view;
    const tab = document.getElementById(`tab-${name}`)!;
    if (name === view) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
  document.title = TITLES[view];
  start(view);
}

window.addEventListener('hashchange', () => show(viewFromHash(location.hash)));
show(viewFromHash(location.hash));
