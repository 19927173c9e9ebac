// The attributes of one DICOM file that grouping, slice sorting and pixel
// decoding need, read without the pixel data.
#pragma once
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "screener/geometry.h"

namespace screener::dicom {

// Where one frame lies and how its stored values map to HU. A single-frame
// file has one; an enhanced multi-frame file one per frame.
struct FrameInfo {
  std::optional<Vec3> position;                     // ImagePositionPatient
  std::optional<std::array<double, 6>> orientation;  // ImageOrientationPatient
  std::optional<std::array<double, 2>> pixel_spacing;  // row spacing, column spacing
  // Only a single-slice series needs these: it has no second position to
  // measure its slice spacing from.
  std::optional<double> spacing_between_slices, slice_thickness;
  double slope = 1.0;
  double intercept = 0.0;
};

// Patient, study and frame-of-reference attributes, by DICOM keyword, that
// results derived from a series must carry over (see dicom_results.h).
inline constexpr const char* kIdentityKeywords[] = {
    "PatientName", "PatientID",         "PatientBirthDate",      "PatientSex",        "StudyInstanceUID",
    "StudyDate",   "StudyTime",         "StudyID",               "AccessionNumber",   "ReferringPhysicianName",
    "StudyDescription", "SeriesInstanceUID", "SeriesNumber", "SeriesDescription", "Modality",
    "FrameOfReferenceUID"};

struct IdentityTag {
  const char* keyword;
  uint16_t group, element;
};
// kIdentityKeywords with their tags, looked up in DCMTK's dictionary once per
// process: DCMTK finds a keyword by scanning the whole dictionary, which per
// file was most of a header read.
const std::vector<IdentityTag>& identity_tags();

struct DicomHeader {
  std::filesystem::path file;
  std::string transfer_syntax;
  std::string media_storage_sop_class;
  std::string sop_class_uid, sop_instance_uid, study_uid, series_uid;
  std::string patient_id, study_date, series_number, modality, series_description, study_description;
  std::vector<std::string> image_type;
  // kIdentityKeywords -> value, in UTF-8; absent or empty ones left out.
  std::vector<std::pair<std::string, std::string>> identity;
  int rows = 0, columns = 0, frames = 1;
  int samples_per_pixel = 1, bits_allocated = 0, bits_stored = 0, high_bit = 0, pixel_representation = 0;
  // In stored-value space (sign already applied).
  std::optional<int64_t> padding_value, padding_range_limit;
  std::vector<FrameInfo> frame_info;  // `frames` entries

  bool is_dicomdir() const;
  bool has_image_type(const std::string& value) const;
};

// Keeps DCMTK's own logging off stderr; the reader's messages say what failed.
void silence_dcmtk_log();

// More frames in one classic multi-frame file are refused at the header read.
inline constexpr int kMaxFrames = 1 << 16;

// Reads up to the pixel data. Throws InputError when the file is not DICOM
// (or claims more frames than it describes).
DicomHeader read_dicom_header(const std::filesystem::path& file);

// One file's header, or the InputError's message saying why it has none.
struct HeaderReading {
  std::filesystem::path file;
  std::optional<DicomHeader> header;
  std::string error;
  // The file could not be opened (permissions, I/O): unlike a file that is
  // not DICOM, it may be a slice of a series found beside it.
  bool unopenable = false;
};

// read_dicom_header for every file, on up to `threads` threads: a header read
// waits on storage (a network share, a cold disk) far longer than it computes,
// so more readers than cores pay off. Results come in the order of `files`.
std::vector<HeaderReading> read_dicom_headers(const std::vector<std::filesystem::path>& files, int threads = 8);

}  // namespace screener::dicom
