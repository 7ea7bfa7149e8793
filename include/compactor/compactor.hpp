#pragma once
// Everything compactor offers, in one include.

#include <compactor/authentication.hpp>
#include <compactor/beacon/channel.hpp>
#include <compactor/beacon/config.hpp>
#include <compactor/beacon/discovery.hpp>
#include <compactor/beacon/events.hpp>
#include <compactor/beacon/local_bus.hpp>
#include <compactor/beacon/member.hpp>
#include <compactor/beacon/member_info.hpp>
#include <compactor/beacon/mqtt_channel.hpp>
#include <compactor/beacon/publication.hpp>
#include <compactor/beacon/serf_channel.hpp>
#include <compactor/beacon/value.hpp>
#include <compactor/clock.hpp>
#include <compactor/context.hpp>
#include <compactor/dispatch.hpp>
#include <compactor/future.hpp>
#include <compactor/http.hpp>
#include <compactor/logging.hpp>
#include <compactor/metrics.hpp>
#include <compactor/pid.hpp>
#include <compactor/process.hpp>
#include <compactor/protobuf.hpp>
#include <compactor/testing.hpp>
#include <compactor/tls.hpp>
