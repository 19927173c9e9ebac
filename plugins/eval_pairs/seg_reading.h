// Ground-truth masks stored as DICOM Segmentations (DCMTK dcmseg).
#pragma once
#include <filesystem>
#include <memory>

#include "screener/payload.h"

namespace screener::eval_pairs {

// The union of every segment of the Segmentation in `file`, on `grid` (the
// map's): uint8, 1 where any frame marks the voxel. Each frame goes to the
// slice of `grid` nearest to its ImagePositionPatient (PlanePositionSequence);
// the frames' in-plane geometry must be the grid's: Rows = size[1],
// Columns = size[0], ImageOrientationPatient = direction columns 0 and 1
// (within 1e-3), PixelSpacing = (spacing[1], spacing[0]) (within 1e-3
// relative), and the position within 0.01 voxel of the grid's plane origin.
// BINARY frames are read as one continuous LSB-first bit stream (PS3.5
// 8.1.1), FRACTIONAL ones as bytes (nonzero = in). Throws InputError naming
// the file and what does not fit.
std::shared_ptr<Volume> read_seg_mask(const std::filesystem::path& file, const Geometry& grid);

// Whether `file` is a DICOM file whose SOP class is Segmentation Storage.
bool is_segmentation_file(const std::filesystem::path& file);

}  // namespace screener::eval_pairs
