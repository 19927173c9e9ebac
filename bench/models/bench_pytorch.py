#!/usr/bin/env python3
"""PyTorch's own forward of the descriptor UNet, for bench_models' PyTorch column.

  bench_pytorch.py CHECKPOINT SIZE BATCH ITERATIONS THREADS

The reference network (tests/reference/screener_reference.py: the official
architecture, attention blocks computed and discarded as the official code
does) with the same state_dict, one 96x96x64 patch (or a batch) of U[0, 1),
`model(x)` under torch.no_grad() on THREADS intra-op threads, fp32 on the CPU;
warm-up excluded. Prints one JSON line like bench_models (wall and process CPU
seconds per batch)."""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
import screener_reference as R  # noqa: E402


def main() -> None:
    checkpoint, size, batch, iterations, threads = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
    torch.set_num_threads(threads)
    model = R.build("descriptor", size).eval()
    model.load_state_dict(torch.load(checkpoint, map_location="cpu"))
    x = torch.rand(batch, 1, 96, 96, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        model(x)  # warm-up
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(iterations):
            model(x)
        wall, cpu = (time.perf_counter() - wall) / iterations, (time.process_time() - cpu) / iterations
    print(json.dumps({"model": "descriptor (PyTorch model(x))", "size": size, "device": "cpu", "precision": "fp32",
                      "batch": batch, "seconds_per_batch": round(wall, 4), "cpu_seconds_per_batch": round(cpu, 4),
                      "patches_per_second": round(batch / wall, 4), "threads": torch.get_num_threads(),
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
