// A DICOMweb URL as --input gives it, and QIDO filters as --set gives them:
// the service root, credentials taken out for messages and used for auth,
// percent-encoding both ways, query strings.
//
// Input: the URL, then optionally a newline and a filter "Key=Value".
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "screener/error.h"
#include "url.h"

using namespace screener::dicomweb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string_view url = input.substr(0, newline);
  const std::string_view filter = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  (void)is_http_url(url);
  const std::string redacted = redact_url(url);
  const auto credentials = credentials_in(url);
  // A URL with credentials loses them (at least the '@') in what goes into messages.
  if (credentials && redacted.size() >= url.size()) __builtin_trap();
  const std::string encoded = percent_encode(url);
  if (percent_decode(encoded) != std::string(url)) __builtin_trap();  // a round trip
  (void)percent_decode(url);
  try {
    const std::string root = service_root(url);
    Query query;
    if (!filter.empty()) query.push_back(parse_filter(filter));
    query.emplace_back("limit", "100");
    (void)with_query(root + "/studies", query);
    (void)resolve_credentials({}, root);
  } catch (const screener::Error&) {
  }
  return 0;
}
