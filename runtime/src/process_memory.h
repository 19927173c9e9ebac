#pragma once

namespace screener::runtime {

// Freed blocks of up to 256 MiB stay in malloc's heaps for the next batch
// instead of going back to the kernel: the model stages free and allocate
// tensors of tens of MB on every batch, and glibc's defaults map each one
// afresh (page faults and zeroing: a quarter of a UNet pass's time on the CPU,
// docs/performance.md). The heaps keep their peak size for the run. An
// allocator setting in the environment (MALLOC_*_ or GLIBC_TUNABLES) wins.
void keep_freed_blocks_for_reuse();

}  // namespace screener::runtime
