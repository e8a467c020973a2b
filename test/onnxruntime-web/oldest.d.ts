// The oldest supported onnxruntime-web, installed under an npm alias, declares its types for the
// module name 'onnxruntime-web'; the tests type it as the newest, whose API it shares here.
declare module 'onnxruntime-web-oldest/webgpu' {
  export * from 'onnxruntime-web/webgpu';
}
