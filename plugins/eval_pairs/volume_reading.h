// Anomaly maps and ground-truth masks from NIfTI, NRRD or MetaImage files
// (ITK), laid out like every Volume: axis 2 fastest, ITK dimension d = axis d.
//
// Not dicom_reader's read_itk_image, for memory: that one goes through ITK's
// whole-image buffer (float) and then a transposed copy, twice a volume at
// once. Here NIfTI voxels (.nii, .nii.gz) are read in slabs of 16 slices
// straight from the (gzip) stream into the transposed output, the geometry
// taken from ITK's NiftiImageIO (header only: the same grid as ITK and
// nifti_writer give); a map comes out float32, a mask uint8 (nonzero = 1), so
// loading a 512×512×300 study needs its map (300 MB) + its mask (75 MB) and
// 16 MB of slab. NRRD and MetaImage go through ITK's reader (its buffer, in
// the stored type, plus the output while copying).
#pragma once
#include <filesystem>
#include <memory>

#include "screener/payload.h"

namespace screener::eval_pairs {

// True for .nii.gz, .nii, .nrrd, .mha (case-insensitive).
bool is_image_file(const std::filesystem::path& file);

// float32 voxels. Throws InputError naming the file.
std::shared_ptr<Volume> read_map(const std::filesystem::path& file);
// uint8 voxels, 1 where the stored value is nonzero. Throws InputError naming the file.
std::shared_ptr<Volume> read_mask(const std::filesystem::path& file);

}  // namespace screener::eval_pairs
