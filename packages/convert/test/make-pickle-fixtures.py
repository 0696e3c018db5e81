#!/usr/bin/env python3
"""
Build-time generator of the small fixtures in packages/convert/test/fixtures/ used by the
checkpoint-reader tests. Not needed to run the tests; rerun it only to change fixtures.

    /usr/bin/python3 packages/convert/test/make-pickle-fixtures.py      # from the repo root

Needs torch (tested with the Debian package, torch 1.13) and numpy. Writes:

  float16_{legacy,zip}.pth       float16 state_dict (random conv weight + special values)
  float64_{legacy,zip}.pth       float64 state_dict (values that round when cast to float32)
  dtypes_{legacy,zip}.pth        bfloat16, int64, int32, int16, int8, uint8, bool tensors
  views_{legacy,zip}.pth         views: transposed, permuted, storage offset, two tensors
                                 sharing one storage, strided slice, 0-d, empty (stride-0 and
                                 overlapping views are refused by the reader: the tests build
                                 those themselves)
  views_zip_p4.pth               the same, zip format, pickle protocol 4 (FRAME,
                                 SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL)
  views_legacy_p5.pth            the same, legacy format, pickle protocol 5
  module_{legacy,zip}.pth        torch.save(module.state_dict()) of a small nn.Sequential:
                                 keeps the OrderedDict `_metadata` attribute (BUILD opcode)
                                 and num_batches_tracked
  legacy_storage_views.pth       hand-written legacy file whose persistent ids carry
                                 view_metadata (view_key, offset, size), as torch < 1.? wrote
                                 storage views; checked with torch.load
  expected.json                  every tensor of the files above, as float32 values in C order
                                 ("NaN", "Infinity", "-Infinity", "-0" as strings)
  tiny_bagnet9_checksums.json    per-key shape, dtype and float64 checksums of the tiny
                                 BagNet-9 checkpoint in test/fixtures/checkpoints/ (written
                                 only when that checkpoint exists)

  Malicious pickles. They are written and disassembled here, NEVER loaded:
  evil_os_system.pkl             GLOBAL 'os system' + REDUCE (hand-written)
  evil_posix_system.pkl          pickle.dumps of an os.system payload (GLOBAL 'posix system')
  evil_builtins_eval.pkl         protocol 4, STACK_GLOBAL 'builtins' 'eval'
  evil_subprocess_popen.pkl      protocol 3, GLOBAL 'subprocess Popen' + REDUCE (protocol 2 would
                                 write the Python 2 name 'commands Popen')
  evil_reduce_storage_type.pkl   REDUCE on torch.FloatStorage: an allow-listed global that
                                 is not an allow-listed callable
  evil_nested_lists.pkl          100000 nested lists (EMPTY_LIST x 100000, APPEND x 99999)
  evil_checkpoint_{legacy,zip}.pth  real torch.save of {'weight': tensor, 'payload': <os.system>}
  evil_whole_model.pth           torch.save(nn.Linear) (a whole module, not a state_dict)

The payloads would create marker files /tmp/bagnet_vis_unsafe_pickle_marker_* ; the tests
check that those files do not exist after reading.
"""
import io
import json
import math
import os
import pickle
import pickletools
import struct
import subprocess
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
TINY_BAGNET = os.path.join(REPO, "test", "fixtures", "checkpoints", "bagnet9_c3_s0_w0.03125_b1111",
                           "bagnet9_c3_s0_w0.03125_b1111.pth.tar")
MARKER = "/tmp/bagnet_vis_unsafe_pickle_marker_"

DTYPE_NAMES = {
    torch.float32: "float32", torch.float64: "float64", torch.float16: "float16",
    torch.bfloat16: "bfloat16", torch.int64: "int64", torch.int32: "int32",
    torch.int16: "int16", torch.int8: "int8", torch.uint8: "uint8", torch.bool: "bool",
}


def f32_json(v):
    """A float32 value as JSON: shortest decimal that round-trips, or a string."""
    v = float(np.float32(v))
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    if v == 0 and math.copysign(1.0, v) < 0:
        return "-0"
    r = float(np.format_float_positional(np.float32(v), unique=True, trim="-"))
    assert np.float32(r) == np.float32(v)
    return r


def describe(t):
    vals = t.detach().reshape(-1).to(torch.float64) if t.dtype != torch.bool else t.reshape(-1).to(torch.float64)
    if t.dtype == torch.int64:
        assert t.abs().max() < 2 ** 53 if t.numel() else True
    # float32 conversion as the reader does it: float64 -> float32 round-to-nearest-even
    with np.errstate(over="ignore"):
        as32 = t.detach().to(torch.float32).reshape(-1).tolist() if t.dtype != torch.float64 else \
            [float(np.float32(x)) for x in vals.tolist()]
    return OrderedDict(shape=list(t.shape), dtype=DTYPE_NAMES[t.dtype],
                       values=[f32_json(x) for x in as32])


def save_both(name, obj, protocol=2):
    for fmt in ("legacy", "zip"):
        path = os.path.join(OUT, "%s_%s.pth" % (name, fmt))
        torch.save(obj, path, _use_new_zipfile_serialization=(fmt == "zip"), pickle_protocol=protocol)
        check_roundtrip(path, obj)


def check_roundtrip(path, obj):
    back = torch.load(path, map_location="cpu")
    for k, v in obj.items():
        b = back[k]
        assert b.dtype == v.dtype and b.shape == v.shape and b.stride() == v.stride(), (path, k)
        assert torch.equal(b, v) or (v.is_floating_point() and torch.equal(b.isnan(), v.isnan())
                                     and torch.equal(b.nan_to_num(), v.nan_to_num())), (path, k)


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(20190214)
    expected = OrderedDict()

    # ---- float16 ----------------------------------------------------------------------
    f16 = OrderedDict()
    f16["conv.weight"] = torch.randn((4, 3, 3, 3), generator=g).half()
    f16["special"] = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, -65504.0, 6.103515625e-05,
                                   5.960464477539063e-08, -5.960464477539063e-08, 0.333251953125,
                                   math.inf, -math.inf, math.nan], dtype=torch.float16)
    save_both("float16", f16)
    expected["float16"] = OrderedDict((k, describe(v)) for k, v in f16.items())

    # ---- float64 ----------------------------------------------------------------------
    f64 = OrderedDict()
    f64["fc.weight"] = torch.randn((5, 7), generator=g, dtype=torch.float64) / 3.0
    f64["special"] = torch.tensor([0.1, -0.0, 1e300, -1e300, 1e-50, 3.4028235677973366e38,
                                   1.0000000596046448, 1.0000001788139343, 2.0 ** -149, 2.0 ** -150,
                                   math.nan, math.inf], dtype=torch.float64)
    save_both("float64", f64)
    expected["float64"] = OrderedDict((k, describe(v)) for k, v in f64.items())

    # ---- other dtypes -----------------------------------------------------------------
    dt = OrderedDict()
    dt["bf16"] = torch.tensor([1.0, -3.140625, 1e38, -1e-38, 0.0, math.inf, math.nan],
                              dtype=torch.bfloat16)
    dt["int64"] = torch.tensor([0, 1, -1, 123456, -2 ** 40 - 3, 2 ** 52 + 1, 2 ** 31], dtype=torch.int64)
    dt["int32"] = torch.tensor([[0, -1], [2 ** 31 - 1, -2 ** 31]], dtype=torch.int32)
    dt["int16"] = torch.tensor([-32768, 32767, 7], dtype=torch.int16)
    dt["int8"] = torch.tensor([-128, 127, -1], dtype=torch.int8)
    dt["uint8"] = torch.tensor([0, 255, 128], dtype=torch.uint8)
    dt["bool"] = torch.tensor([True, False, True, True])
    save_both("dtypes", dt)
    expected["dtypes"] = OrderedDict((k, describe(v)) for k, v in dt.items())

    # ---- views ------------------------------------------------------------------------
    v = OrderedDict()
    v["transposed"] = torch.randn((3, 5), generator=g).t()                       # stride (1, 5)
    v["permuted"] = torch.randn((2, 3, 4, 5), generator=g).permute(0, 2, 3, 1)   # NHWC view
    s1 = torch.arange(20, dtype=torch.float32) * 0.25 - 2.0
    v["offset"] = s1[7:15].view(2, 4)                                            # storage offset 7
    s2 = torch.randn(20, generator=g)
    v["shared_a"] = s2[:10].view(2, 5)
    v["shared_b"] = s2[10:].view(2, 5)                                           # offset 10, same storage
    v["strided"] = torch.randn(20, generator=g).view(4, 5)[1:, 1::2]             # offset 6, strides (5, 2)
    v["column"] = torch.randn((4, 6), generator=g)[:, 2]                         # 1-d, stride 6
    v["scalar"] = torch.tensor(3.5)                                              # 0-d
    v["empty"] = torch.zeros((0, 3))
    v["int_view"] = torch.arange(12, dtype=torch.int64).view(3, 4).t()[1:]       # int64, non-contiguous
    save_both("views", v)
    path = os.path.join(OUT, "views_zip_p4.pth")
    torch.save(v, path, _use_new_zipfile_serialization=True, pickle_protocol=4)
    check_roundtrip(path, v)
    path = os.path.join(OUT, "views_legacy_p5.pth")
    torch.save(v, path, _use_new_zipfile_serialization=False, pickle_protocol=5)
    check_roundtrip(path, v)
    expected["views"] = OrderedDict((k, describe(t)) for k, t in v.items())
    for name in ("views_legacy.pth", "views_zip.pth"):
        back = torch.load(os.path.join(OUT, name))
        assert back["shared_a"].storage().data_ptr() == back["shared_b"].storage().data_ptr()
        assert back["strided"].storage_offset() == 6 and back["offset"].storage_offset() == 7

    # ---- a real module state_dict (OrderedDict with _metadata -> BUILD) ----------------
    torch.manual_seed(5)
    m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4, 2))
    with torch.no_grad():
        m[1].running_mean.uniform_(-1, 1)
        m[1].running_var.uniform_(0.5, 2)
    m[1].num_batches_tracked.fill_(42)
    sd = m.state_dict()
    assert hasattr(sd, "_metadata")
    save_both("module", sd)
    expected["module"] = OrderedDict((k, describe(t)) for k, t in sd.items())
    dis = io.StringIO()
    with open(os.path.join(OUT, "module_zip.pth"), "rb") as fh:
        import zipfile
        z = zipfile.ZipFile(fh)
        pickletools.dis(z.read([n for n in z.namelist() if n.endswith("data.pkl")][0]), out=dis)
    assert " BUILD" in dis.getvalue(), "expected the _metadata BUILD opcode"

    # ---- legacy file with storage view metadata --------------------------------------
    expected["legacy_storage_views"] = write_legacy_storage_views(os.path.join(OUT, "legacy_storage_views.pth"))

    with open(os.path.join(OUT, "expected.json"), "w") as fh:
        fh.write("{\n" + ",\n".join(
            "%s:{\n%s\n}" % (json.dumps(name), ",\n".join(
                "%s:%s" % (json.dumps(k), json.dumps(d, separators=(",", ":"))) for k, d in tensors.items()))
            for name, tensors in expected.items()) + "\n}\n")

    # ---- checksums of the tiny BagNet checkpoint -------------------------------------
    if os.path.exists(TINY_BAGNET):
        sd = torch.load(TINY_BAGNET, map_location="cpu")
        sums = OrderedDict()
        for k, t in sd.items():
            x = t.detach().to(torch.float32).reshape(-1).to(torch.float64).numpy()
            w = np.arange(1, x.size + 1, dtype=np.float64)
            sums[k] = OrderedDict(shape=list(t.shape), dtype=DTYPE_NAMES[t.dtype],
                                  sum=math.fsum(x.tolist()), weighted_sum=math.fsum((x * w).tolist()),
                                  first=[f32_json(a) for a in x[:3]], last=f32_json(x[-1]))
        with open(os.path.join(OUT, "tiny_bagnet9_checksums.json"), "w") as fh:
            fh.write('{"source":%s,\n"tensors":{\n%s\n}}\n' % (
                json.dumps(os.path.relpath(TINY_BAGNET, REPO)),
                ",\n".join("%s:%s" % (json.dumps(k), json.dumps(d, separators=(",", ":")))
                           for k, d in sums.items())))
    else:
        print("note: %s not found, tiny_bagnet9_checksums.json not written" % TINY_BAGNET)

    write_malicious()
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print("wrote %d files, %d bytes, to %s" % (len(os.listdir(OUT)), total, OUT))


class _FakeStorage:
    """Stands for a storage in the hand-written legacy file; pickled as a persistent id."""

    def __init__(self, pid):
        self.pid = pid


class _FakeTensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, tuple(size), tuple(stride), False, OrderedDict())

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args)


def write_legacy_storage_views(path):
    """Legacy format as torch 0.4-1.x wrote tensors whose storages were views of a larger
    root storage: ('storage', torch.FloatStorage, root_key, 'cpu', root_numel,
    (view_key, view_offset, view_numel)). Only the root's bytes are stored."""
    root = (torch.arange(16, dtype=torch.float32) * 1.5 - 4.0)
    root_key = "94112"
    va = _FakeStorage(("storage", torch.FloatStorage, root_key, "cpu", 16, ("94200", 2, 6)))
    vb = _FakeStorage(("storage", torch.FloatStorage, root_key, "cpu", 16, ("94300", 7, 5)))
    vc = _FakeStorage(("storage", torch.FloatStorage, root_key, "cpu", 16, ("94400", 12, 4)))
    obj = OrderedDict()
    obj["a"] = _FakeTensor(va, 1, (2, 2), (2, 1))      # view elements 1..4 -> root[3:7]
    obj["b"] = _FakeTensor(vb, 0, (5,), (1,))          # root[7:12]
    obj["c_t"] = _FakeTensor(vc, 0, (2, 2), (1, 2))    # view [0, 2, 1, 3] -> root[12,14,13,15]

    class P(pickle.Pickler):
        def persistent_id(self, o):
            return o.pid if isinstance(o, _FakeStorage) else None

    f = io.BytesIO()
    pickle.dump(0x1950a86a20f9469cfc6c, f, protocol=2)
    pickle.dump(1001, f, protocol=2)
    pickle.dump(dict(protocol_version=1001, little_endian=True,
                     type_sizes=dict(short=2, int=4, long=4)), f, protocol=2)
    P(f, protocol=2).dump(obj)
    pickle.dump([root_key], f, protocol=2)
    f.write(struct.pack("<q", 16) + root.numpy().astype("<f4").tobytes())
    with open(path, "wb") as fh:
        fh.write(f.getvalue())
    back = torch.load(path)
    want = OrderedDict(a=root[3:7].view(2, 2), b=root[7:12], c_t=root[12:16].view(2, 2).t())
    for k, t in want.items():
        assert torch.equal(back[k], t), (k, back[k], t)
    return OrderedDict((k, describe(t)) for k, t in want.items())


class _Payload:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def write_malicious():
    def put(name, data):
        path = os.path.join(OUT, name)
        with open(path, "wb") as fh:
            fh.write(data)
        if not name.startswith("evil_nested"):
            pickletools.dis(data, out=io.StringIO())   # well-formed; disassembled, never loaded

    cmd = ("touch " + MARKER + "os_system").encode()
    put("evil_os_system.pkl", b"\x80\x02cos\nsystem\nq\x00X" + struct.pack("<I", len(cmd)) + cmd +
        b"q\x01\x85q\x02Rq\x03.")
    put("evil_posix_system.pkl", pickle.dumps(_Payload(os.system, ("touch " + MARKER + "posix_system",)), protocol=2))
    assert b"cposix\nsystem\n" in open(os.path.join(OUT, "evil_posix_system.pkl"), "rb").read()
    put("evil_builtins_eval.pkl", pickle.dumps(
        _Payload(eval, ("__import__('os').system('touch %seval')" % MARKER,)), protocol=4))
    put("evil_subprocess_popen.pkl", pickle.dumps(
        _Payload(subprocess.Popen, (["touch", MARKER + "popen"],)), protocol=3))
    put("evil_reduce_storage_type.pkl", b"\x80\x02ctorch\nFloatStorage\nq\x00K\x10\x85q\x01Rq\x02.")
    n = 100000
    put("evil_nested_lists.pkl", b"\x80\x02" + b"]" * n + b"a" * (n - 1) + b".")
    for fmt in ("legacy", "zip"):
        obj = {"weight": torch.ones(2), "payload": _Payload(os.system, ("touch %scheckpoint_%s" % (MARKER, fmt),))}
        torch.save(obj, os.path.join(OUT, "evil_checkpoint_%s.pth" % fmt),
                   _use_new_zipfile_serialization=(fmt == "zip"))
    torch.manual_seed(0)
    torch.save(nn.Linear(2, 2), os.path.join(OUT, "evil_whole_model.pth"))


if __name__ == "__main__":
    sys.exit(main())
