// A WADO-RS multipart/related response as the reader takes it: the
// Content-Type header gives the boundary, the body arrives in pieces.
//
// Input: the Content-Type, a newline, then the body. The first byte of the
// body also picks the piece size (1..64 bytes, or all at once), so chunk
// edges fall everywhere.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "multipart.h"
#include "screener/error.h"

using namespace screener::dicomweb;

namespace {
class CountingHandler final : public PartHandler {
 public:
  std::size_t bytes = 0, parts = 0;
  bool open = false;
  void begin_part(const std::map<std::string, std::string>& headers) override {
    if (open) __builtin_trap();  // a part begun before the last one ended
    open = true;
    ++parts;
    for (const auto& [name, value] : headers) bytes += name.size() + value.size();
  }
  void part_data(std::string_view data) override {
    if (!open) __builtin_trap();
    bytes += data.size();
  }
  void end_part() override {
    if (!open) __builtin_trap();
    open = false;
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  const std::string_view content_type = input.substr(0, newline);
  const std::string_view body = input.substr(newline + 1);
  const std::size_t piece = body.empty() || uint8_t(body[0]) >= 192 ? body.size() + 1 : uint8_t(body[0]) % 64 + 1;
  (void)media_type(content_type);
  (void)media_type_parameters(content_type);
  try {
    CountingHandler handler;
    MultipartLimits limits;
    limits.max_part_bytes = 1 << 20;
    MultipartReader reader(multipart_boundary(content_type), handler, limits);
    for (std::size_t at = 0; at < body.size(); at += piece) reader.feed(body.substr(at, piece));
    reader.finish();
    if (handler.open || handler.parts != reader.parts()) __builtin_trap();
    // Whole-body parsing agrees with the streamed one.
    const auto parts = parse_multipart(body, multipart_boundary(content_type), limits);
    if (parts.size() != handler.parts) __builtin_trap();
  } catch (const screener::InputError&) {
  }
  return 0;
}
