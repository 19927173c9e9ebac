// The foreground box and body mask of a CT volume (SPEC §1.1, §1.5), on plain
// C-order buffers of size {n0, n1, n2}.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "screener/geometry.h"

namespace screener::foreground_crop {

struct Box {
  Index3 start{0, 0, 0};
  Index3 size{0, 0, 0};
};

// b_i = ceil(block_mm / spacing_i) voxels.
Index3 block_size(const Vec3& spacing, double block_mm);

// Bounding box of the blocks in which every voxel is >= threshold, corners
// multiplied by the block size (end clamped to the volume). Blocks tile the
// volume from index 0; a partial block at the far end counts as background
// (it is padded with false). Empty when no block is foreground.
template <class T>
std::optional<Box> foreground_box(const T* hu, const Index3& size, const Index3& block, double threshold);

// Which faces of the volume count as its border for the body mask.
enum class BodyBorder {
  volume,  // all six (SPEC §1.5)
  sides,   // the four sides of the slices (axes 0 and 1); air reaching only the first or last slice is inside
           // the patient (a lung or bowel cut by the scan range), so it stays body
};

// 1 for voxels not reachable from the border through air (hu < threshold)
// with 6-connectivity (scipy.ndimage.label's default), 0 for the air
// connected to the border.
template <class T>
std::vector<uint8_t> body_mask(const T* hu, const Index3& size, double threshold,
                               BodyBorder border = BodyBorder::volume);

// Copies the box out of a C-order volume whose elements are `element_size` bytes.
void copy_box(const void* volume, const Index3& size, const Box& box, std::size_t element_size, void* out);

}  // namespace screener::foreground_crop
