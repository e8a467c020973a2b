#!/usr/bin/env python3
"""
Exports ENet (Paszke, Chaurasia, Kim and Culurciello, "ENet: A Deep Neural Network Architecture for
Real-Time Semantic Segmentation", 2016, arXiv:1606.02147) to models/exported/enet.onnx with PyTorch's
TorchScript ONNX exporter, as a PyTorch user would: random weights from a fixed seed (what is tested
is the graph the exporter writes, not what a trained model predicts), batch, height and width dynamic.

ENet's two downsampling bottlenecks call max_pool2d(return_indices=True); its two upsampling
bottlenecks unpool their main branch with those indices (max_unpool2d). PyTorch 1.13's exporter writes
each max_pool2d(return_indices=True) as a MaxPool with Indices, a 1x1 MaxPool with Indices and a Slice
and Sub that make the indices per (n, c) plane, as PyTorch's are. It has no symbolic for max_unpool2d;
the one registered below writes ONNX's MaxUnpool, adding the plane offsets back ((n * C + c) * H * W,
with Range, Mul and Add) and computing output_shape from the shapes (Shape, Slice, Gather, Concat),
so that every size stays dynamic.

Run with Debian's PyTorch (apt-get install -y python3-torch python3-onnx):
    /usr/bin/python3 models/exported/export_enet.py
"""
import os

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.onnx import symbolic_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 13
CLASSES = 12


class InitialBlock(nn.Module):
    """A 3x3 stride-2 convolution (13 maps) beside a 2x2 max pooling of the image (3 maps)."""

    def __init__(self, out_channels=16):
        super().__init__()
        self.conv = nn.Conv2d(3, out_channels - 3, 3, stride=2, padding=1, bias=False)
        self.norm = nn.BatchNorm2d(out_channels)
        self.act = nn.PReLU(out_channels)

    def forward(self, x):
        x = torch.cat([self.conv(x), F.max_pool2d(x, 2, 2)], 1)
        return self.act(self.norm(x))


def conv_norm_act(cin, cout, kernel, padding=0, dilation=1, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.PReLU(cout),
    )


class Bottleneck(nn.Module):
    """Regular, dilated or asymmetric bottleneck: 1x1 projection, the convolution, 1x1 expansion, residual."""

    def __init__(self, channels, kind='regular', dilation=1):
        super().__init__()
        inner = channels // 4
        if kind == 'asymmetric':
            middle = nn.Sequential(
                nn.Conv2d(inner, inner, (5, 1), padding=(2, 0), bias=False),
                nn.Conv2d(inner, inner, (1, 5), padding=(0, 2), bias=False),
                nn.BatchNorm2d(inner),
                nn.PReLU(inner),
            )
        else:
            middle = conv_norm_act(inner, inner, 3, padding=dilation, dilation=dilation)
        self.ext = nn.Sequential(
            conv_norm_act(channels, inner, 1),
            middle,
            nn.Conv2d(inner, channels, 1, bias=False),
            nn.BatchNorm2d(channels),
            nn.Dropout2d(0.1),
        )
        self.act = nn.PReLU(channels)

    def forward(self, x):
        return self.act(x + self.ext(x))


class Downsampling(nn.Module):
    """Main branch: 2x2 max pooling that keeps its indices, zero maps added; extension: 2x2 stride-2 convolution."""

    def __init__(self, cin, cout):
        super().__init__()
        inner = cin // 4
        self.extra = cout - cin
        self.ext = nn.Sequential(
            conv_norm_act(cin, inner, 2, stride=2),
            conv_norm_act(inner, inner, 3, padding=1),
            nn.Conv2d(inner, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
            nn.Dropout2d(0.1),
        )
        self.act = nn.PReLU(cout)

    def forward(self, x):
        main, indices = F.max_pool2d(x, 2, 2, return_indices=True)
        main = F.pad(main, (0, 0, 0, 0, 0, self.extra))
        return self.act(main + self.ext(x)), indices


class Upsampling(nn.Module):
    """Main branch: 1x1 convolution, then max unpooling with the downsampling's indices; extension: transposed convolution."""

    def __init__(self, cin, cout):
        super().__init__()
        inner = cin // 4
        self.main = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.project = conv_norm_act(cin, inner, 1)
        self.up = nn.ConvTranspose2d(inner, inner, 2, stride=2, bias=False)
        self.ext = nn.Sequential(
            nn.BatchNorm2d(inner),
            nn.PReLU(inner),
            nn.Conv2d(inner, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
            nn.Dropout2d(0.1),
        )
        self.act = nn.PReLU(cout)

    def forward(self, x, indices, skip):
        main = F.max_unpool2d(self.main(x), indices, 2, 2, output_size=skip.size())
        return self.act(main + self.ext(self.up(self.project(x))))


class ENet(nn.Module):
    def __init__(self, classes=CLASSES):
        super().__init__()
        self.initial = InitialBlock(16)
        self.down1 = Downsampling(16, 64)
        self.stage1 = nn.Sequential(*[Bottleneck(64) for _ in range(4)])
        self.down2 = Downsampling(64, 128)
        middle = [('regular', 1), ('regular', 2), ('asymmetric', 1), ('regular', 4),
                  ('regular', 1), ('regular', 8), ('asymmetric', 1), ('regular', 16)]
        self.stage2 = nn.Sequential(*[Bottleneck(128, kind, d) for kind, d in middle])
        self.stage3 = nn.Sequential(*[Bottleneck(128, kind, d) for kind, d in middle])
        self.up1 = Upsampling(128, 64)
        self.stage4 = nn.Sequential(Bottleneck(64), Bottleneck(64))
        self.up2 = Upsampling(64, 16)
        self.stage5 = Bottleneck(16)
        self.full = nn.ConvTranspose2d(16, classes, 2, stride=2)

    def forward(self, image):
        x0 = self.initial(image)
        x1, i1 = self.down1(x0)
        x1 = self.stage1(x1)
        x2, i2 = self.down2(x1)
        x2 = self.stage3(self.stage2(x2))
        y = self.stage4(self.up1(x2, i2, x1))
        y = self.stage5(self.up2(y, i1, x0))
        return self.full(y)


def max_unpool2d(g, self, indices, output_size):
    """aten::max_unpool2d(self, indices, output_size) as ONNX MaxUnpool. PyTorch's indices count
    within each (n, c) plane and ONNX's over the whole tensor: the plane offsets (n * C + c) * H * W
    are added. output_shape is [N, C, H, W] from X's shape and output_size, dynamic where they are.
    The ATen op has no kernel or stride: ENet pools 2x2 with stride 2, and MaxUnpool only infers a
    minimum output size from them, which output_shape meets."""
    if symbolic_helper._is_packed_list(output_size):
        sizes = [symbolic_helper._unsqueeze_helper(g, size, [0]) for size in symbolic_helper._unpack_list(output_size)]
        spatial = g.op('Concat', *sizes, axis_i=0)
    else:
        values = symbolic_helper._get_const(output_size, 'is', 'output_size')
        spatial = g.op('Constant', value_t=torch.tensor(values, dtype=torch.int64))
    batch_channels = symbolic_helper._slice_helper(g, g.op('Shape', self), axes=[0], starts=[0], ends=[2])
    output_shape = g.op('Concat', batch_channels, spatial, axis_i=0)
    planes = g.op('ReduceProd', batch_channels, keepdims_i=0)
    plane_size = g.op('ReduceProd', spatial, keepdims_i=0)
    zero = g.op('Constant', value_t=torch.tensor(0, dtype=torch.int64))
    one = g.op('Constant', value_t=torch.tensor(1, dtype=torch.int64))
    offsets = g.op('Mul', g.op('Range', zero, planes, one), plane_size)
    ones = g.op('Constant', value_t=torch.tensor([1, 1], dtype=torch.int64))
    offsets = g.op('Reshape', offsets, g.op('Concat', batch_channels, ones, axis_i=0))
    flat = g.op('Add', indices, offsets)
    return g.op('MaxUnpool', self, flat, output_shape, kernel_shape_i=[2, 2], strides_i=[2, 2])


def randomize(model, generator):
    """Seeded weights, and batch-norm statistics that are not the identity."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.1, 0.1, generator=generator)
                module.running_var.uniform_(0.5, 1.5, generator=generator)
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.uniform_(-0.1, 0.1, generator=generator)
            elif isinstance(module, nn.PReLU):
                module.weight.uniform_(0.0, 0.3, generator=generator)


def main():
    torch.manual_seed(2016)
    model = ENet().eval()
    randomize(model, torch.Generator().manual_seed(2016))
    torch.onnx.register_custom_op_symbolic('aten::max_unpool2d', max_unpool2d, OPSET)
    path = os.path.join(HERE, 'enet.onnx')
    image = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    torch.onnx.export(
        model, (image,), path, opset_version=OPSET, input_names=['image'], output_names=['logits'],
        dynamic_axes={'image': {0: 'batch', 2: 'height', 3: 'width'}, 'logits': {0: 'batch', 2: 'height', 3: 'width'}},
    )
    exported = onnx.load(path)
    onnx.checker.check_model(exported)
    kinds = {}
    for node in exported.graph.node:
        kinds[node.op_type] = kinds.get(node.op_type, 0) + 1
    print(f'{path}: {os.path.getsize(path)} bytes, opset {OPSET}, nodes {dict(sorted(kinds.items()))}')


if __name__ == '__main__':
    main()
