"""SegNet (Badrinarayanan, Kendall and Cipolla, 2017) for the "shapes" task, small enough for a browser.

Usage:
    from model import SegNet
    net = SegNet()                 # image [N,3,128,128] -> logits [N,4,128,128]

Each encoder level is a few Conv3x3-BatchNorm-ReLU blocks ending in a 2x2/2 max pool that keeps its
argmax indices; each decoder level, mirrored, begins with a max unpool of that level's indices and
continues with Conv-BN-ReLU blocks. There are no skip concatenations: the pooling indices are the only
thing the decoder gets from the encoder. A 1x1 convolution gives the class logits.
"""
import torch
from torch import nn
import torch.nn.functional as F

CHANNELS = (16, 32, 64, 64)
CONVS_PER_LEVEL = 2
NUM_CLASSES = 4


class ConvBNReLU(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class SegNet(nn.Module):
    def __init__(self, channels=CHANNELS, convs_per_level=CONVS_PER_LEVEL, in_channels=3, num_classes=NUM_CLASSES):
        super().__init__()
        self.channels = tuple(channels)
        self.convs_per_level = convs_per_level
        self.encoders = nn.ModuleList()
        cin = in_channels
        for c in channels:
            blocks = [ConvBNReLU(cin, c)] + [ConvBNReLU(c, c) for _ in range(convs_per_level - 1)]
            self.encoders.append(nn.Sequential(*blocks))
            cin = c
        # Decoder level i mirrors encoder level i: it unpools to that level's resolution, keeps its
        # channel count for all but the last block, whose output matches the level above's channels.
        self.decoders = nn.ModuleList()
        for i, c in enumerate(channels):
            cout = channels[i - 1] if i > 0 else channels[0]
            blocks = [ConvBNReLU(c, c) for _ in range(convs_per_level - 1)] + [ConvBNReLU(c, cout)]
            self.decoders.append(nn.Sequential(*blocks))
        self.classifier = nn.Conv2d(channels[0], num_classes, 1)

    def forward(self, x, return_indices=False):
        indices = []
        for encoder in self.encoders:
            x = encoder(x)
            x, idx = F.max_pool2d(x, 2, 2, return_indices=True)
            indices.append(idx)
        for level in reversed(range(len(self.decoders))):
            x = F.max_unpool2d(x, indices[level], 2, 2)
            x = self.decoders[level](x)
        logits = self.classifier(x)
        return (logits, indices) if return_indices else logits
