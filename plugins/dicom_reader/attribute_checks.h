// Checks of what a DICOM header claims, made before anything is computed or
// allocated from it: identity values against their value representation
// (they end up in file names, manifests and DICOM results), and the size of
// the volume a series would make.
#pragma once
#include <cstdint>
#include <string>

#include "dicom_header.h"
#include "screener/geometry.h"

namespace screener::dicom {

// `value` fit for a message: control characters as \xNN, at most `max_chars`
// bytes followed by "... (N bytes)".
std::string printable(const std::string& value, std::size_t max_chars = 64);

// Whether `value` is a valid value of the VR ("UI", "DA", "TM", "LO", "SH",
// "CS", "IS", "PN"): "" when it is, else what is wrong. An empty value is valid.
std::string vr_problem(const std::string& vr, const std::string& value);

// The first identity attribute of `h` (UIDs, dates, IDs, descriptions) that
// breaks its VR, as "StudyDate '2026/../x': not a DICOM date (DA: YYYYMMDD)";
// "" when all are valid.
std::string identity_problem(const DicomHeader& h);

// Volumes above this many voxels are refused before anything is allocated
// (max_voxels parameter).
inline constexpr int64_t kDefaultMaxVoxels = int64_t(1) << 31;

// Rows x Columns x frames summed over a series' files, saturating instead of
// overflowing.
int64_t voxel_count(int64_t rows, int64_t columns, int64_t slices);

// Bounds on what headers may claim: no CT has a pixel of a metre, nor a slice
// a kilometre from the origin.
inline constexpr double kMaxSpacingMm = 1000;
inline constexpr double kMaxCoordinateMm = 1e6;

// "" for a grid whose size is positive, spacing positive, finite and at most
// kMaxSpacingMm, origin and direction finite; else what is wrong. Grids
// failing it would reach abort() inside ITK/VNL in later stages.
std::string geometry_problem(const Geometry& g);

}  // namespace screener::dicom
