#pragma once
// Test helper: the KH step on plain matrices, so hand-worked cases read as matrices.
#include <vector>

#include "khsweep/model/kh.hpp"

namespace khsweep::testing {

// Runs model::kh_step on lane-padded copies of w and wt (post, post_t) and copies the results back.
inline const std::vector<int>& kh_step_on(model::Matrix<double>& w, model::Matrix<double>& wt,
                                          const model::ActiveSets& x, double eps, const model::KhSettings& settings,
                                          model::KhWorkspace<double>& work) {
  auto post = model::Rows<double>::from(w);
  auto post_t = model::Rows<double>::from(wt);
  const auto& touched = model::kh_step(post, post_t, x, eps, settings, work);
  post.copy_to(w);
  post_t.copy_to(wt);
  return touched;
}

}  // namespace khsweep::testing
