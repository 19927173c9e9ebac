"""uninitialise_actnorm.py IN OUT: a Glow state_dict whose second ActNorm was
never data-initialised (its `initialized` buffer is 0)."""
import sys

import torch

sd = torch.load(sys.argv[1])
sd["flows.1.actnorm.initialized"] = torch.zeros_like(sd["flows.1.actnorm.initialized"])
torch.save(sd, sys.argv[2])
