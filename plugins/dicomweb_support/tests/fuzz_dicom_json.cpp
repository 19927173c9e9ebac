// DICOM JSON from a server (QIDO-RS answers, WADO-RS series metadata) as the
// reader takes it: parsed under the limits, then every attribute read the
// ways the reader reads them (text, numbers, integers, sequence items).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dicom_json.h"
#include "screener/error.h"

using namespace screener;
using namespace screener::dicomweb;

namespace {
void read_dataset(const Json& ds, int depth) {
  if (!ds.is_object() || depth > 8) return;
  for (const auto& [tag, attribute] : ds.items()) {
    (void)dicom_string(ds, tag.c_str());
    (void)dicom_strings(ds, tag.c_str());
    (void)dicom_numbers(ds, tag.c_str());
    (void)dicom_number(ds, tag.c_str());
    (void)dicom_integer(ds, tag.c_str(), -1);
    for (std::size_t i = 0; i < 4; ++i)
      if (const Json* item = dicom_item(ds, tag.c_str(), i)) read_dataset(*item, depth + 1);
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  Json parsed;
  try {
    parsed = parse_dicom_json(body, "WADO-RS metadata GET http://pacs/series");
  } catch (const InputError&) {
    return 0;
  }
  if (parsed.is_array())
    for (const auto& ds : parsed) read_dataset(ds, 0);
  else
    read_dataset(parsed, 0);
  return 0;
}
