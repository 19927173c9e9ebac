// discover() of the stage: QIDO-RS for the studies matching the filters and
// their series of the wanted modality, WADO-RS metadata of each series (no
// pixel data), then the local reader's selection rules. One entry per series.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "http_client.h"
#include "screener/stage.h"
#include "series_grouping.h"
#include "url.h"

namespace screener::dicomweb {

struct StudyQuery {
  std::string root;          // the service root, e.g. http://host:8042/dicom-web
  Query filters;             // study-level QIDO matching keys
  int64_t page_size = 1000;  // QIDO results asked for per request (limit/offset); 0: all at once
};

// Entries are ordered like dicom_reader's: by PatientID, StudyDate,
// StudyInstanceUID, SeriesNumber. The locator is {"format": "dicomweb",
// "root", "study", "series", "instances": [SOPInstanceUID...]}; a study or
// series whose query failed becomes an entry whose locator holds the "error",
// so that it fails on its own when loaded while the others run. Throws
// InputError when the study query itself fails.
std::vector<StudyEntry> discover_series(HttpClient& client, const StudyQuery& query, const dicom::SelectionRules& rules,
                                        const std::function<void(const std::string&)>& note);

}  // namespace screener::dicomweb
