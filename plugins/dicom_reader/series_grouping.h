// Groups DICOM files into series by StudyInstanceUID/SeriesInstanceUID and
// picks the series to read. Works on headers only.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "attribute_checks.h"
#include "dicom_header.h"
#include "input_files.h"
#include "screener/stage.h"

namespace screener::dicom {

struct SelectionRules {
  std::string modality = "CT";  // "" or "any": every modality
  // Only ORIGINAL\PRIMARY images; otherwise a study's DERIVED/SECONDARY
  // series are read when it has no ORIGINAL\PRIMARY one (prefer), or always.
  bool require_original_primary = false;
  bool prefer_original_primary = true;
  bool require_axial = false;
  int64_t min_slices = 10;
  bool largest_per_study = false;  // otherwise every series that passes
  int64_t max_voxels = kDefaultMaxVoxels;
};

// Notes about a whole candidate series left out start with this; the runtime
// lists them when a run finds no study. Each says why and which parameter
// would admit the series.
inline constexpr const char* kExcludedPrefix = "excluded: ";

// One entry per selected series; locator {"format": "dicom", "files": [...]},
// plus "warnings" (what the study's run-summary record should carry: a
// DERIVED series read, stray slices left out) and "error" (the series is
// refused: hostile identity values, too many voxels; load() throws it).
// Headers of DICOMDIRs and of files without UIDs or image are left out with a note.
std::vector<StudyEntry> select_series(std::vector<DicomHeader> headers, const SelectionRules& rules, const Note& note);

}  // namespace screener::dicom
