#!/usr/bin/env python3
"""
Build-time generator of packages/convert/test/fixtures/malicious/: pickles and torch.save
checkpoints that try to run code or exhaust the reader. They are written (with pickle.dumps of
objects whose __reduce__ names the payload, or assembled opcode by opcode) and disassembled with
pickletools where well-formed, but NEVER loaded. Not needed to run the tests; rerun to change them:

    /usr/bin/python3 packages/convert/test/make-malicious-pickles.py      # from the repo root

Needs torch (for the checkpoint containers). Every payload would create a marker file
/tmp/bagnet_vis_malicious_marker_<name>; malicious-pickles.test.ts checks none exists after
reading. The expected refusal of each file is listed in that test.
"""
import builtins
import importlib
import io
import os
import pickle
import pickletools
import struct
import subprocess
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "malicious")
MARKER = "/tmp/bagnet_vis_malicious_marker_"


class Payload:
    """Pickles as `fn(*args)`: what a hostile file asks the unpickler to call."""

    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def touch(name):
    return "touch " + MARKER + name


def put(name, data, dis=True):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    if dis:  # well-formed: check the structure (never executes anything)
        pickletools.dis(data, out=io.StringIO())


def p(op):
    return bytes([op])


def u32(n):
    return struct.pack("<I", n)


def short_str(s):
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


def binunicode(s):
    b = s.encode()
    return b"X" + u32(len(b)) + b


def state_dict_pickle(entries, protocol=2):
    """data.pkl of an OrderedDict of _rebuild_tensor_v2(persistent id, 0, shape, stride, False, OrderedDict())."""
    out = b"\x80" + bytes([protocol]) + b"ccollections\nOrderedDict\n)R"
    for key, pid_items, shape in entries:
        out += binunicode(key) + b"ctorch._utils\n_rebuild_tensor_v2\n(" + b"(" + pid_items + b"tQ" + b"K\x00"
        out += b"(" + b"".join(b"K" + bytes([d]) for d in shape) + b"t"
        out += b"(" + b"".join(b"K" + bytes([1]) for _ in shape) + b"t"
        out += b"\x89ccollections\nOrderedDict\n)RtRs"
    return out + b"."


def storage_pid(key, numel=4, storage_type=b"ctorch\nFloatStorage\n"):
    return binunicode("storage") + storage_type + binunicode(key) + binunicode("cpu") + b"K" + bytes([numel])


def torch_zip(data_pkl, records, prefix="archive"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr(prefix + "/data.pkl", data_pkl)
        for key, data in records.items():
            z.writestr(prefix + "/data/" + key, data)
        z.writestr(prefix + "/version", b"3\n")
    return buf.getvalue()


def main():
    os.makedirs(OUT, exist_ok=True)

    # --- globals that run code, as pickle.dumps writes them (GLOBAL for protocols 0-3,
    #     STACK_GLOBAL for 4-5) -----------------------------------------------------------
    put("os_system_p0.pkl", pickle.dumps(Payload(os.system, (touch("os_system_p0"),)), protocol=0))
    put("os_system_p4.pkl", pickle.dumps(Payload(os.system, (touch("os_system_p4"),)), protocol=4))
    put("builtins_exec_p2.pkl", pickle.dumps(
        Payload(builtins.exec, ("import os; os.system(%r)" % touch("exec_p2"),)), protocol=2))
    put("builtins_exec_p5.pkl", pickle.dumps(
        Payload(builtins.exec, ("import os; os.system(%r)" % touch("exec_p5"),)), protocol=5))
    put("builtins_import_p4.pkl", pickle.dumps(Payload(builtins.__import__, ("os",)), protocol=4))
    put("builtins_getattr_p2.pkl", pickle.dumps(
        Payload(getattr, (Payload(builtins.__import__, ("os",)), "system")), protocol=2))
    put("importlib_import_module_p3.pkl", pickle.dumps(Payload(importlib.import_module, ("os",)), protocol=3))
    put("subprocess_run_p4.pkl", pickle.dumps(
        Payload(subprocess.run, (["touch", MARKER + "subprocess_run"],)), protocol=4))
    put("subprocess_check_output_p2.pkl", pickle.dumps(
        Payload(subprocess.check_output, (["touch", MARKER + "check_output"],)), protocol=3))
    put("subprocess_call_p0.pkl", pickle.dumps(
        Payload(subprocess.call, (["touch", MARKER + "subprocess_call"],)), protocol=0))
    put("torch_load_from_bytes.pkl", b"\x80\x02ctorch.storage\n_load_from_bytes\nC\x04evilq\x00\x85R.")
    put("numpy_reconstruct.pkl",
        b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87R.")
    # The payload hidden as the storage of an otherwise normal tensor.
    put("payload_as_storage.pkl", b"\x80\x02ccollections\nOrderedDict\n)RX\x01\x00\x00\x00w"
        b"ctorch._utils\n_rebuild_tensor_v2\n(cposix\nsystem\n" + binunicode(touch("as_storage")) +
        b"\x85RK\x00K\x01\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtRs.")
    # An allow-listed global memoised first, then the payload: the memo gives no way around.
    put("memo_then_payload.pkl", b"\x80\x02ccollections\nOrderedDict\nq\x00" + b"0" + b"cposix\nsystem\nq\x01" +
        binunicode(touch("memo")) + b"\x85R.")

    # --- opcodes that construct objects ------------------------------------------------------
    put("inst_os_system.pkl", b"(" + binunicode(touch("inst")) + b"ios\nsystem\n.")
    put("obj_allowed_class.pkl", b"\x80\x02(ccollections\nOrderedDict\no.")
    put("obj_os_system.pkl", b"\x80\x02(cos\nsystem\n" + binunicode(touch("obj")) + b"o.")
    put("newobj_ordered_dict_args.pkl", b"\x80\x02ccollections\nOrderedDict\n" + binunicode("x") + b"\x85\x81.")
    put("newobj_storage_type.pkl", b"\x80\x02ctorch\nFloatStorage\nK\x10\x85\x81.")
    put("newobj_ex_storage_type.pkl", b"\x80\x04" + short_str("torch") + short_str("FloatStorage") +
        b"\x93K\x10\x85}\x92.")
    put("reduce_non_callable.pkl", b"\x80\x02" + binunicode("os.system") + binunicode(touch("reduce")) + b"\x85R.")
    put("reduce_rebuild_on_payload.pkl", b"\x80\x02ctorch._utils\n_rebuild_parameter\n" +
        b"cposix\nsystem\n" + binunicode(touch("rebuild")) + b"\x85R\x88}\x87R.")
    # BUILD: __setstate__ on a tensor, and a state that would be an attribute assignment.
    put("build_on_tensor.pkl", b"\x80\x02ctorch._utils\n_rebuild_tensor\n(" + b"N" + b"K\x00K\x01\x85K\x01\x85tR" +
        b"}" + binunicode("__setstate__") + binunicode("os.system") + b"sb.")
    put("build_string_state.pkl", b"\x80\x02}" + binunicode(touch("build")) + b"b.")
    put("ext1.pkl", b"\x80\x02\x82\x01" + binunicode(touch("ext1")) + b"\x85R.")
    put("ext2.pkl", b"\x80\x02\x83\x01\x01.", dis=False)
    put("ext4.pkl", b"\x80\x02\x84\xff\xff\xff\x7f.", dis=False)

    # --- persistent ids that point outside the archive -----------------------------------------
    for name, key in [("pid_parent_dirs", "../../../../etc/passwd"), ("pid_absolute", "/etc/passwd"),
                      ("pid_url", "https://elsewhere.invalid/payload")]:
        put(name + ".pth", torch_zip(state_dict_pickle([("w", storage_pid(key), [4])]),
                                     {"0": struct.pack("<4f", 1, 2, 3, 4)}), dis=False)
    put("pid_module.pth", torch_zip(state_dict_pickle([("w", binunicode("module") + b"cos\nsystem\n" +
                                                         binunicode("x") + b"N", [4])]), {}), dis=False)
    put("pid_text_persid.pkl", b"P../../etc/passwd\n.")
    put("pid_not_a_tuple.pth", torch_zip(b"\x80\x02" + binunicode(touch("pid")) + b"Q.", {}), dis=False)

    # --- resource exhaustion ----------------------------------------------------------------
    # (Floods of a million opcodes and more are built by the test itself, not committed.)
    put("nested_marks.pkl", b"\x80\x02" + b"(" * 2000 + b".", dis=False)
    put("nested_tuples.pkl", b"\x80\x02N" + b"\x85" * 2000 + b".", dis=False)
    put("self_appending_list.pkl", b"\x80\x02]q\x00" + b"h\x00a" * 1500 + b".", dis=False)
    put("nested_frozensets.pkl", b"\x80\x04" + b"(" * 2000 + b"\x91" * 2000 + b".", dis=False)
    # CPython's unpickler sizes its memo array by the largest index; ours keeps a map.
    put("huge_memo_index.pkl", b"\x80\x02}r\xff\xff\xff\xff0j\xff\xff\xff\xff.")
    put("huge_memo_get.pkl", b"\x80\x02j\xfe\xff\xff\xff.", dis=False)
    put("frame_2e60.pkl", b"\x80\x04\x95" + struct.pack("<Q", 2 ** 60) + b"N.", dis=False)
    put("binunicode8_4gb.pkl", b"\x80\x04\x8d" + struct.pack("<Q", 2 ** 32) + b"abc.", dis=False)
    put("long4_1gb.pkl", b"\x80\x02\x8b" + u32(2 ** 30) + b"\x00" * 16 + b".", dis=False)
    put("global_without_newline.pkl", b"\x80\x02c" + b"o" * 2000, dis=False)
    put("billion_laughs.pkl", b"\x80\x02]q\x00" + b"(h\x00h\x00h\x00h\x00h\x00h\x00h\x00h\x00h\x00h\x00lq\x00" * 30 + b".",
        dis=False)

    for marker in os.listdir("/tmp"):
        assert not marker.startswith(os.path.basename(MARKER)), "a payload ran while writing: " + marker
    print("wrote", len(os.listdir(OUT)), "files to", OUT)


if __name__ == "__main__":
    main()
