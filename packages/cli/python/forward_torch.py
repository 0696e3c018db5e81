#!/usr/bin/env python3
"""Times a full-size BagNet forward pass in PyTorch on this machine (the benchmark's reference).

Build-time/benchmark tool only (Debian's python3-torch); never needed by npm start or npm test.
Prints one JSON line: {"torch": version, "threads": n, "q": q, "size": s, "median_s": t, "runs": [...]}.
Usage: forward_torch.py --q 33 --size 224 --runs 5 [--threads N]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn

KERNEL3 = {9: (1, 1, 0, 0), 17: (1, 1, 1, 0), 33: (1, 1, 1, 1)}


class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride, k, project):
        super().__init__()
        cout = 4 * width
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, k, stride=stride, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout)) if project else None

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        s = x if self.downsample is None else self.downsample(x)
        return self.relu(y + s[:, :, : y.shape[2], : y.shape[3]])


class BagNet(nn.Module):
    def __init__(self, q, classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 1, bias=False)
        self.conv2 = nn.Conv2d(64, 64, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        layers, c = [], 64
        for n, w, s, k3 in zip((3, 4, 6, 3), (64, 128, 256, 512), (2, 2, 2, 1), KERNEL3[q]):
            for b in range(n):
                st = s if b == 0 else 1
                layers.append(Bottleneck(c, w, st, 3 if b < k3 else 1, b == 0 and (st != 1 or c != 4 * w)))
                c = 4 * w
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv2(self.conv1(x))))
        x = self.layers(x).permute(0, 2, 3, 1)
        return self.fc(x)  # the logit map, N x h x w x C, as the tfjs model computes


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--q", type=int, default=33)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    m = BagNet(a.q).eval()
    x = torch.randn(1, 3, a.size, a.size)
    times = []
    with torch.no_grad():
        m(x)
        for _ in range(a.runs):
            t = time.perf_counter()
            m(x)
            times.append(time.perf_counter() - t)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "q": a.q, "size": a.size,
                      "median_s": statistics.median(times), "runs": times}))


if __name__ == "__main__":
    main()
