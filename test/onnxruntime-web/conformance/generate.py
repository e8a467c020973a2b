#!/usr/bin/env python3
"""
Writes the ONNX adapter's conformance cases (cases.json, one .onnx model and one .bin of tensors per
case) into this folder:

- ONNX Runtime's own MaxUnpool unit tests (onnxruntime/test/providers/cpu/nn/unpool_op_test.cc) and
  its MaxPool tests with an Indices output (pool_op_test.cc), error cases included, transcribed here
  as one-node models with their inputs and expected outputs (or the error ONNX Runtime gives); where
  they come from is in SOURCES below and in cases.json;
- NaN cases: MaxPool with Indices on inputs holding NaNs, with ONNX Runtime's CPU answers (see
  nan_pool below), which the test also takes from ORT's wasm provider at run time;
- every MaxPool and MaxUnpool case of ONNX's backend node tests (onnx.backend.test.case.node maxpool
  and maxunpool), from Debian's python3-onnx, and each float MaxPool case again with an Indices output
  added (its expected indices come from ONNX Runtime's wasm provider at test time).

Run with Debian's python (apt-get install -y python3-onnx python3-numpy):
    /usr/bin/python3 test/onnxruntime-web/conformance/generate.py
The backend cases draw random inputs; numpy is seeded first, so the files are reproducible.
"""
import json
import os
import sys

import numpy as np

np.random.seed(0)

import onnx  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402
import onnx.backend.test.case.node as node_cases  # noqa: E402
import onnx.backend.test.case.node.maxpool  # noqa: E402,F401  (collects its cases on import)
import onnx.backend.test.case.node.maxunpool  # noqa: E402,F401

HERE = os.path.dirname(os.path.abspath(__file__))

ELEM = {np.dtype('float32'): TensorProto.FLOAT, np.dtype('int64'): TensorProto.INT64,
        np.dtype('int8'): TensorProto.INT8, np.dtype('uint8'): TensorProto.UINT8}
NAMES = {np.dtype('float32'): 'float32', np.dtype('int64'): 'int64', np.dtype('int8'): 'int8', np.dtype('uint8'): 'uint8'}

cases = []

# Where ONNX Runtime's cases come from. The repository is too large to fetch whole here; its test
# files were read from a stored copy of the main branch that already holds
# UnpoolTest.MaxUnpoolOutputShapeBatchChannelMismatch. The newest release on npm, onnxruntime-web
# 1.31.1 (its wasm build info: git-commit-id=41d4d61f1), has that check ("output_shape batch and
# channel dimensions must match input"), which 1.27.0 was the first npm release to ship (1.26.0
# lacks it) and refuses the case, as the test asserts of ORT's wasm provider.
SOURCES = {
    'onnxruntime': {
        'repository': 'microsoft/onnxruntime',
        'paths': ['onnxruntime/test/providers/cpu/nn/unpool_op_test.cc', 'onnxruntime/test/providers/cpu/nn/pool_op_test.cc'],
        'version': 'main after the 1.31.1 release; checked against onnxruntime-web 1.31.1 (wasm build git-commit-id=41d4d61f1)',
        'cases': 'all 23 UnpoolTest cases run on the CPU provider (not the USE_DML-only ones) and the 8 PoolTest cases with an Indices output',
    },
    'onnx': {'package': f'onnx {onnx.__version__} (Debian python3-onnx)', 'cases': 'onnx.backend.test.case.node maxpool and maxunpool'},
}


# Where ONNX Runtime's kernel and ONNX's reference disagree, the adapter follows ONNX Runtime.
ORT_DIFFERS = {
    'onnx_maxunpool_export_with_output_shape':
        "ONNX's reference maps the indices of a 4x4 pooling input into the larger 5x5 output_shape "
        '(value 5 at row 1, column 1); ONNX Runtime reads indices as flat positions in the output, as the '
        'operator text says (value 5 at flat position 5: row 1, column 0)',
}


def write_case(name, source, model, inputs, outputs=None, error=None, indices_from_wasm=None, data=None):
    """inputs/outputs: lists of (name, array); error: {'ort': message, 'adapter': regex}; data: reuse that case's .bin."""
    onnx.save(model, os.path.join(HERE, f'{name}.onnx'))
    blob = bytearray()
    def tensors(items):
        out = []
        for tensor_name, array in items:
            array = np.ascontiguousarray(array)
            out.append({'name': tensor_name, 'dtype': NAMES[array.dtype], 'dims': list(array.shape), 'offset': len(blob), 'bytes': array.nbytes})
            blob.extend(array.tobytes())
            while len(blob) % 8:
                blob.append(0)
        return out
    entry = {'name': name, 'source': source, 'model': f'{name}.onnx', 'data': f'{data or name}.bin', 'inputs': tensors(inputs)}
    if outputs is not None:
        entry['outputs'] = tensors(outputs)
    if indices_from_wasm:
        entry['indicesFromWasm'] = indices_from_wasm
    if error:
        entry['error'] = error
    if name in ORT_DIFFERS:
        entry['ortDiffers'] = ORT_DIFFERS[name]
    if data is None:
        with open(os.path.join(HERE, f'{name}.bin'), 'wb') as f:
            f.write(bytes(blob))
    cases.append(entry)


def one_node(op, inputs, outputs, opset, attributes, shaped=True):
    """A one-node model; inputs and outputs: (name, array or dtype)."""
    def info(value_name, value):
        if isinstance(value, np.ndarray):
            return helper.make_tensor_value_info(value_name, ELEM[value.dtype], list(value.shape) if shaped else None)
        return helper.make_tensor_value_info(value_name, ELEM[np.dtype(value)], None)
    node = helper.make_node(op, [n for n, _ in inputs], [n for n, _ in outputs], name='node', **attributes)
    graph = helper.make_graph([node], f'{op} case', [info(n, v) for n, v in inputs], [info(n, v) for n, v in outputs])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)], producer_name='argpool conformance')


def f32(values, dims):
    return np.array(values, dtype=np.float32).reshape(dims)


def i64(values, dims):
    return np.array(values, dtype=np.int64).reshape(dims)


# --- ONNX Runtime: unpool_op_test.cc ------------------------------------------------------------

UNPOOL_SOURCE = 'onnxruntime/test/providers/cpu/nn/unpool_op_test.cc'


def ort_unpool(test, opset, attributes, x, i, expected=None, output_shape=None, error=None, shaped=True):
    inputs = [('xT', x), ('xI', i)] + ([('output_shape', output_shape)] if output_shape is not None else [])
    outputs = [('Y', expected if expected is not None else np.float32)]
    model = one_node('MaxUnpool', inputs, outputs, opset, attributes, shaped)
    write_case(f'ort_unpool_{test}', f'{UNPOOL_SOURCE} UnpoolTest.{test}', model, inputs,
               [('Y', expected)] if error is None else None, error)


e1d = f32([0, 1, 0, 2, 3, 0, 4, 0], [1, 1, 8])
e2d = f32([0, 1, 0, 2, 3, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 4, 4])
e3d = np.zeros(64, np.float32)
for value, index in zip([1, 2, 3, 4, 5, 6, 7, 8], [1, 3, 24, 30, 32, 38, 60, 62]):
    e3d[index] = value
e3d = e3d.reshape(1, 1, 4, 4, 4)
x4 = f32([1, 2, 3, 4], [1, 1, 4])
i4 = i64([1, 3, 4, 6], [1, 1, 4])
x22 = f32([1, 2, 3, 4], [1, 1, 2, 2])
i22 = i64([1, 3, 4, 6], [1, 1, 2, 2])
x222 = f32([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 2, 2, 2])
i222 = i64([1, 3, 24, 30, 32, 38, 60, 62], [1, 1, 2, 2, 2])
k1 = {'strides': [2], 'kernel_shape': [2]}
k2 = {'strides': [2, 2], 'kernel_shape': [2, 2]}
k3 = {'strides': [2, 2, 2], 'kernel_shape': [2, 2, 2]}

ort_unpool('MaxUnPool1D', 9, k1, x4, i4, e1d, i64([1, 1, 8], [3]))
ort_unpool('MaxUnPool2D', 9, k2, x22, i22, e2d, i64([1, 1, 4, 4], [4]))
ort_unpool('MaxUnPool3D', 9, k3, x222, i222, e3d, i64([1, 1, 4, 4, 4], [5]))
ort_unpool('MaxUnPool1D_Without_OutputShape', 9, k1, x4, i4, e1d)
ort_unpool('MaxUnPool2D_Without_OutputShape', 9, k2, x22, i22, e2d)
ort_unpool('MaxUnPool3D_Without_OutputShape', 9, k3, x222, i222, e3d)
ort_unpool('MaxUnPool1D_Padding', 9, {**k1, 'pads': [1, 0]}, x4, i4, f32([0, 1, 0, 2, 3, 0, 4], [1, 1, 7]))
ort_unpool('MaxUnPool2D_Padding', 9, {**k2, 'pads': [1, 1, 0, 0]}, x22, i22, f32([0, 1, 0, 2, 3, 0, 4, 0, 0], [1, 1, 3, 3]))
ort_unpool('MaxUnPool3D_Padding', 9, {**k3, 'pads': [0, 1, 1, 0, 0, 0]}, f32([1, 2, 3, 4], [1, 1, 1, 2, 2]), i64([1, 4, 8, 12], [1, 1, 1, 2, 2]),
           f32([0, 1, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0, 0], [1, 1, 2, 3, 3]))
ort_unpool('MaxUnPool1D_WithOutputShape', 9, k1, x4, i4, f32([0, 1, 0, 2, 3, 0, 4, 0, 0], [1, 1, 9]), i64([1, 1, 9], [3]))
ort_unpool('MaxUnPool2D_WithOutputShape', 9, k2, x22, i64([1, 3, 10, 12], [1, 1, 2, 2]),
           f32([0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 5, 5]), i64([1, 1, 5, 5], [4]))
e333 = np.zeros(27, np.float32)
e333[13] = 3
ort_unpool('MaxUnPool3D_WithOutputShape', 9, k3, f32([3], [1, 1, 1, 1, 1]), i64([13], [1, 1, 1, 1, 1]), e333.reshape(1, 1, 3, 3, 3), i64([1, 1, 3, 3, 3], [5]))
ort_unpool('MaxUnPool_DefaultStrides', 11, {'kernel_shape': [2]}, f32([1, 2, 4, 8], [1, 1, 4]), i64([1, 2, 3, 4], [1, 1, 4]), f32([0, 1, 2, 4, 8], [1, 1, 5]))
ort_unpool('MaxUnpoolInvalidIndices', 9, k1, x4, i64([1, 3, 4, 8], [1, 1, 4]), output_shape=i64([1, 1, 8], [3]),
           error={'ort': 'Index value out of bounds', 'adapter': r'^MaxUnpool node "node": maxUnpool1d: Found an invalid max index 8 '})
ort_unpool('MaxUnpoolMismatchedIndicesShape', 11, k1, x4, i64([0, 1, 2, 3, 4, 5], [1, 1, 6]), output_shape=i64([1, 1, 8], [3]),
           error={'ort': 'Index tensor shape should be same as that of the input data tensor to unpool',
                  'adapter': r'^MaxUnpool node "node": input I has shape \[1, 1, 6\], X has \[1, 1, 4\]; they must be the same'})
ort_unpool('MaxUnpoolInvalidInputRank0', 11, k1, np.array(1, np.float32), np.array(0, np.int64), shaped=False,
           # The scalar reaches the adapter with the dims onnxruntime-web's Tensor gives it ([1] in Chromium).
           error={'ort': 'Input dimension cannot be less than 3', 'adapter': r'^MaxUnpool node "node": input X must have at least 3 dimensions \(N, C and spatial\), got shape \[1?\]'})
ort_unpool('MaxUnpoolInvalidInputRank2', 11, k1, f32([1, 2, 3, 4], [2, 2]), i64([0, 1, 2, 3], [2, 2]), shaped=False,
           error={'ort': 'Input dimension cannot be less than 3', 'adapter': r'^MaxUnpool node "node": input X must have at least 3 dimensions \(N, C and spatial\), got shape \[2, 2\]'})
ort_unpool('MaxUnpoolNegativeIndex', 11, k1, x4, i64([-1, 3, 4, 6], [1, 1, 4]),
           error={'ort': 'Index value out of bounds', 'adapter': r'^MaxUnpool node "node": maxUnpool1d: Found an invalid max index -1 '})
ort_unpool('MaxUnpoolOutputShapeWrongElementCount', 11, k2, x22, i22, output_shape=i64([1, 4, 4], [3]), shaped=False,
           error={'ort': 'output_shape must have the same number of elements as the rank of input',
                  'adapter': r'^MaxUnpool node "node": output_shape must have as many values as X has dimensions \(4\), got \[1, 4, 4\]'})
ort_unpool('MaxUnpoolInvalidPadsSize', 11, {**k2, 'pads': [0, 0, 0]}, x22, i64([0, 1, 2, 3], [1, 1, 2, 2]), shaped=False,
           error={'ort': 'Pads attribute size must be twice the kernel_shape size', 'adapter': r'^MaxUnpool node "node": pads must have 4 values, got \[0, 0, 0\]$'})
ort_unpool('MaxUnpoolNegativeComputedDimension', 11, {'kernel_shape': [2], 'strides': [1], 'pads': [1, 1]}, f32([1], [1, 1, 1]), i64([0], [1, 1, 1]), shaped=False,
           error={'ort': 'Computed output dimension is not positive', 'adapter': r'^MaxUnpool node "node": the output size along axis 2 is 0, not positive'})
ort_unpool('MaxUnpoolOutputShapeSmallerThanMinimum', 11, k1, x4, i64([0, 1, 2, 3], [1, 1, 4]), output_shape=i64([1, 1, 4], [3]),
           error={'ort': 'output_shape is smaller than minimum required',
                  'adapter': r'^MaxUnpool node "node": output_shape \[1, 1, 4\] is smaller than the minimum, the inferred output shape \[1, 1, 8\]'})
ort_unpool('MaxUnpoolOutputShapeBatchChannelMismatch', 11, k1, x4, i64([0, 1, 2, 3], [1, 1, 4]), output_shape=i64([2, 1, 8], [3]), shaped=False,
           error={'ort': 'output_shape batch and channel dimensions must match input',
                  'adapter': r'^MaxUnpool node "node": output_shape \[2, 1, 8\] must keep X\'s batch and channels \[1, 1\]'})

# --- ONNX Runtime: pool_op_test.cc, MaxPool with an Indices output ------------------------------

POOL_SOURCE = 'onnxruntime/test/providers/cpu/nn/pool_op_test.cc'


def ort_pool(test, opset, attributes, x, values, indices):
    model = one_node('MaxPool', [('X', x)], [('Y', values), ('Indices', indices)], opset, attributes)
    write_case(f'ort_pool_{test}', f'{POOL_SOURCE} PoolTest.{test}', model, [('X', x)], [('Y', values), ('Indices', indices)])


# The 1x3x8x8 input of MaxPool_8_With_Index is numpy's RandomState(1234).rand in float32 (its first
# values 0.19151945, 0.6221087, 0.43772775 and its maxima match the test's literals, checked below).
x8 = np.random.RandomState(1234).rand(1, 3, 8, 8).astype(np.float32)
assert np.allclose(x8.ravel()[:3], [0.19151945412158966, 0.6221087574958801, 0.43772774934768677], rtol=0, atol=0)
maxima = f32([0.9920814633369446, 0.9820047616958618, 0.9946538209915161], [1, 3, 1, 1])
assert np.array_equal(x8.reshape(3, 64).max(1), maxima.ravel())
pool8 = {'auto_pad': '', 'strides': [1, 1], 'pads': [0, 0, 0, 0], 'kernel_shape': [8, 8]}
ort_pool('MaxPool_8_With_Index_storage_order_0', 8, {**pool8, 'storage_order': 0}, x8, maxima, i64([57, 67, 136], [1, 3, 1, 1]))
ort_pool('MaxPool_8_With_Index_storage_order_1', 8, {**pool8, 'storage_order': 1}, x8, maxima, i64([15, 88, 129], [1, 3, 1, 1]))
pool1 = {'auto_pad': '', 'strides': [2], 'pads': [0, 0], 'kernel_shape': [2]}
for order in (0, 1):
    ort_pool(f'MaxPool1D_8_With_Index_storage_order_{order}', 8, {**pool1, 'storage_order': order},
             f32([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 4]), f32([2, 4, 6, 8], [1, 2, 2]), i64([1, 3, 5, 7], [1, 2, 2]))
for dtype in ('int8', 'uint8'):
    for order in (0, 1):
        ort_pool(f'MaxPool1D_12_With_Index_{dtype}_storage_order_{order}', 12, {**pool1, 'storage_order': order},
                 np.array([1, 2, 3, 4, 5, 6, 7, 8], dtype).reshape(1, 2, 4), np.array([2, 4, 6, 8], dtype).reshape(1, 2, 2), i64([1, 3, 5, 7], [1, 2, 2]))

# --- NaN in MaxPool with Indices ----------------------------------------------------------------

NAN_SOURCE = 'onnxruntime/core/providers/cpu/nn/pool_functors.h MaxPool{1,2,3}DTask'


def ort_max_pool(x, kernel, strides, pads, dilations=None, ceil_mode=0, storage_order=0):
    """ONNX Runtime's CPU MaxPool with Indices (1.29 and later), loop for loop: the maximum starts at
    the lowest float with index -1; a tap in the input replaces it when `h_index < 0 || x > Yh`,
    so the first in-bounds tap always, a later one only when strictly greater (never a NaN, and
    nothing replaces a NaN). Up to 1.27 the `h_index < 0 ||` was not there: a NaN never won."""
    rank = len(kernel)
    dilations = dilations or [1] * rank
    n, c, *spatial = x.shape
    out = []
    for i in range(rank):
        span = spatial[i] + pads[i] + pads[i + rank] - dilations[i] * (kernel[i] - 1) - 1
        size = (-(-span // strides[i]) if ceil_mode else span // strides[i]) + 1
        if ceil_mode and (size - 1) * strides[i] >= spatial[i] + pads[i]:
            size -= 1
        out.append(size)
    y = np.zeros([n, c, *out], np.float32)
    indices = np.zeros([n, c, *out], np.int64)
    plane = int(np.prod(spatial))
    for b in range(n):
        for ch in range(c):
            for o in np.ndindex(*out):
                best, where = np.float32(np.finfo(np.float32).min), None
                for k in np.ndindex(*kernel):
                    p = [o[i] * strides[i] - pads[i] + k[i] * dilations[i] for i in range(rank)]
                    if any(p[i] < 0 or p[i] >= spatial[i] for i in range(rank)):
                        continue
                    v = x[(b, ch, *p)]
                    if where is None or v > best:
                        best, where = v, p
                y[(b, ch, *o)] = best
                if storage_order == 0:
                    flat = int(np.ravel_multi_index(where, spatial))
                else:
                    flat = sum(where[i] * int(np.prod(spatial[:i])) for i in range(rank))
                indices[(b, ch, *o)] = (b * c + ch) * plane + flat
    return y, indices


def nan_pool(test, x, kernel, strides, pads, dilations=None, ceil_mode=0, storage_order=0, older_ort_differs=None):
    """A MaxPool with Indices on an input holding NaNs. Expected outputs: ort_max_pool above (checked
    equal to onnxruntime-node 1.31.1 and to onnxruntime-web 1.31.1's wasm provider when written)."""
    attributes = {'kernel_shape': kernel, 'strides': strides, 'pads': pads, 'storage_order': storage_order}
    if dilations:
        attributes['dilations'] = dilations
    if ceil_mode:
        attributes['ceil_mode'] = ceil_mode
    y, indices = ort_max_pool(x, kernel, strides, pads, dilations, ceil_mode, storage_order)
    model = one_node('MaxPool', [('X', x)], [('Y', y), ('Indices', indices)], 12, attributes)
    write_case(f'nan_pool_{test}', f'{NAN_SOURCE}: {test}', model, [('X', x)], [('Y', y), ('Indices', indices)])
    cases[-1]['nan'] = True
    if older_ort_differs:
        cases[-1]['olderOrtDiffers'] = older_ort_differs


nan = np.nan
# The measured example: a NaN as a window's first tap stays; after a 5, NaNs are passed over.
nan_pool('2d_first_and_later', f32([nan, 1, 5, nan, 2, 3, nan, nan], [1, 1, 2, 4]), [2, 2], [2, 2], [0, 0, 0, 0])
nan_pool('1d', f32([nan, 1, 2, nan, 3, 1, 0, 7], [1, 1, 8]), [2], [2], [0, 0])
x_overlap = np.random.RandomState(7).uniform(-1, 1, (1, 2, 5, 6)).astype(np.float32)
x_overlap[0, 0, 0, 0] = nan  # first in-bounds tap of the padded corner window
x_overlap[0, 0, 2, 3] = nan  # a later tap of several overlapping windows
x_overlap[0, 1, 1, 1] = nan
x_overlap[0, 1, 4, 5] = nan
nan_pool('2d_overlap_pads', x_overlap, [3, 3], [2, 2], [1, 1, 1, 1])
nan_pool('2d_storage_order_1', x_overlap, [2, 2], [2, 2], [0, 0, 0, 0], storage_order=1)
nan_pool('2d_dilation_ceil', x_overlap, [2, 2], [2, 2], [0, 0, 0, 0], dilations=[2, 1], ceil_mode=1)
x_3d = np.random.RandomState(8).uniform(-1, 1, (1, 1, 2, 4, 4)).astype(np.float32)
x_3d[0, 0, 0, 0, 0] = nan
x_3d[0, 0, 1, 1, 3] = nan
nan_pool('3d', x_3d, [2, 2, 2], [2, 2, 2], [0, 0, 0, 0, 0, 0])
# Windows holding no number above the lowest float: ORT 1.29 and later keep their first tap, as
# argpool does; up to 1.27 ORT output the lowest float and an index computed from -1s.
nan_pool('no_number', f32([nan, nan, -np.inf, -np.inf, nan, nan, -np.inf, -np.inf], [1, 1, 2, 4]), [2, 2], [2, 2], [0, 0, 0, 0],
         older_ort_differs='ONNX Runtime up to 1.27 gives the lowest float and index -5 (computed from -1s) for both windows, neither of which holds a number above the lowest float')

# --- ONNX's backend node tests ------------------------------------------------------------------

for case in node_cases._NodeTestCases:
    (inputs, outputs), = case.data_sets
    graph = case.model.graph
    input_names = [v.name for v in graph.input]
    output_names = [v.name for v in graph.output]
    model = case.model
    name = case.name[len('test_'):]
    write_case(f'onnx_{name}', f'onnx {onnx.__version__} onnx/backend/test/case/node {case.name}', model,
               list(zip(input_names, inputs)), list(zip(output_names, outputs)))
    node = graph.node[0]
    if node.op_type == 'MaxPool' and len(node.output) == 1 and inputs[0].dtype == np.float32:
        # The same pooling with an Indices output, so that argpool runs it.
        with_indices = onnx.ModelProto()
        with_indices.CopyFrom(model)
        with_indices.graph.node[0].output.append('indices')
        with_indices.graph.output.append(helper.make_tensor_value_info('indices', TensorProto.INT64, None))
        write_case(f'onnx_{name}_with_indices', f'onnx {onnx.__version__} {case.name} with an Indices output added', with_indices,
                   list(zip(input_names, inputs)), list(zip(output_names, outputs)), indices_from_wasm=['indices'], data=f'onnx_{name}')

with open(os.path.join(HERE, 'cases.json'), 'w') as f:
    json.dump({'generator': 'test/onnxruntime-web/conformance/generate.py', 'sources': SOURCES, 'cases': cases}, f, indent=1)
    f.write('\n')
print(f'{len(cases)} cases written to {HERE}', file=sys.stderr)
