"""edit_state_dict.py IN OUT DROP_KEY ADD_KEY: a copy of a state_dict with one
key removed and one (a small random tensor) added, to test checkpoint checks."""
import sys

import torch

src, dst, drop, add = sys.argv[1:5]
sd = torch.load(src)
del sd[drop]
sd[add] = torch.randn(4, 4)
torch.save(sd, dst)
