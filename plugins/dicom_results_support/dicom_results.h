// Score maps as standard DICOM objects: a Parametric Map (float or 16-bit
// values with a real-world value mapping) and a binary Segmentation of the
// thresholded map.
// Both share the source series' patient, study and frame of reference, sit on
// the map's grid, and reference the source instances.
//
// What the source series is comes from the study's attributes, which the
// DICOM sources (dicom_reader, dicomweb_reader) fill with DICOM keywords:
//   PatientName PatientID PatientBirthDate PatientSex StudyInstanceUID StudyDate
//   StudyTime StudyID AccessionNumber ReferringPhysicianName StudyDescription
//   SeriesInstanceUID Modality FrameOfReferenceUID
//   ReferencedInstances: [{"SOPClassUID": ..., "SOPInstanceUID": ...}, ...]
// A study without a StudyInstanceUID (a NIfTI input, a phantom) is refused.
#pragma once
#include <filesystem>
#include <string>

#include "screener/payload.h"
#include "screener/stage.h"

namespace screener::dicom_results {

// One encoded object: DICOM Part 10 bytes (with meta header) and its UIDs.
struct EncodedObject {
  std::string bytes;
  std::string sop_class_uid;
  std::string sop_instance_uid;
  std::string series_instance_uid;
  std::string transfer_syntax_uid;
};

struct SeriesOptions {
  std::string series_description;
  int series_number = 9001;
};

// How a Parametric Map stores its values.
enum class MapPixels {
  float32,  // the map's floats as they are (FloatPixelData), mapped 1:1
  uint16,   // quantised to 0..65535 over the map's range, mapped back by the real-world
            // value slope and intercept: within half a step, (max - min) / 131070, of the map
};

struct ParametricMapOptions {
  SeriesOptions series;
  std::string quantity = "anomaly score";  // what the values are (LUT label / explanation)
  MapPixels pixels = MapPixels::float32;
  bool deflate = false;  // Deflated Explicit VR Little Endian instead of Explicit VR Little Endian
};

// The storage choice as stage parameters (`pixels`, `transfer_syntax`), so
// that every Parametric Map writer offers the same; the defaults are the
// compact encoding (uint16, deflated).
void declare_parametric_map_params(StageSpec& spec);
void apply_parametric_map_params(const Params& params, ParametricMapOptions& options);

struct SegmentationOptions {
  SeriesOptions series;
  double threshold = 0;         // voxels with map >= threshold are in the segment
  bool omit_empty_frames = true;
  std::string segment_label = "anomaly";
};

// numpy's default (linear) percentile, 0-100, of the map's values above its
// minimum: mask_map gives every voxel outside the body the minimum, so the
// background does not count. A flat map gives a level above every value.
double percentile_above_minimum(const Volume& map, double percentile);

// How a stage turns a map into a segment, from its parameters (threshold,
// level, omit_empty_frames, segment_label), so that every SEG writer offers
// the same choice.
void declare_segment_params(StageSpec& spec);
class SegmentRule {
 public:
  explicit SegmentRule(const Params& params);
  // `base` with the threshold for this map (a percentile is per study).
  SegmentationOptions for_map(const Volume& map, SegmentationOptions base) const;
  void apply(SegmentationOptions& options) const;  // omit_empty_frames, segment_label

 private:
  bool percentile_;
  double level_;
  bool omit_empty_frames_;
  std::string segment_label_;
};

// `map` is one-channel float on any grid (usually the source grid).
EncodedObject encode_parametric_map(const Volume& map, const Study& study, const ParametricMapOptions& options);
EncodedObject encode_segmentation(const Volume& map, const Study& study, const SegmentationOptions& options);

// Writes `object` atomically as <output_dir>/<study id>/<name>.dcm (names
// sanitised) and returns the file's path.
std::filesystem::path write_object(const EncodedObject& object, const std::filesystem::path& output_dir,
                                   const Study& study, const std::string& name);

}  // namespace screener::dicom_results
