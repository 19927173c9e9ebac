// A checkpoint users download (torch.save, Lightning .ckpt): the zip reader
// and the pickle machine behind load_checkpoint. Inputs starting "PK" are
// whole archives; any other input is taken as data.pkl inside an archive whose
// storages data/0 … data/3 hold 64 bytes each, so mutations reach the pickle
// machine without first having to keep a zip directory intact.
#include <cstddef>
#include <cstdint>
#include <string>

#include "../testing/stored_zip.h"
#include "screener/error.h"
#include "state_dict_unpickler.h"

using namespace screener::torch_support;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.rfind("PK", 0) != 0) {
    std::vector<stored_zip::Entry> entries{{"data.pkl", bytes, {}}};
    for (const char* key : {"0", "1", "2", "3"}) entries.push_back({std::string("data/") + key, std::string(64, '\x3f'), {}});
    bytes = stored_zip::archive(entries);
  }
  try {
    const auto contents = read_checkpoint_archive(ZipArchive::from_memory(std::move(bytes), "fuzz input"));
    // What the loaders do next: read the tensors, look at the hyper_parameters.
    double sum = 0;
    for (const auto& [key, t] : contents.tensors) sum += double(t.numel());
    (void)sum;
    (void)contents.hyper_parameters.dump(-1, ' ', false, screener::Json::error_handler_t::replace);
  } catch (const screener::Error&) {
    // a clear refusal
  }
  return 0;
}
