"""The python-onnx side of Tailor's I/O benchmark (tools/bench/run io).

Times onnx.load and onnx.save in one process and reports peak resident memory, as JSON on stdout.
Usage: onnx_io_bench.py MODEL OUT_DIR REPS [external]
"""
import json
import os
import resource
import sys
import time

import onnx


def main():
    model_path, out_dir, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    external = len(sys.argv) > 4 and sys.argv[4] == "external"
    loads, saves = [], []
    for i in range(reps):
        t = time.perf_counter()
        model = onnx.load(model_path)
        loads.append((time.perf_counter() - t) * 1000)
        out = os.path.join(out_dir, "python-%d.onnx" % i)
        t = time.perf_counter()
        if external:
            onnx.save_model(model, out, save_as_external_data=True, all_tensors_to_one_file=True,
                            location=os.path.basename(out) + ".data", size_threshold=1024)
        else:
            onnx.save(model, out)
        saves.append((time.perf_counter() - t) * 1000)
        del model
        for f in (out, out + ".data"):
            if os.path.exists(f):
                os.remove(f)
    print(json.dumps({
        "onnx": onnx.__version__,
        "load_ms": loads,
        "save_ms": saves,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }))


if __name__ == "__main__":
    main()
