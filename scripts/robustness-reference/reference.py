#!/usr/bin/env python3
"""NumPy reference for certified patch robustness of a BagNet evidence map.

Written from the papers' definitions, independently of the TypeScript in packages/core:

- Robust masking, PatchGuard (Xiang et al., USENIX Security 2021), Algorithm 1 (defence) and
  Algorithm 2 (provable analysis): local logits are clipped to [0, c_h]; each class's evidence
  loses its highest-sum window when that window holds more than a fraction T of it. An attacker
  window can raise another class j to at most (sum_j - window_j) / (1 - T) and can lower the
  predicted class to its sum with the window zeroed, then masked by the defence.
- Clipped BagNet (Zhang et al., 2020): local logits pass through tanh(0.05 x - 1) (the clipping
  PatchGuard's code uses for it) or are clipped to [0, c]; an attacker window can set every cell of
  the predicted class to the lower bound and every cell of another class to the upper bound.

Unlike both papers' scripts (which check the runner-up, or stop at the first failure) every other
class and every window position is evaluated, and a prediction is certified only when the
predicted class's lower bound is strictly above every other class's upper bound.

Window size in map cells for a p px patch, receptive field q, stride s: ceil((p + q - 1) / s),
clamped to the map (as PatchGuard's mask_bn.py computes it).

Run from the repository root:  python3 scripts/robustness-reference/reference.py
It rewrites test/fixtures/robustness/cases.json. Numbers are float64, stored to 9 digits.
"""
import json
import math
import os

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'robustness', 'cases.json')
TANH_SCALE, TANH_SHIFT = 0.05, -1.0


def window_cells(patch_px, q, stride, rows, cols):
    w = math.ceil((patch_px + q - 1) / stride)
    return min(w, rows), min(w, cols)


def clipped(local, opts):
    """The clipped local logits and the (lower, upper) bounds an attacker can reach per cell."""
    c = opts.get('clipMax')
    if opts['method'] == 'mask':
        hi = np.inf if c is None else c
        return np.clip(local, 0, hi), 0.0, hi
    if c is not None:
        return np.clip(local, 0, c), 0.0, c
    return np.tanh(local * TANH_SCALE + TANH_SHIFT), -1.0, 1.0


def robustness(local, q, stride, opts):
    local = local.astype(np.float64)
    rows, cols, classes = local.shape
    wr, wc = window_cells(opts['patchPx'], q, stride, rows, cols)
    nr, nc = rows - wr + 1, cols - wc + 1
    area = wr * wc
    u, lo, hi = clipped(local, opts)
    total = u.sum(axis=(0, 1))
    top = int(np.argmax(total))
    thres = opts.get('threshold', 0.0)

    def win(m, r, c):
        return m[r:r + wr, c:c + wc].sum(axis=(0, 1))

    # the defended evidence on the unattacked image
    if opts['method'] == 'mask':
        defended = total.copy()
        for k in range(classes):
            best = max(win(u[:, :, k], r, c) for r in range(nr) for c in range(nc))
            if total[k] > 0 and best / total[k] > thres:
                defended[k] = total[k] - best
    else:
        defended = total.copy()

    margins = np.zeros((nr, nc))
    rivals = np.zeros((nr, nc), dtype=int)
    rival_gaps = np.zeros((nr, nc))
    for r in range(nr):
        for c in range(nc):
            outside = total - win(u, r, c)
            if opts['method'] == 'mask':
                upper = outside / (1 - thres)
                masked = u[:, :, top].copy()
                masked[r:r + wr, c:c + wc] = 0
                rest = masked.sum()
                best = max(win(masked, rr, cc) for rr in range(nr) for cc in range(nc))
                lower = rest - best if (rest > 0 and best / rest > thres) else rest
            else:
                upper = outside + area * hi
                lower = outside[top] + area * lo
            others = [k for k in range(classes) if k != top]
            ranked = sorted(others, key=lambda k: (-upper[k], k))
            rivals[r, c] = ranked[0]
            margins[r, c] = lower - upper[ranked[0]]
            rival_gaps[r, c] = upper[ranked[0]] - upper[ranked[1]] if len(ranked) > 1 else np.inf
    flat = margins.ravel()
    worst = int(np.argmin(flat))
    order = np.sort(flat)
    cells = rows * cols
    return {
        'window': [wr, wc],
        'positions': [nr, nc],
        'clippedEvidence': (total / cells).tolist(),
        'defendedEvidence': (defended / cells).tolist(),
        'topClass': top,
        'topGap': float(np.sort(total)[-1] - np.sort(total)[-2]) / cells if classes > 1 else None,
        'defendedClass': int(np.argmax(defended)),
        'certified': bool(flat.min() > 0),
        'margin': float(flat.min()) / cells,
        'worst': {
            'row': worst // nc,
            'col': worst % nc,
            'rival': int(rivals.ravel()[worst]),
            # how far the worst window is from the next one, and the rival from the next class
            'positionGap': float(order[1] - order[0]) / cells if len(order) > 1 else None,
            'rivalGap': float(rival_gaps.ravel()[worst]) / cells,
        },
        'windowMargins': (margins / cells).ravel().tolist(),
    }


def random_map(rng, rows, cols, classes, boost, top):
    m = rng.normal(0, 2, size=(rows, cols, classes))
    m[:, :, top] += boost
    # a few strong cells of a rival class: what a patch would exploit
    r, c = rng.integers(0, rows), rng.integers(0, cols)
    m[r, c, (top + 1) % classes] += 4 * boost
    return m.astype(np.float32)


def rounded(values):
    return [float(f'{v:.9g}') for v in values]


def main():
    rng = np.random.default_rng(17)
    cases = []
    maps = {}
    # geometry of the default model (q = 11, stride 2, 28 px images) and of BagNet-9 / 33
    maps['default-weak'] = (random_map(rng, 9, 9, 10, 1.0, 3), 11, 2, 28, 28)
    maps['default-strong'] = (random_map(rng, 9, 9, 10, 6.0, 7), 11, 2, 28, 28)
    maps['q9-rect'] = (random_map(rng, 12, 10, 12, 4.0, 0), 9, 8, 97, 81)
    maps['q9-strong'] = (random_map(rng, 12, 10, 12, 12.0, 5), 9, 8, 97, 81)
    fixture = np.load(os.path.join(ROOT, 'test', 'fixtures', 'bagnet33_c10_s0_w0.125_b1111', 'logit_map_chw_f32.npy'))
    maps['bagnet33-fixture'] = (np.transpose(fixture, (1, 2, 0)).copy(), 33, 8, 224, 224)

    option_sets = {
        'default-weak': [{'patchPx': 4, 'method': 'mask'}, {'patchPx': 4, 'method': 'clip'}],
        'default-strong': [
            {'patchPx': 4, 'method': 'mask'},
            {'patchPx': 4, 'method': 'mask', 'threshold': 0.2},
            {'patchPx': 4, 'method': 'clip'},
            {'patchPx': 2, 'method': 'clip', 'clipMax': 8},
            {'patchPx': 100, 'method': 'mask'},
            {'patchPx': 100, 'method': 'clip'},
        ],
        'q9-rect': [{'patchPx': 16, 'method': 'mask', 'clipMax': 6}, {'patchPx': 16, 'method': 'clip'}],
        'q9-strong': [
            {'patchPx': 16, 'method': 'mask'},
            {'patchPx': 16, 'method': 'mask', 'threshold': 0.1},
            {'patchPx': 8, 'method': 'clip'},
            {'patchPx': 16, 'method': 'clip', 'clipMax': 10},
        ],
        'bagnet33-fixture': [
            {'patchPx': 32, 'method': 'mask'},
            {'patchPx': 32, 'method': 'mask', 'threshold': 0.3},
            {'patchPx': 32, 'method': 'clip'},
            {'patchPx': 16, 'method': 'clip', 'clipMax': 5},
        ],
    }
    for name, (local, q, stride, h, w) in maps.items():
        for opts in option_sets[name]:
            expected = robustness(local, q, stride, opts)
            case = {
                'name': f"{name} {opts['method']} p={opts['patchPx']}"
                + ''.join(f' {k}={v}' for k, v in opts.items() if k not in ('patchPx', 'method')),
                'geometry': {'q': q, 'stride': stride, 'imageHeight': h, 'imageWidth': w,
                             'rows': local.shape[0], 'cols': local.shape[1]},
                'classes': local.shape[2],
                'map': name,
                'options': opts,
                'expected': expected,
            }
            for key in ('clippedEvidence', 'defendedEvidence', 'windowMargins'):
                expected[key] = rounded(expected[key])
            cases.append(case)
            print(f"{case['name']:45s} window {expected['window']} certified {expected['certified']!s:5s} "
                  f"margin {expected['margin']:+.4f} top {expected['topClass']} defended {expected['defendedClass']}")
    out = {
        'generator': 'scripts/robustness-reference/reference.py',
        'maps': {
            name: ({'npy': 'bagnet33_c10_s0_w0.125_b1111/logit_map_chw_f32.npy', 'layout': 'chw'}
                   if name == 'bagnet33-fixture'
                   else {'layout': 'hwc', 'values': rounded(local.ravel().tolist())})
            for name, (local, *_rest) in maps.items()
        },
        'cases': cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {os.path.relpath(OUT, ROOT)} ({os.path.getsize(OUT)} bytes)')


if __name__ == '__main__':
    main()
