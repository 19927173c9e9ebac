#include <gtest/gtest.h>

#include <random>

#include "multipart.h"
#include "screener/error.h"

using namespace screener::dicomweb;

namespace {

// Binary bodies holding CR, LF, '-' and near-boundaries, the cases a
// streaming splitter gets wrong at chunk edges.
std::vector<Part> tricky_parts() {
  std::string binary;
  for (int i = 0; i < 3000; ++i) binary += char(i * 7 % 256);
  return {
      {{{"content-type", "application/dicom"}}, "\r\n--not-the-boundary\r\n--boun\r\nx--bound\r\n" + binary},
      {{{"content-type", "application/dicom"}, {"content-location", "/x"}}, ""},
      {{{"content-type", "application/octet-stream"}}, std::string(70000, '-') + "\r\n\r\n"},
  };
}

class Recorder final : public PartHandler {
 public:
  std::vector<Part> parts;
  int chunks = 0;
  void begin_part(const std::map<std::string, std::string>& headers) override { parts.push_back({headers, {}}); }
  void part_data(std::string_view bytes) override {
    ++chunks;
    parts.back().body.append(bytes);
  }
  void end_part() override {}
};

}  // namespace

TEST(Multipart, ContentTypeParameters) {
  const std::string ct = "Multipart/Related; type=\"application/dicom; x=1\"; Boundary=\"a\\\"b\" ; start=x";
  EXPECT_EQ(media_type(ct), "multipart/related");
  const auto p = media_type_parameters(ct);
  EXPECT_EQ(p.at("type"), "application/dicom; x=1");
  EXPECT_EQ(p.at("boundary"), "a\"b");
  EXPECT_EQ(p.at("start"), "x");
  EXPECT_EQ(multipart_boundary("multipart/related; boundary=XYZ; type=application/dicom"), "XYZ");
  EXPECT_THROW(multipart_boundary("application/dicom+json"), screener::InputError);
  EXPECT_THROW(multipart_boundary("multipart/related; type=application/dicom"), screener::InputError);
}

TEST(Multipart, BuildThenParseGivesTheSameParts) {
  const auto parts = tricky_parts();
  std::vector<std::string_view> bodies;
  for (const auto& p : parts) bodies.push_back(p.body);
  const std::string boundary = make_boundary(bodies);
  const auto parsed = parse_multipart(build_multipart(parts, boundary), boundary);
  ASSERT_EQ(parsed.size(), parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ(parsed[i].headers, parts[i].headers) << i;
    EXPECT_EQ(parsed[i].body, parts[i].body) << i;
  }
  EXPECT_EQ(parsed[1].content_type(), "application/dicom");
}

TEST(Multipart, BuiltBodyIsTheWireFormat) {
  const std::string body = build_multipart({{{{"content-type", "application/dicom"}}, "AB"}}, "b1");
  EXPECT_EQ(body, "--b1\r\nContent-Type: application/dicom\r\n\r\nAB\r\n--b1--\r\n");
}

TEST(Multipart, AnyChunkingGivesTheSameParts) {
  const auto parts = tricky_parts();
  const std::string body = "preamble --bound\r\n" + build_multipart(parts, "bound") + "epilogue --bound--";
  std::mt19937 random(7);
  for (int round = 0; round < 40; ++round) {
    Recorder recorder;
    MultipartReader reader("bound", recorder);
    for (std::size_t at = 0; at < body.size();) {
      const std::size_t n = round == 0 ? 1 : std::uniform_int_distribution<std::size_t>(1, 5000)(random);
      reader.feed(std::string_view(body).substr(at, n));
      at += n;
    }
    reader.finish();
    ASSERT_EQ(recorder.parts.size(), parts.size()) << round;
    for (std::size_t i = 0; i < parts.size(); ++i)
      EXPECT_EQ(recorder.parts[i].body, parts[i].body) << round << "/" << i;
    EXPECT_EQ(reader.parts(), parts.size());
  }
}

TEST(Multipart, LargePartsAreHandedOnWithoutBeingHeld) {
  const std::string big(4 << 20, 'x');
  const std::string body = build_multipart({{{{"content-type", "application/dicom"}}, big}}, "b");
  Recorder recorder;
  MultipartReader reader("b", recorder);
  for (std::size_t at = 0; at < body.size(); at += 16384) reader.feed(std::string_view(body).substr(at, 16384));
  reader.finish();
  ASSERT_EQ(recorder.parts.size(), 1u);
  EXPECT_EQ(recorder.parts[0].body.size(), big.size());
  EXPECT_GT(recorder.chunks, 200);  // data passed on chunk by chunk, not at the end
}

TEST(Multipart, TransportPaddingAndPartsWithoutHeaders) {
  const auto parts =
      parse_multipart("--b  \t\r\n\r\nno headers\r\n--b\r\nX-A: 1\r\n  folded\r\n\r\nz\r\n--b-- \r\n", "b");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_TRUE(parts[0].headers.empty());
  EXPECT_EQ(parts[0].body, "no headers");
  EXPECT_EQ(parts[1].headers.at("x-a"), "1 folded");
  EXPECT_EQ(parts[1].body, "z");
}

TEST(Multipart, TruncatedOrMalformedBodiesAreErrors) {
  const std::string body = build_multipart({{{{"content-type", "application/dicom"}}, "0123456789"}}, "b");
  EXPECT_THROW(parse_multipart(body.substr(0, body.size() - 8), "b"), screener::InputError);
  EXPECT_THROW(parse_multipart("no boundary here", "b"), screener::InputError);
  EXPECT_THROW(parse_multipart("--bXY\r\n\r\nx\r\n--b--", "b"), screener::InputError);
  EXPECT_TRUE(parse_multipart("--b--\r\n", "b").empty());
}

// Sizes a hostile server could send, refused as the bytes arrive.
TEST(Multipart, LimitsAreEnforcedAsTheBytesArrive) {
  Recorder sink;
  MultipartLimits small;
  small.max_preamble_bytes = 1000;
  small.max_header_bytes = 100;
  small.max_part_bytes = 5000;
  small.max_parts = 3;
  auto refused = [&](const std::string& body, const std::string& words, std::size_t chunk) {
    Recorder r;
    MultipartReader reader("b", r, small);
    try {
      for (std::size_t i = 0; i < body.size(); i += chunk) reader.feed(std::string_view(body).substr(i, chunk));
      reader.finish();
    } catch (const screener::InputError& e) {
      return std::string(e.what()).find(words) != std::string::npos ? ::testing::AssertionSuccess()
                                                                      : ::testing::AssertionFailure() << e.what();
    }
    return ::testing::AssertionFailure() << "accepted";
  };
  for (std::size_t chunk : {std::size_t(1), std::size_t(7), std::size_t(1 << 20)}) {
    // No closing boundary: one endless part.
    EXPECT_TRUE(refused("--b\r\n\r\n" + std::string(6000, 'x'), "larger than the limit of 5000 bytes", chunk));
    EXPECT_TRUE(refused(std::string(2000, 'p') + "\r\n--b\r\n\r\nx\r\n--b--", "no boundary in its first 1000", chunk));
    EXPECT_TRUE(refused("--b\r\nX-A: " + std::string(200, 'h') + "\r\n\r\nx\r\n--b--", "headers longer", chunk));
    std::string many;
    for (int i = 0; i < 4; ++i) many += "--b\r\n\r\nx\r\n";
    EXPECT_TRUE(refused(many + "--b--", "more than the limit of 3 parts", chunk));
    // Just under every limit: accepted.
    EXPECT_FALSE(refused("--b\r\n\r\n" + std::string(5000, 'x') + "\r\n--b--", "", chunk));
  }
  EXPECT_THROW(MultipartReader(std::string(300, 'b'), sink), screener::InputError);
  EXPECT_THROW(MultipartReader("", sink), screener::InputError);
  EXPECT_THROW(parse_multipart("--b\r\n\r\n" + std::string(100, 'x'), "b"), screener::InputError);  // never closed
}
