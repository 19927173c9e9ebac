"""numpy's percentile of the values above the minimum equals ours. Usage: MAP.npy PERCENT OURS"""
import sys

import numpy as np

values = np.load(sys.argv[1]).ravel()
want = np.percentile(values[values > values.min()], float(sys.argv[2]))
assert abs(want - float(sys.argv[3])) <= 1e-5 * max(1.0, abs(want)), (want, sys.argv[3])
