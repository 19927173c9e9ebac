// One DICOM file's bytes read as dicom_reader reads them: the header up to the
// pixel data, the identity checks, the stack of its frames, then the pixel
// data decoded (every transfer syntax the reader takes). Clear refusals
// (screener::Error) are expected; anything else is a finding.
#include "attribute_checks.h"
#include "dicom_header.h"
#include "fuzz_scratch.h"
#include "pixel_decoding.h"
#include "screener/error.h"
#include "slice_stack.h"

using namespace screener::dicom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const dicom_fuzz::ScratchDir scratch;
  const auto file = scratch.path() / "input.dcm";
  dicom_fuzz::write_bytes(file, data, size);
  try {
    const DicomHeader h = read_dicom_header(file);
    (void)identity_problem(h);
    std::vector<Slice> slices;
    for (int f = 0; f < h.frames; ++f) slices.push_back({h.file, f, h.rows, h.columns, h.sop_instance_uid, h.frame_info.at(f)});
    try {
      (void)stack_slices(std::move(slices), StackRules{});
    } catch (const screener::Error&) {
    }
    // As the reader: nothing is decoded from a header claiming too much.
    if (voxel_count(h.rows, h.columns, h.frames) <= dicom_fuzz::kMaxVoxels) (void)decode_stored_values(h);
  } catch (const screener::Error&) {
  }
  return 0;
}
