#!/usr/bin/env python3
"""Exports a full-size BagNet-q logit map to ONNX, for the onnxruntime-web peer of
`npm run bench -- --browser` (test/bench/browser-forward.ts).

The network is the reference architecture (the BagNet of dense_torch.py, as in bagnets/pytorchnet.py)
with seeded random weights in eval mode; speed does not depend on the values. The exported graph
computes what @bagnet-vis/core's BagNet.logitMap computes: the features, then the classifier as a
1x1 convolution at every cell (N x C x h x w), without the final mean. BatchNorm stays in the graph;
onnxruntime folds it into the convolutions when it loads the model, as core folds it at conversion.

Build tool only (Debian python3-torch, python3-onnx): the ~70 MB model goes to --out, a temporary
folder chosen by the caller, and is never part of the repository.
"""
import argparse
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dense_torch import KERNEL3, BagNet  # noqa: E402


class LogitMap(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net
        fc = net.fc
        self.head = nn.Conv2d(fc.in_features, fc.out_features, kernel_size=1)
        with torch.no_grad():
            self.head.weight.copy_(fc.weight[:, :, None, None])
            self.head.bias.copy_(fc.bias)

    def forward(self, x):
        n = self.net
        x = n.relu(n.bn1(n.conv2(n.conv1(x))))
        x = n.layer4(n.layer3(n.layer2(n.layer1(x))))
        return self.head(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--q", type=int, default=33, choices=(9, 17, 33))
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--out", required=True, help="the .onnx file to write")
    args = parser.parse_args()
    torch.manual_seed(0)
    model = LogitMap(BagNet(kernel3=KERNEL3[args.q]).eval()).eval()
    x = torch.randn(1, 3, args.size, args.size)
    with torch.no_grad():
        torch.onnx.export(model, x, args.out, input_names=["image"], output_names=["logit_map"], opset_version=13)
    import onnx

    onnx.checker.check_model(args.out)
    print(args.out)


if __name__ == "__main__":
    main()
