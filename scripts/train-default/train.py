#!/usr/bin/python3
"""
Trains the default model shipped in @bagnet-vis/models: a small BagNet on Fashion-MNIST.

Build tool only (never used at run time). Needs Debian's `python3-torch` and
`dataset-fashion-mnist` (IDX files under /usr/share/datasets/fashion-mnist/):

    apt-get install -y python3-torch dataset-fashion-mnist
    /usr/bin/python3 scripts/train-default/train.py            # ~8-10 min on 2 idle cores
    node --conditions=source --import tsx scripts/train-default/convert.ts

What it does, deterministically for a given --seed and thread count:
  1. splits the 60,000 training images into 55,000 for training and 5,000 for validation
     (seeded); the official 10,000-image test set is held out and evaluated once, at the end;
  2. trains a BagNet (the reference architecture of Brendel & Bethge 2019, bagnets/pytorchnet.py:
     1x1 stem conv, 3x3 valid conv + BN + ReLU, bottleneck stages with valid convs and top-left
     shortcut crop, linear head averaged over positions) with SGD + one-cycle LR, BN, light
     augmentation (random 2-px shift, horizontal flip);
  3. trains a plain CNN with a global receptive field (padded convs + global average pool) with
     the same data order, augmentation, optimiser, schedule and number of epochs, for comparison;
  4. writes the BagNet's state_dict with the reference's key names to --checkpoint (not
     committed), the per-epoch log to packages/models/default/training-log.json, ~50 held-out
     test images as PNG with packages/models/samples/samples.json, and the PyTorch logits of
     those images to packages/models/test/fixtures/pytorch-sample-logits.json (the tfjs test
     compares the converted model against them).

Images are grayscale; the network reads RGB like every BagNet: the gray channel is repeated
three times and normalised per channel with the training split's mean/std (((x/255)-mean)/std).
"""
import argparse
import copy
import gzip
import hashlib
import json
import math
import os
import platform
import struct
import sys
import time
import zlib
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA_DIR = "/usr/share/datasets/fashion-mnist"
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
EXPANSION = 4
STEM_WIDTH = 64
STAGE_WIDTH = (64, 128, 256, 512)
# Deterministic subset of the test set that the tfjs test re-evaluates when the dataset is
# installed: test indices i with i % SUBSET_EVERY == 0.
SUBSET_EVERY = 10


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------
def read_idx(path):
    """IDX file (optionally gzipped) -> numpy array (uint8)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        data = fh.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError("%s is not an unsigned-byte IDX file" % path)
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape).copy()


def find_idx(data_dir, stem):
    for name in (stem + "-ubyte.gz", stem + "-ubyte", stem + ".gz", stem):
        p = os.path.join(data_dir, name)
        if os.path.exists(p):
            return p
    raise SystemExit("Fashion-MNIST file %s not found in %s: apt-get install -y dataset-fashion-mnist "
                     "(or pass --data-dir)" % (stem, data_dir))


def load_fashion_mnist(data_dir):
    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        x = read_idx(find_idx(data_dir, prefix + "-images-idx3"))
        y = read_idx(find_idx(data_dir, prefix + "-labels-idx1"))
        if x.shape[1:] != (28, 28) or len(x) != len(y):
            raise SystemExit("unexpected Fashion-MNIST shapes %s / %s" % (x.shape, y.shape))
        out[split] = (x, y.astype(np.int64))
    return out


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------
def scale_width(c, f):
    """Channel count c scaled by f, rounded half up, at least 1 (as @bagnet-vis/core)."""
    return max(1, int(math.floor(c * f + 0.5)))


class Bottleneck(nn.Module):
    """1x1 -> kxk (stride s, no padding) -> 1x1, shortcut cropped to its top-left part.

    Copied from the reference (bagnets/pytorchnet.py via /work/shared/reference/make_fixture.py).
    """

    def __init__(self, c_in, width, stride, k, project):
        super().__init__()
        c_out = width * EXPANSION
        self.conv1 = nn.Conv2d(c_in, width, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, kernel_size=k, stride=stride, padding=0, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, c_out, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU()
        if project:
            self.downsample = nn.Sequential(
                nn.Conv2d(c_in, c_out, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(c_out))
        else:
            self.downsample = None

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        skip = x if self.downsample is None else self.downsample(x)
        return self.relu(y + skip[:, :, :y.shape[-2], :y.shape[-1]])


class BagNet(nn.Module):
    """The reference BagNet with configurable stage strides and 3x3-block counts (`kernel3`).

    Same module and parameter names as bagnets/pytorchnet.py, so the state_dict keys are those of
    the released checkpoints. This is the family @bagnet-vis/core builds with
    `bagnetArchitecture({ kernel3, stageStrides, widthScale, blocks })`.
    """

    def __init__(self, kernel3, stage_strides, width_scale, blocks, num_classes):
        super().__init__()
        stem = scale_width(STEM_WIDTH, width_scale)
        widths = [scale_width(w, width_scale) for w in STAGE_WIDTH]
        # stem: 1x1 conv (no BN / no ReLU), then 3x3 valid conv + BN + ReLU. (The reference
        # sets momentum=0.001 on bn1; training from scratch uses the default 0.1 so the running
        # statistics follow the weights. The state_dict keys are unchanged.)
        self.conv1 = nn.Conv2d(3, stem, kernel_size=1, bias=False)
        self.conv2 = nn.Conv2d(stem, stem, kernel_size=3, padding=0, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.relu = nn.ReLU()
        c = stem
        for s, (n, width, stride, n3) in enumerate(zip(blocks, widths, stage_strides, kernel3)):
            layer = []
            for b in range(n):
                blk_stride = stride if b == 0 else 1
                project = b == 0 and (blk_stride != 1 or c != width * EXPANSION)
                layer.append(Bottleneck(c, width, blk_stride, 3 if b < n3 else 1, project))
                c = width * EXPANSION
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*layer))
        self.fc = nn.Linear(c, num_classes)

    def features(self, x):
        x = self.relu(self.bn1(self.conv2(self.conv1(x))))
        for s in range(1, 5):
            x = getattr(self, "layer%d" % s)(x)
        return x

    def logit_map(self, x):
        """Class evidence per position (the evidence map): N x C x H' x W'."""
        f = self.features(x)
        return torch.einsum("nchw,kc->nkhw", f, self.fc.weight) + self.fc.bias[None, :, None, None]

    def forward(self, x):
        return self.fc(self.features(x).mean(dim=(2, 3)))   # == mean of logit_map


def receptive_field(kernel3, stage_strides, blocks):
    """(q, total stride), as @bagnet-vis/core's receptiveFieldOf."""
    rf, jump = 3, 1
    for n, n3, s in zip(blocks, kernel3, stage_strides):
        for b in range(n):
            if b < n3:
                rf += 2 * jump
            jump *= s if b == 0 else 1
    return rf, jump


PLAIN_CNN_WIDTHS = (16, 32, 32, 64, 64, 128)
PLAIN_CNN_STRIDES = (1, 2, 1, 2, 1, 1)


class PlainCNN(nn.Module):
    """Comparison model: padded 3x3 convs + BN + ReLU, global average pool, linear head.

    Its receptive field covers the whole 28x28 image (and the pool is global), so it can use
    the garment's global shape, which a BagNet cannot.
    """

    def __init__(self, num_classes, widths=None, strides=None):
        widths = PLAIN_CNN_WIDTHS if widths is None else widths
        strides = PLAIN_CNN_STRIDES if strides is None else strides
        super().__init__()
        layers, c = [], 3
        for w, s in zip(widths, strides):
            layers += [nn.Conv2d(c, w, 3, stride=s, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
            c = w
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):
        return self.fc(self.features(x).mean(dim=(2, 3)))


def n_params(model):
    return int(sum(p.numel() for p in model.parameters()))


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------
def to_input(x01, mean, std):
    """N x 1 x H x W in [0, 1] -> normalised N x 3 x H x W (gray repeated as RGB)."""
    return ((x01 - mean) / std).expand(-1, 3, -1, -1).contiguous()


def augment(x01, gen, shift=2):
    """Random shift by up to `shift` px (zero = background padding) and horizontal flip."""
    b, _, h, w = x01.shape
    p = F.pad(x01, (shift, shift, shift, shift))
    dy = torch.randint(0, 2 * shift + 1, (b,), generator=gen)
    dx = torch.randint(0, 2 * shift + 1, (b,), generator=gen)
    rows = (dy[:, None] + torch.arange(h))[:, :, None]
    cols = (dx[:, None] + torch.arange(w))[:, None, :]
    out = p[torch.arange(b)[:, None, None], 0, rows, cols]
    flip = torch.rand(b, generator=gen) < 0.5
    out = torch.where(flip[:, None, None], out.flip(-1), out)
    return out[:, None]


@torch.no_grad()
def predict(model, x_u8, mean, std, batch=1000):
    """Logits (float64 numpy) for uint8 N x 28 x 28 images."""
    model.eval()
    outs = []
    for i in range(0, len(x_u8), batch):
        x = torch.from_numpy(x_u8[i:i + batch]).float().div_(255.0)[:, None]
        outs.append(model(to_input(x, mean, std)).double())
    return torch.cat(outs).numpy()


def accuracy(logits, y):
    return float((logits.argmax(1) == y).mean())


def train_model(name, model, data, args, mean, std, log):
    """Trains `model` on data['train'] with the shared recipe; returns the per-epoch log."""
    x_tr, y_tr = data["train"]
    x_va, y_va = data["val"]
    n = len(x_tr)
    steps_per_epoch = n // args.batch_size            # drop the last partial batch
    decay, no_decay = [], []
    for p in model.parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)  # no weight decay on BN and biases
    opt = torch.optim.SGD([{"params": decay, "weight_decay": args.weight_decay},
                           {"params": no_decay, "weight_decay": 0.0}],
                          lr=args.lr, momentum=0.9, nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch, pct_start=0.15,
        anneal_strategy="cos", div_factor=10.0, final_div_factor=100.0)
    gen = torch.Generator().manual_seed(args.seed + 1)  # same data order/augmentation per model
    x_all = torch.from_numpy(x_tr).float().div_(255.0)[:, None]
    y_all = torch.from_numpy(y_tr)
    epochs = []
    t_start, cpu_start = time.time(), time.process_time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        t0 = time.time()
        perm = torch.randperm(n, generator=gen)
        loss_sum, correct, seen = 0.0, 0, 0
        for step in range(steps_per_epoch):
            idx = perm[step * args.batch_size:(step + 1) * args.batch_size]
            x = to_input(augment(x_all[idx], gen), mean, std)
            y = y_all[idx]
            out = model(x)
            loss = F.cross_entropy(out, y, label_smoothing=args.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += float(loss) * len(y)
            correct += int((out.argmax(1) == y).sum())
            seen += len(y)
            if (step + 1) % 100 == 0:
                log("  %-7s epoch %d step %d/%d  loss %.4f  %.0fs" % (
                    name, epoch, step + 1, steps_per_epoch, loss_sum / seen, time.time() - t0))
        train_s = time.time() - t0
        va = predict(model, x_va, mean, std)
        rec = OrderedDict(
            epoch=epoch,
            trainLoss=round(loss_sum / seen, 4),
            trainAccuracy=round(correct / seen, 4),
            valLoss=round(float(F.cross_entropy(torch.from_numpy(va), torch.from_numpy(y_va))), 4),
            valAccuracy=round(accuracy(va, y_va), 4),
            lrEnd=float("%.3g" % sched.get_last_lr()[0]),
            seconds=round(time.time() - t0, 1),
            trainSeconds=round(train_s, 1))
        epochs.append(rec)
        log("  %-7s epoch %d/%d  train loss %.4f acc %.4f | val loss %.4f acc %.4f | %.0fs" % (
            name, epoch, args.epochs, rec["trainLoss"], rec["trainAccuracy"], rec["valLoss"],
            rec["valAccuracy"], rec["seconds"]))
    return epochs, time.time() - t_start, time.process_time() - cpu_start


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------
def write_gray_png(path, img_u8):
    """8-bit grayscale PNG (filter 0, zlib level 9): a few hundred bytes for 28x28."""
    h, w = img_u8.shape
    raw = b"".join(b"\x00" + img_u8[i].tobytes() for i in range(h))

    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with open(path, "wb") as fh:
        fh.write(png)


def write_json(path, doc, rows_key):
    """JSON with one entry of doc[rows_key] per line (readable diffs, compact numbers)."""
    lines = []
    for k, v in doc.items():
        if k == rows_key:
            items = ",\n".join("  " + json.dumps(r) for r in v)
            lines.append("%s: [\n%s\n ]" % (json.dumps(k), items))
        else:
            lines.append("%s: %s" % (json.dumps(k), json.dumps(v)))
    with open(path, "w") as fh:
        fh.write("{\n " + ",\n ".join(lines) + "\n}\n")


def write_sample_list(path, samples):
    """The TypeScript twin of samples.json (Prettier-formatted), for @bagnet-vis/models."""
    rows = "".join("  { file: '%s', testIndex: %d, label: %d },\n" % (s["file"], s["testIndex"], s["label"])
                   for s in samples)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write("/** Generated by scripts/train-default/train.py with samples/samples.json: do not edit. */\n"
                 "export const SAMPLE_LIST: readonly { file: string; testIndex: number; label: number }[] = [\n"
                 + rows + "];\n")


def slug(label):
    return "".join(ch if ch.isalnum() else "-" for ch in label.lower()).strip("-").replace("--", "-")


@torch.no_grad()
def self_check(model, x_u8, mean, std, q, stride):
    """Evidence-map geometry in PyTorch: mean of map == logits; cell (i, j) == model(patch)."""
    model.eval()
    x = to_input(torch.from_numpy(x_u8[:4]).float().div_(255.0)[:, None], mean, std).double()
    m = copy.deepcopy(model).double()
    lm = m.logit_map(x)
    worst_mean = float((lm.mean(dim=(2, 3)) - m(x)).abs().max())
    worst_patch = 0.0
    rows, cols = lm.shape[2], lm.shape[3]
    for i, j in ((0, 0), (rows - 1, cols - 1), (rows // 2, cols // 3), (0, cols - 1)):
        patch = x[:, :, stride * i:stride * i + q, stride * j:stride * j + q]
        worst_patch = max(worst_patch, float((m(patch) - lm[:, :, i, j]).abs().max()))
    return OrderedDict(grid=[rows, cols], meanOfMapVsLogitsMaxAbs=worst_mean,
                       patchVsMapMaxAbs=worst_patch)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def recipe_doc(args):
    """The training recipe as the log records it (shared by both models)."""
    return OrderedDict(
        seed=args.seed, epochs=args.epochs, batchSize=args.batch_size,
        optimizer="SGD, Nesterov momentum 0.9, weight decay %g (not on BN/bias)" % args.weight_decay,
        schedule="one-cycle: LR %g -> %g (15%% warm-up) -> cosine to %g" % (
            args.lr / 10, args.lr, args.lr / 1000),
        augmentation="random shift by up to 2 px (zero padding) and horizontal flip",
        loss="cross-entropy on the mean of the logit map" + (
            ", label smoothing %g" % args.label_smoothing if args.label_smoothing else ""))


def cnn_sample_logits(cnn, samples, x_test, mean, std):
    """Eval-mode float64 PyTorch logits of the plain CNN on the sample images."""
    with torch.no_grad():
        c64 = copy.deepcopy(cnn).double().eval()
        x = torch.from_numpy(x_test[[s["testIndex"] for s in samples]]).double().div_(255.0)[:, None]
        logits = c64(to_input(x, mean.double(), std.double())).numpy()
    return [OrderedDict(file=s["file"], label=s["label"], predicted=int(logits[k].argmax()),
                        logits=[float("%.7g" % v) for v in logits[k]]) for k, s in enumerate(samples)]


def write_cnn_fixture(models_dir, cnn_ref, cnn_sha):
    write_json(os.path.join(models_dir, "test", "fixtures", "pytorch-sample-logits-plain-cnn.json"), OrderedDict(
            source="scripts/train-default/train.py: eval-mode PyTorch logits (float64 forward of "
                   "the float32 weights) of the plain-CNN checkpoint with sha256 %s" % cnn_sha,
            checkpointSha256=cnn_sha, samples=cnn_ref), "samples")


def parse_quad(s):
    v = tuple(int(t) for t in s.split(","))
    if len(v) != 4:
        raise argparse.ArgumentTypeError("expected four comma-separated integers, e.g. 1,2,1,1")
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=DATA_DIR)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1, help="peak learning rate of the one-cycle schedule")
    ap.add_argument("--weight-decay", type=float, default=5e-4)
    ap.add_argument("--label-smoothing", type=float, default=0.1,
                    help="label smoothing of the cross-entropy (default 0.1, as the shipped model)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--val-size", type=int, default=5000)
    ap.add_argument("--kernel3", type=parse_quad, default=(1, 1, 1, 0),
                    help="leading 3x3 blocks per stage (default 1,1,1,0)")
    ap.add_argument("--stage-strides", type=parse_quad, default=(2, 1, 1, 1),
                    help="stride of each stage's first block, 1 or 2 (default 2,1,1,1: q = 13)")
    ap.add_argument("--blocks", type=parse_quad, default=(1, 1, 1, 1))
    ap.add_argument("--width-scale", type=float, default=0.1875)
    ap.add_argument("--samples-per-class", type=int, default=5)
    ap.add_argument("--train-subset", type=int, default=0, help="use only N training images (smoke tests)")
    ap.add_argument("--skip-cnn", action="store_true", help="do not train the comparison CNN")
    ap.add_argument("--plain-cnn-only", action="store_true",
                    help="train only the comparison CNN, with the recipe of the committed training log "
                         "(refused if the arguments differ), and record it there beside the BagNet")
    ap.add_argument("--checkpoint", default="/tmp/bagnet-default/bagnet-fashion-mnist.pth",
                    help="where to write the BagNet state_dict (not committed)")
    ap.add_argument("--models-dir", default=os.path.join(REPO, "packages", "models"))
    args = ap.parse_args()
    if any(s not in (1, 2) for s in args.stage_strides):
        ap.error("--stage-strides: each stride must be 1 or 2 (what @bagnet-vis/core supports)")
    if any(k < 0 or k > b for k, b in zip(args.kernel3, args.blocks)):
        ap.error("--kernel3: each count must be between 0 and the stage's block count")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)

    def log(s):
        print(s, flush=True)

    q, stride = receptive_field(args.kernel3, args.stage_strides, args.blocks)
    log("== BagNet q=%d stride=%d kernel3=%s strides=%s width=%g blocks=%s | torch %s, %d threads" % (
        q, stride, args.kernel3, args.stage_strides, args.width_scale, args.blocks,
        torch.__version__, torch.get_num_threads()))

    raw = load_fashion_mnist(args.data_dir)
    x_train, y_train = raw["train"]
    x_test, y_test = raw["test"]
    rng = np.random.default_rng(args.seed)
    perm = rng.permutation(len(x_train))
    va_idx, tr_idx = np.sort(perm[:args.val_size]), np.sort(perm[args.val_size:])
    if args.train_subset:
        tr_idx = tr_idx[:args.train_subset]
    data = {"train": (x_train[tr_idx], y_train[tr_idx]), "val": (x_train[va_idx], y_train[va_idx])}
    px = x_train[tr_idx].astype(np.float64) / 255.0
    # Rounded so that training and the shipped metadata use the very same numbers.
    mean_f, std_f = round(float(px.mean()), 4), round(float(px.std()), 4)
    mean, std = torch.tensor(mean_f), torch.tensor(std_f)
    log("   data: %d train / %d val (from the 60k training images, seed %d), %d test; "
        "pixel mean %.4f std %.4f" % (len(tr_idx), len(va_idx), args.seed, len(x_test), mean_f, std_f))

    log_path = os.path.join(args.models_dir, "default", "training-log.json")
    if args.plain_cnn_only:
        with open(log_path) as fh:
            committed = json.load(fh, object_pairs_hook=OrderedDict)
        if args.skip_cnn:
            ap.error("--plain-cnn-only and --skip-cnn exclude each other")
        if committed["recipe"] != recipe_doc(args) or committed["normalization"]["mean"][0] != mean_f \
                or committed["dataset"]["validation"] != len(va_idx):
            raise SystemExit("--plain-cnn-only: the arguments differ from the recipe of %s (%s)" % (
                log_path, json.dumps(committed["recipe"])))

    os.makedirs(os.path.dirname(args.checkpoint) or ".", exist_ok=True)
    results = OrderedDict()
    num_classes = len(LABELS)

    # The comparison CNN first, so its checkpoint exists early; each model reseeds and has its own
    # data-order generator, so neither result depends on the order.
    if not args.skip_cnn:
        torch.manual_seed(args.seed)
        cnn = PlainCNN(num_classes)
        log("   PlainCNN: %d parameters (%.2f MB float32)" % (n_params(cnn), n_params(cnn) * 4 / 1e6))
        c_epochs, c_secs, c_cpu = train_model("CNN", cnn, data, args, mean, std, log)
        c_logits = predict(cnn, x_test, mean, std)
        results["plainCnn"] = OrderedDict(
            description="6 padded 3x3 conv+BN+ReLU layers (16,32,32,64,64,128 channels, strides "
                        "1,2,1,2,1,1), global average pool, linear head; receptive field covers "
                        "the whole image",
            testAccuracy=round(accuracy(c_logits, y_test), 4), trainingSeconds=round(c_secs, 1),
            cpuSeconds=round(c_cpu, 1), parameters=n_params(cnn),
            widths=list(PLAIN_CNN_WIDTHS), strides=list(PLAIN_CNN_STRIDES), epochs=c_epochs)
        log("   PlainCNN test accuracy %.4f, %.0fs" % (results["plainCnn"]["testAccuracy"], c_secs))
        cnn_checkpoint = os.path.join(os.path.dirname(args.checkpoint) or ".", "plain-cnn-fashion-mnist.pth")
        torch.save(cnn.state_dict(), cnn_checkpoint)
        results["plainCnn"]["checkpoint"] = OrderedDict(file=os.path.basename(cnn_checkpoint),
                                                        sha256=sha256(cnn_checkpoint))
        if args.plain_cnn_only:
            with open(os.path.join(args.models_dir, "samples", "samples.json")) as fh:
                samples = json.load(fh)["samples"]
            write_cnn_fixture(args.models_dir, cnn_sample_logits(cnn, samples, x_test, mean, std),
                              results["plainCnn"]["checkpoint"]["sha256"])
            results["plainCnn"]["command"] = " ".join(
                ["/usr/bin/python3 scripts/train-default/train.py"] + sys.argv[1:])
            committed["results"]["plainCnn"] = results["plainCnn"]
            with open(log_path, "w") as fh:
                json.dump(committed, fh, indent=1)
                fh.write("\n")
            log("   recorded the plain CNN in %s; next: convert.ts --plain-cnn-checkpoint %s" % (
                os.path.relpath(log_path, REPO), cnn_checkpoint))
            return

    torch.manual_seed(args.seed)
    bagnet = BagNet(args.kernel3, args.stage_strides, args.width_scale, args.blocks, num_classes)
    log("   BagNet: %d parameters (%.2f MB float32)" % (n_params(bagnet), n_params(bagnet) * 4 / 1e6))
    epochs, secs, cpu = train_model("BagNet", bagnet, data, args, mean, std, log)
    test_logits = predict(bagnet, x_test, mean, std)
    results["bagnet"] = OrderedDict(
        testAccuracy=round(accuracy(test_logits, y_test), 4), trainingSeconds=round(secs, 1),
        cpuSeconds=round(cpu, 1), parameters=n_params(bagnet), epochs=epochs)
    log("   BagNet test accuracy %.4f (%d test images), %.0fs" % (
        results["bagnet"]["testAccuracy"], len(y_test), secs))

    checks = self_check(bagnet, x_test, mean, std, q, stride)
    log("   self-check: grid %s on 28x28, |mean(map) - logits| %.1e, |patch - cell| %.1e" % (
        checks["grid"], checks["meanOfMapVsLogitsMaxAbs"], checks["patchVsMapMaxAbs"]))
    if checks["meanOfMapVsLogitsMaxAbs"] > 1e-9 or checks["patchVsMapMaxAbs"] > 1e-9:
        raise SystemExit("self-check failed: the model is not a bag of %dx%d patches" % (q, q))

    # ---- checkpoint (reference key names, plain state_dict, torch's default zip format) -------
    sd = bagnet.state_dict()
    torch.save(sd, args.checkpoint)
    ckpt_sha = sha256(args.checkpoint)
    log("   checkpoint %s (%d keys, sha256 %s)" % (args.checkpoint, len(sd), ckpt_sha[:16]))

    # ---- sample images: samples-per-class per class, seeded, from the held-out test set -------
    samples_dir = os.path.join(args.models_dir, "samples")
    os.makedirs(samples_dir, exist_ok=True)
    for f in os.listdir(samples_dir):
        if f.endswith(".png"):
            os.remove(os.path.join(samples_dir, f))
    srng = np.random.default_rng(args.seed + 7)
    picked = sorted(int(i) for c in range(num_classes)
                    for i in srng.choice(np.flatnonzero(y_test == c), args.samples_per_class, replace=False))
    with torch.no_grad():
        m64 = copy.deepcopy(bagnet).double().eval()
        x = torch.from_numpy(x_test[picked]).double().div_(255.0)[:, None]
        ref_logits = m64(to_input(x, mean.double(), std.double())).numpy()
    samples, ref = [], []
    for k, i in enumerate(picked):
        c = int(y_test[i])
        fname = "test-%05d-%s.png" % (i, slug(LABELS[c]))
        write_gray_png(os.path.join(samples_dir, fname), x_test[i])
        samples.append(OrderedDict(file=fname, testIndex=i, label=c, labelName=LABELS[c]))
        ref.append(OrderedDict(file=fname, label=c, predicted=int(ref_logits[k].argmax()),
                               logits=[float("%.7g" % v) for v in ref_logits[k]]))
    sample_acc = float(np.mean([r["predicted"] == r["label"] for r in ref]))
    cnn_ref = None if args.skip_cnn else cnn_sample_logits(cnn, samples, x_test, mean, std)
    write_json(os.path.join(samples_dir, "samples.json"), OrderedDict(
            description="Fashion-MNIST test images (held out from training), %d per class, chosen "
                        "with numpy default_rng(seed %d); 28x28 8-bit grayscale PNG. Fashion-MNIST: "
                        "Copyright 2017 Zalando SE, MIT licence." % (args.samples_per_class, args.seed + 7),
            labels=LABELS, samples=samples), "samples")
    write_sample_list(os.path.join(args.models_dir, "src", "sample-list.generated.ts"), samples)
    fixtures = os.path.join(args.models_dir, "test", "fixtures")
    os.makedirs(fixtures, exist_ok=True)
    write_json(os.path.join(fixtures, "pytorch-sample-logits.json"), OrderedDict(
            source="scripts/train-default/train.py: eval-mode PyTorch logits (float64 forward of "
                   "the float32 weights) of the checkpoint with sha256 %s" % ckpt_sha,
            checkpointSha256=ckpt_sha, samples=ref), "samples")
    if cnn_ref is not None:
        write_cnn_fixture(args.models_dir, cnn_ref, results["plainCnn"]["checkpoint"]["sha256"])

    # ---- training log -------------------------------------------------------------------------
    subset = np.arange(0, len(y_test), SUBSET_EVERY)
    log_doc = OrderedDict(
        description="Training log of the default model of @bagnet-vis/models "
                    "(written by scripts/train-default/train.py)",
        command=" ".join(["/usr/bin/python3 scripts/train-default/train.py"] + sys.argv[1:]),
        dataset=OrderedDict(
            name="Fashion-MNIST", licence="MIT (Copyright 2017 Zalando SE)",
            source="Debian package dataset-fashion-mnist (%s)" % args.data_dir,
            train=len(tr_idx), validation=len(va_idx), test=len(y_test),
            split="validation = %d images drawn from the 60,000 training images with numpy "
                  "default_rng(%d); test = the official 10,000-image test set, evaluated once "
                  "after training" % (args.val_size, args.seed)),
        labels=LABELS,
        normalization=OrderedDict(mean=[mean_f] * 3, std=[std_f] * 3, channelOrder="RGB",
                                  note="gray repeated as R, G and B; x = (pixel/255 - mean)/std; "
                                       "mean/std of the training split's pixels"),
        bagnetArchitecture=OrderedDict(
            receptiveField=q, stride=stride, gridOn28x28=checks["grid"],
            kernel3=list(args.kernel3), stageStrides=list(args.stage_strides),
            blocks=list(args.blocks), widthScale=args.width_scale,
            stemWidth=scale_width(STEM_WIDTH, args.width_scale),
            stageWidths=[scale_width(w, args.width_scale) for w in STAGE_WIDTH]),
        recipe=recipe_doc(args),
        environment=OrderedDict(torch=torch.__version__, numpy=np.__version__,
                                python=platform.python_version(), threads=torch.get_num_threads(),
                                machine=platform.machine(),
                                loadAverageAtEnd=[round(v, 2) for v in os.getloadavg()],
                                note="wall-clock seconds depend on other work sharing the CPU; "
                                     "cpuSeconds is the process CPU time (all threads)"),
        results=results,
        evaluation=OrderedDict(
            testSubset=OrderedDict(rule="test indices i with i %% %d == 0" % SUBSET_EVERY,
                                   size=int(len(subset)),
                                   accuracy=round(accuracy(test_logits[subset], y_test[subset]), 4)),
            samples=OrderedDict(size=len(ref), accuracy=round(sample_acc, 4))),
        selfCheck=checks,
        checkpoint=OrderedDict(file=os.path.basename(args.checkpoint), sha256=ckpt_sha,
                               format="torch.save(state_dict) (zip), reference key names"),
        totalSeconds=None)
    log_doc["totalSeconds"] = round(sum(r["trainingSeconds"] for r in results.values()), 1)
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    with open(log_path, "w") as fh:
        json.dump(log_doc, fh, indent=1)
        fh.write("\n")
    log("   wrote %s, %d samples (%s, PyTorch accuracy %.2f) and %s" % (
        os.path.relpath(log_path, REPO), len(samples), os.path.relpath(samples_dir, REPO), sample_acc,
        os.path.relpath(os.path.join(fixtures, "pytorch-sample-logits.json"), REPO)))
    log("== next: node --conditions=source --import tsx scripts/train-default/convert.ts --checkpoint %s" % args.checkpoint)


if __name__ == "__main__":
    main()
