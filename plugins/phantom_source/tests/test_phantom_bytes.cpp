// Pins the exact bytes make_phantom produced before its speed-up (issue 17):
// a faster generator must give the same studies, voxel for voxel. The digests
// were computed from the code of commit 4ee5558, before any change.
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <cstdio>
#include <cmath>
#include <cstring>
#include <string>

#include "phantom.h"
#include "round_half_away.h"

using namespace screener;
using namespace screener::phantom;

namespace {

struct Fnv1a {
  uint64_t h = 0xcbf29ce484222325ull;
  void add(const void* data, std::size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  }
};

std::string hex(uint64_t h) {
  char s[17];
  std::snprintf(s, sizeof s, "%016llx", static_cast<unsigned long long>(h));
  return s;
}

// Voxels, both masks, the grid and the lesions, in one digest.
std::string digest(const PhantomCT& ct) {
  Fnv1a f;
  f.add(ct.hu.data(), ct.hu.size() * sizeof(int16_t));
  f.add(ct.lesion_mask.data(), ct.lesion_mask.size());
  f.add(ct.body_mask.data(), ct.body_mask.size());
  f.add(&ct.geometry.size, sizeof ct.geometry.size);
  f.add(&ct.geometry.spacing, sizeof ct.geometry.spacing);
  f.add(&ct.geometry.origin, sizeof ct.geometry.origin);
  for (const auto& l : ct.lesions) {
    f.add(l.kind.data(), l.kind.size());
    f.add(&l.centre_mm, sizeof l.centre_mm);
    f.add(&l.radius_mm, sizeof l.radius_mm);
    f.add(&l.hu, sizeof l.hu);
  }
  return hex(f.h);
}

struct Case {
  const char* name;
  PhantomOptions options;
  const char* digest;
};

PhantomOptions options(Index3 size, Vec3 spacing, uint64_t seed) {
  PhantomOptions o;
  o.size = size;
  o.spacing = spacing;
  o.seed = seed;
  return o;
}

std::vector<Case> cases() {
  std::vector<Case> c;
  c.push_back({"default_size_seed_0", PhantomOptions{}, "5279438dfdfb5799"});
  auto o = options({96, 80, 37}, {3.2, 3.2, 6.0}, 11);
  o.lesions = 4;
  o.couch = true;
  c.push_back({"lesions_and_table", o, "e97a8a076008bafd"});
  o = options({70, 90, 41}, {4.0, 3.5, 6.0}, 5);
  o.lesions = 8;
  o.variety = true;
  c.push_back({"variety", o, "8ad30ae71ca78aa4"});
  o = options({48, 48, 24}, {6.0, 6.0, 10.0}, 7);
  o.noise_hu = 0;
  o.fat_mm = 5;
  c.push_back({"no_noise_thin_fat", o, "b5937f006a012d77"});
  o = options({33, 17, 1}, {9.0, 12.0, 2.5}, 1234567);
  o.noise_hu = 40;
  c.push_back({"one_slice", o, "7392dac7f60175aa"});
  return c;
}

PhantomCT make_with_threads(const PhantomOptions& o, int threads) {
  tbb::task_arena arena(threads);
  PhantomCT ct;
  arena.execute([&] { ct = make_phantom(o); });
  return ct;
}

}  // namespace

TEST(PhantomBytes, SameBytesAsBeforeTheSpeedUp) {
  for (const auto& c : cases()) EXPECT_EQ(digest(make_phantom(c.options)), c.digest) << c.name;
}

TEST(PhantomBytes, SameBytesOnOneAndFourThreads) {
  for (const auto& c : cases()) {
    const auto one = make_with_threads(c.options, 1), four = make_with_threads(c.options, 4);
    EXPECT_EQ(one.hu, four.hu) << c.name;
    EXPECT_EQ(one.lesion_mask, four.lesion_mask) << c.name;
    EXPECT_EQ(one.body_mask, four.body_mask) << c.name;
  }
}

TEST(PhantomBytes, TheDigestSeesAOneVoxelChange) {
  auto ct = make_phantom(cases()[3].options);
  const auto before = digest(ct);
  ct.hu[ct.hu.size() / 2] += 1;
  EXPECT_NE(digest(ct), before);
}

TEST(PhantomBytes, RoundHalfAwayIsLround) {
  std::vector<double> xs{0.0,  -0.0, 0.5,    -0.5,   1.5,     -1.5,       2.5, -2.5, 0.49999999999999994,
                         -0.49999999999999994, 3071.5, -1024.5, 0x1.0p52 - 0.5, -0x1.0p52 + 0.5, 0x1.0p53, -1e18,
                         1e-300, std::nextafter(2.5, 0.0), std::nextafter(-2.5, 0.0)};
  for (int i = -40000; i <= 40000; ++i) xs.push_back(i * 0.0625 + 0.03125 * (i % 3));
  for (const double x : xs) EXPECT_EQ(round_half_away(x), std::lround(x)) << x;
}
