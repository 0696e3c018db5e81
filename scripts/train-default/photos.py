#!/usr/bin/python3
"""
Copies a few clearly licensed photographs from scikit-image's data set (Debian package
`python3-skimage`) into packages/models/photos/, downscaled to at most 512 px per side.

    apt-get install -y python3-skimage
    /usr/bin/python3 scripts/train-default/photos.py

Licences are those stated in skimage/data/_fetchers.py (each loader's docstring); they are
recorded in packages/models/photos/LICENSES.md.
"""
import os
import sys

from PIL import Image

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SRC = "/usr/lib/python3/dist-packages/skimage/data"
OUT = os.path.join(REPO, "packages", "models", "photos")
MAX_SIDE = 512
PHOTOS = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg"]


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in PHOTOS:
        src = os.path.join(SRC, name)
        if not os.path.exists(src):
            sys.exit("%s not found: apt-get install -y python3-skimage" % src)
        img = Image.open(src).convert("RGB")
        w, h = img.size
        scale = min(1.0, MAX_SIDE / max(w, h))
        if scale < 1.0:
            img = img.resize((round(w * scale), round(h * scale)), Image.LANCZOS)
        dst = os.path.join(OUT, name)
        if name.endswith(".jpg"):
            img.save(dst, quality=90, optimize=True)
        else:
            img.save(dst, optimize=True)
        print("%s: %dx%d -> %dx%d, %d bytes" % (name, w, h, img.size[0], img.size[1], os.path.getsize(dst)))


if __name__ == "__main__":
    main()
