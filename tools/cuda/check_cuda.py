#!/usr/bin/env python3
"""Runs ONNX models that Tailor emitted on ONNX Runtime's CUDA execution provider, with CPU fallback disabled,
and compares every output with a CPU run of the same model on the same inputs.

For machines with a GPU and Python (onnxruntime with CUDA) but no Java. Usage:

    check_cuda.py MODEL_OR_FOLDER... [--rtol 1e-3] [--atol 1e-4] [--seed 0] [--batch 2] [--seq 16] [--json FILE] [--ep EP]

Inputs are derived from each model's input types: integer ids bounded by the embedding table they index, masks
of ones, floats from a seeded normal distribution. Per model it reports which execution provider ran each node
(from ONNX Runtime's profile), max abs error, cosine similarity and top-1 agreement against the CPU.
Exit code: 0 all models match, 1 a model differs or fails on CUDA, 2 the CUDA provider is not available.
"""
import argparse
import glob
import json
import os
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

NP_TYPES = {
    onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.FLOAT16: np.float16, onnx.TensorProto.DOUBLE: np.float64,
    onnx.TensorProto.INT64: np.int64, onnx.TensorProto.INT32: np.int32, onnx.TensorProto.INT8: np.int8,
    onnx.TensorProto.UINT8: np.uint8, onnx.TensorProto.BOOL: np.bool_,
}


def size_of(dim, axis, batch, seq):
    """A consistent size for a symbolic dimension: batch, past length 4, total length seq + 4, else seq."""
    if dim.HasField("dim_value"):
        return dim.dim_value
    name = dim.dim_param.lower()
    if "batch" in name or (not name and axis == 0):
        return batch
    if "past" in name:
        return 4
    if "total" in name:
        return seq + 4
    return seq


def id_bound(model, name):
    """Ids stay below the row count of every embedding table (Gather data initializer) they index."""
    tables = {t.name: t.dims for t in model.graph.initializer}
    bound = 100
    for node in model.graph.node:
        if node.op_type == "Gather" and len(node.input) > 1 and node.input[1] == name and node.input[0] in tables:
            bound = min(bound, tables[node.input[0]][0])
    return bound


def make_inputs(model, batch, seq, seed):
    rng = np.random.default_rng(seed)
    initializers = {t.name for t in model.graph.initializer}
    feeds = {}
    for inp in model.graph.input:
        if inp.name in initializers:
            continue
        tt = inp.type.tensor_type
        shape = [size_of(d, i, batch, seq) for i, d in enumerate(tt.shape.dim)]
        dtype = NP_TYPES.get(tt.elem_type)
        if dtype is None:
            raise ValueError("input %s has element type %d, which this script cannot generate" % (inp.name, tt.elem_type))
        if "mask" in inp.name:
            feeds[inp.name] = np.ones(shape, dtype=dtype)
        elif np.issubdtype(dtype, np.integer):
            feeds[inp.name] = rng.integers(0, id_bound(model, inp.name), size=shape).astype(dtype)
        elif dtype == np.bool_:
            feeds[inp.name] = np.ones(shape, dtype=dtype)
        else:
            feeds[inp.name] = rng.standard_normal(shape).astype(dtype)
    return feeds


def providers_by_node(profile_file):
    """Counts nodes per execution provider from an ONNX Runtime profile."""
    with open(profile_file) as f:
        events = json.load(f)
    placed = {}
    for e in events:
        args = e.get("args", {})
        if e.get("cat") == "Node" and "provider" in args and e.get("name", "").endswith("_kernel_time"):
            placed.setdefault(args["provider"], set()).add(e["name"][: -len("_kernel_time")])
    return {p: len(nodes) for p, nodes in placed.items()}


def compare(name, expected, actual):
    e = np.asarray(expected)
    a = np.asarray(actual)
    result = {"output": name, "shape": list(e.shape), "dtype": str(e.dtype)}
    if e.shape != a.shape:
        result["error"] = "shape %s on CUDA vs %s on CPU" % (a.shape, e.shape)
        return result
    if np.issubdtype(e.dtype, np.floating):
        ef = e.astype(np.float64).ravel()
        af = a.astype(np.float64).ravel()
        result["max_abs_error"] = float(np.max(np.abs(ef - af))) if ef.size else 0.0
        denom = np.linalg.norm(ef) * np.linalg.norm(af)
        result["cosine"] = float(np.dot(ef, af) / denom) if denom > 0 else 1.0
        if e.ndim >= 2 and e.shape[-1] > 1:
            result["top1_agreement"] = float(np.mean(np.argmax(e, axis=-1) == np.argmax(a, axis=-1)))
    else:
        result["mismatches"] = int(np.sum(e != a))
    return result


def check(path, args):  # noqa: C901 - one straight sequence of steps
    model = onnx.load(path, load_external_data=False)
    feeds = make_inputs(model, args.batch, args.seq, args.seed)
    report = {"model": path}
    cpu = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    expected = cpu.run(None, feeds)
    names = [o.name for o in cpu.get_outputs()]

    options = ort.SessionOptions()
    if args.ep != "CPUExecutionProvider":  # ONNX Runtime refuses the setting for the CPU provider itself
        options.add_session_config_entry("session.disable_cpu_ep_fallback", "1")
    options.enable_profiling = True
    options.profile_file_prefix = os.path.join(tempfile.mkdtemp(), "profile")
    try:
        gpu = ort.InferenceSession(path, options, providers=[args.ep])
    except Exception as e:  # the model cannot run wholly on the provider
        report["error"] = "%s session failed with CPU fallback disabled: %s" % (args.ep, str(e).splitlines()[0][:300])
        return report
    report["session_providers"] = gpu.get_providers()
    actual = gpu.run(None, feeds)
    report["nodes_by_provider"] = providers_by_node(gpu.end_profiling())
    report["outputs"] = [compare(n, e, a) for n, e, a in zip(names, expected, actual)]
    bad = []
    for o in report["outputs"]:
        if "error" in o:
            bad.append(o["error"])
        elif "max_abs_error" in o:
            e = np.asarray(expected[names.index(o["output"])], dtype=np.float64)
            tol = args.atol + args.rtol * float(np.max(np.abs(e))) if e.size else args.atol
            if o["max_abs_error"] > tol:
                bad.append("%s: max abs error %.3g > %.3g" % (o["output"], o["max_abs_error"], tol))
        elif o.get("mismatches"):
            bad.append("%s: %d elements differ" % (o["output"], o["mismatches"]))
    if bad:
        report["error"] = "; ".join(bad)
    return report


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+", help=".onnx files or folders holding them")
    p.add_argument("--rtol", type=float, default=1e-3, help="relative to the output's largest magnitude")
    p.add_argument("--atol", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--seq", type=int, default=16)
    p.add_argument("--json", help="also write the full report here")
    p.add_argument("--ep", default="CUDAExecutionProvider",
                   help="the provider under test (another one only to test this script on a machine without a GPU)")
    args = p.parse_args()

    available = ort.get_available_providers()
    print("onnxruntime %s, providers: %s" % (ort.__version__, ", ".join(available)))
    if args.ep not in available:
        print("The %s is not available in this onnxruntime build; nothing was checked." % args.ep)
        return 2
    paths = []
    for m in args.models:
        paths += sorted(glob.glob(os.path.join(m, "*.onnx"))) if os.path.isdir(m) else [m]
    reports = [check(path, args) for path in paths]
    failed = 0
    for r in reports:
        name = os.path.basename(r["model"])
        if "error" in r:
            failed += 1
            print("FAIL %s: %s" % (name, r["error"]))
            continue
        worst = max((o.get("max_abs_error", 0.0) for o in r["outputs"]), default=0.0)
        cos = min((o.get("cosine", 1.0) for o in r["outputs"]), default=1.0)
        top1 = [o["top1_agreement"] for o in r["outputs"] if "top1_agreement" in o]
        print("ok   %s: nodes by provider %s; max abs error %.3g, cosine %.6f%s" % (
            name, r["nodes_by_provider"], worst, cos, ", top-1 %.3f" % min(top1) if top1 else ""))
    print("%d passed, %d failed" % (len(reports) - failed, failed))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(reports, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
