#include <gtest/gtest.h>

#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "process_memory.h"

namespace {
void* volatile g_block = nullptr;  // kept out of the optimiser's reach
}

// A 100 MB block, the size of a batch's activations, comes from the heap,
// where a later batch finds it again, not from a fresh mapping of its own.
TEST(ProcessMemory, LargeBlocksComeFromTheHeap) {
#if defined(__GLIBC__)
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_") || std::getenv("GLIBC_TUNABLES"))
    GTEST_SKIP() << "an allocator setting in the environment wins";
  screener::runtime::keep_freed_blocks_for_reuse();
  const std::size_t mapped_before = mallinfo2().hblkhd;
  g_block = std::malloc(100u << 20);
  ASSERT_NE(g_block, nullptr);
  EXPECT_EQ(mallinfo2().hblkhd, mapped_before) << "the block was mapped on its own";
  std::free(g_block);
#else
  GTEST_SKIP() << "not glibc";
#endif
}
