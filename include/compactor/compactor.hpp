#pragma once
// Everything compactor offers, in one include.

#include <compactor/context.hpp>
#include <compactor/pid.hpp>
#include <compactor/process.hpp>
