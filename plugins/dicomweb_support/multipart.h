// multipart/related bodies (RFC 2046, RFC 2387) as DICOMweb uses them: WADO-RS
// answers with one part per instance, STOW-RS takes one part per instance.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace screener::dicomweb {

// A media type's parameters by lower-case name, quotes removed:
// 'multipart/related; type="application/dicom"; boundary=x' -> {type, boundary}.
std::map<std::string, std::string> media_type_parameters(std::string_view content_type);

// The media type itself, lower case, without parameters: "multipart/related".
std::string media_type(std::string_view content_type);

// The boundary of a multipart content type. Throws InputError when the type is
// not multipart or has no boundary.
std::string multipart_boundary(std::string_view content_type);

struct Part {
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string content_type() const;
};

// Receives the parts of a body as MultipartReader finds them.
class PartHandler {
 public:
  virtual ~PartHandler() = default;
  virtual void begin_part(const std::map<std::string, std::string>& headers) = 0;
  virtual void part_data(std::string_view bytes) = 0;
  virtual void end_part() = 0;
};

// What a multipart body from a server may claim; past these it is refused
// (InputError) as the bytes arrive, before they go anywhere.
struct MultipartLimits {
  std::size_t max_boundary_bytes = 256;               // RFC 2046 allows 70
  std::size_t max_preamble_bytes = std::size_t(1) << 20;  // before the first boundary
  std::size_t max_header_bytes = std::size_t(64) << 10;   // one part's headers
  std::size_t max_part_bytes = std::size_t(4) << 30;      // one instance, 4 GiB
  std::size_t max_parts = 100000;
};

// Splits a multipart body fed in pieces of any size, holding back only what
// could be the start of a boundary: a part's bytes go to the handler as they
// arrive, so a series of any size passes without being held in memory.
class MultipartReader {
 public:
  // Throws InputError for an empty boundary or one over the limit.
  MultipartReader(std::string boundary, PartHandler& handler, MultipartLimits limits = {});
  void feed(std::string_view bytes);
  // Throws InputError when the body ended before its closing boundary.
  void finish();
  std::size_t parts() const { return parts_; }

 private:
  enum class State { preamble, after_delimiter, headers, body, done };
  bool step();  // false when more input is needed
  void parse_headers(std::string_view block);

  void hand_on(std::string_view bytes);

  std::string delimiter_;  // CRLF "--" boundary
  PartHandler& handler_;
  MultipartLimits limits_;
  State state_ = State::preamble;
  std::string pending_;
  std::size_t parts_ = 0;
  std::size_t preamble_bytes_ = 0, part_bytes_ = 0;
};

std::vector<Part> parse_multipart(std::string_view body, const std::string& boundary, MultipartLimits limits = {});

// A boundary that occurs in none of the bodies.
std::string make_boundary(const std::vector<std::string_view>& bodies);

// The body, each part preceded by its headers; `boundary` must occur in no part.
std::string build_multipart(const std::vector<Part>& parts, const std::string& boundary);

}  // namespace screener::dicomweb
