// eval_make_seg MASK OUT.dcm: writes the mask (a NIfTI file written by
// nifti_io or nibabel; nonzero = in) as a binary DICOM Segmentation on the
// mask's grid, empty frames left out, with plugins/dicom_results_support's
// encoder. For the end-to-end test of `screener eval` with SEG masks.
#include <cstdio>
#include <fstream>

#include "dicom_results.h"
#include "nifti_io.h"

using namespace screener;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: eval_make_seg MASK.nii.gz OUT.dcm\n");
    return 2;
  }
  try {
    Volume mask = nifti::read_volume(argv[1]);
    Study study;
    study.id = "EVAL-SEG";
    study.attributes = {{"PatientName", "Eval^Test"},
                        {"PatientID", "EVAL-SEG"},
                        {"StudyInstanceUID", "1.2.826.0.1.3680043.8.498.77.1"},
                        {"StudyDate", "20240101"},
                        {"StudyTime", "120000"},
                        {"SeriesInstanceUID", "1.2.826.0.1.3680043.8.498.77.2"},
                        {"Modality", "CT"},
                        {"FrameOfReferenceUID", "1.2.826.0.1.3680043.8.498.77.3"}};
    Json instances = Json::array();
    for (int64_t k = 0; k < mask.geometry.size[2]; ++k)
      instances.push_back({{"SOPClassUID", "1.2.840.10008.5.1.4.1.1.2"},
                           {"SOPInstanceUID", "1.2.826.0.1.3680043.8.498.77.10." + std::to_string(k)},
                           {"FramePositions", Json::array({Json(mask.geometry.index_to_physical({0, 0, double(k)}))})}});
    study.attributes["ReferencedInstances"] = instances;
    // Nonzero = in: the encoder keeps voxels >= threshold, so |value| > 0.
    float* v = mask.voxels.data<float>();
    for (int64_t i = 0; i < mask.voxels.numel(); ++i) v[i] = v[i] != 0.0f ? 1.0f : 0.0f;
    dicom_results::SegmentationOptions options;
    options.threshold = 0.5;
    options.segment_label = "lesion";
    const auto object = dicom_results::encode_segmentation(mask, study, options);
    std::ofstream(argv[2], std::ios::binary) << object.bytes;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eval_make_seg: %s\n", e.what());
    return 1;
  }
  return 0;
}
