#!/usr/bin/env python3
"""PyTorch reference for the training case of packages/core/test/training.browser.test.ts.

The test trains a tiny random BagNet-9 with trainBagNet (tfjs, Adam) on 16 synthetic stripes and
checks its epoch losses. This script replays the same steps in PyTorch, in float64, from the same
inputs -- the initial folded weights, the raw images, the labels, the held-out split and each
epoch's batch order, exported by export-inputs.ts (test/helpers/training-case.ts) -- and writes
the expected per-epoch metrics to test/fixtures/training/stripes-bagnet9.json.

Independent of the TypeScript it checks: the network (the folded BagNet graph: valid convolutions,
the shortcut cropped to its top-left part, ReLUs, a 1x1 head whose map is averaged), the pixel
normalisation, the loss (mean softmax cross-entropy of the image logits) and its gradient, and Adam
(torch.optim.Adam with tfjs's epsilon, 1e-7) are written here from the paper's and the optimisers'
definitions; only the inputs come from the TypeScript.

Metrics as trainBagNet reports them: `loss` / `accuracy` are the means over the epoch's training
examples, each taken in its batch's forward pass before that batch's step; `valLoss` /
`valAccuracy` are over the held-out examples after the epoch.

Run from the repository root (a build tool: needs node, /usr/bin/python3 and torch; `npm test`
only reads the JSON):

    python3 scripts/training-reference/reference.py
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'training', 'stripes-bagnet9.json')
EPOCHS = 6
ADAM_EPSILON = 1e-7  # tfjs's Adam default on float32 backends (backend.epsilon())
EXPANSION = 4


def export_inputs():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'inputs.json')
        subprocess.run(
            ['node', '--conditions=source', '--import', 'tsx',
             'scripts/training-reference/export-inputs.ts', path, str(EPOCHS)],
            cwd=ROOT, check=True)
        with open(path, encoding='utf-8') as f:
            text = f.read()
    exported = json.loads(text)
    inputs = exported['inputs']
    # The digest of the inputs' JSON as JavaScript wrote it: recompute it from the exact text.
    start = text.index('"inputs":') + len('"inputs":')
    digest = hashlib.sha256(text[start:-1].encode('utf-8')).hexdigest()
    if digest != exported['sha256']:
        sys.exit(f'inputs digest mismatch: {digest} != {exported["sha256"]}')
    return inputs, digest


def blocks_of(a):
    """The bottleneck blocks of a BagNet architecture (reference bagnets/pytorchnet.py)."""
    out = []
    c = a['stemWidth']
    for s in range(4):
        for b in range(a['blocks'][s]):
            stride = a['stageStrides'][s] if b == 0 else 1
            kernel = 3 if b < a['kernel3'][s] else 1
            width = a['stageWidths'][s]
            out_channels = width * EXPANSION
            out.append({
                'key': f'layer{s + 1}_{b}', 'stride': stride, 'kernel': kernel,
                'projection': b == 0 and (stride != 1 or c != out_channels),
            })
            c = out_channels
    return out


class FoldedBagNet(torch.nn.Module):
    """The BN-folded BagNet: every conv valid (no padding), biases where BN was folded."""

    def __init__(self, architecture, weights):
        super().__init__()
        self.blocks = blocks_of(architecture)
        self.params = torch.nn.ParameterDict()
        for name, w in weights.items():
            t = torch.tensor(w['data'], dtype=torch.float64).reshape(w['shape'])
            if len(w['shape']) == 4:
                t = t.permute(3, 2, 0, 1).contiguous()  # HWIO -> OIHW
            self.params[name.replace('/', '__')] = torch.nn.Parameter(t)

    def conv(self, x, layer, stride=1, bias=True):
        w = self.params[f'{layer}__kernel']
        b = self.params[f'{layer}__bias'] if bias else None
        return F.conv2d(x, w, b, stride=stride)

    def forward(self, x):
        x = self.conv(x, 'conv1', bias=False)
        x = F.relu(self.conv(x, 'conv2'))
        for blk in self.blocks:
            k = blk['key']
            y = F.relu(self.conv(x, f'{k}_conv1'))
            y = F.relu(self.conv(y, f'{k}_conv2', stride=blk['stride']))
            y = self.conv(y, f'{k}_conv3')
            skip = self.conv(x, f'{k}_downsample', stride=blk['stride']) if blk['projection'] else x
            # The shortcut's top-left part, the size of the main path (the reference crops it).
            skip = skip[:, :, :y.shape[2], :y.shape[3]]
            x = F.relu(y + skip)
        logit_map = self.conv(x, 'head')
        return logit_map.mean(dim=(2, 3))


def main():
    inputs, digest = export_inputs()
    torch.manual_seed(0)
    norm = inputs['normalization']
    mean = torch.tensor(norm['mean'], dtype=torch.float64).view(1, 3, 1, 1)
    std = torch.tensor(norm['std'], dtype=torch.float64).view(1, 3, 1, 1)
    images = torch.stack([
        torch.tensor(im['data'], dtype=torch.float64).reshape(im['height'], im['width'], 3).permute(2, 0, 1)
        for im in inputs['images']
    ])
    x_all = (images / 255.0 - mean) / std
    labels = torch.tensor(inputs['labels'], dtype=torch.long)
    model = FoldedBagNet(inputs['architecture'], inputs['weights'])
    adam = inputs['adam']
    optimizer = torch.optim.Adam(model.parameters(), lr=adam['learningRate'],
                                 betas=(adam['beta1'], adam['beta2']), eps=ADAM_EPSILON)

    def sums(idx):
        logits = model(x_all[idx])
        ce = F.cross_entropy(logits, labels[idx], reduction='sum')
        correct = (logits.argmax(dim=1) == labels[idx]).sum()
        return ce, correct

    epochs = []
    n_train = len(inputs['training'])
    validation = inputs['validation']
    for e, batches in enumerate(inputs['batches']):
        loss_sum = 0.0
        correct_sum = 0
        for batch in batches:
            idx = torch.tensor(batch, dtype=torch.long)
            optimizer.zero_grad()
            ce, correct = sums(idx)
            (ce / len(batch)).backward()
            optimizer.step()
            loss_sum += ce.item()
            correct_sum += int(correct.item())
        metrics = {'epoch': e + 1, 'loss': loss_sum / n_train, 'accuracy': correct_sum / n_train}
        if validation:
            with torch.no_grad():
                ce, correct = sums(torch.tensor(validation, dtype=torch.long))
            metrics['valLoss'] = ce.item() / len(validation)
            metrics['valAccuracy'] = int(correct.item()) / len(validation)
        epochs.append({k: (round(v, 9) if isinstance(v, float) else v) for k, v in metrics.items()})
        print(f"epoch {e + 1}: loss {metrics['loss']:.6f}, accuracy {metrics['accuracy']:.3f}"
              + (f", val loss {metrics['valLoss']:.6f}" if validation else ''))

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w', encoding='utf-8') as f:
        json.dump({
            'generator': 'scripts/training-reference/reference.py (PyTorch, float64)',
            'torch': torch.__version__,
            'inputsSha256': digest,
            'adamEpsilon': ADAM_EPSILON,
            'epochs': epochs,
        }, f, indent=2)
        f.write('\n')
    print(f'wrote {os.path.relpath(OUT, ROOT)}')


if __name__ == '__main__':
    main()
