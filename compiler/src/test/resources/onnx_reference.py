#!/usr/bin/python3
"""What Debian's python3-onnx (onnx 1.12) says about the ONNX conformance models, for the analysis tests.

Usage: /usr/bin/python3 onnx_reference.py check|infer DATA_ROOT SUITE...

check: one line per model: PATH<TAB>ok, or PATH<TAB>fail<TAB>MESSAGE (onnx.checker.check_model with full_check,
       which adds strict type and shape inference to the structural checks).
infer: the model with value_info and graph-output types removed, through onnx.shape_inference.infer_shapes
       (data propagation on, as Tailor propagates shape values); one line per typed value of the main graph:
       PATH<TAB>VALUE<TAB>ELEM<TAB>DIMS, where ELEM is the TensorProto type number (0 unknown) and DIMS is '-'
       for an unknown rank, else comma-separated dims: a number, '$name' for a symbolic dim or '?'.
       A model onnx cannot infer gives PATH<TAB>!error<TAB>MESSAGE.
PATH is relative to DATA_ROOT (SUITE/TEST/model.onnx).
"""
import os
import sys

import onnx
from onnx import checker, shape_inference


def models(root, suites):
    for suite in suites:
        base = os.path.join(root, suite)
        for test in sorted(os.listdir(base)):
            path = os.path.join(base, test, "model.onnx")
            if os.path.exists(path):
                yield os.path.join(suite, test, "model.onnx"), path


def one_line(e):
    return " ".join(str(e).split())[:500]


def check(rel, path):
    try:
        checker.check_model(onnx.load(path), full_check=True)
        print(f"{rel}\tok")
    except Exception as e:  # the checker raises several exception types
        print(f"{rel}\tfail\t{one_line(e)}")


def dims(t):
    if not t.HasField("shape"):
        return "-"
    out = []
    for d in t.shape.dim:
        if d.HasField("dim_value"):
            out.append(str(d.dim_value))
        elif d.HasField("dim_param"):
            out.append("$" + d.dim_param)
        else:
            out.append("?")
    return ",".join(out)


def infer(rel, path):
    m = onnx.load(path)
    del m.graph.value_info[:]
    for o in m.graph.output:
        o.ClearField("type")
    try:
        r = shape_inference.infer_shapes(m, strict_mode=False, data_prop=True)
    except Exception as e:
        print(f"{rel}\t!error\t{one_line(e)}")
        return
    seen = set()
    for vi in list(r.graph.value_info) + list(r.graph.output):
        if vi.name in seen or not vi.type.HasField("tensor_type"):
            continue
        seen.add(vi.name)
        t = vi.type.tensor_type
        print(f"{rel}\t{vi.name}\t{t.elem_type}\t{dims(t)}")


def main():
    mode, root, suites = sys.argv[1], sys.argv[2], sys.argv[3:]
    run = {"check": check, "infer": infer}[mode]
    for rel, path in models(root, suites):
        run(rel, path)


if __name__ == "__main__":
    main()
