// Prometheus's text exposition format (version 0.0.4) of metric groups:
// one family per exported name with its HELP and TYPE lines, then a sample
// per group that has it, labelled with the group's labels.
//
//   counter "x"    -> x_total (counter)
//   gauge "x"      -> x (gauge)
//   histogram "x"  -> x_bucket{le=...}, x_sum, x_count (histogram)
//   meter "x"      -> x_total (counter) and x_per_second (gauge: the rate
//                     over the last minute)
//
// Names get the group's prefix ("nagare_user_", "nagare_task_", ...).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nagare/metrics.hpp"

namespace nagare {

std::string prometheus_text(const std::vector<std::shared_ptr<metric_group>>& groups);

// `v` as Prometheus writes a sample value ("NaN", "+Inf", shortest digits).
std::string prometheus_number(double v);

// `v` escaped for a label value (backslash, double quote, newline).
std::string prometheus_label_value(const std::string& v);

// The content type of prometheus_text().
inline constexpr const char* prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace nagare
