// A checkpoint users download (torch.save, Lightning .ckpt): the zip reader
// and the pickle machine behind load_checkpoint. Inputs starting "PK" are
// whole archives; any other input is taken as data.pkl inside an archive whose
// storages data/0 … data/3 hold 64 bytes each, so mutations reach the pickle
// machine without first having to keep a zip directory intact.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/Parallel.h>

#include "../testing/stored_zip.h"
#include "screener/error.h"
#include "state_dict_unpickler.h"

using namespace screener::torch_support;

namespace {

std::string in_archive(const std::string& pickle) {
  std::vector<stored_zip::Entry> entries{{"data.pkl", pickle, {}}};
  for (const char* key : {"0", "1", "2", "3"}) entries.push_back({std::string("data/") + key, std::string(64, '\x3f'), {}});
  return stored_zip::archive(entries);
}

}  // namespace

// LibTorch sets up its allocator, dtype tables and thread pool on first use:
// done once here, so that the fuzzer's leak check sees only the reader's own.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  const std::string pickle =
      stored_zip::Pickle().op('}').op('(').str("w").tensor("0", 16, {4, 4}, {1, 4}).op('u').done();
  const auto warm = read_checkpoint_archive(ZipArchive::from_memory(in_archive(pickle), "warm-up"));
  (void)warm.tensors.at("w").to(at::kFloat).sum().item<float>();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.rfind("PK", 0) != 0) bytes = in_archive(bytes);
  try {
    const auto contents = read_checkpoint_archive(ZipArchive::from_memory(std::move(bytes), "fuzz input"));
    // What the loaders do next: read the tensors, look at the hyper_parameters.
    for (const auto& [key, t] : contents.tensors) (void)t.to(at::kFloat).contiguous();
    (void)contents.hyper_parameters.dump(-1, ' ', false, screener::Json::error_handler_t::replace);
  } catch (const screener::Error&) {
    // a clear refusal
  }
  return 0;
}
