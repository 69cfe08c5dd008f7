// Everything a job library needs.
#pragma once

#include "nagare/aggregate.hpp"
#include "nagare/api.hpp"
#include "nagare/codec.hpp"
#include "nagare/hash.hpp"
#include "nagare/job.hpp"
#include "nagare/job_args.hpp"
#include "nagare/metrics.hpp"
#include "nagare/sink.hpp"
#include "nagare/source.hpp"
#include "nagare/status.hpp"
