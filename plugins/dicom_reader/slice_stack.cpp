#include "slice_stack.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "screener/error.h"

namespace screener::dicom {

namespace {

Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
double norm(const Vec3& a) { return std::sqrt(dot(a, a)); }
Vec3 minus(const Vec3& a, const Vec3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
Vec3 scaled(const Vec3& a, double s) { return {a[0] * s, a[1] * s, a[2] * s}; }

std::string describe(const Slice& s) {
  return "'" + s.file.string() + "'" + (s.frame > 0 ? " frame " + std::to_string(s.frame + 1) : std::string());
}

std::string mm(double v) {
  std::ostringstream out;
  out.precision(4);
  out << v << " mm";
  return out.str();
}

template <std::size_t N> std::string values(const std::array<double, N>& v) {
  std::ostringstream out;
  for (std::size_t i = 0; i < N; ++i) out << (i ? "\\" : "") << v[i];
  return out.str();
}

template <std::size_t N> bool finite_within(const std::array<double, N>& v, double limit) {
  return std::all_of(v.begin(), v.end(), [&](double x) { return std::isfinite(x) && std::abs(x) <= limit; });
}

// Every number the grid or the HU values are computed from must be finite
// (and plausible): NaN or infinity would pass the checks below unnoticed
// (comparisons with NaN are false) and reach abort() in ITK/VNL later.
void require_geometry_tags(const Slice& s) {
  const FrameInfo& f = s.info;
  if (!f.position) throw InputError(describe(s) + " has no ImagePositionPatient");
  if (!f.orientation) throw InputError(describe(s) + " has no ImageOrientationPatient");
  if (!f.pixel_spacing) throw InputError(describe(s) + " has no PixelSpacing");
  if (s.rows <= 0 || s.columns <= 0) throw InputError(describe(s) + " has no Rows/Columns");
  if (!finite_within(*f.position, kMaxCoordinateMm))
    throw InputError(describe(s) + ": ImagePositionPatient " + values(*f.position) + " is not finite or beyond " +
                     mm(kMaxCoordinateMm));
  if (!finite_within(*f.orientation, std::numeric_limits<double>::max()))
    throw InputError(describe(s) + ": ImageOrientationPatient " + values(*f.orientation) + " is not finite");
  const auto& ps = *f.pixel_spacing;
  if (!finite_within(ps, kMaxSpacingMm) || ps[0] <= 0 || ps[1] <= 0)
    throw InputError(describe(s) + ": PixelSpacing " + values(ps) + " is not positive, finite and at most " +
                     mm(kMaxSpacingMm));
  for (const auto& [name, value] : {std::pair{"SpacingBetweenSlices", f.spacing_between_slices},
                                    std::pair{"SliceThickness", f.slice_thickness}})
    if (value && !std::isfinite(*value)) throw InputError(describe(s) + ": " + name + " is not finite");
  if (!std::isfinite(f.slope) || !std::isfinite(f.intercept))
    throw InputError(describe(s) + ": RescaleSlope/RescaleIntercept is not finite");
}

void require_same_plane_and_size(const std::vector<Slice>& slices) {
  const Slice& first = slices.front();
  for (const auto& s : slices) {
    if (s.rows != first.rows || s.columns != first.columns)
      throw InputError("mixed image sizes: " + std::to_string(first.columns) + "x" + std::to_string(first.rows) + " in " +
                       describe(first) + ", " + std::to_string(s.columns) + "x" + std::to_string(s.rows) + " in " +
                       describe(s));
    for (int i = 0; i < 6; ++i)
      if (std::abs((*s.info.orientation)[i] - (*first.info.orientation)[i]) > 1e-4)
        throw InputError("mixed orientations: ImageOrientationPatient of " + describe(s) + " differs from " +
                         describe(first));
    for (int i = 0; i < 2; ++i)
      if (std::abs((*s.info.pixel_spacing)[i] - (*first.info.pixel_spacing)[i]) > 1e-4)
        throw InputError("mixed pixel spacings: " + describe(s) + " differs from " + describe(first));
  }
}

// SpacingBetweenSlices, else SliceThickness, else 1 mm: what a viewer or
// converter shows for one slice, and what a later resample step relies on.
double single_slice_spacing(const FrameInfo& info) {
  for (const auto& value : {info.spacing_between_slices, info.slice_thickness})
    if (value && *value > 0 && *value <= kMaxSpacingMm) return *value;
  return 1.0;
}

}  // namespace

SliceStack stack_slices(std::vector<Slice> slices, const StackRules& rules) {
  if (slices.empty()) throw InputError("no slices");
  for (const auto& s : slices) require_geometry_tags(s);
  require_same_plane_and_size(slices);

  const auto& iop = *slices.front().info.orientation;
  const Vec3 row_dir{iop[0], iop[1], iop[2]}, col_dir{iop[3], iop[4], iop[5]};
  if (std::abs(norm(row_dir) - 1) > 1e-3 || std::abs(norm(col_dir) - 1) > 1e-3 || std::abs(dot(row_dir, col_dir)) > 1e-3)
    throw InputError("ImageOrientationPatient of " + describe(slices.front()) + " is not two orthogonal unit vectors");
  const Vec3 normal = scaled(cross(row_dir, col_dir), 1.0 / norm(cross(row_dir, col_dir)));

  auto along = [&](const Slice& s) { return dot(*s.info.position, normal); };
  std::stable_sort(slices.begin(), slices.end(), [&](const Slice& a, const Slice& b) { return along(a) < along(b); });

  std::vector<double> steps;
  for (std::size_t k = 1; k < slices.size(); ++k) {
    const double step = along(slices[k]) - along(slices[k - 1]);
    if (step < 0.01)
      throw InputError("duplicate slice position " + mm(along(slices[k])) + " along the normal: " +
                       describe(slices[k - 1]) + " and " + describe(slices[k]));
    steps.push_back(step);
  }

  SliceStack stack;
  Geometry& g = stack.geometry;
  const auto& ps = *slices.front().info.pixel_spacing;
  g.size = {slices.front().columns, slices.front().rows, int64_t(slices.size())};
  g.origin = *slices.front().info.position;
  Vec3 slice_axis = normal;
  double slice_spacing = single_slice_spacing(slices.front().info);

  if (!steps.empty()) {
    auto sorted = steps;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    double median = sorted[sorted.size() / 2];
    if (sorted.size() % 2 == 0) {
      std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2 - 1, sorted.end());
      median = 0.5 * (median + sorted[sorted.size() / 2 - 1]);
    }
    for (std::size_t k = 0; k < steps.size(); ++k) {
      if (steps[k] > rules.gap_factor * median)
        throw InputError("missing slice(s): gap of " + mm(steps[k]) + " between " + describe(slices[k]) + " and " +
                         describe(slices[k + 1]) + " (median spacing " + mm(median) + ")");
      if (std::abs(steps[k] - median) > rules.spacing_tolerance * median)
        throw InputError("non-uniform slice spacing: " + mm(steps[k]) + " between " + describe(slices[k]) + " and " +
                         describe(slices[k + 1]) + " (median spacing " + mm(median) + ")");
    }

    const Vec3 first = *slices.front().info.position;
    const Vec3 span = minus(*slices.back().info.position, first);
    const double n = double(slices.size() - 1);
    const Vec3 mean_step = scaled(span, 1.0 / n);
    const double angle = std::acos(std::min(1.0, dot(span, normal) / norm(span))) * 180.0 / M_PI;
    stack.tilted = angle > kTiltToleranceDegrees;
    if (stack.tilted && !rules.allow_tilt) {
      std::ostringstream out;
      out.precision(3);
      out << "sheared stack (gantry tilt?): slices are offset " << angle
          << " degrees from the slice normal; set allow_tilt to read it on a non-orthogonal grid";
      throw InputError(out.str());
    }
    // Every slice must lie on the line the stack spans, or the grid is not regular.
    const double in_plane_tolerance = 0.1 * std::min(ps[0], ps[1]);
    for (std::size_t k = 0; k < slices.size(); ++k) {
      const Vec3 expected = {first[0] + mean_step[0] * double(k), first[1] + mean_step[1] * double(k),
                             first[2] + mean_step[2] * double(k)};
      const Vec3 off = minus(*slices[k].info.position, expected);
      const Vec3 sideways = minus(off, scaled(normal, dot(off, normal)));
      if (norm(sideways) > in_plane_tolerance)
        throw InputError("slice " + describe(slices[k]) + " is shifted " + mm(norm(sideways)) +
                         " in-plane from the line through the other slices");
    }
    if (stack.tilted) {
      slice_axis = scaled(mean_step, 1.0 / norm(mean_step));
      slice_spacing = norm(mean_step);
    } else {
      slice_spacing = median;
    }
  }

  g.spacing = {ps[1], ps[0], slice_spacing};
  for (int r = 0; r < 3; ++r) {
    g.direction[r][0] = row_dir[r];
    g.direction[r][1] = col_dir[r];
    g.direction[r][2] = slice_axis[r];
  }
  stack.slices = std::move(slices);
  return stack;
}

}  // namespace screener::dicom
