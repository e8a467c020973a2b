/**
 * The onnxruntime-web versions the adapter tests run on: the newest (the `onnxruntime-web` dev
 * dependency) and the oldest that the peer range admits (`onnxruntime-web-oldest`, an npm alias).
 */
import * as newest from 'onnxruntime-web/webgpu';
import * as oldest from 'onnxruntime-web-oldest/webgpu';

export type Ort = typeof newest;

// Threads need cross-origin isolation, which the test page does not have.
newest.env.wasm.numThreads = 1;
oldest.env.wasm.numThreads = 1;

/** `conv3d`: whether the version's WebGPU provider runs 3-D Conv (1.23's answers "Only Conv1d and Conv2d are supported"). */
export const ORT_VERSIONS: { name: string; ort: Ort; conv3d: boolean }[] = [
  { name: `onnxruntime-web ${newest.env.versions.web} (newest)`, ort: newest, conv3d: true },
  { name: `onnxruntime-web ${oldest.env.versions.web} (oldest supported)`, ort: oldest, conv3d: false },
];
