#!/usr/bin/env python3
"""PyTorch time of the reference dense-heatmap method, for test/bench/dense.ts.

The reference (bagnets/utils.py, generate_heatmap_pytorch) zero-pads the normalised image by
(q-1)//2 top/left and q-1-(q-1)//2 bottom/right, cuts one q x q patch per pixel with
Tensor.unfold, and runs the patches through the full BagNet in batches of 1000, keeping the
target class's logit. This script does exactly that on the CPU (the reference hard-codes CUDA),
with a BagNet built like bagnets/pytorchnet.py (random weights, eval mode: speed does not depend
on the values). Timing all 50,176 patches of a 224 x 224 image takes minutes for BagNet-33, so
--patches times the first N patches (whole batches) and extrapolates linearly.

Prints one JSON line: {"q", "size", "patches_timed", "patches_total", "seconds_prepare" (padding
and unfolding all patches, once), "seconds_timed" (the model on the timed patches),
"seconds_total_extrapolated" (prepare + timed x total / patches_timed), the same in process CPU
time "cpu_seconds_total_extrapolated", "threads", "torch", "batch"}.
"""
import argparse
import json
import time

import torch
import torch.nn as nn


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, kernel_size=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, momentum=0.001)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=kernel_size, stride=stride, padding=0, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, momentum=0.001)
        self.conv3 = nn.Conv2d(planes, planes * 4, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4, momentum=0.001)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        residual = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            residual = self.downsample(x)
        if residual.size(-1) != out.size(-1):
            diff = residual.size(-1) - out.size(-1)
            residual = residual[:, :, :-diff, :-diff]
        out += residual
        return self.relu(out)


class BagNet(nn.Module):
    def __init__(self, layers=(3, 4, 6, 3), strides=(2, 2, 2, 1), kernel3=(1, 1, 1, 1), num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=1, stride=1, padding=0, bias=False)
        self.conv2 = nn.Conv2d(64, 64, kernel_size=3, stride=1, padding=0, bias=False)
        self.bn1 = nn.BatchNorm2d(64, momentum=0.001)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(64, layers[0], strides[0], kernel3[0])
        self.layer2 = self._make_layer(128, layers[1], strides[1], kernel3[1])
        self.layer3 = self._make_layer(256, layers[2], strides[2], kernel3[2])
        self.layer4 = self._make_layer(512, layers[3], strides[3], kernel3[3])
        self.fc = nn.Linear(512 * Bottleneck.expansion, num_classes)

    def _make_layer(self, planes, blocks, stride, kernel3):
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * Bottleneck.expansion, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * Bottleneck.expansion, momentum=0.001),
            )
        layers = [Bottleneck(self.inplanes, planes, stride, downsample, kernel_size=1 if kernel3 == 0 else 3)]
        self.inplanes = planes * Bottleneck.expansion
        for i in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes, kernel_size=1 if kernel3 <= i else 3))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv2(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = nn.AvgPool2d(x.size()[2], stride=1)(x)
        return self.fc(x.view(x.size(0), -1))


KERNEL3 = {9: (1, 1, 0, 0), 17: (1, 1, 1, 0), 33: (1, 1, 1, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--q", type=int, default=33, choices=(9, 17, 33))
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--patches", type=int, default=2000, help="patches to time (rounded up to whole batches)")
    parser.add_argument("--batch", type=int, default=1000, help="patches per forward pass (the reference: 1000)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's default)")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = BagNet(kernel3=KERNEL3[args.q]).eval()
    q, size = args.q, args.size
    image = torch.randn(1, 3, size, size)
    target = 0
    total = size * size
    timed = min(total, -(-args.patches // args.batch) * args.batch)
    with torch.no_grad():
        model(torch.randn(8, 3, q, q))  # warm-up
        start = time.perf_counter()
        cpu_start = time.process_time()
        # generate_heatmap_pytorch, on the CPU, stopped after `timed` patches.
        a = (q - 1) // 2
        padded = torch.zeros(3, size + q - 1, size + q - 1)
        padded[:, a : a + size, a : a + size] = image[0]
        patches = padded[None].permute(0, 2, 3, 1).unfold(1, q, 1).unfold(2, q, 1)
        patches = patches.contiguous().view((-1, 3, q, q))
        prepare = time.perf_counter() - start  # all patches: done once, not extrapolated
        cpu_prepare = time.process_time() - cpu_start
        start = time.perf_counter()
        cpu_start = time.process_time()
        logits = []
        for batch in torch.split(patches[:timed], args.batch):
            logits.append(model(batch)[:, target].numpy().copy())
        run = time.perf_counter() - start
        cpu_run = time.process_time() - cpu_start
    print(
        json.dumps(
            {
                "q": q,
                "size": size,
                "patches_timed": timed,
                "patches_total": total,
                "seconds_prepare": prepare,
                "seconds_timed": run,
                "seconds_total_extrapolated": prepare + run * total / timed,
                "cpu_seconds_total_extrapolated": cpu_prepare + cpu_run * total / timed,
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
                "batch": args.batch,
            }
        )
    )


if __name__ == "__main__":
    main()
