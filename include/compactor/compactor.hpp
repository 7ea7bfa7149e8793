#pragma once
// Everything compactor offers, in one include.

#include <compactor/beacon/channel.hpp>
#include <compactor/beacon/config.hpp>
#include <compactor/beacon/discovery.hpp>
#include <compactor/beacon/events.hpp>
#include <compactor/beacon/local_bus.hpp>
#include <compactor/beacon/member.hpp>
#include <compactor/beacon/value.hpp>
#include <compactor/context.hpp>
#include <compactor/pid.hpp>
#include <compactor/process.hpp>
