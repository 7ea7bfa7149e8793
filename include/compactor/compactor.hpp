#pragma once
// Everything compactor offers, in one include.

#include <compactor/beacon/value.hpp>
#include <compactor/context.hpp>
#include <compactor/pid.hpp>
#include <compactor/process.hpp>
