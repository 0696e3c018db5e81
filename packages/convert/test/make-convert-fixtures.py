#!/usr/bin/env python3
"""
Build-time generator of the checkpoints in packages/convert/test/fixtures/ that convertCheckpoint()
and `bagnet convert` must accept or refuse. Not needed to run the tests; rerun it only to change
fixtures:

    /usr/bin/python3 packages/convert/test/make-convert-fixtures.py      # from the repo root

Needs torch (tested with the Debian package, torch 1.13). Reads the tiny BagNet-9 of
test/fixtures/checkpoints/bagnet9_c3_s0_w0.03125_b1111/ (zip variant) and writes:

  resnet50_like.pth            torch.save(state_dict) (legacy format) of a ResNet-50 (torchvision key names, blocks
                               3-4-6-3, 7x7 conv1, padded 3x3 convs) at 1/32 width, 10 classes:
                               must be refused as "not a BagNet"
  bagnet9_wrong_shape.pth      the tiny BagNet-9 with layer1.0.bn2.running_var of 3 values
                               instead of 2
  bagnet9_missing_key.pth      the tiny BagNet-9 without layer3.0.downsample.1.running_mean and
                               with an extra key 'head.extra.weight'
  bagnet9_c1000_f16.pth        the tiny BagNet-9 with a 1000-class fc (random), every floating
                               tensor stored as float16: a 1000-class model gets ImageNet labels
"""
import os

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
TINY = os.path.join(HERE, "..", "..", "..", "test", "fixtures", "checkpoints", "bagnet9_c3_s0_w0.03125_b1111",
                    "bagnet9_c3_s0_w0.03125_b1111_zip.pth.tar")


class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride, project):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, 4 * width, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * width)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = (nn.Sequential(nn.Conv2d(cin, 4 * width, 1, stride=stride, bias=False),
                                         nn.BatchNorm2d(4 * width)) if project else None)


class ResNet50(nn.Module):
    """torchvision.models.resnet50's module names and shapes, widths divided by 32."""

    def __init__(self, classes=10, div=32):
        super().__init__()
        w = 64 // div
        self.conv1 = nn.Conv2d(3, w, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        c = w
        for s, (n, width, stride) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512), (1, 2, 2, 2))):
            width //= div
            blocks = []
            for b in range(n):
                blocks.append(Bottleneck(c, width, stride if b == 0 else 1, b == 0))
                c = 4 * width
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*blocks))
        self.fc = nn.Linear(c, classes)


def save(name, sd, zip_format=True):
    path = os.path.join(OUT, name)
    torch.save(sd, path, _use_new_zipfile_serialization=zip_format)
    back = torch.load(path, map_location="cpu")
    assert list(back.keys()) == list(sd.keys()) and all(torch.equal(back[k], v) for k, v in sd.items()), name
    print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))


def main():
    torch.manual_seed(3)
    save("resnet50_like.pth", ResNet50().state_dict(), zip_format=False)

    tiny = torch.load(TINY, map_location="cpu")

    wrong = dict(tiny)
    wrong["layer1.0.bn2.running_var"] = torch.rand(3) + 0.5
    save("bagnet9_wrong_shape.pth", wrong)

    missing = dict(tiny)
    del missing["layer3.0.downsample.1.running_mean"]
    missing["head.extra.weight"] = torch.zeros(2)
    save("bagnet9_missing_key.pth", missing)

    c1000 = {k: (v.half() if v.is_floating_point() else v) for k, v in tiny.items()}
    features = tiny["fc.weight"].shape[1]
    c1000["fc.weight"] = (torch.randn(1000, features) * 0.1).half()
    c1000["fc.bias"] = (torch.randn(1000) * 0.1).half()
    save("bagnet9_c1000_f16.pth", c1000)


if __name__ == "__main__":
    main()
