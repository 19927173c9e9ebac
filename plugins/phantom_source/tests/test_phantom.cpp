#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "phantom.h"

using namespace screener;
using namespace screener::phantom;

namespace {
double fraction(const PhantomCT& ct, int lo, int hi) {
  return double(std::count_if(ct.hu.begin(), ct.hu.end(), [&](int16_t v) { return v >= lo && v <= hi; })) /
         double(ct.hu.size());
}
}  // namespace

TEST(Phantom, IsDeterministicPerSeedAndVariesBetweenSeeds) {
  PhantomOptions o;
  o.size = {64, 64, 32};
  o.seed = 3;
  const auto a = make_phantom(o), b = make_phantom(o);
  EXPECT_EQ(a.hu, b.hu);
  EXPECT_EQ(a.geometry, b.geometry);
  o.seed = 4;
  const auto c = make_phantom(o);
  EXPECT_NE(a.hu, c.hu);
  EXPECT_NE(a.geometry.spacing, c.geometry.spacing);
}

TEST(Phantom, HasTheTissuesOfAChestAbdomenCT) {
  PhantomOptions o;
  o.size = {96, 96, 48};
  o.spacing = {3.2, 3.2, 6.0};
  const auto ct = make_phantom(o);
  EXPECT_GT(fraction(ct, -2048, -2048), 0.05);  // outside the field of view
  EXPECT_GT(fraction(ct, -1024, -950), 0.05);   // air
  EXPECT_GT(fraction(ct, -900, -780), 0.02);    // lung
  EXPECT_GT(fraction(ct, -150, -50), 0.02);     // fat
  EXPECT_GT(fraction(ct, 0, 100), 0.10);        // soft tissue and organs
  EXPECT_GT(fraction(ct, 550, 900), 0.001);     // cortical bone
}

TEST(Phantom, EachLesionKindChangesTheImageWhereItIsMasked) {
  PhantomOptions o;
  o.size = {96, 96, 48};
  o.spacing = {3.2, 3.2, 6.0};
  o.noise_hu = 0;
  o.seed = 11;
  const auto clean = make_phantom(o);
  o.lesions = 4;
  const auto ct = make_phantom(o);
  ASSERT_EQ(ct.lesions.size(), 4u);
  const char* kinds[] = {"liver_hypodense", "lung_nodule", "ground_glass", "sphere"};
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(ct.lesions[i].kind, kinds[i]);
  double diff = 0;
  int marked = 0;
  for (std::size_t v = 0; v < ct.hu.size(); ++v)
    if (ct.lesion_mask[v]) {
      ++marked;
      diff += std::abs(ct.hu[v] - clean.hu[v]);
    } else {
      EXPECT_LT(std::abs(ct.hu[v] - clean.hu[v]), 200) << v;  // only the outer half of soft edges
    }
  ASSERT_GT(marked, 20);
  EXPECT_GT(diff / marked, 50.0);
}

TEST(Phantom, TheTableAndTheVarietyKeepThePatientOfTheSeed) {
  PhantomOptions o;
  o.size = {96, 96, 24};
  o.spacing = {4.0, 4.0, 8.0};
  o.seed = 11;
  o.lesions = 4;
  const auto plain = make_phantom(o);
  o.couch = true;
  const auto on_table = make_phantom(o);
  o.variety = true;
  const auto varied = make_phantom(o);
  // Same geometry, organs and lesions: the table and the variety are drawn last.
  EXPECT_EQ(on_table.geometry, plain.geometry);
  EXPECT_EQ(on_table.lesion_mask, plain.lesion_mask);
  EXPECT_EQ(on_table.body_mask, plain.body_mask);
  EXPECT_EQ(varied.lesion_mask, plain.lesion_mask);
  // The table only adds voxels outside the body: dense skins (>= 150 HU) and foam.
  int64_t table = 0, changed_inside = 0;
  for (std::size_t i = 0; i < plain.hu.size(); ++i) {
    if (plain.body_mask[i]) {
      changed_inside += on_table.hu[i] != plain.hu[i];
    } else if (on_table.hu[i] >= 150) {
      ++table;
      EXPECT_LT(plain.hu[i], -500) << "the table lies where there was air";
    }
  }
  EXPECT_EQ(changed_inside, 0);
  EXPECT_GT(table, 96 * 24);  // a skin across the field of view in every slice
  // The body mask is the patient: tissue inside, none of the table.
  for (std::size_t i = 0; i < on_table.hu.size(); ++i)
    if (on_table.hu[i] >= 150 && !plain.body_mask[i]) EXPECT_FALSE(on_table.body_mask[i]);
}

TEST(Phantom, VarietyChangesTheSkinEdgeBetweenPatients) {
  // The fat layer under the skin (-150..-50 HU) is 0 to 22 mm thick with variety.
  PhantomOptions o;
  o.size = {96, 96, 8};
  o.spacing = {4.0, 4.0, 8.0};
  o.variety = true;
  double thinnest = 1, thickest = 0;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    o.seed = seed;
    const double fat = fraction(make_phantom(o), -150, -50);
    thinnest = std::min(thinnest, fat), thickest = std::max(thickest, fat);
  }
  EXPECT_LT(thinnest, 0.5 * thickest);
  o.variety = false;
  o.fat_mm = 0;
  EXPECT_LT(fraction(make_phantom(o), -150, -50), 0.002);  // no fat layer at all
}

TEST(Phantom, PastedAnomaliesChangeOnlyTheBodyAndJoinTheLesionMask) {
  PhantomOptions o;
  o.size = {96, 96, 48};
  o.spacing = {4, 4, 5};
  o.seed = 11;
  o.lesions = 2;
  const auto plain = make_phantom(o);
  auto pasted = make_phantom(o);
  paste_anomalies(pasted, 3, o.seed);
  int64_t changed = 0;
  for (std::size_t i = 0; i < plain.hu.size(); ++i) {
    const bool differs = pasted.hu[i] != plain.hu[i];
    if (differs) {
      ASSERT_TRUE(plain.body_mask[i]) << "voxel " << i << " outside the body changed";
      ASSERT_TRUE(pasted.lesion_mask[i]) << "voxel " << i << " changed but is not in the truth";
      ++changed;
    }
    // The truth is the lesions plus exactly the changed voxels.
    ASSERT_EQ(bool(pasted.lesion_mask[i]), bool(plain.lesion_mask[i]) || differs) << i;
  }
  EXPECT_GT(changed, 50);
}
