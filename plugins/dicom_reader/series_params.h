// The parameters that choose and read series, shared by the DICOM sources
// (dicom_reader, dicomweb_reader) so that both behave the same.
#pragma once
#include "screener/spec.h"
#include "series_grouping.h"
#include "series_loading.h"

namespace screener::dicom {

void declare_series_params(StageSpec& spec);

struct SeriesParams {
  SelectionRules rules;
  LoadOptions load;
};
SeriesParams read_series_params(const Params& params);

}  // namespace screener::dicom
