// Functional groups both result objects use: the plane of each frame, shared
// pixel measures and orientation, and the source slice a frame derives from.
#pragma once
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmfg/fgbase.h>

#include <memory>
#include <string>
#include <vector>

#include "frame_grid.h"
#include "source_series.h"

namespace screener::dicom_results {

struct Code {
  std::string value, scheme, meaning;
};

// Pixel measures and plane orientation, the same for every frame.
std::vector<std::unique_ptr<FGBase>> shared_plane_groups(const FrameGrid& grid);

// Plane position of `frame`, its frame content (dimension index values), and
// the source images it derives from (SourceSeries::frames_near) with the code
// saying how.
std::vector<std::unique_ptr<FGBase>> frame_groups(const FrameGrid& grid, std::size_t frame,
                                                  const std::vector<uint32_t>& dimension_values,
                                                  const SourceSeries& source, const Code& derivation);

std::vector<FGBase*> raw(const std::vector<std::unique_ptr<FGBase>>& groups);

}  // namespace screener::dicom_results
