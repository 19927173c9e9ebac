#include "frame_groups.h"

#include <dcmtk/dcmfg/fgderimg.h>
#include <dcmtk/dcmfg/fgfracon.h>
#include <dcmtk/dcmfg/fgpixmsr.h>
#include <dcmtk/dcmfg/fgplanor.h>
#include <dcmtk/dcmfg/fgplanpo.h>

#include "encoding.h"

namespace screener::dicom_results {

std::vector<std::unique_ptr<FGBase>> shared_plane_groups(const FrameGrid& grid) {
  auto measures = std::make_unique<FGPixelMeasures>();
  check(measures->setPixelSpacing(grid.pixel_spacing().c_str()), "PixelSpacing");
  check(measures->setSliceThickness(FrameGrid::decimal(grid.slice_spacing()).c_str()), "SliceThickness");
  check(measures->setSpacingBetweenSlices(FrameGrid::decimal(grid.slice_spacing()).c_str()), "SpacingBetweenSlices");
  auto orientation = std::make_unique<FGPlaneOrientationPatient>();
  const auto o = grid.image_orientation();
  check(orientation->setImageOrientationPatient(o[0].c_str(), o[1].c_str(), o[2].c_str(), o[3].c_str(), o[4].c_str(),
                                                o[5].c_str()),
        "ImageOrientationPatient");
  std::vector<std::unique_ptr<FGBase>> groups;
  groups.push_back(std::move(measures));
  groups.push_back(std::move(orientation));
  return groups;
}

std::vector<std::unique_ptr<FGBase>> frame_groups(const FrameGrid& grid, std::size_t frame,
                                                  const std::vector<uint32_t>& dimension_values,
                                                  const SourceSeries& source, const Code& derivation) {
  std::vector<std::unique_ptr<FGBase>> groups;
  const Vec3 p = grid.position(frame);
  auto position = std::make_unique<FGPlanePosPatient>();
  check(position->setImagePositionPatient(FrameGrid::decimal(p[0]).c_str(), FrameGrid::decimal(p[1]).c_str(),
                                          FrameGrid::decimal(p[2]).c_str()),
        "ImagePositionPatient");
  groups.push_back(std::move(position));

  auto content = std::make_unique<FGFrameContent>();
  for (std::size_t d = 0; d < dimension_values.size(); ++d)
    check(content->setDimensionIndexValues(dimension_values[d], unsigned(d)), "DimensionIndexValues");
  groups.push_back(std::move(content));

  const auto sources = source.frames_near(p, grid.normal(), grid.slice_spacing() / 2);
  if (!sources.empty()) {
    OFVector<ImageSOPInstanceReferenceMacro> references;
    for (const auto& from : sources) {
      ImageSOPInstanceReferenceMacro* reference = nullptr;
      OFVector<Uint16> frames;
      if (from.frame_number > 0) frames.push_back(Uint16(from.frame_number));
      check(ImageSOPInstanceReferenceMacro::create(from.instance->sop_class_uid.c_str(),
                                                   from.instance->sop_instance_uid.c_str(), frames, reference),
            "source image reference");
      references.push_back(*reference);
      delete reference;
    }
    FGDerivationImage* group = FGDerivationImage::createMinimal(
        references, "", CodeSequenceMacro(derivation.value.c_str(), derivation.scheme.c_str(), derivation.meaning.c_str()),
        CodeSequenceMacro("121322", "DCM", "Source image for image processing operation"));
    if (!group) throw Error("could not make the derivation image reference");
    groups.emplace_back(group);
  }
  return groups;
}

std::vector<FGBase*> raw(const std::vector<std::unique_ptr<FGBase>>& groups) {
  std::vector<FGBase*> out;
  for (const auto& g : groups) out.push_back(g.get());
  return out;
}

}  // namespace screener::dicom_results
